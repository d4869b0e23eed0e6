#include "ctl/invocation.hpp"

#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace ticketd::ctl {
namespace {

using namespace std::chrono_literals;

struct fake_env {
  std::map<std::string, std::string, std::less<>> vars;
  env_lookup lookup() const {
    return [this](std::string_view name) -> std::optional<std::string> {
      const auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
  }
};

boost::system::result<invocation, usage_error> parse(std::vector<std::string_view> args,
                                                     const fake_env& env = {}) {
  return parse_invocation(args, env.lookup());
}

std::string error_of(std::vector<std::string_view> args, const fake_env& env = {}) {
  auto r = parse(std::move(args), env);
  return r ? std::string{"(parsed)"} : r.error().message;
}

TEST(CtlInvocation, DefaultsToLoopbackWithoutTokenAndFiveSecondTimeout) {
  auto r = parse({"queues"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->what, command::queues);
  EXPECT_EQ(r->url.host, "127.0.0.1");
  EXPECT_EQ(r->url.port, 8080);
  EXPECT_EQ(r->url.text, "http://127.0.0.1:8080");
  EXPECT_EQ(r->origin, token_origin::none);
  EXPECT_TRUE(r->token.empty());
  EXPECT_FALSE(r->json);
  EXPECT_EQ(r->timeout, 5s);
}

TEST(CtlInvocation, OptionsGoBeforeOrAfterTheCommandWithOrWithoutEquals) {
  auto r = parse({"--json", "queue", "billing", "--limit=5", "--timeout", "250ms", "--url",
                  "http://10.0.0.7:9000/"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->what, command::queue);
  EXPECT_EQ(r->argument, "billing");
  EXPECT_EQ(r->limit, 5U);
  EXPECT_TRUE(r->json);
  EXPECT_EQ(r->timeout, 250ms);
  EXPECT_EQ(r->url.text, "http://10.0.0.7:9000");
}

TEST(CtlInvocation, AgentsTakesALimitAndWhereToStart) {
  auto r = parse({"agents", "--limit", "20", "--after=bob"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->what, command::agents);
  EXPECT_EQ(r->limit, 20U);
  EXPECT_EQ(r->after, "bob");
}

TEST(CtlInvocation, EnvironmentGivesUrlAndTokenAndOptionsWin) {
  fake_env env{{{"TICKETD_URL", "http://ops-host:8181"}, {"TICKETD_TOKEN", "from-env-secret-1"}}};
  auto r = parse({"verify"}, env);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->url.text, "http://ops-host:8181");
  EXPECT_EQ(r->origin, token_origin::env);
  EXPECT_EQ(r->token, "from-env-secret-1");
  EXPECT_EQ(describe_origin(*r), "TICKETD_TOKEN");

  r = parse({"verify", "--url", "http://other:1", "--token-file", "/etc/ticketd/admin.token"}, env);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->url.text, "http://other:1");
  EXPECT_EQ(r->origin, token_origin::option_file);
  EXPECT_TRUE(r->token.empty());
  EXPECT_EQ(r->token_file, "/etc/ticketd/admin.token");
  EXPECT_EQ(describe_origin(*r), "--token-file /etc/ticketd/admin.token");
}

TEST(CtlInvocation, TokenEnvBeatsTokenFileEnvAndEmptyVariablesCountAsUnset) {
  fake_env env{{{"TICKETD_TOKEN", ""}, {"TICKETD_TOKEN_FILE", "/run/t"}, {"TICKETD_URL", ""}}};
  auto r = parse({"status"}, env);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->origin, token_origin::env_file);
  EXPECT_EQ(describe_origin(*r), "TICKETD_TOKEN_FILE (/run/t)");
  EXPECT_EQ(r->url.text, "http://127.0.0.1:8080");
  env.vars["TICKETD_TOKEN"] = "tok-tok-tok-tok-1";
  r = parse({"status"}, env);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->origin, token_origin::env);
}

TEST(CtlInvocation, HelpNeedsNothingElse) {
  for (const auto& args : std::vector<std::vector<std::string_view>>{
           {"help"}, {"--help"}, {"-h"}, {"queue", "-h"}, {"bogus", "--help"}}) {
    auto r = parse(args);
    ASSERT_TRUE(r) << args.front();
    EXPECT_EQ(r->what, command::help);
  }
}

TEST(CtlInvocation, ReloadTakesADryRun) {
  auto r = parse({"reload", "--dry-run"});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->dry_run);
  r = parse({"reload"});
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->dry_run);
  EXPECT_EQ(error_of({"verify", "--dry-run"}), "--dry-run applies only to reload");
}

