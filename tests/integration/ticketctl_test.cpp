// The real ticketctl binary against the real ticketd, as an operator runs it: what each command
// prints and how it exits, with and without auth, and when ticketd or Redis is not there.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>

#include "routing/keyspace.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/process.hpp"
#include "tests/support/redis_client.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/temp_dir.hpp"

namespace ticketd::testing {
namespace {

constexpr std::string_view admin_secret = "admin-secret-0123456789";
constexpr std::string_view backend_secret = "backend-secret-0123456789";

struct ctl_result {
  int code = -1;  // the exit status; -1 when it did not exit by itself
  std::string out;
  std::string err;
};

std::ostream& operator<<(std::ostream& os, const ctl_result& r) {
  return os << "exit " << r.code << "\n--- stdout\n" << r.out << "--- stderr\n" << r.err;
}

// An API error as ticketctl reports it: exit 1, nothing on stdout, exactly `err` on stderr.
void expect_api_error(const ctl_result& r, const std::string& err) {
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_EQ(r.out, "") << r;
  EXPECT_EQ(r.err, err) << r;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs ticketctl with `args` in an environment that holds only PATH and `env` (so the
// developer's own TICKETD_* variables never leak in).
ctl_result ticketctl(const std::vector<std::string>& args,
                     const std::vector<std::string>& env = {}) {
  temp_dir dir("ticketctl-run");
  const auto out_file = dir.path() / "stdout";
  const auto err_file = dir.path() / "stderr";
  std::vector<std::string> argv_strings{TICKETCTL_BINARY};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<std::string> env_strings{"PATH=/usr/bin:/bin"};
  env_strings.insert(env_strings.end(), env.begin(), env.end());
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&files, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = -1;
  const int spawned = ::posix_spawn(&pid, argv[0], &files, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&files);
  ctl_result r;
  if (spawned != 0) {
    ADD_FAILURE() << "cannot start " << TICKETCTL_BINARY;
    return r;
  }
  int status = 0;
  const bool exited =
      eventually([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, std::chrono::seconds(30));
  if (!exited) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    ADD_FAILURE() << "ticketctl did not finish within 30 s";
  } else if (WIFEXITED(status)) {
    r.code = WEXITSTATUS(status);
  }
  r.out = read_file(out_file);
  r.err = read_file(err_file);
  return r;
}

std::string config_for(const std::string& redis_url, const std::string& extra = "") {
  return "workspace: ctl\n"
         "server:\n"
         "  listen: 127.0.0.1:0\n"
         "  threads: 1\n"
         "redis:\n"
         "  url: " +
         redis_url +
         "\n"
         "  timeout: 500ms\n"
         "agents:\n"
         "  max_concurrent: 2\n"
         "queues:\n"
         "  general: {mode: pull}\n"
         "  billing: {mode: push}\n"
         "routing:\n"
         "  - when: {channel: phone}\n"
         "    priority: urgent\n"
         "defaults: {queue: general, priority: normal}\n" +
         extra;
}

// A TCP port on 127.0.0.1 held by a socket that does not listen: connections to it are refused.
class silent_port {
 public:
  silent_port() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error("bind");
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~silent_port() { ::close(fd_); }
  silent_port(const silent_port&) = delete;
  silent_port& operator=(const silent_port&) = delete;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

class Ticketctl : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_client(shared_redis().socket()).command({"FLUSHALL"});
    start(config_for(shared_redis().url()));
  }

  void TearDown() override {
    if (daemon_ && daemon_->running()) {
      EXPECT_EQ(daemon_->terminate(), 0) << daemon_->log();
    }
  }

  void start(const std::string& config, std::vector<std::string> env = {}) {
    daemon_ = std::make_unique<daemon_process>(
        daemon_options{config, true, "2026-11-23T09:00:00Z", std::move(env)});
    client_ = std::make_unique<http_client>(daemon_->port());
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(daemon_->port()); }

  // ticketctl --url <this daemon> ARGS...
  ctl_result ctl(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
    args.insert(args.begin(), {"--url", url()});
    return ticketctl(args, env);
  }

  http_reply call(std::string_view method, const std::string& target,
                  const std::string& body = {}) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!auth_.empty()) headers.emplace_back("Authorization", "Bearer " + auth_);
    return client_->request(method, target, body, headers);
  }
  void create(const std::string& body) {
    auto r = call("POST", "/v1/tickets", body);
    ASSERT_EQ(r.status, 201) << r.body;
  }
  void agent(const std::string& id, const std::string& queue, const std::string& status) {
    auto r = call(
        "PUT", "/v1/agents/" + id,
        R"({"name":")" + id + R"(","queues":[")" + queue + R"("],"status":")" + status + R"("})");
    ASSERT_EQ(r.status, 200) << r.body;
  }
  void advance(const std::string& by) {
    auto r = call("POST", "/v1/admin/clock", R"({"advance":")" + by + R"("})");
    ASSERT_EQ(r.status, 200) << r.body;
  }
  void write_config(const std::string& text) { std::ofstream(daemon_->config_file()) << text; }

