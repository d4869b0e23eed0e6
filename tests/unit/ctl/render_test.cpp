#include "ctl/render.hpp"

#include <gtest/gtest.h>

#include <vector>

#include <boost/json/parse.hpp>

namespace ticketd::ctl {
namespace {

namespace json = boost::json;

invocation make(command c, std::string argument = {}) {
  invocation inv;
  inv.what = c;
  inv.argument = std::move(argument);
  inv.url = *parse_url("http://127.0.0.1:8080");
  return inv;
}

report one(const invocation& inv, int status, std::string body, std::string retry_after = {}) {
  const std::vector<http_answer> answers{{status, std::move(body), std::move(retry_after)}};
  return render(inv, answers);
}

constexpr std::string_view ticket_body = R"({"id":"T-1001","status":"assigned","queue":"billing",
  "queues":["billing"],"personal_queue":null,"priority":"urgent","channel":"email","skills":[],
  "attributes":{},"assignee":"ada","last_agent":"ada","rank":null,
  "sla":{"policy":"urgent","first_reply_due":"2026-11-22T11:00:00.000Z","next_reply_due":null,
         "resolution_due":"2026-11-22T14:00:00.000Z","first_replied_at":null,
         "breached":["first_reply"],"paused":[]},
  "followup":{"attempt":0,"of":3},"reopens":0,"escalated":false,"version":4,
  "created_at":"2026-11-22T10:00:00.000Z","updated_at":"2026-11-22T10:05:00.000Z",
  "queued_at":"2026-11-22T10:00:00.000Z","postponed_until":null,"resolved_at":null,
  "reopen_until":null,"resolution_reason":null})";

TEST(CtlRequests, EachCommandAsksForItsPaths) {
  auto inv = make(command::queue, "billing");
  inv.limit = 5;
  inv.url = *parse_url("http://h:1/proxy/");
  const auto q = requests_for(inv);
  ASSERT_EQ(q.size(), 1U);
  EXPECT_EQ(q[0].method, "GET");
  EXPECT_EQ(q[0].target, "/proxy/v1/queues/billing?limit=5");

  const auto s = requests_for(make(command::status));
  ASSERT_EQ(s.size(), 2U);
  EXPECT_EQ(s[0].target, "/healthz");
  EXPECT_EQ(s[1].target, "/readyz");
  auto agents_inv = make(command::agents);
  const auto a = requests_for(agents_inv);
  ASSERT_EQ(a.size(), 2U);
  EXPECT_EQ(a[0].target, "/v1/agents");
  EXPECT_EQ(a[1].target, "/v1/queues");
  agents_inv.limit = 20;
  EXPECT_EQ(requests_for(agents_inv)[0].target, "/v1/agents?limit=20");
  agents_inv.after = "bob";
  EXPECT_EQ(requests_for(agents_inv)[0].target, "/v1/agents?limit=20&after=bob");
  agents_inv.limit.reset();
  EXPECT_EQ(requests_for(agents_inv)[0].target, "/v1/agents?after=bob");
  EXPECT_EQ(requests_for(make(command::agent, "ada"))[0].target, "/v1/agents/ada");
  EXPECT_EQ(requests_for(make(command::ticket, "T-1"))[0].target, "/v1/tickets/T-1");
  EXPECT_EQ(requests_for(make(command::verify))[0].target, "/v1/admin/verify");
  const auto reload = requests_for(make(command::reload));
  EXPECT_EQ(reload[0].method, "POST");
  EXPECT_EQ(reload[0].target, "/v1/admin/reload");
  EXPECT_TRUE(requests_for(make(command::help)).empty());
}

TEST(CtlFormat, SecondsReadAsTheTwoLargestUnits) {
  EXPECT_EQ(format_seconds(0), "0s");
  EXPECT_EQ(format_seconds(59), "59s");
  EXPECT_EQ(format_seconds(65), "1m05s");
  EXPECT_EQ(format_seconds(3600 + 180 + 9), "1h03m");
  EXPECT_EQ(format_seconds(2 * 86400 + 4 * 3600), "2d04h");
  EXPECT_EQ(format_seconds(-3), "0s");
}

TEST(CtlFormat, TableAlignsTextLeftAndNumbersRight) {
  EXPECT_EQ(format_table({"QUEUE", "DEPTH", "MODE"},
                         {{"billing", "3", "push"}, {"vip", "120", "pull"}}, {false, true, false}),
            "QUEUE    DEPTH  MODE\n"
            "billing      3  push\n"
            "vip        120  pull\n");
}

