// Push routing through the real daemons: agent WebSockets, offers across two daemons, presence
// by connection, the offer timeout racing an accept, the SSE feed and its resume, auth roles.
#include <gtest/gtest.h>

#include <signal.h>

#include <cstdlib>
#include <latch>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/serialize.hpp>

#include "tests/support/daemon_process.hpp"
#include "tests/support/redis_client.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/stream_clients.hpp"
#include "tests/support/text.hpp"

namespace ticketd::testing {
namespace {

namespace json = boost::json;

// The configuration of one test, for a workspace it empties first (tests may run repeatedly):
// call it once per test, before any daemon starts.
std::string fresh_push_config(const std::string& workspace, const std::string& extra = "") {
  redis_client(shared_redis().socket())
      .command({"EVAL",
                "for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end", "0",
                "ticketd:{" + workspace + "}:*"});
  return "workspace: " + workspace +
         "\n"
         "server:\n"
         "  listen: 127.0.0.1:0\n"
         "  threads: 2\n"
         "redis:\n"
         "  url: " +
         shared_redis().url() +
         "\n"
         "agents:\n"
         "  max_concurrent: 2\n" +
         extra +
         "queues:\n"
         "  sales: {mode: push, accept_timeout: 30s, reject_cooldown: 5m}\n"
         "  direct: {mode: push}\n"
         "defaults: {queue: sales, priority: normal}\n";
}

std::string ticket_status(http_client& c, const std::string& id) {
  return json_str(c.get("/v1/tickets/" + id).json(), "status");
}

auto for_ticket(const std::string& id) {
  return [id](const json::object& o) {
    const auto* t = o.if_contains("ticket");
    return t && t->is_string() && t->get_string() == id;
  };
}

TEST(DaemonPush, ATicketCreatedOnOneDaemonIsOfferedToAnAgentConnectedToTheOther) {
  const std::string config = fresh_push_config("two");
  daemon_process a(daemon_options{config, false, {}, {}});
  daemon_process b(daemon_options{config, false, {}, {}});
  auto ca = a.client();
  ASSERT_EQ(ca.put("/v1/agents/ada", R"({"queues":["sales"],"status":"online"})").status, 200);
  ws_client ada(b.port(), "/v1/agents/ada/stream");
  ASSERT_TRUE(ada.ok()) << ada.refused_status();
  ASSERT_TRUE(ada.wait_for("connected").has_value());

  const auto created = ca.post("/v1/tickets", R"({"id":"T-1"})");
  ASSERT_EQ(created.status, 201) << created.body;
  const auto assignment = created.json().as_object().at("assignment");
  EXPECT_EQ(json_str(assignment, "agent"), "ada");
  EXPECT_EQ(json_str(assignment, "status"), "offered");

  auto offer = ada.wait_for("ticket.offered", for_ticket("T-1"));
  ASSERT_TRUE(offer.has_value());
  const std::string token = json_str(*offer, "token");
  EXPECT_EQ(token, json_str(assignment, "token"));
  EXPECT_FALSE(json_str(*offer, "expires").empty());
  EXPECT_FALSE(json_str(*offer, "id").empty());

  ada.send(R"({"action":"accept","ticket":"T-1","token":")" + token + R"("})");
  auto reply = ada.wait_for("reply");
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(json_str(*reply, "status"), "assigned");
  // Its version is the one the ticket has now (a stream's accept is not read back: the function
  // answers it).
  const auto accepted = ca.get("/v1/tickets/T-1").json();
  EXPECT_EQ(json_str(accepted, "status"), "assigned");
  ASSERT_TRUE(reply->as_object().contains("version"));
  EXPECT_EQ(reply->as_object().at("version").to_number<std::int64_t>(),
            accepted.as_object().at("version").to_number<std::int64_t>());
  EXPECT_TRUE(ada.wait_for("ticket.assigned", for_ticket("T-1")).has_value());

  // A bad frame gets an error frame and changes nothing.
  ada.send(R"({"action":"accept","ticket":"T-1","token":"1"})");
  auto refused = ada.wait_for("error");
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(json_str(refused->at("error"), "code"), "invalid_transition");
  // The same error object as the HTTP API's: a sentence and the details.
  EXPECT_FALSE(json_str(refused->at("error"), "message").empty());
  EXPECT_EQ(json_str(refused->at("error"), "status"), "assigned");
  ada.send("not json");
  EXPECT_TRUE(ada.wait_for("error").has_value());
  EXPECT_EQ(ca.get("/v1/admin/verify").status, 200);
}

// Every response carrying a ticket shows it as Redis holds it after the call: a create that
// push routing handed out at once answers the assignment's status, assignee and version.
TEST(DaemonPush, CreateAnswersTheTicketAsPushRoutingLeftIt) {
  daemon_process d(daemon_options{fresh_push_config("truth"), false, {}, {}});
  auto c = d.client();
  ASSERT_EQ(c.put("/v1/agents/ada", R"({"queues":["direct","sales"],"status":"online"})").status,
            200);
  const auto assigned = c.post("/v1/tickets", R"({"id":"T-1","queue":"direct"})");
  ASSERT_EQ(assigned.status, 201) << assigned.body;
  const auto t = assigned.json();
  EXPECT_EQ(json_str(t, "status"), "assigned") << assigned.body;
  EXPECT_EQ(json_str(t, "assignee"), "ada") << assigned.body;
  EXPECT_EQ(json_str(t.at("assignment"), "agent"), "ada");
  const auto stored = c.get("/v1/tickets/T-1").json();
  EXPECT_EQ(t.at("version"), stored.at("version"));
  // The version it answered is the one a following If-Match names.
  const std::string version = std::to_string(t.at("version").as_int64());
  const auto replied =
      c.request("POST", "/v1/tickets/T-1/reply", R"({"agent":"ada"})", {{"If-Match", version}});
  EXPECT_EQ(replied.status, 200) << replied.body;

  const auto offered = c.post("/v1/tickets", R"({"id":"T-2","queue":"sales"})");
  ASSERT_EQ(offered.status, 201) << offered.body;
  EXPECT_EQ(json_str(offered.json(), "status"), "offered") << offered.body;
  EXPECT_EQ(json_str(offered.json(), "assignee"), "ada");
  EXPECT_EQ(offered.json().at("version"), c.get("/v1/tickets/T-2").json().at("version"));
}

// Every event after the handshake's answer reaches the socket: a ticket pushed by another
// daemon right after the 101, before the stream's first frame was read, still arrives.
TEST(DaemonPush, AnAgentStreamGetsWhatHappensRightAfterItsHandshake) {
  const std::string config = fresh_push_config("handshake");
  daemon_process a(daemon_options{config, false, {}, {}});
  daemon_process b(daemon_options{config, false, {}, {}});
  auto ca = a.client();
  ASSERT_EQ(ca.put("/v1/agents/ada", R"({"queues":["direct"],"status":"online"})").status, 200);
  // The daemon's tail parks when the last stream closes, so each round starts it again: the
  // window the old order left open, about one try in three.
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::string id = "T-" + std::to_string(round);
    {
      ws_client ada(b.port(), "/v1/agents/ada/stream");
      ASSERT_TRUE(ada.ok()) << ada.refused_status();
      ASSERT_EQ(ca.post("/v1/tickets", R"({"id":")" + id + R"(","queue":"direct"})").status, 201);
      ASSERT_TRUE(ada.wait_for("ticket.assigned", for_ticket(id), std::chrono::seconds(5)))
          << "the push made right after the handshake never reached the stream";
    }
    ASSERT_EQ(ca.post("/v1/tickets/" + id + "/resolve").status, 200);
  }
}

TEST(DaemonPush, TakingATicketAwayIsSentToItsAgent) {
  daemon_process d(daemon_options{fresh_push_config("away"), false, {}, {}});
  auto c = d.client();
  ASSERT_EQ(c.put("/v1/agents/ada", R"({"queues":["direct"],"status":"online"})").status, 200);
  ws_client ada(d.port(), "/v1/agents/ada/stream");
  ASSERT_TRUE(ada.wait_for("connected").has_value());
  ASSERT_EQ(c.post("/v1/tickets", R"({"id":"T-1","queue":"direct"})").status, 201);
  EXPECT_TRUE(ada.wait_for("ticket.assigned", for_ticket("T-1")).has_value());
  ASSERT_EQ(c.post("/v1/tickets/T-1/transfer", R"({"queue":"sales"})").status, 200);
  auto taken = ada.wait_for("ticket.transferred", for_ticket("T-1"));
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(json_str(*taken, "holder"), "ada");
}

TEST(DaemonPush, PresenceByConnectionDrivesOnlineAndOffline) {
  daemon_process d(
      daemon_options{fresh_push_config("presence", "  presence: connection\n"), false, {}, {}});
  auto c = d.client();
  ASSERT_EQ(c.put("/v1/agents/ada", R"({"queues":["sales"]})").status, 200);
  EXPECT_EQ(json_str(c.get("/v1/agents/ada").json(), "status"), "offline");
  ASSERT_EQ(c.post("/v1/tickets", R"({"id":"T-1"})").status, 201);
  {
    ws_client first(d.port(), "/v1/agents/ada/stream");
    ASSERT_TRUE(first.ok());
    auto offer = first.wait_for("ticket.offered", for_ticket("T-1"));
    ASSERT_TRUE(offer.has_value());
    EXPECT_EQ(json_str(c.get("/v1/agents/ada").json(), "status"), "online");
    {
      // A second stream of the same agent; closing it leaves the agent online.
      ws_client second(d.port(), "/v1/agents/ada/stream");
      ASSERT_TRUE(second.wait_for("connected").has_value());
    }
    ASSERT_TRUE(eventually(
        [&] { return c.get("/v1/agents/ada").json().at("connections").as_int64() == 1; }));
    EXPECT_EQ(json_str(c.get("/v1/agents/ada").json(), "status"), "online");
    EXPECT_EQ(ticket_status(c, "T-1"), "offered");
  }
  // The last stream closed: offline, and the offer went back to the queue.
  ASSERT_TRUE(
      eventually([&] { return json_str(c.get("/v1/agents/ada").json(), "status") == "offline"; }));
  EXPECT_EQ(ticket_status(c, "T-1"), "queued");
  EXPECT_EQ(c.get("/v1/admin/verify").status, 200);
}

TEST(DaemonPush, StoppingTheDaemonClosesAgentStreamsSayingGoingAway) {
  daemon_process d(
      daemon_options{fresh_push_config("stopping", "  presence: connection\n"), false, {}, {}});
  auto c = d.client();
  ASSERT_EQ(c.put("/v1/agents/ada", R"({"queues":["sales"]})").status, 200);
  ws_client ada(d.port(), "/v1/agents/ada/stream");
  ASSERT_TRUE(ada.wait_for("connected").has_value());
  d.signal(SIGTERM);
  ASSERT_TRUE(ada.closed_by_server());
  EXPECT_EQ(ada.close_code(), 1001);  // going away: the desktop reconnects, to another daemon
  EXPECT_EQ(d.wait_exit(), 0);
}

TEST(DaemonPush, UnknownAgentsAndPlainRequestsAreRefusedAStream) {
  daemon_process d(daemon_options{fresh_push_config("refuse"), false, {}, {}});
  ws_client ghost(d.port(), "/v1/agents/ghost/stream");
  EXPECT_FALSE(ghost.ok());
  EXPECT_EQ(ghost.refused_status(), 404);
  auto c = d.client();
  ASSERT_EQ(c.put("/v1/agents/ada", R"({"queues":["sales"]})").status, 200);
  const auto plain = c.get("/v1/agents/ada/stream");
  EXPECT_EQ(plain.status, 426);
  EXPECT_EQ(plain.error_code(), "invalid_argument");
}

TEST(DaemonPush, TheOfferTimeoutRacingAnAcceptHasExactlyOneWinner) {
  daemon_options opts{fresh_push_config("race"), true, "2026-11-23T09:00:00Z", {}};
  daemon_process d(opts);
  auto c = d.client();
  ASSERT_EQ(c.put("/v1/agents/ada", R"({"queues":["sales"],"status":"online","max_concurrent":1})")
                .status,
            200);
  int accepted = 0, timed_out = 0;
  for (int round = 0; round < 60; ++round) {
    const std::string id = "R-" + std::to_string(round);
    ASSERT_EQ(c.post("/v1/agents/ada/status", R"({"status":"online"})").status, 200);
    const auto created = c.post("/v1/tickets", R"({"id":")" + id + R"("})");
    ASSERT_EQ(created.status, 201) << created.body;
    const auto body = created.json();
    const auto& obj = body.as_object();
    ASSERT_TRUE(obj.contains("assignment")) << created.body;
    const std::string token = json_str(obj.at("assignment"), "token");
    // Both requests leave together, each on a connection made beforehand.
    auto own = d.client();
    std::latch go(2);
    int accept_status = 0;
    std::thread accepter([&] {
      go.arrive_and_wait();
      accept_status =
          own.post("/v1/tickets/" + id + "/accept", R"({"agent":"ada","token":")" + token + R"("})")
              .status;
    });
    go.arrive_and_wait();
    const auto moved = c.post("/v1/admin/clock", R"({"advance":"30s"})");
    accepter.join();
    ASSERT_EQ(moved.status, 200);
    const auto status = ticket_status(c, id);
    if (accept_status == 200) {
      ++accepted;
      EXPECT_EQ(status, "assigned") << id;
    } else {
      ++timed_out;
      EXPECT_EQ(accept_status, 409) << id;
      EXPECT_EQ(status, "queued") << id;  // ada cools down for it: nobody else may take it
    }
    ASSERT_EQ(c.post("/v1/tickets/" + id + "/close").status, 200);
  }
  // Which side won each round is up to the scheduler; both counts are shown with the result.
  ::testing::Test::RecordProperty("accepted", accepted);
  ::testing::Test::RecordProperty("timed_out", timed_out);
  EXPECT_EQ(c.get("/v1/agents/ada").json().at("load").as_int64(), 0);
  EXPECT_EQ(c.get("/v1/admin/verify").status, 200);
}

// Calls of one command so far (INFO commandstats of the shared Redis).
long long command_calls(redis_client& redis, const std::string& command) {
  const std::string stats = redis.command({"INFO", "commandstats"}).str;
  const auto at = stats.find("cmdstat_" + command + ":calls=");
  if (at == std::string::npos) return 0;
  return std::stoll(stats.substr(at + command.size() + 15));
}

// A daemon's event tail is blocked in XREAD (its client, named ticketd-events, has flag b).
bool tail_blocked(redis_client& redis) {
  std::istringstream clients(redis.command({"CLIENT", "LIST"}).str);
  for (std::string line; std::getline(clients, line);) {
    const auto flags = line.find(" flags=");
    if (line.find(" name=ticketd-events ") == std::string::npos || flags == std::string::npos) {
      continue;
    }
    const auto value = line.substr(flags + 7, line.find(' ', flags + 1) - flags - 7);
    if (value.find('b') != std::string::npos) return true;
  }
  return false;
}

TEST(DaemonPush, TheEventStreamIsReadOnlyWhileAnAgentStreamOrFeedIsOpenHere) {
  daemon_process d(daemon_options{fresh_push_config("idle"), false, {}, {}});
  auto c = d.client();
  redis_client redis(shared_redis().socket());
  const auto before = command_calls(redis, "xread");
  ASSERT_EQ(c.put("/v1/agents/ada", R"({"queues":["direct"],"status":"online"})").status, 200);
  ASSERT_EQ(c.post("/v1/tickets", R"({"id":"T-1","queue":"direct"})").status, 201);
  EXPECT_EQ(command_calls(redis, "xread"), before) << "nobody listens, yet the stream was read";
  {
    ws_client ada(d.port(), "/v1/agents/ada/stream");
    ASSERT_TRUE(ada.wait_for("connected").has_value());
    // The tail starts at the newest event: what came before is not replayed, what comes after
    // arrives.
    ASSERT_EQ(c.post("/v1/tickets", R"({"id":"T-2","queue":"direct"})").status, 201);
    auto assigned = ada.wait_for("ticket.assigned");
    ASSERT_TRUE(assigned.has_value());
    EXPECT_EQ(json_str(*assigned, "ticket"), "T-2");
    EXPECT_GT(command_calls(redis, "xread"), before);
  }
  // The stream closed here: the tail ends the read under way (an event ends it) and parks.
  ASSERT_TRUE(eventually(
      [&] { return metric_value(c.get("/metrics").body, "ticketd_agent_connections") == 0; }));
  ASSERT_EQ(c.post("/v1/tickets", R"({"id":"T-3","queue":"direct"})").status, 201);
  ASSERT_TRUE(eventually([&] { return !tail_blocked(redis); }));
  const auto parked = command_calls(redis, "xread");
  for (int i = 4; i < 7; ++i) {
    ASSERT_EQ(
        c.post("/v1/tickets", R"({"id":"T-)" + std::to_string(i) + R"(","queue":"direct"})").status,
        201);
  }
  EXPECT_EQ(command_calls(redis, "xread"), parked);
  EXPECT_FALSE(tail_blocked(redis));

  // An event feed wakes it too, and gets what follows.
  sse_client feed(d.port(), "/v1/events");
  ASSERT_EQ(feed.status(), 200);
  ASSERT_TRUE(eventually([&] { return tail_blocked(redis); }));
  ASSERT_EQ(c.post("/v1/tickets", R"({"id":"T-7","queue":"direct"})").status, 201);
  auto queued = feed.next();
  ASSERT_TRUE(queued.has_value());
  EXPECT_EQ(json_str(queued->data, "ticket"), "T-7");
}

TEST(DaemonPush, TheEventFeedResumesWithoutLossOrDuplicates) {
  daemon_process d(daemon_options{fresh_push_config("feed"), false, {}, {}});
  auto c = d.client();
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(c.post("/v1/tickets", R"({"id":"F-)" + std::to_string(i) + R"("})").status, 201);
  }
  std::vector<std::string> ids;
  {
    sse_client all(d.port(), "/v1/events?after=0");
    ASSERT_EQ(all.status(), 200);
    for (int i = 0; i < 5; ++i) {
      auto e = all.next();
      ASSERT_TRUE(e.has_value()) << i;
      EXPECT_EQ(e->type, "ticket.queued");
      EXPECT_EQ(json_str(e->data, "ticket"), "F-" + std::to_string(i));
      EXPECT_FALSE(json_str(e->data, "at").empty());
      EXPECT_FALSE(e->data.as_object().contains("request"));  // the body was only the id
      ids.push_back(e->id);
    }
    // Live: an event written after the feed caught up arrives too, with the create body but
    // its id (for a replay) as an object.
    ASSERT_EQ(
        c.post("/v1/tickets", R"({"id": "F-5", "channel": "chat", "attributes": {"vip": true}})")
            .status,
        201);
    auto live = all.next();
    ASSERT_TRUE(live.has_value());
    EXPECT_EQ(json_str(live->data, "ticket"), "F-5");
    EXPECT_EQ(json::serialize(live->data.as_object().at("request")),
              R"({"channel":"chat","attributes":{"vip":true}})");
    ids.push_back(live->id);
  }
  // Resume after the third: the fourth comes next, then the rest, nothing twice.
  sse_client resumed(d.port(), "/v1/events", {{"Last-Event-ID", ids[2]}});
  ASSERT_EQ(resumed.status(), 200);
  for (std::size_t i = 3; i < ids.size(); ++i) {
    auto e = resumed.next();
    ASSERT_TRUE(e.has_value()) << i;
    EXPECT_EQ(e->id, ids[i]);
  }
  ASSERT_EQ(c.post("/v1/tickets", R"({"id":"F-6"})").status, 201);
  auto after = resumed.next();
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(json_str(after->data, "ticket"), "F-6");
  // follow=false: what is held, then the answer ends (an export reads it whole).
  {
    sse_client held(d.port(), "/v1/events?after=" + ids[4] + "&follow=false");
    ASSERT_EQ(held.status(), 200);
    for (const char* ticket : {"F-5", "F-6"}) {
      auto e = held.next();
      ASSERT_TRUE(e.has_value()) << ticket;
      EXPECT_EQ(json_str(e->data, "ticket"), ticket);
    }
    // Nothing more: the server ends the response (a timeout here would return false).
    EXPECT_TRUE(held.ended_by_server(std::chrono::seconds(30)));
  }
  EXPECT_EQ(c.get("/v1/events?follow=maybe").status, 400);
  // Without a position the feed starts at the newest event.
  sse_client fresh(d.port(), "/v1/events");
  ASSERT_EQ(c.post("/v1/tickets", R"({"id":"F-7"})").status, 201);
  auto first = fresh.next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(json_str(first->data, "ticket"), "F-7");
  // A position that is not an event id is refused.
  EXPECT_EQ(c.get("/v1/events?after=yesterday").status, 400);
}