  std::unique_ptr<daemon_process> daemon_;
  std::unique_ptr<http_client> client_;
  std::string auth_;  // bearer token of the test's own requests
};

TEST_F(Ticketctl, QueuesTableShowsDepthAndOldestWait) {
  create(R"({"id":"T-1","queue":"billing"})");
  create(R"({"id":"T-2","queue":"billing"})");
  create(R"({"id":"T-3"})");
  advance("5m12s");
  const auto r = ctl({"queues"});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out,
            "QUEUE    MODE  DEPTH  OLDEST WAIT  ONLINE  AVAILABLE\n"
            "general  pull      1        5m12s       0          0\n"
            "billing  push      2        5m12s       0          0\n")
      << r;

  const auto raw = ctl({"queues", "--json"});
  EXPECT_EQ(raw.code, 0) << raw;
  EXPECT_EQ(boost::json::parse(raw.out), call("GET", "/v1/queues").json());
}

TEST_F(Ticketctl, QueueShowsItsHeadInRankOrder) {
  create(R"({"id":"T-1"})");
  create(R"({"id":"T-2","channel":"phone"})");
  auto r = ctl({"queue", "general", "--limit", "1"});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out,
            "queue general: 2 waiting, the oldest for 0s\n"
            "#  TICKET  PRIORITY  CHANNEL  QUEUED AT                 FIRST REPLY DUE\n"
            "1  T-2     urgent    phone    2026-11-23T09:00:00.000Z  2026-11-23T10:00:00.000Z\n"
            "showing 1 of 2; --limit N shows up to 1000\n")
      << r;
  r = ctl({"queue", "billing"});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out, "queue billing: nothing waiting\n");
  expect_api_error(ctl({"queue", "nope"}),
                   "ticketctl: 404 not_found: no queue 'nope'\n"
                   "hint: no such queue; `ticketctl queues` lists the configured queues\n");
}

TEST_F(Ticketctl, TicketLookupShowsKeyFields) {
  agent("ada", "general", "online");
  create(R"({"id":"T-1001","channel":"phone"})");
  ASSERT_EQ(call("POST", "/v1/agents/ada/next").status, 200);
  const auto r = ctl({"ticket", "T-1001"});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out,
            "ticket           T-1001\n"
            "status           assigned\n"
            "queue            general\n"
            "priority         urgent\n"
            "channel          phone\n"
            "holder           ada\n"
            "last agent       ada\n"
            "first reply due  2026-11-23T10:00:00.000Z\n"
            "next reply due   -\n"
            "resolution due   2026-11-23T13:00:00.000Z\n"
            "sla breached     -\n"
            "reopens          0\n"
            "escalated        no\n"
            "version          2\n"
            "created          2026-11-23T09:00:00.000Z\n"
            "updated          2026-11-23T09:00:00.000Z\n"
            "queued at        2026-11-23T09:00:00.000Z\n")
      << r;

  const auto raw = ctl({"--json", "ticket", "T-1001"});
  EXPECT_EQ(raw.code, 0) << raw;
  EXPECT_EQ(boost::json::parse(raw.out), call("GET", "/v1/tickets/T-1001").json());

  expect_api_error(ctl({"ticket", "T-404"}),
                   "ticketctl: 404 not_found: no ticket 'T-404'\n"
                   "hint: no such ticket; check the id (ids are case-sensitive)\n");
}

