#include "config/loader.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace ticketd::config {
namespace {

using namespace std::chrono_literals;

// Tests never look at the process environment.
env_lookup env_of(std::map<std::string, std::string> vars = {}) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

load_result load(std::string_view yaml, const env_lookup& env = env_of()) {
  return load_config_text(yaml, "test.yaml", env);
}

std::string describe(const load_result& r) {
  std::string out;
  for (const auto& e : r.errors) out += "\n  " + e.to_string();
  return out;
}

// The config of a file that must load; fails the test (with every error) when it does not.
// A copy, so that `const config& c = loaded(load(...))` owns what it refers to.
config loaded(const load_result& r) {
  EXPECT_TRUE(r.errors.empty()) << describe(r);
  EXPECT_TRUE(r.value != nullptr);
  return r.value ? *r.value : config{};
}

// The one error a file must produce.
config_error only_error(const load_result& r) {
  EXPECT_EQ(r.errors.size(), 1u) << describe(r);
  EXPECT_EQ(r.value, nullptr);
  return r.errors.empty() ? config_error{} : r.errors.front();
}

bool has_error(const load_result& r, std::string_view text) {
  for (const auto& e : r.errors) {
    if (e.to_string().find(text) != std::string::npos) return true;
  }
  return false;
}

bool has_warning(const load_result& r, std::string_view text) {
  for (const auto& w : r.warnings) {
    if (w.find(text) != std::string::npos) return true;
  }
  return false;
}

// A file in the test's temp dir, removed afterwards.
class temp_file {
 public:
  explicit temp_file(std::string_view content,
                     std::filesystem::perms perms = std::filesystem::perms::owner_read |
                                                    std::filesystem::perms::owner_write) {
    static int counter = 0;
    path_ = std::filesystem::path(::testing::TempDir()) /
            ("ticketd-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    std::ofstream(path_, std::ios::binary) << content;
    std::filesystem::permissions(path_, perms);
  }
  ~temp_file() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// ---------------------------------------------------------------------------------------------
// The example and the whole-file behaviour

TEST(ConfigLoader, LoadsTheExampleConfigWithTheDocumentedValues) {
  const std::filesystem::path file =
      std::filesystem::path(TICKETD_SOURCE_DIR) / "config" / "ticketd.example.yaml";
  const auto result = load_config_file(file, env_of());
  const config& c = loaded(result);
  EXPECT_TRUE(result.warnings.empty()) << result.warnings.front();

  EXPECT_EQ(c.source, file);
  EXPECT_EQ(c.workspace, "acme");
  EXPECT_EQ(c.server.listen.host, "127.0.0.1");
  EXPECT_EQ(c.server.listen.port, 8080);
  EXPECT_EQ(c.server.threads, 2u);
  EXPECT_EQ(c.server.body_limit, 64u * 1024);
  EXPECT_EQ(c.server.state_dir, "/var/lib/ticketd");
  EXPECT_EQ(c.redis.kind, redis_kind::embedded);
  EXPECT_EQ(c.redis.connections, 2u);
  EXPECT_EQ(c.redis.timeout, 2s);

  ASSERT_EQ(c.priorities.size(), 4u);
  const auto defaults = default_priorities();
  for (std::size_t i = 0; i < defaults.size(); ++i) {
    EXPECT_EQ(c.priorities[i].name, defaults[i].name);
    EXPECT_EQ(c.priorities[i].first_reply, defaults[i].first_reply) << defaults[i].name;
    EXPECT_EQ(c.priorities[i].next_reply, defaults[i].next_reply) << defaults[i].name;
    EXPECT_EQ(c.priorities[i].resolution, defaults[i].resolution) << defaults[i].name;
  }

  ASSERT_EQ(c.calendars.size(), 1u);
  const calendar_config& eu = c.calendars[0];
  EXPECT_EQ(eu.name, "support-eu");
  EXPECT_EQ(eu.timezone, "Europe/Berlin");
  for (int day = 0; day < 5; ++day) {
    EXPECT_EQ(eu.hours[day], (std::vector<time_of_day_interval>{{9 * 60, 17 * 60}})) << day;
  }
  EXPECT_EQ(eu.hours[5], (std::vector<time_of_day_interval>{{10 * 60, 14 * 60}}));
  EXPECT_TRUE(eu.hours[6].empty());
  EXPECT_EQ(eu.holidays, (std::vector<civil_date>{{2026, 12, 25}, {2026, 12, 26}}));
  EXPECT_EQ(c.sla.calendar, "support-eu");
  EXPECT_EQ(c.sla.warn_before, 15min);

  EXPECT_EQ(c.agents.max_concurrent, 5u);
  EXPECT_EQ(c.agents.counted_statuses,
            (std::vector<status_kind>{status_kind::offered, status_kind::assigned}));
  EXPECT_EQ(c.agents.presence, presence_mode::api);

  ASSERT_EQ(c.queues.size(), 3u);
  EXPECT_EQ(c.queues[0].name, "billing");
  EXPECT_EQ(c.queues[1].name, "general");
  EXPECT_EQ(c.queues[2].name, "supervisors");
  const queue_config& billing = c.queues[0];
  EXPECT_EQ(billing.mode, queue_mode::push);
  EXPECT_EQ(billing.strategy, push_strategy::least_loaded);
  EXPECT_DOUBLE_EQ(billing.wait_weight, 0.5);
  EXPECT_EQ(billing.rank_offset, 0ms);
  EXPECT_EQ(billing.accept_timeout, millis{30s});
  EXPECT_EQ(billing.reject_cooldown, 5min);
  EXPECT_TRUE(billing.away_on_timeout);
  ASSERT_EQ(billing.overflow.size(), 1u);
  EXPECT_EQ(billing.overflow[0].after, 5min);
  EXPECT_EQ(billing.overflow[0].to, "general");
  EXPECT_EQ(billing.escalate_to, "supervisors");
  EXPECT_EQ(c.queues[1].mode, queue_mode::push);
  EXPECT_EQ(c.queues[2].mode, queue_mode::pull);

  EXPECT_EQ(c.lifecycle.affinity_wait, span{24h});
  EXPECT_EQ(c.lifecycle.followups, (std::vector<span>{{24h, time_basis::wall, 1},
                                                      {72h, time_basis::wall, 3},
                                                      {120h, time_basis::wall, 5}}));
  EXPECT_EQ(c.lifecycle.resolve_after, (span{144h, time_basis::wall, 6}));
  EXPECT_EQ(c.lifecycle.reopen_window, (span{168h, time_basis::wall, 7}));
  EXPECT_EQ(c.lifecycle.close_after, (span{168h, time_basis::wall, 7}));
  EXPECT_EQ(c.lifecycle.customer_affinity, millis{168h});
  EXPECT_EQ(c.lifecycle.customer_affinity_wait, millis{0});
  EXPECT_EQ(c.skills, (std::vector<std::string>{"spanish", "billing"}));

  ASSERT_EQ(c.routing.size(), 4u);
  EXPECT_EQ(c.routing[0].when.channel, "phone");
  EXPECT_EQ(c.routing[0].queue, "general");
  EXPECT_EQ(c.routing[0].priority, "urgent");
  EXPECT_EQ(c.routing[1].when.attributes,
            (std::map<std::string, std::string>{{"topic", "refund"}}));
  EXPECT_EQ(c.routing[1].queue, "billing");
  EXPECT_FALSE(c.routing[1].priority.has_value());
  EXPECT_EQ(c.routing[2].when.attributes, (std::map<std::string, std::string>{{"language", "es"}}));
  ASSERT_EQ(c.routing[2].require.size(), 1u);
  EXPECT_EQ(c.routing[2].require[0].skill, "spanish");
  EXPECT_EQ(c.routing[2].require[0].level, 3u);
  EXPECT_EQ(c.routing[2].require[0].relax_after, millis{10min});
  EXPECT_EQ(c.routing[3].when.skills, std::vector<std::string>{"spanish"});
  // Each rule's line is the line of its `- when:` in the file.
  std::ifstream in(file);
  std::vector<int> rule_lines;
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.starts_with("  - when:")) rule_lines.push_back(number);
  }
  ASSERT_EQ(rule_lines.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(c.routing[i].line, rule_lines[i]);

  EXPECT_EQ(c.defaults.queue, "general");
  EXPECT_EQ(c.defaults.priority, "normal");
  EXPECT_TRUE(c.auth.tokens.empty());
  EXPECT_EQ(c.events.max_len, 1'000'000u);
}

TEST(ConfigLoader, EmptyFileGivesTheDefaults) {
  const auto result = load("# nothing configured\n");
  const config& c = loaded(result);
  EXPECT_EQ(c.source, "test.yaml");
  EXPECT_EQ(c.workspace, "default");
  ASSERT_EQ(c.priorities.size(), 4u);
  EXPECT_EQ(c.priorities[0].name, "urgent");
  ASSERT_EQ(c.queues.size(), 1u);
  EXPECT_EQ(c.queues[0].name, "general");
  EXPECT_EQ(c.queues[0].mode, queue_mode::pull);
  EXPECT_TRUE(result.warnings.empty());  // default listen address is loopback
}

TEST(ConfigLoader, FindsQueuesPrioritiesAndCalendarsByName) {
  const auto result = load(
      "queues: {a: {}, b: {}}\n"
      "defaults: {queue: a}\n"
      "calendars: {eu: {timezone: Europe/Berlin, hours: {mon: \"09:00-17:00\"}}}\n");
  const config& c = loaded(result);
  ASSERT_NE(c.find_queue("b"), nullptr);
  EXPECT_EQ(c.find_queue("b")->name, "b");
  EXPECT_EQ(c.find_queue("c"), nullptr);
  ASSERT_NE(c.find_priority("low"), nullptr);
  EXPECT_EQ(c.find_priority("low")->resolution, (span{168h, time_basis::wall, 7}));
  EXPECT_EQ(c.find_priority("lowest"), nullptr);
  ASSERT_NE(c.find_calendar("eu"), nullptr);
  EXPECT_EQ(c.find_calendar("us"), nullptr);
}

TEST(ConfigLoader, ReportsUnknownKeysAtEveryDepthWithLineAndColumn) {
  const auto result = load(
      "workspace: acme\n"                         // 1
      "server:\n"                                 // 2
      "  lisen: 127.0.0.1:8080\n"                 // 3
      "queues:\n"                                 // 4
      "  general:\n"                              // 5
      "  billing:\n"                              // 6
      "    stratgy: round_robin\n"                // 7
      "    overflow:\n"                           // 8
      "      - {after: 5m, too: general}\n"       // 9
      "routing:\n"                                // 10
      "  - when: {chanel: phone}\n"               // 11
      "    queue: general\n"                      // 12
      "lifecycle: {pending: {folowups: [1d]}}\n"  // 13
      "colour: blue\n");                          // 14
  std::vector<std::string> lines;
  for (const auto& e : result.errors) lines.push_back(e.to_string());
  ASSERT_EQ(lines.size(), 8u) << describe(result);
  EXPECT_EQ(lines[0],
            "test.yaml:3:3: server.lisen: unknown key (expected one of: listen, threads, "
            "body_limit, header_limit, read_timeout, idle_timeout, max_connections, state_dir, "
            "shutdown_grace, access_log, cors)");
  EXPECT_TRUE(lines[1].starts_with(
      "test.yaml:7:5: queues.billing.stratgy: unknown key (expected one of: mode, strategy, "))
      << lines[1];
  // A step without `to` is reported at the step itself, before the misspelt key.
  EXPECT_TRUE(lines[2].starts_with("test.yaml:9:9: queues.billing.overflow[0].to: is required"))
      << lines[2];
  EXPECT_TRUE(lines[3].starts_with("test.yaml:9:21: queues.billing.overflow[0].too: unknown key"))
      << lines[3];
  // Without its misspelt condition the rule would match every ticket.
  EXPECT_TRUE(lines[4].starts_with("test.yaml:11:11: routing[0].when: at least one condition"))
      << lines[4];
  EXPECT_TRUE(lines[5].starts_with("test.yaml:11:12: routing[0].when.chanel: unknown key"))
      << lines[5];
  EXPECT_TRUE(lines[6].starts_with("test.yaml:13:23: lifecycle.pending.folowups: unknown key"))
      << lines[6];
  EXPECT_TRUE(lines[7].starts_with("test.yaml:14:1: colour: unknown key (expected one of: "))
      << lines[7];
  EXPECT_EQ(result.value, nullptr);
}

TEST(ConfigLoader, ReadsChannelsCapacityAndTheAbsentAssigneeSettings) {
  const auto c =
      loaded(load("agents: {capacity: 12, missed_offers_away: 3, offline_return_after: 15m}\n"
                  "channels:\n"
                  "  email: {cost: 1}\n"
                  "  phone: {cost: 10, wrap_up: 1m, max_per_agent: 1}\n"
                  "lifecycle: {assigned: {return_after: 4h}}\n"));
  EXPECT_EQ(c.agents.capacity, 12u);
  EXPECT_EQ(c.agents.missed_offers_away, 3u);
  EXPECT_EQ(c.agents.offline_return_after, millis{15min});
  EXPECT_EQ(c.lifecycle.assigned_return_after, millis{4h});
  ASSERT_EQ(c.channels.size(), 2u);
  EXPECT_EQ(c.channels[0], (channel_config{"email", 1, millis{0}, 0}));
  EXPECT_EQ(c.channels[1], (channel_config{"phone", 10, millis{1min}, 1}));
  ASSERT_NE(c.find_channel("phone"), nullptr);
  EXPECT_EQ(c.find_channel("fax"), nullptr);
  // Without them: version 1 (a count only, nothing returns, nobody is set away).
  const auto plain = loaded(load("workspace: w\n"));
  EXPECT_TRUE(plain.channels.empty());
  EXPECT_EQ(plain.agents.capacity, 10u);
  EXPECT_EQ(plain.agents.missed_offers_away, 0u);
  EXPECT_EQ(plain.agents.offline_return_after, millis{0});
  EXPECT_EQ(plain.lifecycle.assigned_return_after, millis{0});
}

TEST(ConfigLoader, RefusesBadChannelsWithTheirPlace) {
  const auto result = load(
      "channels:\n"
      "  email: {cost: 0}\n"
      "  \"bad name\": {cost: 1}\n"
      "  chat: {cost: 3, wrap_up: soon, max_per_agent: 0, colour: red}\n"
      "agents: {capacity: 0}\n");
  EXPECT_EQ(result.value, nullptr);
  EXPECT_TRUE(has_error(result, "test.yaml:2:17: channels.email.cost: expected an integer from 1"))
      << describe(result);
  EXPECT_TRUE(has_error(result, "channels.chat.wrap_up: expected a duration")) << describe(result);
  EXPECT_TRUE(has_error(result, "channels.chat.max_per_agent: expected an integer from 1"))
      << describe(result);
  EXPECT_TRUE(has_error(result, "channels.chat.colour")) << describe(result);
  EXPECT_TRUE(has_error(result, "agents.capacity: expected an integer from 1")) << describe(result);
  EXPECT_TRUE(has_error(result, "bad name")) << describe(result);
}

TEST(ConfigLoader, ReportsEveryErrorInOnePass) {
  const auto result = load(
      "workspace: \"ac me\"\n"
      "server: {threads: 999, body_limit: 10, read_timeout: soon}\n"
      "redis: {url: \"rediss://cache:6380\", connections: 0}\n"
      "agents: {presence: telepathy}\n"
      "queues:\n"
      "  general: {mode: both, wait_weight: -1}\n"
      "routing:\n"
      "  - {when: {channel: mail}, queue: nowhere}\n"
      "events: {max_len: 10}\n");
  EXPECT_EQ(result.errors.size(), 11u) << describe(result);
  EXPECT_EQ(result.value, nullptr);
  EXPECT_TRUE(has_error(result, "test.yaml:1:12: workspace: \"ac me\" is not a valid name"));
  EXPECT_TRUE(has_error(result,
                        "test.yaml:2:19: server.threads: expected an integer from 0 to "
                        "256, got \"999\""));
  EXPECT_TRUE(has_error(result, "test.yaml:2:36: server.body_limit: must be at least 1KiB"));
  EXPECT_TRUE(has_error(result, "test.yaml:2:54: server.read_timeout: expected a duration"));
  EXPECT_TRUE(has_error(result,
                        "test.yaml:3:14: redis.url: TLS (rediss://) is not supported; "
                        "use redis:// or unix://"));
  EXPECT_TRUE(has_error(result,
                        "test.yaml:3:50: redis.connections: expected an integer from 1 "
                        "to 64"));
  EXPECT_TRUE(has_error(result, "agents.presence: expected one of: api, connection"));
  EXPECT_TRUE(has_error(result, "queues.general.mode: expected one of: push, pull"));
  EXPECT_TRUE(has_error(result, "queues.general.wait_weight: expected a number from 0 to 1000"));
  EXPECT_TRUE(has_error(result, "test.yaml:8:36: routing[0].queue: no queue named \"nowhere\""));
  EXPECT_TRUE(has_error(result, "test.yaml:9:19: events.max_len: expected an integer from 1000"));
  // Sorted by position, so they read top to bottom.
  for (std::size_t i = 1; i < result.errors.size(); ++i) {
    EXPECT_LE(result.errors[i - 1].line, result.errors[i].line);
  }
}

TEST(ConfigLoader, ReportsAYamlSyntaxErrorAtTheParserPosition) {
  const auto result = load("queues: [general, billing\nworkspace: acme\n");
  const config_error e = only_error(result);
  EXPECT_EQ(e.file, "test.yaml");
  EXPECT_EQ(e.line, 2);
  EXPECT_EQ(e.column, 10);
  EXPECT_TRUE(e.path.empty());
  EXPECT_FALSE(e.message.empty());
  EXPECT_TRUE(e.to_string().starts_with("test.yaml:2:10: ")) << e.to_string();
}

TEST(ConfigLoader, ReportsAMissingFileAsOneErrorOnLineZero) {
  const auto missing = std::filesystem::path(::testing::TempDir()) / "ticketd-no-such.yaml";
  const auto result = load_config_file(missing, env_of());
  const config_error e = only_error(result);
  EXPECT_EQ(e.file, missing.string());
  EXPECT_EQ(e.line, 0);
  EXPECT_NE(e.message.find("cannot read the config file"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("No such file"), std::string::npos) << e.message;
}

TEST(ConfigLoader, LoadsAFileAndRecordsItsPath) {
  const temp_file file("workspace: from-file\n");
  const auto result = load_config_file(file.path(), env_of());
  const config& c = loaded(result);
  EXPECT_EQ(c.workspace, "from-file");
  EXPECT_EQ(c.source, file.path());
}

TEST(ConfigLoader, TurnsDeepNestingIntoAnErrorInsteadOfAnException) {
  const std::string nested = "workspace: " + std::string(100'000, '[') + "\n";
  const auto result = load(nested);
  EXPECT_EQ(result.value, nullptr);
  EXPECT_EQ(result.errors.size(), 1u) << describe(result);
}

TEST(ConfigLoader, FormatsErrorsAsFileLineColumnPathMessage) {
  EXPECT_EQ((config_error{"a.yaml", 3, 7, "queues.x.mode", "bad"}).to_string(),
            "a.yaml:3:7: queues.x.mode: bad");
  EXPECT_EQ((config_error{"a.yaml", 0, 0, "", "cannot read"}).to_string(),
            "a.yaml:0:0: cannot read");
}

TEST(ConfigLoader, RejectsDuplicateKeysAndExtraDocuments) {
  const auto duplicate = load("workspace: a\nworkspace: b\n");
  EXPECT_EQ(only_error(duplicate).to_string(),
            "test.yaml:2:1: workspace: duplicate key (first given on line 1)");

  const auto two_documents = load("workspace: a\n---\nworkspace: b\n");
  EXPECT_NE(only_error(two_documents).message.find("only one YAML document"), std::string::npos);

  const auto not_a_map = load("- workspace\n");
  EXPECT_EQ(only_error(not_a_map).to_string(), "test.yaml:1:1: expected a map, got a list");
}

// yaml-cpp 0.7's LoadAll read a `,` outside any flow collection as endless empty documents and
// never returned, filling memory (found by the config fuzzer: fuzz/regressions/config/).
TEST(ConfigLoader, ReadsAStrayCommaAsOneSyntaxError) {
  for (const std::string_view text : {",", "%YAML 1.2\n--- ,\n"}) {
    EXPECT_EQ(only_error(load(text)).message, "unexpected \",\"") << text;
  }
  EXPECT_EQ(only_error(load("workspace: a\n---\n,\n")).to_string(),
            "test.yaml:2:1: only one YAML document is allowed per file");
}

// ---------------------------------------------------------------------------------------------
// workspace, server, redis

TEST(ConfigLoader, ValidatesTheWorkspaceName) {
  EXPECT_EQ(loaded(load("workspace: acme:eu-1.prod@x_y\n")).workspace, "acme:eu-1.prod@x_y");
  for (const std::string& bad :
       std::vector<std::string>{"\"a{b}\"", "\"a b\"", "\"\"", std::string(65, 'w'), "[a]"}) {
    const auto result = load("workspace: " + bad + "\n");
    EXPECT_EQ(result.errors.size(), 1u) << bad << describe(result);
    EXPECT_TRUE(has_error(result, "test.yaml:1:12: workspace: ")) << bad << describe(result);
  }
}

TEST(ConfigLoader, ParsesListenAddresses) {
  struct expected_address {
    std::string text, host;
    std::uint16_t port;
  };
  for (const auto& [text, host, port] :
       std::vector<expected_address>{{"127.0.0.1:8080", "127.0.0.1", 8080},
                                     {"\"[::1]:9000\"", "::1", 9000},
                                     {"0.0.0.0:65535", "0.0.0.0", 65535},
                                     {"127.0.0.1:0", "127.0.0.1", 0}}) {
    const config& c = loaded(load("server: {listen: " + text + "}\n"));
    EXPECT_EQ(c.server.listen.host, host) << text;
    EXPECT_EQ(c.server.listen.port, port) << text;
  }
  for (const std::string bad : {"127.0.0.1", "\"::1:8080\"", "\":8080\"", "host:65536", "host:http",
                                "\"[::1]8080\"", "\"[::1\""}) {
    const auto result = load("server: {listen: " + bad + "}\n");
    EXPECT_TRUE(has_error(result, "test.yaml:1:18: server.listen: ")) << bad << describe(result);
  }
  EXPECT_TRUE(has_error(load("server: {listen: \"::1:8080\"}\n"), "in brackets"));
  // A name would pass here and fail when the daemon binds it.
  EXPECT_TRUE(has_error(load("server: {listen: localhost:8080}\n"), "must be an IP address"));
}

TEST(ConfigLoader, ReadsCorsOriginsInLowerCaseOnceEach) {
  const config& c = loaded(
      load("server:\n"
           "  cors: {allowed_origins: [\"https://Desk.Example.com\", \"http://localhost:3000\",\n"
           "                           \"https://desk.example.com\", \"http://[::1]:8080\"]}\n"));
  EXPECT_EQ(c.server.cors_origins,
            (std::vector<std::string>{"https://desk.example.com", "http://localhost:3000",
                                      "http://[::1]:8080"}));
  EXPECT_TRUE(loaded(load("server: {cors: {}}\n")).server.cors_origins.empty());
}

TEST(ConfigLoader, RefusesWhatIsNotABrowserOrigin) {
  const std::vector<std::pair<std::string, std::string>> bad{
      {"\"*\"", "list each origin"},
      {"desk.example.com", "starts with https:// or http://"},
      {"ftp://desk.example.com", "starts with https:// or http://"},
      {"https://desk.example.com/", "no path"},
      {"https://desk.example.com/app", "no path"},
      {"https://desk.example.com:443", "leave out the default port :443"},
      {"http://desk.example.com:80", "leave out the default port :80"},
      {"https://desk.example.com:0", "from 1 to 65535"},
      {"https://desk.example.com:99999", "from 1 to 65535"},
      {"https://user@desk.example.com", "invalid host"},
      {"\"https://\"", "missing host"},
      {"[a, b]", "expected an origin such as https://desk.example.com"},
  };
  for (const auto& [text, message] : bad) {
    const auto result = load("server: {cors: {allowed_origins: [" + text + "]}}\n");
    EXPECT_TRUE(has_error(result, "server.cors.allowed_origins[0]: ")) << text << describe(result);
    EXPECT_TRUE(has_error(result, message)) << text << describe(result);
  }
  EXPECT_TRUE(has_error(load("server: {cors: {origins: [\"https://a.test\"]}}\n"),
                        "server.cors.origins: unknown key (expected one of: allowed_origins)"));
  // A port other than the scheme's default is part of the origin.
  EXPECT_EQ(loaded(load("server: {cors: {allowed_origins: [\"http://a.test:443\", "
                        "\"https://a.test:80\"]}}\n"))
                .server.cors_origins.size(),
            2u);
}

TEST(ConfigLoader, ValidatesServerLimitsAndTimeouts) {
  const config& c =
      loaded(load("server:\n"
                  "  threads: 0\n"
                  "  body_limit: 1MiB\n"
                  "  header_limit: 8KiB\n"
                  "  read_timeout: 5s\n"
                  "  idle_timeout: 2m\n"
                  "  max_connections: 100\n"
                  "  state_dir: /tmp/ticketd-state\n"
                  "  shutdown_grace: 1500ms\n"));
  EXPECT_GE(c.server.threads, 1u);
  EXPECT_LE(c.server.threads, 256u);
  EXPECT_EQ(c.server.body_limit, 1024u * 1024);
  EXPECT_EQ(c.server.header_limit, 8u * 1024);
  EXPECT_EQ(c.server.read_timeout, 5s);
  EXPECT_EQ(c.server.idle_timeout, 2min);
  EXPECT_EQ(c.server.max_connections, 100u);
  EXPECT_EQ(c.server.state_dir, "/tmp/ticketd-state");
  EXPECT_EQ(c.server.shutdown_grace, 1500ms);

  const auto result = load(
      "server:\n"
      "  threads: -1\n"
      "  body_limit: 512\n"
      "  header_limit: lots\n"
      "  read_timeout: 0s\n"
      "  idle_timeout: 8h business\n"
      "  max_connections: 0\n"
      "  state_dir: \"\"\n"
      "  shutdown_grace: [1s]\n");
  EXPECT_EQ(result.errors.size(), 8u) << describe(result);
  EXPECT_TRUE(has_error(result, "test.yaml:2:12: server.threads: expected an integer"));
  EXPECT_TRUE(has_error(result, "test.yaml:3:15: server.body_limit: must be at least 1KiB"));
  EXPECT_TRUE(has_error(result, "test.yaml:4:17: server.header_limit: expected a size"));
  EXPECT_TRUE(has_error(result, "test.yaml:5:17: server.read_timeout: must be greater than zero"));
  EXPECT_TRUE(has_error(result,
                        "test.yaml:6:17: server.idle_timeout: business time is not "
                        "allowed here"));
  EXPECT_TRUE(has_error(result, "test.yaml:7:20: server.max_connections: expected an integer"));
  EXPECT_TRUE(has_error(result, "test.yaml:8:14: server.state_dir: must not be empty"));
  EXPECT_TRUE(has_error(result,
                        "test.yaml:9:19: server.shutdown_grace: expected a duration, "
                        "got a list"));
}

TEST(ConfigLoader, ParsesEveryRedisUrlForm) {
  {
    const auto& r = loaded(load("redis: {url: embedded}\n")).redis;
    EXPECT_EQ(r.kind, redis_kind::embedded);
  }
  {
    const auto& r = loaded(load("redis: {url: \"redis://localhost\"}\n")).redis;
    EXPECT_EQ(r.kind, redis_kind::tcp);
    EXPECT_EQ(r.host, "localhost");
    EXPECT_EQ(r.port, 6379);
    EXPECT_EQ(r.db, 0u);
  }
  {
    const auto& r = loaded(load("redis: {url: \"redis://cache.internal:6380/2\"}\n")).redis;
    EXPECT_EQ(r.host, "cache.internal");
    EXPECT_EQ(r.port, 6380);
    EXPECT_EQ(r.db, 2u);
  }
  {
    const auto& r = loaded(load("redis: {url: \"redis://app:s3cr%40t@[::1]:7000/1\"}\n")).redis;
    EXPECT_EQ(r.kind, redis_kind::tcp);
    EXPECT_EQ(r.username, "app");
    EXPECT_EQ(r.password, "s3cr@t");
    EXPECT_EQ(r.host, "::1");
    EXPECT_EQ(r.port, 7000);
    EXPECT_EQ(r.db, 1u);
    EXPECT_EQ(r.url, "redis://app:***@[::1]:7000/1");  // url is for messages: no password
  }
  {
    const auto& r = loaded(load("redis: {url: \"redis://:pw@h\"}\n")).redis;
    EXPECT_EQ(r.username, "");
    EXPECT_EQ(r.password, "pw");
    EXPECT_EQ(r.host, "h");
  }
  {
    const auto& r = loaded(load("redis: {url: \"unix:///run/redis/redis.sock\"}\n")).redis;
    EXPECT_EQ(r.kind, redis_kind::unix_socket);
    EXPECT_EQ(r.socket, "/run/redis/redis.sock");
    EXPECT_EQ(r.db, 0u);
  }
  {
    const auto& r = loaded(load("redis: {url: \"unix:///run/r.sock?db=3\"}\n")).redis;
    EXPECT_EQ(r.socket, "/run/r.sock");
    EXPECT_EQ(r.db, 3u);
  }
  {
    const auto& r = loaded(load("redis: {url: \"redis+unix:///tmp/r.sock\"}\n")).redis;
    EXPECT_EQ(r.kind, redis_kind::unix_socket);
    EXPECT_EQ(r.socket, "/tmp/r.sock");
  }
  {
    const auto& r =
        loaded(load("redis: {url: \"redis+sentinel://:pw@s1:26380,s2,[::1]:5000/desk/2\"}\n"))
            .redis;
    EXPECT_EQ(r.kind, redis_kind::sentinel);
    EXPECT_EQ(r.sentinels,
              (std::vector<redis_address>{{"s1", 26380}, {"s2", 26379}, {"::1", 5000}}));
    EXPECT_EQ(r.primary_name, "desk");
    EXPECT_EQ(r.db, 2u);
    EXPECT_EQ(r.password, "pw");
    EXPECT_EQ(r.url, "redis+sentinel://:***@s1:26380,s2,[::1]:5000/desk/2");
  }
  {
    const auto& r =
        loaded(load("redis: {url: \"redis+cluster://app:pw@h1:7000,h2,[::1]:7002/\"}\n")).redis;
    EXPECT_EQ(r.kind, redis_kind::cluster);
    EXPECT_EQ(r.seeds, (std::vector<redis_address>{{"h1", 7000}, {"h2", 6379}, {"::1", 7002}}));
    EXPECT_EQ(r.username, "app");
    EXPECT_EQ(r.password, "pw");
    EXPECT_EQ(r.url, "redis+cluster://app:***@h1:7000,h2,[::1]:7002/");
  }
}

TEST(ConfigLoader, RejectsBadClusterUrls) {
  EXPECT_TRUE(has_error(load("redis: {url: \"redis+cluster://h1:7000/2\"}\n"),
                        "a Redis Cluster has database 0 only"));
  EXPECT_TRUE(has_error(load("redis: {url: \"redis+cluster://\"}\n"), "name at least one seed"));
  EXPECT_TRUE(
      has_error(load("redis: {url: \"redis+cluster://h1:0\"}\n"), "a seed's port cannot be 0"));
  EXPECT_TRUE(has_error(load("redis: {url: \"redis+cluster://h1?x=1\"}\n"),
                        "query parameters are not supported in redis+cluster://"));
}

TEST(ConfigLoader, RejectsBadSentinelUrls) {
  EXPECT_TRUE(has_error(load("redis: {url: \"redis+sentinel://s1:26379\"}\n"),
                        "name the primary the sentinels monitor"));
  EXPECT_TRUE(
      has_error(load("redis: {url: \"redis+sentinel:///desk\"}\n"), "name at least one sentinel"));
  EXPECT_TRUE(has_error(load("redis: {url: \"redis+sentinel://s1:99999/desk\"}\n"), "redis.url"));
  EXPECT_TRUE(has_error(load("redis: {url: \"redis+sentinel://s1/desk?db=2\"}\n"),
                        "query parameters are not supported"));
  EXPECT_TRUE(has_error(load("redis: {url: \"redis+sentinel://s1:0/desk\"}\n"),
                        "a sentinel's port cannot be 0"));
  EXPECT_TRUE(has_error(load("redis: {url: \"redis+sentinel://s1/desk/x\"}\n"),
                        "the database after the primary's name must be a number"));
}

TEST(ConfigLoader, RejectsBadRedisUrlsAndSettings) {
  EXPECT_EQ(only_error(load("redis: {url: \"rediss://cache:6380\"}\n")).to_string(),
            "test.yaml:1:14: redis.url: TLS (rediss://) is not supported; use redis:// or "
            "unix://");
  for (const std::string bad :
       {"\"unix://relative.sock\"", "\"http://x\"", "\"redis://\"", "\"redis://h:99999\"",
        "\"redis://h/x\"", "\"unix:///a.sock?foo=1\"", "\"redis://h?ssl=1\""}) {
    const auto result = load("redis: {url: " + bad + "}\n");
    EXPECT_EQ(result.errors.size(), 1u) << bad << describe(result);
    EXPECT_TRUE(has_error(result, "test.yaml:1:14: redis.url: ")) << bad << describe(result);
  }
  EXPECT_EQ(loaded(load("redis: {connections: 64, max_pending: 1}\n")).redis.connections, 64u);
  EXPECT_TRUE(has_error(load("redis: {connections: 65}\n"), "redis.connections"));
  EXPECT_TRUE(has_error(load("redis: {max_pending: 0}\n"), "redis.max_pending"));
  EXPECT_TRUE(has_error(load("redis: {timeout: 0s}\n"), "redis.timeout: must be greater"));
  EXPECT_EQ(
      loaded(load("redis: {server_binary: /opt/redis/bin/redis-server}\n")).redis.server_binary,
      "/opt/redis/bin/redis-server");
  EXPECT_EQ(only_error(load("redis: {url: \"redis://h\", server_binary: /usr/bin/redis-server}\n"))
                .message,
            "only used with url: embedded");
}

TEST(ConfigLoader, WaitReplicasNeedsARedisWithReplicas) {
  const auto& r =
      loaded(load("redis: {url: \"redis://h\", wait_replicas: 2, wait_timeout: 500ms}\n")).redis;
  EXPECT_EQ(r.wait_replicas, 2u);
  EXPECT_EQ(r.wait_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(loaded(load("redis: {url: \"redis://h\"}\n")).redis.wait_replicas, 0u);
  EXPECT_TRUE(has_error(load("redis: {wait_replicas: 1}\n"),
                        "redis.wait_replicas: the embedded Redis has no replicas"));
  EXPECT_TRUE(has_error(load("redis: {url: \"redis://h\", timeout: 1s, wait_replicas: 1, "
                             "wait_timeout: 1s}\n"),
                        "redis.wait_timeout: wait_timeout (1000ms) must be at least 1ms and "
                        "shorter than redis.timeout (1000ms)"));
  // The default wait_timeout (1 s) against a shorter timeout: said at wait_replicas.
  EXPECT_TRUE(has_error(load("redis: {url: \"redis://h\", timeout: 500ms, wait_replicas: 1}\n"),
                        "redis.wait_replicas: wait_timeout (1000ms)"));
  EXPECT_TRUE(
      has_error(load("redis: {url: \"redis://h\", wait_replicas: 17}\n"), "redis.wait_replicas"));
}

// ---------------------------------------------------------------------------------------------
// priorities, calendars, sla, agents

TEST(ConfigLoader, KeepsPrioritiesInFileOrder) {
  const config& c =
      loaded(load("priorities:\n"
                  "  p2: {first_reply: 30m, next_reply: 1h, resolution: 1d}\n"
                  "  p1: {first_reply: 2h, next_reply: 2h, resolution: 1w}\n"
                  "defaults: {priority: p1}\n"));
  ASSERT_EQ(c.priorities.size(), 2u);
  EXPECT_EQ(c.priorities[0].name, "p2");
  EXPECT_EQ(c.priorities[0].first_reply, span{30min});
  EXPECT_EQ(c.priorities[0].resolution, (span{24h, time_basis::wall, 1}));
  EXPECT_EQ(c.priorities[1].name, "p1");
  EXPECT_EQ(c.priorities[1].resolution, (span{168h, time_basis::wall, 7}));
  EXPECT_EQ(c.defaults.priority, "p1");
}

TEST(ConfigLoader, RequiresEveryPriorityClockAndAValidName) {
  const auto result = load(
      "priorities:\n"
      "  normal: {first_reply: 1h, next_reply: 1h}\n"
      "  \"very urgent\": {first_reply: 1h, next_reply: 1h, resolution: 0s}\n");
  EXPECT_EQ(result.errors.size(), 3u) << describe(result);
  EXPECT_TRUE(has_error(result, "test.yaml:2:11: priorities.normal.resolution: is required"));
  EXPECT_TRUE(has_error(result,
                        "test.yaml:3:3: priorities.very urgent: \"very urgent\" is not a "
                        "valid name"));
  EXPECT_TRUE(has_error(result, "priorities.very urgent.resolution: must be greater than zero"));

  EXPECT_TRUE(has_error(load("priorities: {}\n"), "priorities: at least one priority"));
}

TEST(ConfigLoader, RequiresTheDefaultPriorityToExist) {
  const auto result = load(
      "priorities:\n"
      "  high: {first_reply: 1h, next_reply: 1h, resolution: 1d}\n");
  EXPECT_EQ(only_error(result).to_string(),
            "test.yaml:2:3: defaults.priority: the default priority \"normal\" is not among "
            "priorities; add it or set defaults.priority");

  const auto named = load("defaults: {priority: highest}\n");
  EXPECT_EQ(only_error(named).to_string(),
            "test.yaml:1:22: defaults.priority: no priority named \"highest\" (priorities: "
            "urgent, high, normal, low)");
}

TEST(ConfigLoader, AllowsBusinessTimeOnlyWithACalendarAndOnlyWhereItMakesSense) {
  const std::string calendar =
      "calendars: {eu: {timezone: Europe/Berlin, hours: {mon-fri: \"09:00-17:00\"}}}\n";
  const std::string priorities =
      "priorities:\n"
      "  normal: {first_reply: 4h business, next_reply: 8h, resolution: 2d business}\n";
  const config& c = loaded(load(calendar + "sla: {calendar: eu}\n" + priorities +
                                "lifecycle: {resolved: {close_after: 3d business}}\n"));
  EXPECT_EQ(c.sla.calendar, "eu");
  EXPECT_EQ(c.priorities[0].first_reply, (span{4h, time_basis::business}));
  EXPECT_EQ(c.priorities[0].resolution, (span{48h, time_basis::business, 2}));
  EXPECT_EQ(c.lifecycle.close_after, (span{72h, time_basis::business, 3}));

  const auto without_calendar = load(calendar + priorities);
  EXPECT_EQ(without_calendar.errors.size(), 2u) << describe(without_calendar);
  EXPECT_TRUE(has_error(without_calendar,
                        "priorities.normal.first_reply: business time needs a "
                        "calendar: set sla.calendar"));

  const auto wrong_place = load(calendar + "sla: {calendar: eu, warn_before: 1h business}\n" +
                                "queues: {general: {accept_timeout: 30s business}}\n");
  EXPECT_EQ(wrong_place.errors.size(), 2u) << describe(wrong_place);
  EXPECT_TRUE(has_error(wrong_place, "sla.warn_before: business time is not allowed here"));
  EXPECT_TRUE(has_error(wrong_place,
                        "queues.general.accept_timeout: business time is not "
                        "allowed here"));
}

TEST(ConfigLoader, ReadsCalendarHoursInEveryForm) {
  const config& c =
      loaded(load("calendars:\n"
                  "  eu:\n"
                  "    timezone: Europe/Berlin\n"
                  "    hours:\n"
                  "      mon-wed: \"09:00-12:00, 13:00-17:00\"\n"
                  "      thu: \"09:00-12:00, 12:00-13:00\"\n"
                  "      fri: [\"13:00-16:00\", \"08:00-12:00\"]\n"
                  "      sat,sun: \"10:00-24:00\"\n"
                  "    holidays: [2026-12-26, 2024-02-29, 2026-01-01, 2026-12-26]\n"));
  const calendar_config& eu = c.calendars.at(0);
  const std::vector<time_of_day_interval> split_day{{540, 720}, {780, 1020}};
  EXPECT_EQ(eu.hours[0], split_day);
  EXPECT_EQ(eu.hours[1], split_day);
  EXPECT_EQ(eu.hours[2], split_day);
  EXPECT_EQ(eu.hours[3], (std::vector<time_of_day_interval>{{540, 780}}));  // touching: merged
  EXPECT_EQ(eu.hours[4], (std::vector<time_of_day_interval>{{480, 720}, {780, 960}}));  // sorted
  EXPECT_EQ(eu.hours[5], (std::vector<time_of_day_interval>{{600, 1440}}));
  EXPECT_EQ(eu.hours[6], (std::vector<time_of_day_interval>{{600, 1440}}));
  EXPECT_EQ(eu.holidays, (std::vector<civil_date>{{2024, 2, 29}, {2026, 1, 1}, {2026, 12, 26}}));
}

TEST(ConfigLoader, RejectsOverlappingHoursAndDaysGivenTwice) {
  const auto result = load(
      "calendars:\n"                                   // 1
      "  eu:\n"                                        // 2
      "    timezone: Europe/Berlin\n"                  // 3
      "    hours:\n"                                   // 4
      "      mon-fri: \"09:00-12:00, 11:00-13:00\"\n"  // 5
      "      fri: \"09:00-17:00\"\n"                   // 6
      "      fri-mon: \"09:00-17:00\"\n"               // 7
      "      funday: \"09:00-17:00\"\n"                // 8
      "      sat: [\"9-17\"]\n"                        // 9
      "      sun: \"17:00-09:00, 25:00-26:00\"\n");    // 10
  EXPECT_EQ(result.errors.size(), 7u) << describe(result);
  EXPECT_TRUE(has_error(result,
                        "test.yaml:5:16: calendars.eu.hours.mon-fri: the intervals "
                        "09:00-12:00 and 11:00-13:00 overlap"));
  EXPECT_TRUE(has_error(result,
                        "test.yaml:6:7: calendars.eu.hours.fri: fri is already given by "
                        "mon-fri"));
  EXPECT_TRUE(has_error(result, "test.yaml:7:7: calendars.eu.hours.fri-mon: the range"));
  EXPECT_TRUE(has_error(result, "test.yaml:8:7: calendars.eu.hours.funday: invalid day"));
  EXPECT_TRUE(has_error(result, "test.yaml:9:13: calendars.eu.hours.sat[0]: invalid interval"));
  EXPECT_TRUE(has_error(result,
                        "test.yaml:10:12: calendars.eu.hours.sun: the interval "
                        "\"17:00-09:00\" must end after it begins"));
  EXPECT_TRUE(has_error(result, "calendars.eu.hours.sun: invalid interval \"25:00-26:00\""));
}

TEST(ConfigLoader, ValidatesCalendarZonesAndHolidays) {
  const auto result = load(
      "calendars:\n"
      "  eu: {hours: {mon: \"09:00-17:00\"}, holidays: [2026-02-29, 2026-13-01, tomorrow]}\n"
      "  us: {timezone: \"America New_York\", hours: {}}\n"
      "  mars: {timezone: Mars/Olympus_Mons, hours: {mon: \"09:00-17:00\"}}\n"
      "sla: {calendar: asia}\n");
  EXPECT_EQ(result.errors.size(), 8u) << describe(result);
  EXPECT_TRUE(has_error(result, "test.yaml:2:7: calendars.eu.timezone: is required"));
  EXPECT_TRUE(has_error(result,
                        "calendars.eu.holidays[0]: expected a calendar date YYYY-MM-DD, "
                        "got \"2026-02-29\""));
  EXPECT_TRUE(has_error(result, "calendars.eu.holidays[1]: expected a calendar date"));
  EXPECT_TRUE(has_error(result, "calendars.eu.holidays[2]: expected a calendar date"));
  EXPECT_TRUE(has_error(result, "calendars.us.timezone: expected an IANA time zone name"));
  EXPECT_TRUE(has_error(result, "calendars.us.hours: at least one day is required"));
  EXPECT_TRUE(has_error(result,
                        "test.yaml:4:20: calendars.mars.timezone: unknown time zone "
                        "\"Mars/Olympus_Mons\""));
  EXPECT_TRUE(has_error(result, "test.yaml:5:17: sla.calendar: no calendar named \"asia\""));
}

TEST(ConfigLoader, ValidatesAgentSettings) {
  const config& c = loaded(load(
      "agents: {max_concurrent: 10000, counted_statuses: [assigned, pending, postponed, offered],"
      " presence: connection}\n"));
  EXPECT_EQ(c.agents.max_concurrent, 10000u);
  EXPECT_EQ(c.agents.counted_statuses,
            (std::vector<status_kind>{status_kind::assigned, status_kind::pending,
                                      status_kind::postponed, status_kind::offered}));
  EXPECT_EQ(c.agents.presence, presence_mode::connection);

  const auto result = load(
      "agents: {max_concurrent: 0, counted_statuses: [queued, closed, bogus], presence: pigeon}\n");
  EXPECT_EQ(result.errors.size(), 5u) << describe(result);
  EXPECT_TRUE(has_error(result, "agents.max_concurrent: expected an integer from 1 to 10000"));
  EXPECT_TRUE(has_error(result,
                        "test.yaml:1:48: agents.counted_statuses[0]: a ticket in status "
                        "queued has no agent"));
  EXPECT_TRUE(has_error(result,
                        "agents.counted_statuses[1]: a ticket in status closed has no "
                        "agent"));
  EXPECT_TRUE(has_error(result, "agents.counted_statuses[2]: expected one of: queued, offered"));
  EXPECT_TRUE(has_error(result,
                        "agents.presence: expected one of: api, connection; got "
                        "\"pigeon\""));
  EXPECT_TRUE(has_error(load("agents: {counted_statuses: []}\n"), "at least one status"));
}

// ---------------------------------------------------------------------------------------------
// queues, lifecycle, routing, defaults

TEST(ConfigLoader, AcceptsQueuesWrittenWithEmptyValues) {
  const config& c = loaded(
      load("queues:\n"
           "  general:\n"
           "  vip: {}\n"
           "  sales: {mode: push, strategy: round_robin, rank_offset: -5m, wait_weight: 1000}\n"));
  ASSERT_EQ(c.queues.size(), 3u);
  EXPECT_EQ(c.queues[0].name, "general");
  EXPECT_EQ(c.queues[0].mode, queue_mode::pull);
  EXPECT_EQ(c.queues[1].name, "vip");
  EXPECT_EQ(c.queues[2].strategy, push_strategy::round_robin);
  EXPECT_EQ(c.queues[2].rank_offset, -5min);
  EXPECT_DOUBLE_EQ(c.queues[2].wait_weight, 1000.0);
  EXPECT_FALSE(c.queues[2].accept_timeout.has_value());
}

TEST(ConfigLoader, CreatesTheDefaultQueueWhenNoneAreConfigured) {
  const config& c = loaded(load("defaults: {queue: inbox}\nqueues: {}\n"));
  ASSERT_EQ(c.queues.size(), 1u);
  EXPECT_EQ(c.queues[0].name, "inbox");
  EXPECT_EQ(c.queues[0].mode, queue_mode::pull);

  EXPECT_EQ(only_error(load("queues: {billing: {}}\n")).to_string(),
            "test.yaml:1:9: defaults.queue: the default queue \"general\" is not among queues; "
            "add it or set defaults.queue");
  EXPECT_EQ(only_error(load("queues: {billing: {}}\ndefaults: {queue: sales}\n")).to_string(),
            "test.yaml:2:19: defaults.queue: no queue named \"sales\" (queues: billing)");
}

TEST(ConfigLoader, ValidatesQueueSettings) {
  const auto result = load(
      "queues:\n"
      "  general:\n"
      "    mode: push\n"
      "    wait_weight: 1000.5\n"
      "    accept_timeout: 0s\n"
      "    reject_cooldown: -1m\n"
      "    away_on_timeout: maybe\n"
      "    strategy: random\n"
      "    rank_offset: 5 minutes\n"
      "  \"bad/name\": {}\n");
  EXPECT_EQ(result.errors.size(), 7u) << describe(result);
  EXPECT_TRUE(has_error(result, "test.yaml:4:18: queues.general.wait_weight: expected a number"));
  EXPECT_TRUE(has_error(result,
                        "test.yaml:5:21: queues.general.accept_timeout: must be greater "
                        "than zero"));
  EXPECT_TRUE(has_error(result,
                        "test.yaml:6:22: queues.general.reject_cooldown: must not be "
                        "negative"));
  EXPECT_TRUE(has_error(result,
                        "test.yaml:7:22: queues.general.away_on_timeout: expected true "
                        "or false, got \"maybe\""));
  EXPECT_TRUE(has_error(result,
                        "test.yaml:8:15: queues.general.strategy: expected one of: "
                        "least_loaded, longest_idle, round_robin; got \"random\""));
  EXPECT_TRUE(has_error(result, "test.yaml:9:18: queues.general.rank_offset: "));
  EXPECT_TRUE(has_error(result,
                        "test.yaml:10:3: queues.bad/name: \"bad/name\" is not a valid "
                        "name"));
}

TEST(ConfigLoader, WarnsAboutPushSettingsOnPullQueues) {
  const auto result = load("queues: {general: {strategy: round_robin, wait_weight: 2}}\n");
  loaded(result);
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_EQ(result.warnings[0],
            "test.yaml:1:30: queues.general.strategy: only used by push queues; ignored");
}

TEST(ConfigLoader, ChecksOverflowAndEscalationTargets) {
  const config& c =
      loaded(load("queues:\n"
                  "  general:\n"
                  "  tier2:\n"
                  "  billing:\n"
                  "    overflow: [{after: 5m, to: general}, {after: 1h, to: tier2}]\n"
                  "    escalate_to: tier2\n"));
  const queue_config& billing = *c.find_queue("billing");
  ASSERT_EQ(billing.overflow.size(), 2u);
  EXPECT_EQ(billing.overflow[1].after, 1h);
  EXPECT_EQ(billing.overflow[1].to, "tier2");
  EXPECT_EQ(billing.escalate_to, "tier2");

  const auto result = load(
      "queues:\n"                            // 1
      "  general:\n"                         // 2
      "  billing:\n"                         // 3
      "    overflow:\n"                      // 4
      "      - {after: 10m, to: general}\n"  // 5
      "      - {after: 10m, to: nowhere}\n"  // 6
      "      - {after: 1h, to: billing}\n"   // 7
      "    escalate_to: billing\n"           // 8
      "  sales: {escalate_to: managers, overflow: [{after: 1h, to: general}]}\n");
  EXPECT_EQ(result.errors.size(), 5u) << describe(result);
  EXPECT_TRUE(has_error(result,
                        "test.yaml:6:17: queues.billing.overflow[1].after: must be "
                        "greater than the previous step's after (10m)"));
  EXPECT_TRUE(has_error(result,
                        "test.yaml:6:26: queues.billing.overflow[1].to: no queue named "
                        "\"nowhere\" (queues: general, billing, sales)"));
  EXPECT_TRUE(has_error(result,
                        "test.yaml:7:25: queues.billing.overflow[2].to: overflow must go "
                        "to another queue"));
  EXPECT_TRUE(has_error(result,
                        "test.yaml:8:18: queues.billing.escalate_to: a queue cannot "
                        "escalate to itself"));
  EXPECT_TRUE(has_error(result, "queues.sales.escalate_to: no queue named \"managers\""));
  EXPECT_FALSE(has_error(result, "billing.overflow[0]"));
  // `after` is wall-clock only, so the business suffix is the error, not the missing queue.
  const auto business = load("queues: {general: {overflow: [{after: 1h business, to: x}]}}\n");
  EXPECT_TRUE(has_error(business, "business time is not allowed here")) << describe(business);
}

TEST(ConfigLoader, ValidatesLifecycleCadence) {
  const config& c =
      loaded(load("lifecycle:\n"
                  "  affinity_wait: 2h\n"
                  "  pending: {followups: [12h, 2d], resolve_after: 1w}\n"
                  "  resolved: {reopen_window: 3d, close_after: 14d}\n"
                  "  closed: {retention: 90d}\n"));
  EXPECT_EQ(c.lifecycle.affinity_wait, span{2h});
  EXPECT_EQ(c.lifecycle.followups, (std::vector<span>{span{12h}, span{48h, time_basis::wall, 2}}));
  EXPECT_EQ(c.lifecycle.resolve_after, (span{168h, time_basis::wall, 7}));
  EXPECT_EQ(c.lifecycle.reopen_window, (span{72h, time_basis::wall, 3}));
  EXPECT_EQ(c.lifecycle.close_after, (span{336h, time_basis::wall, 14}));
  EXPECT_EQ(c.lifecycle.closed_retention, 90 * 24h);

  const auto result = load(
      "lifecycle:\n"
      "  affinity_wait: 0s\n"
      "  pending: {followups: [1d, 3d, 2d], resolve_after: 3d}\n"
      "  closed: {retention: 1d business}\n");
  EXPECT_EQ(result.errors.size(), 4u) << describe(result);
  EXPECT_TRUE(has_error(result,
                        "test.yaml:2:18: lifecycle.affinity_wait: must be greater than "
                        "zero"));
  EXPECT_TRUE(has_error(result,
                        "test.yaml:3:33: lifecycle.pending.followups[2]: must be greater "
                        "than the one before (3d)"));
  EXPECT_TRUE(has_error(result,
                        "test.yaml:3:53: lifecycle.pending.resolve_after: must be "
                        "greater than the last followup (3d)"));
  EXPECT_TRUE(has_error(result, "lifecycle.closed.retention: business time is not allowed"));
}

TEST(ConfigLoader, ReadsRequirementsOfRulesAndTheDeclaredSkills) {
  const config& c = loaded(
      load("skills: [spanish, billing]\n"
           "routing:\n"
           "  - when: {attributes: {language: es}}\n"
           "    require: [{skill: spanish, level: 3, relax_after: 10m}, {skill: billing}]\n"));
  ASSERT_EQ(c.routing.size(), 1u);
  ASSERT_EQ(c.routing[0].require.size(), 2u);
  EXPECT_EQ(c.routing[0].require[0].skill, "spanish");
  EXPECT_EQ(c.routing[0].require[0].level, 3u);
  EXPECT_EQ(c.routing[0].require[0].relax_after, millis{10 * 60 * 1000});
  EXPECT_EQ(c.routing[0].require[1].level, 1u);
  EXPECT_FALSE(c.routing[0].require[1].relax_after.has_value());
  EXPECT_TRUE(c.knows_skill("billing"));
  EXPECT_FALSE(c.knows_skill("klingon"));
  EXPECT_TRUE(loaded(load("queues: {general: {}}\n")).knows_skill("anything"));
}

TEST(ConfigLoader, RefusesUnknownOrBadRequirementsWithTheirLine) {
  const auto result = load(
      "skills: [spanish, spanish]\n"                                       // 1
      "routing:\n"                                                         // 2
      "  - when: {channel: chat}\n"                                        // 3
      "    require: [{skill: klingon}]\n"                                  // 4
      "  - when: {channel: mail}\n"                                        // 5
      "    require: [{skill: spanish, level: 11, relax_after: soon}]\n");  // 6
  EXPECT_TRUE(has_error(result, "test.yaml:1:19: skills[1]: skill \"spanish\" is declared twice"))
      << describe(result);
  EXPECT_TRUE(has_error(result,
                        "test.yaml:4:23: routing[0].require[0].skill: no skill named "
                        "\"klingon\" (skills: spanish)"))
      << describe(result);
  EXPECT_TRUE(has_error(result,
                        "test.yaml:6:39: routing[1].require[0].level: expected an "
                        "integer from 1 to 10, got \"11\""))
      << describe(result);
  EXPECT_TRUE(has_error(result,
                        "test.yaml:6:56: routing[1].require[0].relax_after: expected a "
                        "duration such as 30s, 5m or 1h30m, got \"soon\""))
      << describe(result);
}

TEST(ConfigLoader, ChecksRoutingRulesAndTheirReferences) {
  const config& c = loaded(
      load("queues: {general: {}, billing: {}}\n"
           "routing:\n"
           "  - when: {channel: mail, skills: [de, vat], attributes: {plan: gold, seats: 50}}\n"
           "    queue: billing\n"
           "  - when: {channel: chat}\n"
           "    priority: high\n"));
  ASSERT_EQ(c.routing.size(), 2u);
  EXPECT_EQ(c.routing[0].line, 3);
  EXPECT_EQ(c.routing[0].when.channel, "mail");
  EXPECT_EQ(c.routing[0].when.skills, (std::vector<std::string>{"de", "vat"}));
  EXPECT_EQ(c.routing[0].when.attributes,
            (std::map<std::string, std::string>{{"plan", "gold"}, {"seats", "50"}}));
  EXPECT_EQ(c.routing[1].line, 5);
  EXPECT_FALSE(c.routing[1].queue.has_value());
  EXPECT_EQ(c.routing[1].priority, "high");

  const auto result = load(
      "routing:\n"                                 // 1
      "  - when: {channel: phone}\n"               // 2
      "    queue: phones\n"                        // 3
      "    priority: critical\n"                   // 4
      "  - queue: general\n"                       // 5
      "  - when: {skills: []}\n"                   // 6
      "    queue: general\n"                       // 7
      "  - when: {channel: chat}\n"                // 8
      "  - when: {attributes: {topic: [a, b]}}\n"  // 9
      "    priority: low\n");                      // 10
  EXPECT_EQ(result.errors.size(), 6u) << describe(result);
  EXPECT_TRUE(has_error(result,
                        "test.yaml:3:12: routing[0].queue: no queue named \"phones\" "
                        "(queues: general)"));
  EXPECT_TRUE(has_error(result,
                        "test.yaml:4:15: routing[0].priority: no priority named "
                        "\"critical\""));
  EXPECT_TRUE(has_error(result, "test.yaml:5:5: routing[1].when: is required"));
  EXPECT_TRUE(has_error(result,
                        "test.yaml:6:11: routing[2].when: at least one condition is "
                        "required"));
  EXPECT_TRUE(has_error(result,
                        "test.yaml:8:5: routing[3]: a rule sets a queue, a priority, "
                        "requirements or several of them"));
  EXPECT_TRUE(has_error(result,
                        "test.yaml:9:32: routing[4].when.attributes.topic: expected a "
                        "string, got a list"));
}

// ---------------------------------------------------------------------------------------------
// auth, events

TEST(ConfigLoader, ResolvesTokensFromTheInjectedEnvironmentAndFiles) {
  const temp_file admin_token("admin-secret-0123456789\n\n");
  const auto result = load(
      "auth:\n"
      "  protect_operations: true\n"
      "  tokens:\n"
      "    - {name: helpdesk, role: backend, token_env: TICKETD_BACKEND_TOKEN}\n"
      "    - {name: ops, role: admin, token_file: " +
          admin_token.path().string() +
          "}\n"
          "    - {name: ada, role: agent, agent: ada, token_env: TICKETD_TOKEN_ADA}\n",
      env_of({{"TICKETD_BACKEND_TOKEN", "backend-secret-0123456789"},
              {"TICKETD_TOKEN_ADA", "ada-secret-0123456789 \n"}}));
  const config& c = loaded(result);
  EXPECT_TRUE(result.warnings.empty()) << result.warnings.front();
  EXPECT_TRUE(c.auth.protect_operations);
  ASSERT_EQ(c.auth.tokens.size(), 3u);
  EXPECT_EQ(c.auth.tokens[0].name, "helpdesk");
  EXPECT_EQ(c.auth.tokens[0].role, token_role::backend);
  EXPECT_EQ(c.auth.tokens[0].token_env, "TICKETD_BACKEND_TOKEN");
  EXPECT_EQ(c.auth.tokens[0].secret, "backend-secret-0123456789");
  EXPECT_EQ(c.auth.tokens[1].role, token_role::admin);
  EXPECT_EQ(c.auth.tokens[1].token_file, admin_token.path());
  EXPECT_EQ(c.auth.tokens[1].secret, "admin-secret-0123456789");  // trailing newlines trimmed
  EXPECT_EQ(c.auth.tokens[2].role, token_role::agent);
  EXPECT_EQ(c.auth.tokens[2].agent, "ada");
  EXPECT_EQ(c.auth.tokens[2].secret, "ada-secret-0123456789");
}

TEST(ConfigLoader, ReportsTokenProblemsWithoutPrintingSecrets) {
  const temp_file short_file("tiny\n");
  const temp_file empty_file("\n");
  const std::string missing_file =
      (std::filesystem::path(::testing::TempDir()) / "ticketd-no-such.token").string();
  const auto result = load(
      "auth:\n"
      "  tokens:\n"
      "    - {name: a, role: backend, token_env: UNSET_VAR}\n"  // 3
      "    - {name: b, role: backend, token_env: SHORT_VAR}\n"  // 4
      "    - {name: c, role: backend, token_file: " +
          short_file.path().string() +
          "}\n"
          "    - {name: d, role: backend, token_file: " +
          empty_file.path().string() +
          "}\n"
          "    - {name: e, role: backend, token_file: " +
          missing_file +
          "}\n"                                                                // 7
          "    - {name: f, role: backend, token_env: SAME_1}\n"                // 8
          "    - {name: g, role: backend, token_env: SAME_2}\n"                // 9
          "    - {name: f, role: admin, token_env: OK_1}\n"                    // 10
          "    - {name: h, role: agent, token_env: OK_2}\n"                    // 11
          "    - {name: i, role: backend, agent: ada, token_env: OK_3}\n"      // 12
          "    - {name: j, role: backend, token_env: OK_4, token_file: /x}\n"  // 13
          "    - {name: k, role: backend}\n"                                   // 14
          "    - {name: l, role: root, token_env: OK_5}\n"                     // 15
          "    - {role: backend, token_env: EMPTY_VAR}\n",                     // 16
      env_of({{"SHORT_VAR", "short-secret"},
              {"SAME_1", "shared-secret-0123456789"},
              {"SAME_2", "shared-secret-0123456789"},
              {"OK_1", "ok-secret-1-0123456789"},
              {"OK_2", "ok-secret-2-0123456789"},
              {"OK_3", "ok-secret-3-0123456789"},
              {"OK_4", "ok-secret-4-0123456789"},
              {"OK_5", "ok-secret-5-0123456789"},
              {"EMPTY_VAR", " \n"}}));
  EXPECT_EQ(result.errors.size(), 14u) << describe(result);
  EXPECT_TRUE(has_error(result,
                        "test.yaml:3:43: auth.tokens[0].token_env: environment variable "
                        "UNSET_VAR is not set"));
  EXPECT_TRUE(has_error(result,
                        "test.yaml:4:43: auth.tokens[1].token_env: the token in "
                        "environment variable SHORT_VAR must be at least 16 characters"));
  EXPECT_TRUE(has_error(result, "auth.tokens[2].token_file: the token in token file " +
                                    short_file.path().string() + " must be at least 16"));
  EXPECT_TRUE(has_error(
      result, "auth.tokens[3].token_file: token file " + empty_file.path().string() + " is empty"));
  EXPECT_TRUE(has_error(result,
                        "test.yaml:7:44: auth.tokens[4].token_file: cannot read token "
                        "file " +
                            missing_file + ": No such file or directory"));
  EXPECT_TRUE(has_error(result,
                        "test.yaml:9:43: auth.tokens[6].token_env: the token in "
                        "environment variable SAME_2 is the same as token \"f\"'s"));
  EXPECT_TRUE(has_error(result,
                        "test.yaml:10:14: auth.tokens[7].name: token name \"f\" is "
                        "already used on line 8"));
  EXPECT_TRUE(has_error(result,
                        "test.yaml:11:7: auth.tokens[8].agent: is required for role "
                        "agent"));
  EXPECT_TRUE(has_error(result,
                        "test.yaml:12:39: auth.tokens[9].agent: only tokens with role "
                        "agent name an agent"));
  EXPECT_TRUE(has_error(result,
                        "auth.tokens[10].token_file: give either token_env or "
                        "token_file, not both"));
  EXPECT_TRUE(has_error(result,
                        "test.yaml:14:7: auth.tokens[11]: token_env or token_file is "
                        "required"));
  EXPECT_TRUE(has_error(result,
                        "auth.tokens[12].role: expected one of: admin, backend, agent; "
                        "got \"root\""));
  EXPECT_TRUE(has_error(result, "test.yaml:16:7: auth.tokens[13].name: is required"));
  EXPECT_TRUE(has_error(result,
                        "auth.tokens[13].token_env: environment variable EMPTY_VAR is "
                        "empty"));
  for (const auto& e : result.errors) {
    for (const std::string_view secret : {"short-secret", "tiny", "shared-secret", "ok-secret"}) {
      EXPECT_EQ(e.to_string().find(secret), std::string::npos) << e.to_string();
    }
  }
}

TEST(ConfigLoader, ReadsRelativeTokenFilesFromTheConfigFilesDirectory) {
  const temp_file token("relative-secret-0123456789\n");
  const temp_file file("auth: {tokens: [{name: ops, role: admin, token_file: " +
                       token.path().filename().string() + "}]}\n");
  const config& c = loaded(load_config_file(file.path(), env_of()));
  ASSERT_EQ(c.auth.tokens.size(), 1u);
  EXPECT_EQ(c.auth.tokens[0].token_file, token.path());
  EXPECT_EQ(c.auth.tokens[0].secret, "relative-secret-0123456789");
}

TEST(ConfigLoader, WarnsWhenAuthIsOffOnANonLoopbackAddress) {
  const auto open = load("server: {listen: \"0.0.0.0:8080\"}\n");
  loaded(open);
  EXPECT_TRUE(has_warning(open,
                          "auth is not configured: every /v1 request is allowed; bind to "
                          "loopback only"));
  for (const std::string loopback : {"127.0.0.1:8080", "\"[::1]:8080\"", "localhost:1"}) {
    const auto result = load("server: {listen: " + loopback + "}\n");
    EXPECT_TRUE(result.warnings.empty()) << loopback << ": " << result.warnings.front();
  }
}

TEST(ConfigLoader, WarnsAboutAWorldReadableTokenFile) {
  const temp_file token("a-world-readable-secret-123\n", std::filesystem::perms::owner_read |
                                                             std::filesystem::perms::owner_write |
                                                             std::filesystem::perms::others_read);
  const auto result = load(
      "auth: {tokens: [{name: ops, role: admin, token_file: " + token.path().string() + "}]}\n");
  loaded(result);
  EXPECT_TRUE(has_warning(result, "is readable by every user")) << result.warnings.size();
}

TEST(ConfigLoader, ValidatesTheEventStreamLength) {
  EXPECT_EQ(loaded(load("events: {max_len: 1000}\n")).events.max_len, 1000u);
  EXPECT_EQ(only_error(load("events: {max_len: 999}\n")).to_string(),
            "test.yaml:1:19: events.max_len: expected an integer from 1000 to 1000000000, got "
            "\"999\"");
}

}  // namespace
}  // namespace ticketd::config