class DaemonAuth : public ::testing::Test {
 protected:
  static std::string auth_config() {
    return fresh_push_config("auth") +
           "auth:\n"
           "  tokens:\n"
           "    - {name: helpdesk, role: backend, token_env: T_BACKEND}\n"
           "    - {name: ops, role: admin, token_env: T_ADMIN}\n"
           "    - {name: ada, role: agent, agent: ada, token_env: T_ADA}\n"
           "    - {name: bob, role: agent, agent: bob, token_env: T_BOB}\n";
  }
  void SetUp() override {
    daemon_ = std::make_unique<daemon_process>(
        daemon_options{auth_config(),
                       false,
                       {},
                       {"T_BACKEND=backend-secret-0123456789", "T_ADMIN=admin-secret-0123456789",
                        "T_ADA=agent-secret-ada-0123456789", "T_BOB=agent-secret-bob-0123456789"}});
  }
  http_reply call(const std::string& method, const std::string& target, const std::string& token,
                  const std::string& body = {}, const std::string& idempotency_key = {}) {
    auto c = daemon_->client();
    std::vector<std::pair<std::string, std::string>> headers;
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    if (!idempotency_key.empty()) headers.emplace_back("Idempotency-Key", idempotency_key);
    return c.request(method, target, body, headers);
  }
  std::unique_ptr<daemon_process> daemon_;
  const std::string backend = "backend-secret-0123456789";
  const std::string admin = "admin-secret-0123456789";
  const std::string ada = "agent-secret-ada-0123456789";
  const std::string bob = "agent-secret-bob-0123456789";
};