TEST_F(Ticketctl, AgentShowsLoadOfMaxAndHeldTickets) {
  agent("ada", "general", "online");
  create(R"({"id":"T-1"})");
  ASSERT_EQ(call("POST", "/v1/agents/ada/next").status, 200);
  const auto r = ctl({"agent", "ada"});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out,
            "agent          ada\n"
            "name           ada\n"
            "status         online since 2026-11-23T09:00:00.000Z\n"
            "load           1 of 2\n"
            "tickets        T-1\n"
            "queues         general\n"
            "skills         -\n"
            "connections    0\n"
            "last assigned  2026-11-23T09:00:00.000Z\n")
      << r;
  expect_api_error(ctl({"agent", "zed"}),
                   "ticketctl: 404 not_found: no agent 'zed'\n"
                   "hint: no such agent; an agent exists once the helpdesk has created it with PUT "
                   "/v1/agents/ID (`ticketctl agents` lists them)\n");
}

TEST_F(Ticketctl, AgentsListsThemInPagesWithAvailabilityPerQueue) {
  agent("di", "general", "online");
  agent("bob", "billing", "away");
  agent("cy", "general", "offline");
  agent("ada", "billing", "online");
  const auto r = ctl({"agents"});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out,
            "agents: 2 online, 1 away, 1 offline\n"
            "AGENT  NAME  STATUS   LOAD    QUEUES\n"
            "ada    ada   online   0 of 2  billing\n"
            "bob    bob   away     0 of 2  billing\n"
            "cy     cy    offline  0 of 2  general\n"
            "di     di    online   0 of 2  general\n"
            "QUEUE    MODE  ONLINE  AVAILABLE\n"
            "general  pull       1          1\n"
            "billing  push       1          1\n")
      << r;
  const auto first = ctl({"agents", "--limit", "3"});
  EXPECT_EQ(first.code, 0) << first;
  EXPECT_NE(first.out.find("more agents follow: ticketctl agents --after cy shows the next 3\n"),
            std::string::npos)
      << first;
  const auto rest = ctl({"agents", "--limit", "3", "--after", "cy"});
  EXPECT_EQ(rest.code, 0) << rest;
  EXPECT_EQ(rest.out.substr(0, rest.out.find("QUEUE    MODE")),
            "agents: 1 online, 0 away, 0 offline\n"
            "AGENT  NAME  STATUS  LOAD    QUEUES\n"
            "di     di    online  0 of 2  general\n")
      << rest;
}

TEST_F(Ticketctl, StatusIsOneLineEach) {
  const auto r = ctl({"status"});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out, "healthz  ok\nreadyz   ready\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(Ticketctl, VerifyOkExitsZeroAndViolationsExitOne) {
  agent("ada", "general", "online");
  create(R"({"id":"T-1"})");
  ASSERT_EQ(call("POST", "/v1/agents/ada/next").status, 200);
  auto r = ctl({"verify"});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out, "ok: no violations in 1 ticket and 1 agent\n");
  EXPECT_EQ(r.err, "");

  redis_client(shared_redis().socket())
      .command({"HSET", routing::keyspace("ctl").key(routing::key_part::agent, "ada"), "l", "2"});
  r = ctl({"verify"});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_EQ(r.out,
            "1 violation in 1 ticket and 1 agent:\n"
            "  agent ada load 2 but holds 1 counted tickets\n")
      << r;
  EXPECT_EQ(r.err,
            "ticketctl: verify found 1 violation\n"
            "hint: `ticketctl ticket ID` and `ticketctl agent ID` show the tickets and agents "
            "named; ticketd's log (`journalctl -u ticketd`) may say how they came about\n");
}