TEST(CtlInvocation, WorkspacesVerifyAllAndPurge) {
  auto r = parse({"verify", "--all"});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->all);
  r = parse({"--workspace", "alpha", "queues"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->workspace, "alpha");
  r = parse({"purge-workspace", "old"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->what, command::purge_workspace);
  EXPECT_EQ(r->argument, "old");
  EXPECT_EQ(error_of({"queues", "--all"}), "--all applies only to verify");
  EXPECT_EQ(error_of({"verify", "--all", "--workspace", "a"}),
            "verify takes --all or --workspace NAME, not both");
  EXPECT_EQ(error_of({"purge-workspace"}),
            "purge-workspace needs a workspace name: ticketctl purge-workspace NAME");
  EXPECT_EQ(error_of({"--workspace", "a b", "queues"}),
            "--workspace 'a b' is not a workspace name: 1 to 64 of A-Z a-z 0-9 . _ : @ -");
  // An id of 65 characters is no workspace name.
  const std::string long_name(65, 'w');
  EXPECT_EQ(
      error_of({"--workspace", long_name, "queues"}),
      "--workspace '" + long_name + "' is not a workspace name: 1 to 64 of A-Z a-z 0-9 . _ : @ -");
  EXPECT_TRUE(parse({"--workspace", std::string(64, 'w'), "queues"}));
}

TEST(CtlInvocation, UsageErrorsSayWhatIsWrong) {
  EXPECT_EQ(error_of({}), "no command given");
  EXPECT_EQ(error_of({"frobnicate"}), "unknown command 'frobnicate'");
  EXPECT_EQ(error_of({"tickets", "T-1"}), "unknown command 'tickets'; did you mean 'ticket'?");
  EXPECT_EQ(error_of({"ticket"}), "ticket needs a ticket id: ticketctl ticket ID");
  EXPECT_EQ(error_of({"queue"}), "queue needs a queue name: ticketctl queue NAME");
  EXPECT_EQ(error_of({"agent"}), "agent needs an agent id: ticketctl agent ID");
  EXPECT_EQ(error_of({"queues", "billing"}),
            "queues takes no arguments; 'billing' is one too many");
  EXPECT_EQ(error_of({"ticket", "T-1", "T-2"}),
            "ticket takes one ticket id; 'T-2' is one too many");
  EXPECT_EQ(error_of({"ticket", "bad id!"}),
            "ticket id 'bad id!' is not valid: ids are 1 to 128 of A-Z a-z 0-9 . _ : @ -");
  EXPECT_EQ(error_of({"--verbose", "status"}),
            "unknown option '--verbose' (an id that starts with '-' goes after --, as in: "
            "ticketctl ticket -- --verbose)");
  EXPECT_EQ(error_of({"status", "--url"}), "--url needs a value");
  EXPECT_EQ(error_of({"queues", "--limit", "5"}),
            "--limit applies only to queue NAME, agents and explain ID");
  EXPECT_EQ(error_of({"queue", "billing", "--after", "ada"}), "--after applies only to agents");
  EXPECT_EQ(error_of({"agents", "--after", "a b"}),
            "--after 'a b' is not an agent id: ids are 1 to 128 of A-Z a-z 0-9 . _ : @ -");
  EXPECT_EQ(error_of({"queue", "billing", "--limit", "0"}),
            "--limit must be a number from 1 to 1000, not '0'");
  EXPECT_EQ(error_of({"queue", "billing", "--limit", "1001"}),
            "--limit must be a number from 1 to 1000, not '1001'");
  EXPECT_EQ(error_of({"status", "--timeout", "soon"}),
            "--timeout 'soon' is not a duration from 1ms to 10m; write it as 500ms, 5s or 1m");
  EXPECT_EQ(error_of({"status", "--token", "a", "--token-file", "f"}),
            "give --token or --token-file, not both");
  EXPECT_EQ(error_of({"status", "--token="}),
            "--token is empty; pass the token or use --token-file");
}

TEST(CtlInvocation, IdStartingWithDashGoesAfterDoubleDash) {
  auto r = parse({"ticket", "--json", "--", "-T-1"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->argument, "-T-1");
  EXPECT_TRUE(r->json);
}

TEST(CtlInvocation, BadUrlNamesWhereItCameFrom) {
  EXPECT_EQ(error_of({"status", "--url", "https://ticketd:8443"}),
            "--url 'https://ticketd:8443' is not ticketd's address: ticketctl speaks plain http; "
            "reach ticketd at its server.listen address (an SSH tunnel works for a remote host); "
            "write it as http://HOST:PORT, e.g. http://127.0.0.1:8080");
  fake_env env{{{"TICKETD_URL", "http://host:99999"}}};
  EXPECT_EQ(
      error_of({"status"}, env),
      "TICKETD_URL 'http://host:99999' is not ticketd's address: the port must be a number "
      "from 1 to 65535, not '99999'; write it as http://HOST:PORT, e.g. http://127.0.0.1:8080");
}

TEST(CtlInvocation, TokenWithALineBreakIsRefusedWithoutShowingIt) {
  const auto message = error_of({"status", "--token", "secret\r\nX-Evil: 1"});
  EXPECT_EQ(message,
            "the token from --token contains a control character; a token is one line of text");
  EXPECT_EQ(message.find("secret"), std::string::npos);
}

TEST(CtlUrl, ParsesHostPortPrefixAndIpv6) {
  auto u = parse_url("127.0.0.1:8080");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->text, "http://127.0.0.1:8080");
  u = parse_url("http://ticketd.internal");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->text, "http://ticketd.internal:80");
  u = parse_url("http://[::1]:9000/helpdesk/api/");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 9000);
  EXPECT_EQ(u->prefix, "/helpdesk/api");
  EXPECT_EQ(u->text, "http://[::1]:9000/helpdesk/api");
}