TEST(CtlRender, QueuesTable) {
  const auto r = one(make(command::queues), 200, R"({"queues":[
      {"name":"billing","depth":3,"oldest_wait_s":312,"next_rank":1795000000000,"agents_online":2,"agents_available":1,"mode":"push"},
      {"name":"supervisors","depth":0,"oldest_wait_s":null,"next_rank":null,"agents_online":0,"agents_available":0,"mode":"pull"}]})");
  EXPECT_EQ(r.status, exit_status::ok);
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out,
            "QUEUE        MODE  DEPTH  OLDEST WAIT  ONLINE  AVAILABLE\n"
            "billing      push      3        5m12s       2          1\n"
            "supervisors  pull      0            -       0          0\n");
}

TEST(CtlRender, JsonPrintsTheBodyAsIs) {
  auto inv = make(command::queues);
  inv.json = true;
  const std::string body = R"({"queues":[]})";
  const auto r = one(inv, 200, body);
  EXPECT_EQ(r.out, body + "\n");
  EXPECT_EQ(r.status, exit_status::ok);
}

TEST(CtlRender, QueueHeadSaysWhenMoreAreWaiting) {
  auto inv = make(command::queue, "billing");
  std::string body = R"({"name":"billing","depth":3,"oldest_wait_s":75,"tickets":[)" +
                     std::string{ticket_body} + "]}";
  const auto r = one(inv, 200, body);
  EXPECT_EQ(r.status, exit_status::ok);
  EXPECT_EQ(r.out,
            "queue billing: 3 waiting, the oldest for 1m15s\n"
            "#  TICKET  PRIORITY  CHANNEL  QUEUED AT                 FIRST REPLY DUE\n"
            "1  T-1001  urgent    email    2026-11-22T10:00:00.000Z  2026-11-22T11:00:00.000Z\n"
            "showing 1 of 3; --limit N shows up to 1000\n");
  EXPECT_EQ(one(inv, 200, R"({"name":"billing","depth":0,"oldest_wait_s":null,"tickets":[]})").out,
            "queue billing: nothing waiting\n");
}

TEST(CtlRender, TicketKeyFields) {
  const auto r = one(make(command::ticket, "T-1001"), 200, std::string{ticket_body});
  EXPECT_EQ(r.status, exit_status::ok);
  EXPECT_EQ(r.out,
            "ticket           T-1001\n"
            "status           assigned\n"
            "queue            billing\n"
            "priority         urgent\n"
            "channel          email\n"
            "holder           ada\n"
            "last agent       ada\n"
            "first reply due  2026-11-22T11:00:00.000Z\n"
            "next reply due   -\n"
            "resolution due   2026-11-22T14:00:00.000Z\n"
            "sla breached     first_reply\n"
            "followup         0 of 3\n"
            "reopens          0\n"
            "escalated        no\n"
            "version          4\n"
            "created          2026-11-22T10:00:00.000Z\n"
            "updated          2026-11-22T10:05:00.000Z\n"
            "queued at        2026-11-22T10:00:00.000Z\n");
}

TEST(CtlRender, AgentLoadOfMaxAndHeldTickets) {
  const auto r =
      one(make(command::agent, "ada"), 200, R"({"id":"ada","name":"Ada","status":"online",
      "queues":["billing","general"],"effective_queues":["billing","general"],"skills":{"spanish":8},
      "max_concurrent":5,"load":2,"tickets":["T-1","T-2"],"last_assigned_at":"2026-11-22T10:00:00.000Z",
      "status_since":"2026-11-22T09:00:00.000Z","connections":1})");
  EXPECT_EQ(r.out,
            "agent          ada\n"
            "name           Ada\n"
            "status         online since 2026-11-22T09:00:00.000Z\n"
            "load           2 of 5\n"
            "tickets        T-1, T-2\n"
            "queues         billing, general\n"
            "skills         spanish 8\n"
            "connections    1\n"
            "last assigned  2026-11-22T10:00:00.000Z\n");
}