TEST_F(DaemonAuth, RolesAreEnforcedAsApiMdSays) {
  // No token, a wrong token: 401.
  auto none = call("GET", "/v1/queues", "");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.error_code(), "unauthenticated");
  EXPECT_EQ(none.header("www-authenticate"), "Bearer");
  EXPECT_EQ(call("GET", "/v1/queues", "backend-secret-012345678X").status, 401);
  EXPECT_EQ(call("GET", "/v1/queues", backend + "0").status, 401);
  // Operations stay open.
  EXPECT_EQ(call("GET", "/healthz", "").status, 200);
  EXPECT_EQ(call("GET", "/metrics", "").status, 200);
  // The backend: tickets, agents, queues; not admin.
  EXPECT_EQ(
      call("PUT", "/v1/agents/ada", backend, R"({"queues":["direct"],"status":"online"})").status,
      200);
  EXPECT_EQ(call("PUT", "/v1/agents/bob", backend, R"({"queues":["sales"]})").status, 200);
  EXPECT_EQ(call("POST", "/v1/tickets", backend, R"({"id":"A-1","queue":"direct"})").status, 201);
  EXPECT_EQ(call("POST", "/v1/tickets", backend, R"({"id":"A-2","queue":"sales"})").status, 201);
  auto denied = call("GET", "/v1/admin/verify", backend);
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(denied.error_code(), "forbidden");
  EXPECT_EQ(call("GET", "/v1/admin/verify", admin).status, 200);
  // The agent: its own things only.
  EXPECT_EQ(call("GET", "/v1/tickets/A-1", ada).status, 200);  // it holds A-1
  EXPECT_EQ(call("GET", "/v1/tickets/A-2", ada).status, 403);  // it does not hold A-2
  EXPECT_EQ(call("POST", "/v1/agents/bob/next", ada).status, 403);
  EXPECT_EQ(call("POST", "/v1/agents/ada/status", ada, R"({"status":"away"})").status, 200);
  EXPECT_EQ(call("POST", "/v1/tickets/A-1/reply", ada, R"({"agent":"bob"})").status, 403);
  EXPECT_EQ(call("POST", "/v1/tickets/A-1/reply", ada, "{}").status, 200);
  EXPECT_EQ(call("POST", "/v1/tickets/A-1/resolve", ada, "{}").status, 403);
  EXPECT_EQ(call("POST", "/v1/tickets", ada, R"({"id":"A-3"})").status, 403);
  EXPECT_EQ(call("GET", "/v1/events?after=0", ada).status, 403);
  // Offers: a backend names the agent; the agent's own token answers as itself.
  ASSERT_EQ(
      call("PUT", "/v1/agents/ada", backend, R"({"queues":["direct","sales"],"status":"online"})")
          .status,
      200);
  ASSERT_EQ(json_str(call("GET", "/v1/tickets/A-2", backend).json(), "status"), "offered");
  auto unnamed = call("POST", "/v1/tickets/A-2/accept", backend, "{}");
  EXPECT_EQ(unnamed.status, 400) << unnamed.body;
  EXPECT_EQ(json_str(unnamed.json().at("error"), "field"), "agent");
  auto accepted = call("POST", "/v1/tickets/A-2/accept", ada, "{}");
  EXPECT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_EQ(json_str(accepted.json(), "status"), "assigned");
  // Streams: the agent's own, with its token.
  ws_client other(daemon_->port(), "/v1/agents/bob/stream", {{"Authorization", "Bearer " + ada}});
  EXPECT_FALSE(other.ok());
  EXPECT_EQ(other.refused_status(), 403);
  ws_client anonymous(daemon_->port(), "/v1/agents/ada/stream");
  EXPECT_EQ(anonymous.refused_status(), 401);
  ws_client own(daemon_->port(), "/v1/agents/ada/stream", {{"Authorization", "Bearer " + ada}});
  EXPECT_TRUE(own.ok());
  // Tokens never reach the log.
  for (const auto& secret : {backend, admin, ada, bob}) {
    EXPECT_EQ(daemon_->log().find(secret), std::string::npos);
  }
}