TEST(CtlUrl, RefusesWhatItCannotUse) {
  EXPECT_EQ(parse_url("ftp://x").error(), "the scheme must be http://, not ftp://");
  EXPECT_EQ(parse_url("http://user:pw@x:1").error(),
            "credentials do not go in the URL; pass a token with --token-file");
  EXPECT_EQ(parse_url("http://x:1/?a=b").error(),
            "a query or fragment has no place in ticketd's address");
  EXPECT_EQ(parse_url("http://:8080").error(), "the host is missing");
  EXPECT_EQ(parse_url("http://x:").error(), "the port is missing after ':'");
  EXPECT_EQ(parse_url("http://[::1").error(), "the IPv6 address lacks its ']'");
  EXPECT_EQ(parse_url("http://x:0").error(), "the port must be a number from 1 to 65535, not '0'");
}

TEST(CtlTimeout, AcceptsMillisecondsSecondsMinutesWithinTenMinutes) {
  EXPECT_EQ(parse_timeout("500ms"), 500ms);
  EXPECT_EQ(parse_timeout("5s"), 5s);
  EXPECT_EQ(parse_timeout("7"), 7s);
  EXPECT_EQ(parse_timeout("2m"), 2min);
  EXPECT_EQ(parse_timeout("10m"), 10min);
  EXPECT_FALSE(parse_timeout("11m"));
  EXPECT_FALSE(parse_timeout("0s"));
  EXPECT_FALSE(parse_timeout("-1s"));
  EXPECT_FALSE(parse_timeout("1h"));
  EXPECT_FALSE(parse_timeout("s"));
  EXPECT_FALSE(parse_timeout(""));
}

TEST(CtlToken, FileContentIsTrimmedToOneLine) {
  auto t = token_from_file("s3cret-admin-token\n", "/etc/t");
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, "s3cret-admin-token");
  EXPECT_EQ(token_from_file("\n \n", "/etc/t").error().message,
            "token file /etc/t is empty; put the token in it");
  const auto two_lines = token_from_file("first-token\nsecond-token\n", "/etc/t");
  ASSERT_FALSE(two_lines);
  EXPECT_EQ(two_lines.error().message,
            "token file /etc/t holds more than one line; put only the token in it");
  EXPECT_EQ(token_from_file(std::string(4097, 'x'), "/etc/t").error().message,
            "token file /etc/t is larger than 4KiB; is it the right file?");
}

TEST(CtlUsage, NamesEveryCommandAndItsOptions) {
  const auto text = usage_text();
  for (const char* c :
       {"status", "queues", "queue NAME", "agents", "agent ID", "ticket ID", "explain ID", "verify",
        "reload", "--dry-run", "--token-file", "TICKETD_URL", "TICKETD_TOKEN", "--limit N",
        "--after ID", "--all", "--workspace NAME", "workspaces", "purge-workspace NAME"}) {
    EXPECT_NE(text.find(c), std::string::npos) << c;
  }
}

}  // namespace
}  // namespace ticketd::ctl

namespace ticketd::ctl {
namespace {

TEST(CtlInvocation, ExportWorkloadTakesSinceAsADurationOrATime) {
  auto r = parse({"export-workload", "--since", "24h"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->what, command::export_workload);
  EXPECT_EQ(r->since_ago, 24h);
  r = parse({"export-workload", "--since=2026-11-23T00:00:00Z"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->since_ms, 1795392000000);
  EXPECT_EQ(parse({"export-workload", "--since", "7d"})->since_ago, 7 * 24h);
  EXPECT_EQ(parse({"export-workload", "--since", "30m"})->since_ago, 30min);
  EXPECT_NE(error_of({"export-workload"}).find("needs --since"), std::string::npos);
  EXPECT_NE(error_of({"export-workload", "--since", "yesterday"}).find("neither a duration"),
            std::string::npos);
  EXPECT_NE(error_of({"export-workload", "--since", "0h"}).find("neither"), std::string::npos);
  EXPECT_NE(error_of({"queues", "--since", "1h"}).find("only to export-workload"),
            std::string::npos);
}

}  // namespace
}  // namespace ticketd::ctl