TEST(CtlRender, AgentWithChannelsShowsUnitsPresenceAndWrapUp) {
  const auto r =
      one(make(command::agent, "ada"), 200, R"({"id":"ada","name":"Ada","status":"online",
      "queues":["general"],"effective_queues":["general"],"skills":{},
      "max_concurrent":5,"load":1,"tickets":["T-1"],"last_assigned_at":null,
      "status_since":"2026-11-22T09:00:00.000Z","connections":0,"capacity":10,"used":13,
      "channels":{"email":"online","phone":"away"},"wrap_up_until":"2026-11-22T10:01:00.000Z",
      "missed_offers":2})");
  EXPECT_EQ(r.out,
            "agent          ada\n"
            "name           Ada\n"
            "status         online since 2026-11-22T09:00:00.000Z\n"
            "load           1 of 5\n"
            "units          13 of 10\n"
            "channels       email online, phone away\n"
            "wrap-up until  2026-11-22T10:01:00.000Z\n"
            "missed offers  2\n"
            "tickets        T-1\n"
            "queues         general\n"
            "skills         -\n"
            "connections    0\n"
            "last assigned  -\n");
}

TEST(CtlRender, AgentsListsOnePageAndAvailabilityPerQueue) {
  auto inv = make(command::agents);
  const std::string page =
      R"({"agents":[{"id":"ada","name":"Ada","status":"online","queues":["billing"],)"
      R"("effective_queues":["billing","general"],"max_concurrent":5,"load":2},)"
      R"({"id":"bob","name":"Bob","status":"away","queues":["billing"],)"
      R"("effective_queues":["billing"],"max_concurrent":3,"load":0}],"next":null})";
  const std::string queues =
      R"({"queues":[{"name":"billing","depth":0,"oldest_wait_s":null,"next_rank":null,)"
      R"("agents_online":1,"agents_available":1,"mode":"push"}]})";
  const std::vector<http_answer> answers{{200, page, ""}, {200, queues, ""}};
  auto r = render(inv, answers);
  EXPECT_EQ(r.status, exit_status::ok);
  EXPECT_EQ(r.out,
            "agents: 1 online, 1 away, 0 offline\n"
            "AGENT  NAME  STATUS  LOAD    QUEUES\n"
            "ada    Ada   online  2 of 5  billing, general\n"
            "bob    Bob   away    0 of 3  billing\n"
            "QUEUE    MODE  ONLINE  AVAILABLE\n"
            "billing  push       1          1\n");
  auto json_inv = inv;
  json_inv.json = true;
  const auto j = json::parse(render(json_inv, answers).out);
  EXPECT_EQ(j.at("agents").as_array().size(), 2u);
  EXPECT_TRUE(j.at("next").is_null());
  EXPECT_EQ(j.at("queues").as_array().at(0).at("name").as_string(), "billing");

  inv.limit = 2;
  const std::vector<http_answer> more{{200, R"({"agents":[],"next":"bob"})", ""},
                                      {200, R"({"queues":[]})", ""}};
  EXPECT_EQ(render(inv, more).out,
            "agents: 0 online, 0 away, 0 offline\n"
            "more agents follow: ticketctl agents --after bob shows the next 2\n");
  const std::vector<http_answer> not_a_list{{200, R"({"agent":{}})", ""}, {200, queues, ""}};
  EXPECT_EQ(render(inv, not_a_list).status, exit_status::unreachable);
}

TEST(CtlRender, StatusOneLineEachAndNotReadyIsAnError) {
  const auto inv = make(command::status);
  const std::vector<http_answer> ready{{200, R"({"status":"ok"})", ""},
                                       {200, R"({"ready":true})", ""}};
  auto r = render(inv, ready);
  EXPECT_EQ(r.status, exit_status::ok);
  EXPECT_EQ(r.out, "healthz  ok\nreadyz   ready\n");
  const std::vector<http_answer> not_ready{
      {200, R"({"status":"ok"})", ""},
      {503,
       R"({"error":{"code":"unavailable","message":"Redis is unreachable or the functions are not loaded"}})",
       "1"}};
  r = render(inv, not_ready);
  EXPECT_EQ(r.status, exit_status::api_error);
  EXPECT_EQ(r.out, "healthz  ok\nreadyz   not ready\n");
  EXPECT_EQ(
      r.err,
      "ticketctl: 503 unavailable: Redis is unreachable or the functions are not loaded\n"
      "hint: Redis is unreachable from ticketd; check that Redis runs and matches redis.url "
      "in ticketd's configuration (`ticketctl status` shows readiness), then retry after 1 s\n");
}