TEST_F(Ticketctl, WorkspacesVerifyAllAndPurgeAWorkspaceNoLongerServed) {
  temp_dir dir("ticketctl-workspaces");
  std::ofstream(dir.path() / "alpha.yaml") << "queues: {desk: {mode: pull}}\n"
                                              "defaults: {queue: desk}\n";
  std::ofstream(dir.path() / "beta.yaml") << "{}\n";
  start(config_for(shared_redis().url(), "workspaces_dir: " + dir.path().string() + "\n"));
  ASSERT_EQ(call("POST", "/v1/w/alpha/tickets", R"({"id":"A-1"})").status, 201);
  auto r = ctl({"workspaces"});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out, "ctl  (main)\nalpha\nbeta\n");
  r = ctl({"--workspace", "alpha", "queues"});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_NE(r.out.find("desk"), std::string::npos) << r;
  EXPECT_EQ(r.out.find("general"), std::string::npos) << r;

  r = ctl({"verify", "--all"});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out,
            "ctl: ok: no violations in 0 tickets and 0 agents\n"
            "alpha: ok: no violations in 1 ticket and 0 agents\n"
            "beta: ok: no violations in 0 tickets and 0 agents\n");
  // A violation in one workspace: exit 1, the others still listed.
  create(R"({"id":"T-1"})");
  agent("ada", "general", "online");
  ASSERT_EQ(call("POST", "/v1/agents/ada/next").status, 200);
  redis_client(shared_redis().socket())
      .command({"HSET", routing::keyspace("ctl").key(routing::key_part::agent, "ada"), "l", "2"});
  r = ctl({"verify", "--all"});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_NE(r.out.find("ctl: 1 violation"), std::string::npos) << r;
  EXPECT_NE(r.out.find("alpha: ok"), std::string::npos) << r;
  EXPECT_EQ(r.err, "ticketctl: verify found violations in 1 of 3 workspaces\n");
  EXPECT_EQ(ctl({"verify", "--all", "--workspace", "alpha"}).code, 2);

  // Served: refused. Removed from the files and reloaded: purged.
  r = ctl({"purge-workspace", "alpha"});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_NE(r.err.find("is served"), std::string::npos) << r;
  std::filesystem::remove(dir.path() / "alpha.yaml");
  ASSERT_EQ(call("POST", "/v1/admin/reload").status, 200);
  r = ctl({"purge-workspace", "alpha"});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_NE(r.out.find("workspace alpha purged: "), std::string::npos) << r;
  EXPECT_TRUE(redis_client(shared_redis().socket())
                  .command({"KEYS", "ticketd:{alpha}:*"})
                  .elements.empty());
}

TEST_F(Ticketctl, ReloadAppliesAGoodFileAndPrintsTheErrorsOfABrokenOne) {
  write_config(config_for(shared_redis().url(), "events:\n  max_len: 5000\n"));
  auto r = ctl({"reload"});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out, "reloaded\n");
  EXPECT_EQ(r.err, "");

  std::string moved = config_for(shared_redis().url());
  moved.replace(moved.find("127.0.0.1:0"), 11, "127.0.0.1:1");
  write_config(moved);
  r = ctl({"reload"});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out,
            "reloaded\n"
            "changed settings that apply only after a restart: server.listen\n"
            "  restart ticketd to apply them: systemctl restart ticketd\n");

  write_config(config_for(shared_redis().url(), "bogus_key: 1\n"));
  r = ctl({"reload"});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_EQ(r.out, "");
  // The middle line is the loader's own error (its list of known keys grows with the project).
  std::vector<std::string> lines;
  std::istringstream err(r.err);
  for (std::string line; std::getline(err, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 3U) << r;
  EXPECT_EQ(lines[0],
            "ticketctl: 400 invalid_argument: the configuration has errors; the running "
            "configuration stays");
  EXPECT_TRUE(lines[1].starts_with("  " + daemon_->config_file().string() +
                                   ":17:1: bogus_key: unknown key (expected one of: workspace, "))
      << r;
  EXPECT_EQ(lines[2],
            "hint: fix the file and run `ticketctl reload` again; `ticketd --check-config FILE` "
            "checks a file without touching the daemon");
  // The running configuration stayed: ticketd still serves.
  EXPECT_EQ(ctl({"queues"}).code, 0);
}