// Stream tokens (API.md "Stream tokens"): a browser cannot set Authorization on a WebSocket or
// an EventSource, so it asks for a single-use token and passes it in the URL.
TEST_F(DaemonAuth, AStreamTokenOpensOneStreamFromAUrlInPlaceOfAuthorization) {
  const auto port = daemon_->port();
  const auto token_of = [](const http_reply& r) { return json_str(r.json(), "token"); };
  ASSERT_EQ(call("PUT", "/v1/agents/ada", backend, R"({"queues":["direct"]})").status, 200);
  // The agent asks for its own stream's; a backend for any agent's; no one for another's.
  const auto mine = call("POST", "/v1/agents/ada/stream-token", ada);
  ASSERT_EQ(mine.status, 200) << mine.body;
  EXPECT_EQ(mine.json().at("expires_in").as_int64(), 60);
  EXPECT_EQ(mine.header("cache-control"), "no-store");
  EXPECT_EQ(call("POST", "/v1/agents/bob/stream-token", ada).status, 403);
  EXPECT_EQ(call("POST", "/v1/agents/ada/stream-token", "").status, 401);
  {
    ws_client first(port, "/v1/agents/ada/stream?access_token=" + token_of(mine));
    EXPECT_TRUE(first.ok());
    ws_client again(port, "/v1/agents/ada/stream?access_token=" + token_of(mine));
    EXPECT_EQ(again.refused_status(), 401);
  }
  const auto for_ada = call("POST", "/v1/agents/ada/stream-token", backend);
  ASSERT_EQ(for_ada.status, 200) << for_ada.body;
  ws_client elsewhere(port, "/v1/agents/bob/stream?access_token=" + token_of(for_ada));
  EXPECT_EQ(elsewhere.refused_status(), 403);
  sse_client not_the_feed(port, "/v1/events?access_token=" + token_of(for_ada));
  EXPECT_EQ(not_the_feed.status(), 401);  // spent by the refused upgrade above

  // The event feed: a backend or admin asks with scope events; an agent may not.
  const auto feed = call("POST", "/v1/stream-token", backend, R"({"scope":"events"})");
  ASSERT_EQ(feed.status, 200) << feed.body;
  EXPECT_EQ(call("POST", "/v1/stream-token", ada, R"({"scope":"events"})").status, 403);
  const auto no_scope = call("POST", "/v1/stream-token", admin, R"({"scope":"tickets"})");
  EXPECT_EQ(no_scope.status, 400);
  EXPECT_EQ(no_scope.error_field(), "scope");
  {
    sse_client events(port, "/v1/events?access_token=" + token_of(feed));
    EXPECT_EQ(events.status(), 200);
    sse_client again(port, "/v1/events?access_token=" + token_of(feed));
    EXPECT_EQ(again.status(), 401);
  }
  const auto agents_token = call("POST", "/v1/agents/ada/stream-token", ada);
  sse_client agent_on_feed(port, "/v1/events?access_token=" + token_of(agents_token));
  EXPECT_EQ(agent_on_feed.status(), 403);

  // A long-lived token is never taken from a URL; a stream token opens nothing but streams.
  ws_client leaked(port, "/v1/agents/ada/stream?access_token=" + ada);
  EXPECT_EQ(leaked.refused_status(), 401);
  sse_client leaked_feed(port, "/v1/events?access_token=" + backend);
  EXPECT_EQ(leaked_feed.status(), 401);
  EXPECT_NE(leaked_feed.error_body().find("never accepted in a URL"), std::string::npos);
  EXPECT_TRUE(eventually([&] {
    return daemon_->log().find("a configured token was sent in a URL") != std::string::npos;
  })) << daemon_->log();
  const auto spare = call("POST", "/v1/stream-token", backend, R"({"scope":"events"})");
  EXPECT_EQ(call("GET", "/v1/queues?access_token=" + token_of(spare), "").status, 401);
  sse_client spare_feed(port, "/v1/events?access_token=" + token_of(spare));
  EXPECT_EQ(spare_feed.status(), 200);  // the refused call above did not spend it

  // An Idempotency-Key never replays a token: each answer is a new one.
  const auto first = call("POST", "/v1/agents/ada/stream-token", ada, "", "token-1");
  const auto second = call("POST", "/v1/agents/ada/stream-token", ada, "", "token-1");
  ASSERT_EQ(first.status, 200);
  ASSERT_EQ(second.status, 200);
  EXPECT_NE(token_of(first), token_of(second));
  EXPECT_EQ(second.header("idempotent-replayed"), "");
}