TEST(CtlRender, VerifyOkAndViolations) {
  const auto inv = make(command::verify);
  auto r =
      one(inv, 200,
          R"({"ok":true,"violations":[],"forced":[],"tickets_checked":12,"agents_checked":3})");
  EXPECT_EQ(r.status, exit_status::ok);
  EXPECT_EQ(r.out, "ok: no violations in 12 tickets and 3 agents\n");
  r = one(inv, 500, R"({"ok":false,"violations":["agent ada load 2 but holds 1 counted tickets",
      "ticket T-9 held by ada and bob"],"forced":[],"tickets_checked":12,"agents_checked":3})");
  EXPECT_EQ(r.status, exit_status::api_error);
  EXPECT_EQ(r.out,
            "2 violations in 12 tickets and 3 agents:\n"
            "  agent ada load 2 but holds 1 counted tickets\n"
            "  ticket T-9 held by ada and bob\n");
  EXPECT_EQ(r.err.substr(0, r.err.find('\n')), "ticketctl: verify found 2 violations");
  // A 500 that is an error, not a report.
  r = one(inv, 500, R"({"error":{"code":"internal","message":"internal error"}})");
  EXPECT_EQ(r.status, exit_status::api_error);
  EXPECT_EQ(r.err,
            "ticketctl: 500 internal: internal error\n"
            "hint: ticketd failed to answer; its log says why (`journalctl -u ticketd`)\n");
}

TEST(CtlRender, ReloadRestartSettingsAndRefusedFileErrors) {
  const auto inv = make(command::reload);
  auto r = one(inv, 200, R"({"reloaded":true,"needs_restart":[]})");
  EXPECT_EQ(r.out, "reloaded\n");
  r = one(inv, 200, R"({"reloaded":true,"needs_restart":["server.listen","redis"]})");
  EXPECT_EQ(r.status, exit_status::ok);
  EXPECT_EQ(r.out,
            "reloaded\n"
            "changed settings that apply only after a restart: server.listen, redis\n"
            "  restart ticketd to apply them: systemctl restart ticketd\n");
  r = one(
      inv, 400,
      R"({"error":{"code":"invalid_argument","message":"the configuration has errors; the running configuration stays",
      "errors":["/etc/ticketd/ticketd.yaml:3:1: bogus_key: unknown key"]}})");
  EXPECT_EQ(r.status, exit_status::api_error);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "ticketctl: 400 invalid_argument: the configuration has errors; the running "
            "configuration stays\n"
            "  /etc/ticketd/ticketd.yaml:3:1: bogus_key: unknown key\n"
            "hint: fix the file and run `ticketctl reload` again; `ticketd --check-config FILE` "
            "checks a file without touching the daemon\n");
}

TEST(CtlRender, ExplainShowsWhereTheTicketStandsAndWhyEachAgentCannotTakeIt) {
  auto inv = make(command::explain, "T-3");
  inv.limit = 20;
  EXPECT_EQ(requests_for(inv)[0].target, "/v1/tickets/T-3/explain?limit=20");
  const auto r = one(inv, 200, R"({"ticket":"T-3","status":"queued",
      "rank":{"value":1795428000000,"due":"2026-11-23T10:00:00.000Z","target":"first_reply",
              "enqueued_at":"2026-11-23T09:00:00.000Z","wait_weight":0,"rank_offset_s":0},
      "queues":[{"name":"desk","position":2}],
      "requires":[{"skill":"spanish","level":3,"relax_after":600,"in_force":true,
                   "relaxes_at":"2026-11-23T09:10:00.000Z"}],
      "agents":[{"agent":"ada","eligible":false,"reasons":["offline"],"pull_eligible":true,
                 "load":0,"max_concurrent":3,"used":0,"capacity":10},
                {"agent":"bob","eligible":true,"reasons":[],"pull_eligible":true,
                 "load":1,"max_concurrent":3,"used":1,"capacity":10},
                {"agent":"dee","eligible":false,"reasons":["no_room","skill_level"],
                 "pull_eligible":false,"load":0,"max_concurrent":3,"used":0,"capacity":5}],
      "decision":{"at":"2026-11-23T08:30:00.000Z","mode":"push","agent":"bob",
                  "strategy":"least_loaded","score":"50001795420000","candidates":4}})");
  EXPECT_EQ(r.status, exit_status::ok);
  EXPECT_EQ(r.out,
            "ticket         T-3\n"
            "status         queued\n"
            "rank           1795428000000 (first_reply due 2026-11-23T10:00:00.000Z, waiting since "
            "2026-11-23T09:00:00.000Z)\n"
            "waiting in     desk: 2 ahead\n"
            "requires       spanish 3 (until 2026-11-23T09:10:00.000Z)\n"
            "last hand-out  push to bob at 2026-11-23T08:30:00.000Z (least_loaded, score "
            "50001795420000, 4 candidates)\n"
            "\n"
            "AGENT  PUSH  PULL  LOAD         WHY NOT\n"
            "ada    no    yes   0/3, 0/10 u  offline\n"
            "bob    yes   yes   1/3, 1/10 u  -\n"
            "dee    no    no    0/3, 0/5 u   no_room, skill_level\n");
}