TEST_F(Ticketctl, UsageErrorsExitTwoWithTheHelp) {
  auto r = ticketctl({});
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(
      r.err.starts_with("ticketctl: no command given\n\nusage: ticketctl [OPTIONS] COMMAND"))
      << r;
  r = ticketctl({"tickets"});
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_TRUE(r.err.starts_with("ticketctl: unknown command 'tickets'; did you mean 'ticket'?\n"))
      << r;
  r = ticketctl({"ticket"});
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_TRUE(r.err.starts_with("ticketctl: ticket needs a ticket id: ticketctl ticket ID\n")) << r;
  r = ticketctl({"help"});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_TRUE(r.out.starts_with("usage: ticketctl [OPTIONS] COMMAND")) << r;
  EXPECT_EQ(r.err, "");
}

TEST(TicketctlUnreachable, NothingListeningIsExitThreeWithTheHint) {
  const silent_port nobody;
  // The address from the environment, as an operator's shell would set it.
  const auto r = ticketctl({"queues"}, {"TICKETD_URL=" + nobody.url()});
  EXPECT_EQ(r.code, 3) << r;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "ticketctl: cannot reach ticketd at " + nobody.url() +
                       ": Connection refused\n"
                       "hint: is ticketd running and listening at " +
                       nobody.url() +
                       "? see `systemctl status ticketd`; --url or TICKETD_URL sets the address\n");
}

TEST(TicketctlUnreachable, HungDaemonIsExitThreeAfterTheTimeout) {
  daemon_process daemon(daemon_options{config_for(shared_redis().url()), false, {}, {}});
  const std::string url = "http://127.0.0.1:" + std::to_string(daemon.port());
  // Stopped (SIGSTOP): the kernel still completes connections to its port; nothing answers.
  daemon.signal(SIGSTOP);
  const auto r = ticketctl({"--url", url, "--timeout", "300ms", "ticket", "T-1"});
  daemon.signal(SIGCONT);
  EXPECT_EQ(r.code, 3) << r;
  EXPECT_EQ(
      r.err,
      "ticketctl: ticketd at " + url +
          " did not answer GET /v1/tickets/T-1 within 300ms\n"
          "hint: is ticketd running and listening at " +
          url +
          "? see `systemctl status ticketd`; when it is only slow, a longer --timeout helps\n");
  EXPECT_EQ(daemon.terminate(), 0);
}

TEST(TicketctlUnreachable, StoppedDaemonIsExitThree) {
  redis_client(shared_redis().socket()).command({"FLUSHALL"});
  daemon_process daemon(daemon_options{config_for(shared_redis().url()), false, {}, {}});
  const std::string url = "http://127.0.0.1:" + std::to_string(daemon.port());
  ASSERT_EQ(ticketctl({"--url", url, "status"}).code, 0);
  ASSERT_EQ(daemon.terminate(), 0);
  const auto r = ticketctl({"--url", url, "status"});
  EXPECT_EQ(r.code, 3) << r;
  EXPECT_TRUE(
      r.err.starts_with("ticketctl: cannot reach ticketd at " + url + ": Connection refused\n"))
      << r;
  EXPECT_NE(r.err.find("see `systemctl status ticketd`"), std::string::npos) << r;
}

TEST(TicketctlRedisDown, ReadinessAndRequestsSayRedisIsUnreachable) {
  redis_server redis;
  daemon_process daemon(daemon_options{config_for(redis.url()), false, {}, {}});
  const std::string url = "http://127.0.0.1:" + std::to_string(daemon.port());
  redis.kill9();
  http_client probe(daemon.port());
  ASSERT_TRUE(eventually([&] { return probe.get("/readyz").status == 503; }));

  auto r = ticketctl({"--url", url, "status"});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_EQ(r.out, "healthz  ok\nreadyz   not ready\n");
  const std::string redis_hint =
      "hint: Redis is unreachable from ticketd; check that Redis runs and matches redis.url in "
      "ticketd's configuration (`ticketctl status` shows readiness), then retry after 1 s\n";
  EXPECT_EQ(r.err,
            "ticketctl: 503 unavailable: Redis is unreachable or the functions are not loaded\n" +
                redis_hint);
  r = ticketctl({"--url", url, "queues"});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_TRUE(r.err.starts_with("ticketctl: 503 unavailable: ")) << r;
  EXPECT_TRUE(r.err.ends_with(redis_hint)) << r;
  redis.start();
  EXPECT_TRUE(eventually([&] { return probe.get("/readyz").status == 200; }));
  EXPECT_EQ(daemon.terminate(), 0);
}