// However many clients present one stream token at once, one stream opens.
TEST_F(DaemonAuth, OneStreamTokenOpensOneStreamWhateverTheRace) {
  ASSERT_EQ(call("PUT", "/v1/agents/ada", backend, R"({"queues":["direct"]})").status, 200);
  const auto token = json_str(call("POST", "/v1/agents/ada/stream-token", ada).json(), "token");
  ASSERT_FALSE(token.empty());
  constexpr int racers = 8;
  std::vector<std::unique_ptr<ws_client>> clients(racers);
  std::vector<std::thread> threads;
  for (int i = 0; i < racers; ++i) {
    threads.emplace_back([&, i] {
      clients[i] = std::make_unique<ws_client>(daemon_->port(),
                                               "/v1/agents/ada/stream?access_token=" + token);
    });
  }
  for (auto& t : threads) t.join();
  int opened = 0;
  for (const auto& c : clients) {
    if (c->ok()) {
      ++opened;
    } else {
      EXPECT_EQ(c->refused_status(), 401);
    }
  }
  EXPECT_EQ(opened, 1);
}

// A browser's preflight needs no token (browsers send none with it), and a page elsewhere cannot
// spend a stream token: its upgrade is refused before the token is looked at.
TEST_F(DaemonAuth, APreflightNeedsNoTokenAndAForeignPageCannotSpendAStreamToken) {
  const std::string desk = "https://desk.example.com";
  EXPECT_EQ(daemon_->terminate(), 0);
  daemon_ = std::make_unique<daemon_process>(
      daemon_options{replaced(auth_config(), "  threads: 2\n",
                              "  threads: 2\n  cors: {allowed_origins: [\"" + desk + "\"]}\n"),
                     false,
                     {},
                     {"T_BACKEND=backend-secret-0123456789", "T_ADMIN=admin-secret-0123456789",
                      "T_ADA=agent-secret-ada-0123456789", "T_BOB=agent-secret-bob-0123456789"}});
  auto c = daemon_->client();
  const auto pre = c.request("OPTIONS", "/v1/agents/ada/stream-token", {},
                             {{"Origin", desk}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(pre.status, 204) << pre.body;
  EXPECT_EQ(pre.header("access-control-allow-origin"), desk);
  ASSERT_EQ(call("PUT", "/v1/agents/ada", backend, R"({"queues":["direct"]})").status, 200);
  const auto token = json_str(call("POST", "/v1/agents/ada/stream-token", ada).json(), "token");
  const auto target = "/v1/agents/ada/stream?access_token=" + token;
  ws_client foreign(daemon_->port(), target, {{"Origin", "https://elsewhere.example"}});
  EXPECT_EQ(foreign.refused_status(), 403);
  ws_client from_desk(daemon_->port(), target, {{"Origin", desk}});
  EXPECT_TRUE(from_desk.ok());
}

// A stream token lives a minute on ticketd's clock, and the access log never shows one.
TEST_F(DaemonAuth, AStreamTokenExpiresAfterAMinuteAndTheLogNeverShowsIt) {
  EXPECT_EQ(daemon_->terminate(), 0);
  daemon_ = std::make_unique<daemon_process>(daemon_options{
      replaced(auth_config(), "  threads: 2\n", "  threads: 2\n  access_log: true\n"),
      true,
      "2026-12-07T10:00:00Z",
      {"T_BACKEND=backend-secret-0123456789", "T_ADMIN=admin-secret-0123456789",
       "T_ADA=agent-secret-ada-0123456789", "T_BOB=agent-secret-bob-0123456789"}});
  ASSERT_EQ(call("PUT", "/v1/agents/ada", backend, R"({"queues":["direct"]})").status, 200);
  const auto late = json_str(call("POST", "/v1/agents/ada/stream-token", ada).json(), "token");
  const auto on_time = json_str(call("POST", "/v1/agents/ada/stream-token", ada).json(), "token");
  const auto feed_late =
      json_str(call("POST", "/v1/stream-token", backend, R"({"scope":"events"})").json(), "token");
  ASSERT_EQ(call("POST", "/v1/admin/clock", admin, R"({"advance":"59s"})").status, 200);
  ws_client in_time(daemon_->port(), "/v1/agents/ada/stream?access_token=" + on_time);
  EXPECT_TRUE(in_time.ok());
  ASSERT_EQ(call("POST", "/v1/admin/clock", admin, R"({"advance":"1s"})").status, 200);
  ws_client too_late(daemon_->port(), "/v1/agents/ada/stream?access_token=" + late);
  EXPECT_EQ(too_late.refused_status(), 401);
  sse_client feed_too_late(daemon_->port(), "/v1/events?access_token=" + feed_late);
  EXPECT_EQ(feed_too_late.status(), 401);
  EXPECT_NE(feed_too_late.error_body().find("expired"), std::string::npos);
  EXPECT_TRUE(eventually([&] {
    return daemon_->log().find("GET /v1/agents/ada/stream?access_token=*** 401") !=
           std::string::npos;
  })) << daemon_->log();
  for (const auto& secret : {late, on_time}) {
    EXPECT_EQ(daemon_->log().find(secret), std::string::npos) << daemon_->log();
  }
}

// An Idempotency-Key belongs to the caller: the same request from another token is another
// request (an agent token's request means its agent), never a replay of the first one's answer.
TEST_F(DaemonAuth, AnIdempotencyKeyIsKeptForTheTokenThatSentIt) {
  ASSERT_EQ(
      call("PUT", "/v1/agents/ada", backend, R"({"queues":["direct"],"status":"online"})").status,
      200);
  const std::string away = R"({"status":"away"})";
  auto first = call("POST", "/v1/agents/ada/status", backend, away, "status-1");
  ASSERT_EQ(first.status, 200) << first.body;
  auto again = call("POST", "/v1/agents/ada/status", backend, away, "status-1");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.header("idempotent-replayed"), "true");
  auto other = call("POST", "/v1/agents/ada/status", ada, away, "status-1");
  EXPECT_EQ(other.status, 422) << other.body;
  EXPECT_EQ(other.error_code(), "idempotency_conflict");
  EXPECT_EQ(other.header("idempotent-replayed"), "");
  // Two agents sending the same action: the agent comes from the token, so bob's request is
  // not ada's, and bob never gets the answer kept for her.
  ASSERT_EQ(call("POST", "/v1/tickets", backend, R"({"id":"K-1","queue":"direct"})").status, 201);
  ASSERT_EQ(call("POST", "/v1/agents/ada/status", backend, R"({"status":"online"})").status, 200);
  ASSERT_EQ(json_str(call("GET", "/v1/tickets/K-1", backend).json(), "assignee"), "ada");
  auto replied = call("POST", "/v1/tickets/K-1/reply", ada, "{}", "reply-1");
  ASSERT_EQ(replied.status, 200) << replied.body;
  auto by_bob = call("POST", "/v1/tickets/K-1/reply", bob, "{}", "reply-1");
  EXPECT_EQ(by_bob.status, 422) << by_bob.body;
  EXPECT_EQ(by_bob.header("idempotent-replayed"), "");
}

TEST(DaemonPush, ChannelsCapacityPresenceAndWrapUpThroughTheApi) {
  const std::string config =
      fresh_push_config("units",
                        "  capacity: 10\nchannels:\n  email: {cost: 1}\n"
                        "  phone: {cost: 10, wrap_up: 1m, max_per_agent: 1}\n");
  daemon_process d(daemon_options{config, false, {}, {}});
  auto c = d.client();
  auto put = c.put("/v1/agents/ada", R"({"queues":["direct"],"status":"online","capacity":12,
      "channels":{"phone":"away","email":"online"}})");
  ASSERT_EQ(put.status, 200) << put.body;
  auto agent = put.json().as_object();
  EXPECT_EQ(agent.at("capacity").as_int64(), 12);
  EXPECT_EQ(agent.at("used").as_int64(), 0);
  EXPECT_EQ(json_str(agent.at("channels"), "phone"), "away");
  EXPECT_EQ(json_str(agent.at("channels"), "email"), "online");
  EXPECT_TRUE(agent.at("wrap_up_until").is_null());
  EXPECT_EQ(agent.at("missed_offers").as_int64(), 0);
  // Unknown channels are refused and change nothing.
  auto bad = c.put("/v1/agents/ada", R"({"queues":["direct"],"channels":{"fax":"away"}})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.error_field(), "channels");
  EXPECT_EQ(c.post("/v1/agents/ada/status", R"({"status":"away","channel":"fax"})").error_field(),
            "channel");
  EXPECT_EQ(json_str(c.get("/v1/agents/ada").json().at("channels"), "phone"), "away");

  // A call waits while phone is away for the only agent, and comes the moment it is online.
  ASSERT_EQ(c.post("/v1/tickets", R"({"id":"T-1","queue":"direct","channel":"phone"})").status,
            201);
  EXPECT_EQ(ticket_status(c, "T-1"), "queued");
  auto online = c.post("/v1/agents/ada/status", R"({"status":"online","channel":"phone"})");
  ASSERT_EQ(online.status, 200) << online.body;
  EXPECT_EQ(json_str(online.json().at("channels"), "phone"), "online");
  EXPECT_EQ(ticket_status(c, "T-1"), "assigned");
  EXPECT_EQ(c.get("/v1/agents/ada").json().at("used").as_int64(), 10);

  // Resolved: the call's minute of wrap-up keeps its units; ready ends it.
  ASSERT_EQ(c.post("/v1/tickets/T-1/resolve").status, 200);
  agent = c.get("/v1/agents/ada").json().as_object();
  EXPECT_EQ(agent.at("used").as_int64(), 10);
  EXPECT_EQ(agent.at("load").as_int64(), 0);
  EXPECT_FALSE(agent.at("wrap_up_until").is_null());
  const auto metrics = c.get("/metrics").body;
  EXPECT_NE(metrics.find(
                R"(ticketd_channel_agents{channel="phone",status="online",workspace="units"} 1)"),
            std::string::npos);
  EXPECT_NE(
      metrics.find(R"(ticketd_queue_capacity_units_used{queue="direct",workspace="units"} 10)"),
      std::string::npos);
  EXPECT_NE(metrics.find(R"(ticketd_wrap_ups{channel="phone",workspace="units"} 1)"),
            std::string::npos);
  auto ready = c.post("/v1/agents/ada/ready");
  ASSERT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(ready.json().at("used").as_int64(), 0);
  EXPECT_TRUE(ready.json().at("wrap_up_until").is_null());
  EXPECT_EQ(c.post("/v1/agents/nobody/ready").status, 404);
  auto verify = c.get("/v1/admin/verify");
  EXPECT_TRUE(verify.json().at("ok").as_bool()) << verify.body;
  EXPECT_EQ(d.terminate(), 0);
}

}  // namespace
}  // namespace ticketd::testing