TEST(CtlRender, ReloadDryRunSaysWhatWouldChange) {
  auto inv = make(command::reload);
  inv.dry_run = true;
  EXPECT_EQ(requests_for(inv)[0].target, "/v1/admin/reload?dry_run=true");
  const auto r = one(inv, 200, R"({"ok":true,"changes":{"queues":{"added":["extra"],
      "removed":["old"],"changed":[{"name":"billing","keys":["wait_weight","overflow"]}]},
      "waiting_in_removed":{"old":12},"restart_required":["server.listen"],
      "workspaces":{"added":["globex"],"removed":[]}}})");
  EXPECT_EQ(r.status, exit_status::ok);
  EXPECT_EQ(r.out,
            "dry run: nothing was applied\n"
            "queues added        extra\n"
            "queues removed      old (12 waiting)\n"
            "queues changed      billing: wait_weight, overflow\n"
            "needs a restart     server.listen\n"
            "workspaces added    globex\n"
            "workspaces removed  -\n"
            "hint: tickets waiting in a removed queue stay in Redis and are handed out again only "
            "when a queue of that name comes back; transfer them first\n");
}

TEST(CtlRender, WorkspacesAndVerifyAll) {
  auto inv = make(command::workspaces);
  EXPECT_EQ(requests_for(inv)[0].target, "/v1/admin/workspaces");
  auto r = one(inv, 200,
               R"({"workspaces":[{"name":"acme","main":true},{"name":"globex","main":false}]})");
  EXPECT_EQ(r.out, "acme  (main)\nglobex\n");
  inv.workspace = "globex";
  inv.what = command::queues;
  EXPECT_EQ(requests_for(inv)[0].target, "/v1/w/globex/queues");

  inv = make(command::verify);
  inv.all = true;
  const std::vector<request_spec> reqs{requests_for(inv)[0], workspace_verify_request(inv, "acme"),
                                       workspace_verify_request(inv, "globex")};
  EXPECT_EQ(reqs[2].target, "/v1/w/globex/admin/verify");
  const std::vector<http_answer> answers{
      {200, R"({"workspaces":[{"name":"acme","main":true},{"name":"globex","main":false}]})", {}},
      {200, R"({"ok":true,"tickets_checked":1,"agents_checked":0,"violations":[]})", {}},
      {500, R"({"ok":false,"tickets_checked":0,"agents_checked":1,"violations":["agent x"]})", {}}};
  r = render_verify_all(inv, reqs, answers);
  EXPECT_EQ(r.status, exit_status::api_error);
  EXPECT_NE(r.out.find("acme: ok"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("globex: 1 violation"), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "ticketctl: verify found violations in 1 of 2 workspaces\n");

  inv = make(command::purge_workspace, "old");
  EXPECT_EQ(requests_for(inv)[0].method, "DELETE");
  r = one(inv, 200, R"({"workspace":"old","deleted_keys":42})");
  EXPECT_EQ(r.out, "workspace old purged: 42 keys deleted\n");
}

TEST(CtlRender, ErrorHintsNameWhatToDo) {
  const auto err = [](const invocation& inv, int status, std::string_view code,
                      std::string_view msg, std::string retry_after = {}) {
    return one(inv, status,
               R"({"error":{"code":")" + std::string{code} + R"(","message":")" + std::string{msg} +
                   R"("}})",
               std::move(retry_after));
  };
  auto inv = make(command::ticket, "T-9");
  auto r = err(inv, 401, "unauthenticated", "send Authorization: Bearer <token>");
  EXPECT_EQ(r.status, exit_status::api_error);
  EXPECT_EQ(r.err,
            "ticketctl: 401 unauthenticated: send Authorization: Bearer <token>\n"
            "hint: pass a token with --token/--token-file or TICKETD_TOKEN/TICKETD_TOKEN_FILE\n");
  inv.origin = token_origin::env;
  inv.token = "not-a-known-token";
  r = err(inv, 401, "unauthenticated", "the bearer token is not one this server knows");
  EXPECT_EQ(r.err.substr(r.err.find("hint:")),
            "hint: ticketd does not know the token from TICKETD_TOKEN; use one listed in "
            "auth.tokens of ticketd's configuration\n");
  EXPECT_EQ(r.err.find("not-a-known-token"), std::string::npos);

  r = err(make(command::verify), 403, "forbidden", "token 'helpdesk' may not use admin_verify");
  EXPECT_EQ(r.err,
            "ticketctl: 403 forbidden: token 'helpdesk' may not use admin_verify\n"
            "hint: this token's role may not do that; use an admin token\n");

  r = err(make(command::ticket, "T-9"), 404, "not_found", "no ticket 'T-9'");
  EXPECT_EQ(r.err,
            "ticketctl: 404 not_found: no ticket 'T-9'\n"
            "hint: no such ticket; check the id (ids are case-sensitive)\n");
  r = err(make(command::queue, "nope"), 404, "not_found", "no queue 'nope'");
  EXPECT_EQ(r.err.substr(r.err.find("hint:")),
            "hint: no such queue; `ticketctl queues` lists the configured queues\n");
  r = err(make(command::agent, "zed"), 404, "not_found", "no agent 'zed'");
  EXPECT_NE(r.err.find("hint: no such agent;"), std::string::npos);

  r = err(make(command::queues), 404, "not_found", "no such path: /v1/queues");
  EXPECT_EQ(r.err.substr(r.err.find("hint:")),
            "hint: http://127.0.0.1:8080 does not serve GET /v1/queues; check --url or TICKETD_URL "
            "(ticketd's own address; a path only when a proxy adds one) and that ticketctl "
            "matches ticketd's release\n");

  r = err(make(command::queues), 503, "unavailable", "Redis is unavailable; try again shortly",
          "1");
  EXPECT_EQ(
      r.err,
      "ticketctl: 503 unavailable: Redis is unavailable; try again shortly\n"
      "hint: Redis is unreachable from ticketd; check that Redis runs and matches redis.url "
      "in ticketd's configuration (`ticketctl status` shows readiness), then retry after 1 s\n");
}