class TicketctlAuth : public Ticketctl {
 protected:
  void SetUp() override {
    redis_client(shared_redis().socket()).command({"FLUSHALL"});
    token_file_ = tokens_.path() / "admin.token";
    { std::ofstream(token_file_) << admin_secret << "\n"; }
    std::filesystem::permissions(
        token_file_, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    start(config_for(
              shared_redis().url(),
              "auth:\n"
              "  tokens:\n"
              "    - {name: ops, role: admin, token_file: " +
                  token_file_.string() +
                  "}\n"
                  "    - {name: helpdesk, role: backend, token_env: CTL_TEST_BACKEND_TOKEN}\n"),
          {"CTL_TEST_BACKEND_TOKEN=" + std::string{backend_secret}});
    auth_ = std::string{admin_secret};
  }

  static void expect_no_secret(const ctl_result& r) {
    for (const auto secret : {admin_secret, backend_secret}) {
      EXPECT_EQ(r.out.find(secret), std::string::npos) << r;
      EXPECT_EQ(r.err.find(secret), std::string::npos) << r;
    }
  }

  temp_dir tokens_{"ticketctl-tokens"};
  std::filesystem::path token_file_;
};

TEST_F(TicketctlAuth, NoTokenIsExitOneWithTheTokenHint) {
  expect_api_error(
      ctl({"queues"}),
      "ticketctl: 401 unauthenticated: send Authorization: Bearer <token>\n"
      "hint: pass a token with --token/--token-file or TICKETD_TOKEN/TICKETD_TOKEN_FILE\n");
  // The operations endpoints stay open.
  EXPECT_EQ(ctl({"status"}).code, 0);
}

TEST_F(TicketctlAuth, UnknownTokenIsNamedByWhereItCameFromNeverByValue) {
  // The whole message: the token's source is named, its value nowhere.
  expect_api_error(ctl({"queues"}, {"TICKETD_TOKEN=not-a-token-this-server-knows"}),
                   "ticketctl: 401 unauthenticated: the bearer token is not one this server knows\n"
                   "hint: ticketd does not know the token from TICKETD_TOKEN; use one listed in "
                   "auth.tokens of ticketd's configuration\n");
}

TEST_F(TicketctlAuth, BackendTokenMayNotVerifyOrReload) {
  const std::string token = "TICKETD_TOKEN=" + std::string{backend_secret};
  auto r = ctl({"queues"}, {token});
  EXPECT_EQ(r.code, 0) << r;
  for (const char* command : {"verify", "reload"}) {
    expect_api_error(ctl({command}, {token}),
                     "ticketctl: 403 forbidden: token 'helpdesk' may not use admin_" +
                         std::string{command} +
                         "\nhint: this token's role may not do that; use an admin token\n");
  }
}

TEST_F(TicketctlAuth, AdminTokenFromAFileDoesEverything) {
  create(R"({"id":"T-1"})");
  const std::string file = token_file_.string();
  auto r = ctl({"--token-file", file, "verify"});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out, "ok: no violations in 1 ticket and 0 agents\n");
  r = ctl({"reload"}, {"TICKETD_TOKEN_FILE=" + file});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out, "reloaded\n");
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"queues"}, {"agents"}, {"ticket", "T-1"}, {"queue", "general"}}) {
    std::vector<std::string> with_token{"--token-file", file};
    with_token.insert(with_token.end(), args.begin(), args.end());
    r = ctl(with_token);
    EXPECT_EQ(r.code, 0) << args.front() << "\n" << r;
    expect_no_secret(r);
  }
}

TEST_F(TicketctlAuth, UnreadableTokenFileIsAUsageError) {
  const auto missing = (tokens_.path() / "missing.token").string();
  auto r = ctl({"--token-file", missing, "verify"});
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_EQ(r.err,
            "ticketctl: cannot read the token file --token-file " + missing +
                ": No such file or directory; check the path, and that this user may read the "
                "file\n");
  const auto empty = tokens_.path() / "empty.token";
  std::ofstream(empty) << "\n";
  r = ctl({"verify"}, {"TICKETD_TOKEN_FILE=" + empty.string()});
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_EQ(r.err, "ticketctl: token file " + empty.string() + " is empty; put the token in it\n");
}

}  // namespace
}  // namespace ticketd::testing

namespace ticketd::testing {
namespace {

// A morning as the stream records it, exported, then replayed by ticketd simulate.
TEST_F(Ticketctl, ExportWorkloadWritesWhatTheSimulatorReplays) {
  agent("ada", "general", "online");
  create(R"({"id": "T-1", "channel": "chat", "attributes": {"topic": "refund"}})");
  create(R"({"id": "T-2"})");
  ASSERT_EQ(call("POST", "/v1/agents/ada/next").status, 200);
  advance("90s");
  ASSERT_EQ(call("POST", "/v1/tickets/T-1/reply", R"({"agent": "ada"})").status, 200);
  advance("3m");
  ASSERT_EQ(call("POST", "/v1/tickets/T-1/resolve").status, 200);
  advance("1m");  // the customer writes back: T-1 reopens, to ada
  ASSERT_EQ(call("POST", "/v1/tickets/T-1/customer-reply").status, 200);
  ASSERT_EQ(call("POST", "/v1/agents/ada/status", R"({"status": "away"})").status, 200);

  const auto r = ctl({"export-workload", "--since", "1h"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("exported 1 agents, 2 arrivals (1 with their handling times), 1 customer "
                       "replies, 2 status changes"),
            std::string::npos)
      << r.err;
  std::vector<std::string> lines;
  std::istringstream in(r.out);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), 6u) << r.out;
  // Ada came online inside the window (her PUT): she starts it offline.
  EXPECT_EQ(
      lines[0],
      R"({"at":"2026-11-23T09:00:00.000Z","op":"agent","id":"ada","name":"ada","queues":["general"],"skills":{},"status":"offline"})");
  EXPECT_EQ(lines[1],
            R"({"at":"2026-11-23T09:00:00.000Z","op":"status","agent":"ada","status":"online"})");
  // T-1 as it was sent, with its first round: replied 90 s after the pull, resolved 180 s later.
  EXPECT_EQ(
      lines[2],
      R"({"at":"2026-11-23T09:00:00.000Z","op":"create","id":"T-1","channel":"chat","attributes":{"topic":"refund"},"handle":{"reply_after":90,"resolve_after":180}})");
  EXPECT_EQ(lines[3], R"({"at":"2026-11-23T09:00:00.000Z","op":"create","id":"T-2"})");
  EXPECT_EQ(lines[4], R"({"at":"2026-11-23T09:05:30.000Z","op":"customer-reply","ticket":"T-1"})");
  EXPECT_EQ(lines[5],
            R"({"at":"2026-11-23T09:05:30.000Z","op":"status","agent":"ada","status":"away"})");

  temp_dir dir("ticketctl-export");
  std::ofstream(dir.path() / "day.jsonl") << r.out;
  std::ofstream(dir.path() / "ticketd.yaml") << config_for(shared_redis().url());
  process sim({ticketd_binary(), "simulate", "--config", (dir.path() / "ticketd.yaml").string(),
               "--workload", (dir.path() / "day.jsonl").string(), "--report",
               (dir.path() / "report.json").string()},
              dir.path() / "sim.log");
  ASSERT_EQ(sim.wait_exit(std::chrono::seconds(60)), 0) << sim.log();
  std::ifstream report(dir.path() / "report.json");
  const std::string text{std::istreambuf_iterator<char>(report), {}};
  const auto doc = boost::json::parse(text);
  EXPECT_EQ(doc.at("candidate").at("queues").at("general").at("arrived").to_number<int>(), 2);
}

}  // namespace
}  // namespace ticketd::testing