TEST(CtlRender, AnswerFromSomethingElseIsNotTicketd) {
  auto r = one(make(command::queues), 502, "<html><body>Bad Gateway</body></html>\n");
  EXPECT_EQ(r.status, exit_status::unreachable);
  EXPECT_EQ(r.err,
            "ticketctl: the answer to GET /v1/queues from http://127.0.0.1:8080 is not ticketd's "
            "(HTTP 502, no error code): <html><body>Bad Gateway</body></html>\n"
            "hint: check --url or TICKETD_URL: it must be ticketd's own address (server.listen); a "
            "proxy in front of it may be failing, and ticketctl must match ticketd's release\n");
  r = one(make(command::ticket, "T-1"), 200, "hello");
  EXPECT_EQ(r.status, exit_status::unreachable);
  EXPECT_NE(r.err.find("(HTTP 200, not a JSON object): hello"), std::string::npos);
}

TEST(CtlRender, UnreachableHintsAtTheService) {
  auto inv = make(command::queues);
  inv.timeout = std::chrono::milliseconds(1500);
  const request_spec req{"GET", "/v1/queues"};
  auto r = unreachable(inv, req, failure_kind::connect, "Connection refused");
  EXPECT_EQ(r.status, exit_status::unreachable);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "ticketctl: cannot reach ticketd at http://127.0.0.1:8080: Connection refused\n"
            "hint: is ticketd running and listening at http://127.0.0.1:8080? see `systemctl "
            "status ticketd`; --url or TICKETD_URL sets the address\n");
  r = unreachable(inv, req, failure_kind::resolve, "Host not found (authoritative)");
  EXPECT_EQ(r.status, exit_status::unreachable);
  EXPECT_EQ(r.err,
            "ticketctl: cannot find ticketd's host 127.0.0.1: Host not found (authoritative)\n"
            "hint: check the host name in --url or TICKETD_URL (http://127.0.0.1:8080)\n");
  r = unreachable(inv, req, failure_kind::timeout, "read");
  EXPECT_EQ(
      r.err.substr(0, r.err.find('\n')),
      "ticketctl: ticketd at http://127.0.0.1:8080 did not answer GET /v1/queues within 1500ms");
}

TEST(CtlRender, UsageFailureShowsTheHelp) {
  const auto r = usage_failure("unknown command 'x'");
  EXPECT_EQ(r.status, exit_status::usage);
  EXPECT_EQ(r.err, "ticketctl: unknown command 'x'\n\n" + usage_text());
}

}  // namespace
}  // namespace ticketd::ctl
