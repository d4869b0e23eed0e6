// The real ticketd binary over HTTP, as a helpdesk backend drives it: lifecycle, every error
// code of API.md that applies, Redis failures, the manual clock, reload, shutdown.
#include <gtest/gtest.h>

#include <signal.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include <boost/json/serialize.hpp>

#include "tests/support/daemon_process.hpp"
#include "tests/support/redis_client.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/stream_clients.hpp"
#include "tests/support/text.hpp"

namespace ticketd::testing {
namespace {

namespace json = boost::json;

std::string config_for(const std::string& redis_url, const std::string& extra = "") {
  return "workspace: http\n"
         "server:\n"
         "  listen: 127.0.0.1:0\n"
         "  threads: 2\n"
         "  body_limit: 4KiB\n"
         "redis:\n"
         "  url: " +
         redis_url +
         "\n"
         "  timeout: 500ms\n"
         "agents:\n"
         "  max_concurrent: 2\n"
         "queues:\n"
         "  general: {mode: pull}\n"
         "  billing: {mode: pull, escalate_to: general}\n"
         "lifecycle:\n"
         "  affinity_wait: 1h\n"
         "routing:\n"
         "  - when: {channel: phone}\n"
         "    priority: urgent\n"
         "defaults: {queue: general, priority: normal}\n" +
         extra;
}

class DaemonHttp : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_client(shared_redis().socket()).command({"FLUSHALL"});
    daemon_ = std::make_unique<daemon_process>(
        daemon_options{config_for(shared_redis().url()), manual_clock_, clock_start_, {}});
    client_ = std::make_unique<http_client>(daemon_->port());
    ASSERT_TRUE(eventually([&] { return client_->get("/readyz").status == 200; }));
  }

  void TearDown() override {
    if (daemon_ && daemon_->running()) {
      EXPECT_EQ(daemon_->terminate(), 0) << daemon_->log();
    }
  }

  http_reply create(const std::string& body) { return client_->post("/v1/tickets", body); }
  http_reply act(const std::string& id, const std::string& action, const std::string& body = "{}") {
    return client_->post("/v1/tickets/" + id + "/" + action, body);
  }
  void agent(const std::string& id, int max = 2, const std::string& status = "online") {
    auto r = client_->put("/v1/agents/" + id,
                          R"({"name":")" + id + R"(","queues":["general"],"max_concurrent":)" +
                              std::to_string(max) + R"(,"status":")" + status + R"("})");
    ASSERT_EQ(r.status, 200) << r.body;
  }

  bool manual_clock_ = false;
  std::string clock_start_;
  std::unique_ptr<daemon_process> daemon_;
  std::unique_ptr<http_client> client_;
};

TEST_F(DaemonHttp, HelpdeskDrivesATicketFromNewToResolved) {
  agent("ada");
  auto created = create(
      R"({"id":"T-1001","channel":"phone","skills":["spanish"],"attributes":{"brand":"acme","tier":2}})");
  ASSERT_EQ(created.status, 201) << created.body;
  auto t = created.json();
  EXPECT_EQ(json_str(t, "status"), "queued");
  EXPECT_EQ(json_str(t, "priority"), "urgent");
  EXPECT_EQ(json_str(t, "queue"), "general");
  EXPECT_EQ(t.at("attributes").at("tier").as_int64(), 2);
  EXPECT_EQ(t.at("version").as_int64(), 1);
  EXPECT_TRUE(t.at("rank").is_int64());
  EXPECT_FALSE(json_str(t.at("sla"), "first_reply_due").empty());

  auto again = create(
      R"({"id":"T-1001","channel":"phone","attributes":{"tier":2,"brand":"acme"},"skills":["spanish"]})");
  EXPECT_EQ(again.status, 200) << again.body;

  auto next = client_->post("/v1/agents/ada/next");
  ASSERT_EQ(next.status, 200) << next.body;
  EXPECT_EQ(json_str(next.json().at("ticket"), "assignee"), "ada");

  auto got = client_->get("/v1/agents/ada");
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.json().at("load").as_int64(), 1);
  EXPECT_EQ(json::serialize(got.json().at("tickets")), R"(["T-1001"])");

  auto replied = act("T-1001", "reply", R"({"agent":"ada"})");
  ASSERT_EQ(replied.status, 200) << replied.body;
  EXPECT_EQ(json_str(replied.json(), "status"), "pending");
  auto back = act("T-1001", "customer-reply");
  ASSERT_EQ(back.status, 200) << back.body;
  EXPECT_EQ(json_str(back.json(), "status"), "assigned");
  const auto version = back.json().at("version").as_int64();
  auto resolved = client_->request("POST", "/v1/tickets/T-1001/resolve", R"({"reason":"agent"})",
                                   {{"If-Match", "\"" + std::to_string(version) + "\""}});
  ASSERT_EQ(resolved.status, 200) << resolved.body;
  EXPECT_EQ(json_str(resolved.json(), "status"), "resolved");
  EXPECT_EQ(json_str(resolved.json(), "resolution_reason"), "agent");
  auto reopened = act("T-1001", "reopen");
  ASSERT_EQ(reopened.status, 200) << reopened.body;
  EXPECT_EQ(reopened.json().at("reopens").as_int64(), 1);
  auto closed = act("T-1001", "close");
  ASSERT_EQ(closed.status, 200) << closed.body;
  EXPECT_EQ(json_str(closed.json(), "status"), "closed");

  auto verify = client_->get("/v1/admin/verify");
  EXPECT_EQ(verify.status, 200) << verify.body;
  EXPECT_TRUE(verify.json().at("ok").as_bool());
}

TEST_F(DaemonHttp, BadInputGetsTheApiErrorAndChangesNothing) {
  struct bad {
    std::string body;
    std::string field;
  };
  const std::vector<bad> cases{
      {"{not json", "body"},
      {"[1,2]", "body"},
      {R"({"queue":"general"})", "id"},
      {R"({"id":"bad id!"})", "id"},
      {R"({"id":"T-1","priority":"whenever"})", "priority"},
      {R"({"id":"T-1","skills":"spanish"})", "skills"},
      {R"({"id":"T-1","attributes":{"x":{"nested":true}}})", "attributes.x"},
      {R"({"id":"T-1","created_at":"yesterday"})", "created_at"},
      {R"({"id":"T-1","colour":"red"})", "colour"},
      {R"({"id":42})", "id"},
  };
  for (const auto& c : cases) {
    auto r = create(c.body);
    EXPECT_EQ(r.status, 400) << c.body << " -> " << r.body;
    EXPECT_EQ(r.error_code(), "invalid_argument") << c.body;
    EXPECT_EQ(json_str(r.json().at("error"), "field"), c.field) << c.body;
    EXPECT_FALSE(json_str(r.json().at("error"), "message").empty());
  }
  EXPECT_EQ(client_->get("/v1/tickets/T-1").status, 404);
  EXPECT_EQ(client_->get("/v1/queues/general").json().at("depth").as_int64(), 0);
}

TEST_F(DaemonHttp, EveryErrorCodeThatAppliesWithoutAuth) {
  agent("ada", 1);
  ASSERT_EQ(create(R"({"id":"T-1"})").status, 201);
  ASSERT_EQ(create(R"({"id":"T-2"})").status, 201);

  // 404 not_found: ticket, agent, queue, path, action.
  EXPECT_EQ(client_->get("/v1/tickets/T-404").error_code(), "not_found");
  EXPECT_EQ(client_->get("/v1/agents/nobody").error_code(), "not_found");
  EXPECT_EQ(client_->post("/v1/agents/nobody/next").error_code(), "not_found");
  EXPECT_EQ(client_->get("/v1/queues/nowhere").status, 404);
  EXPECT_EQ(client_->get("/v1/nothing").status, 404);
  EXPECT_EQ(act("T-1", "dance").status, 404);
  EXPECT_EQ(act("T-1", "transfer", R"({"queue":"nowhere"})").status, 404);

  // 409 invalid_transition names the status.
  auto r = act("T-1", "reply");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.error_code(), "invalid_transition");
  EXPECT_EQ(json_str(r.json().at("error"), "status"), "queued");

  // 409 capacity_exceeded with load and max.
  ASSERT_EQ(client_->post("/v1/agents/ada/next").status, 200);
  r = client_->post("/v1/agents/ada/next");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.error_code(), "capacity_exceeded");
  EXPECT_EQ(r.json().at("error").at("load").as_int64(), 1);
  EXPECT_EQ(r.json().at("error").at("max_concurrent").as_int64(), 1);

  // 409 conflict: same id, another payload.
  r = create(R"({"id":"T-1","channel":"phone"})");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.error_code(), "conflict");

  // 412 version_mismatch; malformed If-Match is 400.
  r = client_->request("POST", "/v1/tickets/T-2/close", "{}", {{"If-Match", "7"}});
  EXPECT_EQ(r.status, 412);
  EXPECT_EQ(r.error_code(), "version_mismatch");
  EXPECT_EQ(r.json().at("error").at("version").as_int64(), 1);
  EXPECT_EQ(client_->request("POST", "/v1/tickets/T-2/close", "{}", {{"If-Match", "abc"}}).status,
            400);

  // 413 payload_too_large (body_limit is 4KiB here).
  r = create(R"({"id":"T-3","attributes":{"x":")" + std::string(5000, 'a') + R"("}})");
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.error_code(), "payload_too_large");

  // 405 with Allow.
  r = client_->request("PUT", "/v1/tickets/T-1");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("allow"), "GET, PATCH, DELETE");

  // 204 when nothing waits.
  agent("bob");
  ASSERT_EQ(client_->post("/v1/agents/bob/next").status, 200);
  EXPECT_EQ(client_->post("/v1/agents/bob/next").status, 204);
  EXPECT_TRUE(client_->get("/v1/admin/verify").json().at("ok").as_bool());
}

TEST_F(DaemonHttp, QueuesShowDepthOldestWaitAndTheirHead) {
  agent("ada");
  ASSERT_EQ(create(R"({"id":"T-1"})").status, 201);
  ASSERT_EQ(create(R"({"id":"T-2","channel":"phone"})").status, 201);
  auto list = client_->get("/v1/queues");
  ASSERT_EQ(list.status, 200);
  const auto doc = list.json();
  const auto& queues = doc.at("queues").as_array();
  ASSERT_EQ(queues.size(), 2U);
  EXPECT_EQ(json_str(queues[0], "name"), "general");
  EXPECT_EQ(queues[0].at("depth").as_int64(), 2);
  EXPECT_GE(queues[0].at("oldest_wait_s").as_int64(), 0);
  EXPECT_EQ(queues[0].at("agents_online").as_int64(), 1);
  EXPECT_EQ(json_str(queues[0], "mode"), "pull");
  auto head = client_->get("/v1/queues/general?limit=1");
  ASSERT_EQ(head.status, 200);
  const auto head_doc = head.json();
  const auto& tickets = head_doc.at("tickets").as_array();
  ASSERT_EQ(tickets.size(), 1U);
  EXPECT_EQ(json_str(tickets[0], "id"), "T-2");  // urgent first
  EXPECT_EQ(client_->get("/v1/queues/general?limit=0").status, 400);
}

// PATCH /v1/tickets/{id} over HTTP: the ticket as changed, If-Match, refusals that change
// nothing, and an Idempotency-Key answering a repeat as the first.
TEST_F(DaemonHttp, PatchChangesWhatItNamesAndAnswersTheTicket) {
  ASSERT_EQ(create(R"({"id":"T-1","channel":"email","attributes":{"tier":1}})").status, 201);
  const auto patch = [&](const std::string& body,
                         std::vector<std::pair<std::string, std::string>> headers = {}) {
    return client_->request("PATCH", "/v1/tickets/T-1", body, headers);
  };
  auto r = patch(R"({"priority":"urgent","attributes":{"tier":3},"channel":null})",
                 {{"If-Match", "\"1\""}});
  ASSERT_EQ(r.status, 200) << r.body;
  auto t = r.json();
  EXPECT_EQ(json_str(t, "priority"), "urgent");
  EXPECT_EQ(t.at("version").as_int64(), 2);
  EXPECT_EQ(t.at("attributes").at("tier").as_int64(), 3);
  EXPECT_TRUE(t.at("channel").is_null()) << r.body;
  EXPECT_FALSE(t.at("escalated").as_bool());
  EXPECT_EQ(json::serialize(client_->get("/v1/tickets/T-1").json()), json::serialize(t));

  EXPECT_EQ(patch(R"({"priority":"low"})", {{"If-Match", "1"}}).status, 412);
  struct bad {
    std::string body;
    std::string field;
  };
  for (const auto& b : std::vector<bad>{{"{}", "body"},
                                        {R"({"priority":null})", "priority"},
                                        {R"({"priority":"whenever"})", "priority"},
                                        {R"({"queue":"billing"})", "queue"},
                                        {R"({"skills":"spanish"})", "skills"}}) {
    auto e = patch(b.body);
    EXPECT_EQ(e.status, 400) << b.body << " -> " << e.body;
    EXPECT_EQ(json_str(e.json().at("error"), "field"), b.field) << b.body;
  }
  EXPECT_EQ(client_->request("PATCH", "/v1/tickets/T-9", R"({"priority":"low"})").status, 404);

  const std::vector<std::pair<std::string, std::string>> key{{"Idempotency-Key", "p-1"}};
  auto first = patch(R"({"priority":"low"})", key);
  ASSERT_EQ(first.status, 200) << first.body;
  auto again = patch(R"({"priority":"low"})", key);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.json().at("version").as_int64(), first.json().at("version").as_int64());
  EXPECT_EQ(client_->get("/v1/tickets/T-1").json().at("version").as_int64(), 3);

  ASSERT_EQ(act("T-1", "close").status, 200);
  auto closed = patch(R"({"priority":"urgent"})");
  EXPECT_EQ(closed.status, 409) << closed.body;
  EXPECT_EQ(closed.error_code(), "conflict");
  EXPECT_EQ(json_str(client_->get("/v1/tickets/T-1").json(), "priority"), "low");
}

// Skills with levels and requirements over HTTP: the shapes API.md gives them, `next` taking only
// what the agent meets (204 while others wait), and the requirement in force until it relaxes.
TEST_F(DaemonHttp, RequirementsDecideWhoMayTakeATicket) {
  auto put = client_->put(
      "/v1/agents/ada", R"({"name":"Ada","queues":["general"],"skills":{"spanish":2,"billing":1},)"
                        R"("status":"online"})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(json::serialize(put.json().at("skills")), R"({"billing":1,"spanish":2})");
  auto listed = client_->put("/v1/agents/bob", R"({"name":"Bob","queues":["general"],)"
                                               R"("skills":["spanish"],"status":"online"})");
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(json::serialize(listed.json().at("skills")), R"({"spanish":1})");

  auto created =
      create(R"({"id":"T-1","requires":[{"skill":"spanish","level":3,"relax_after":600},)"
             R"({"skill":"billing"}]})");
  ASSERT_EQ(created.status, 201) << created.body;
  const auto t = created.json();
  const auto& reqs = t.at("requires").as_array();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(json_str(reqs[0], "skill"), "billing");
  EXPECT_EQ(reqs[0].at("level").as_int64(), 1);
  EXPECT_TRUE(reqs[0].at("relax_after").is_null());
  EXPECT_TRUE(reqs[0].at("in_force").as_bool());
  EXPECT_TRUE(reqs[0].at("relaxes_at").is_null());
  EXPECT_EQ(json_str(reqs[1], "skill"), "spanish");
  EXPECT_EQ(reqs[1].at("relax_after").as_int64(), 600);
  EXPECT_TRUE(reqs[1].at("in_force").as_bool());
  EXPECT_FALSE(json_str(reqs[1], "relaxes_at").empty());

  EXPECT_EQ(client_->post("/v1/agents/ada/next").status, 204);  // spanish 2 of 3
  EXPECT_EQ(client_->post("/v1/agents/bob/next").status, 204);
  EXPECT_EQ(client_->get("/v1/queues/general").json().at("depth").as_int64(), 1);

  auto bad = create(R"({"id":"T-2","requires":[{"skill":"spanish","level":12}]})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json_str(bad.json().at("error"), "field"), "requires");
  EXPECT_EQ(client_->put("/v1/agents/cy", R"({"skills":{"spanish":0}})").status, 400);

  auto customer = create(R"({"id":"T-3","customer":"cust-42"})");
  ASSERT_EQ(customer.status, 201) << customer.body;
  EXPECT_EQ(json_str(customer.json(), "customer"), "cust-42");
  EXPECT_TRUE(created.json().at("customer").is_null());
  auto bad_customer = create(R"({"id":"T-4","customer":"no spaces"})");
  EXPECT_EQ(bad_customer.status, 400);
  EXPECT_EQ(json_str(bad_customer.json().at("error"), "field"), "customer");
}

// GET /v1/agents: every agent in id order, each as GET /v1/agents/{id} shows it, filtered by
// queue, status and skill, paged with limit and after.
TEST_F(DaemonHttp, AgentsAreListedInIdOrderFilteredAndPaged) {
  const auto put = [&](const std::string& id, const std::string& body) {
    auto r = client_->put("/v1/agents/" + id, body);
    ASSERT_EQ(r.status, 200) << r.body;
  };
  put("dee", R"({"name":"Dee","queues":["general"],"status":"online"})");
  put("bob", R"({"name":"Bob","queues":["billing"],"skills":["spanish"],"status":"away"})");
  put("ada",
      R"({"name":"Ada","queues":["general","billing"],"skills":["spanish"],"status":"online"})");
  put("cy", R"({"name":"Cy","queues":["general"],"skills":["french"]})");
  ASSERT_EQ(create(R"({"id":"T-1"})").status, 201);
  ASSERT_EQ(client_->post("/v1/agents/ada/next").status, 200);

  const auto ids = [&](const std::string& query) {
    auto r = client_->get("/v1/agents" + query);
    EXPECT_EQ(r.status, 200) << query << " -> " << r.body;
    const auto doc = r.json();
    std::string out;
    for (const auto& a : doc.at("agents").as_array()) out += json_str(a, "id") + " ";
    const auto& next = doc.at("next");
    return out + "| " + (next.is_null() ? "null" : std::string{next.as_string()});
  };
  EXPECT_EQ(ids(""), "ada bob cy dee | null");
  EXPECT_EQ(ids("?limit=2"), "ada bob | bob");
  EXPECT_EQ(ids("?limit=2&after=bob"), "cy dee | null");
  EXPECT_EQ(ids("?after=b"), "bob cy dee | null");  // any id, listed or not
  EXPECT_EQ(ids("?after=dee"), "| null");
  EXPECT_EQ(ids("?status=online"), "ada dee | null");
  EXPECT_EQ(ids("?status=offline"), "cy | null");
  EXPECT_EQ(ids("?queue=billing"), "ada bob | null");
  EXPECT_EQ(ids("?skill=spanish"), "ada bob | null");
  EXPECT_EQ(ids("?skill=span"), "| null");
  EXPECT_EQ(ids("?queue=general&status=online&skill=spanish"), "ada | null");

  // Each entry is the agent as its own GET shows it (load and held tickets included).
  auto list = client_->get("/v1/agents?limit=1");
  auto one = client_->get("/v1/agents/ada");
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(json::serialize(list.json().at("agents").as_array().at(0)),
            json::serialize(one.json()));
  EXPECT_EQ(one.json().at("load").as_int64(), 1);

  struct bad {
    std::string query;
    std::string field;
  };
  for (const auto& b : std::vector<bad>{{"?limit=0", "limit"},
                                        {"?limit=1001", "limit"},
                                        {"?limit=ten", "limit"},
                                        {"?status=busy", "status"},
                                        {"?queue=nowhere", "queue"},
                                        {"?skill=a%20b", "skill"},
                                        {"?after=", "after"}}) {
    auto r = client_->get("/v1/agents" + b.query);
    EXPECT_EQ(r.status, 400) << b.query << " -> " << r.body;
    EXPECT_EQ(r.error_code(), "invalid_argument") << b.query;
    EXPECT_EQ(json_str(r.json().at("error"), "field"), b.field) << b.query;
  }
  EXPECT_EQ(client_->post("/v1/agents", "{}").status, 405);
}

// Pages follow one another without a gap or a repeat however many agents there are, and a
// filter that matches few of many answers a short page with `next` rather than reading them all
// in one call.
TEST_F(DaemonHttp, AgentPagesCoverEveryAgentOnceAndASelectiveFilterPagesToo) {
  constexpr int count = 4300;
  const auto id_of = [](int i) {
    std::string n = std::to_string(i);
    return "a-" + std::string(4 - n.size(), '0') + n;
  };
  for (int i = 0; i < count; ++i) {
    const std::string status = i == count - 1 ? "away" : "offline";
    auto r = client_->put("/v1/agents/" + id_of(i),
                          R"({"name":"x","queues":["general"],"status":")" + status + R"("})");
    ASSERT_EQ(r.status, 200) << r.body;
  }
  std::vector<std::string> seen;
  std::string after;
  int pages = 0;
  for (;;) {
    auto r = client_->get("/v1/agents?limit=1000" + (after.empty() ? "" : "&after=" + after));
    ASSERT_EQ(r.status, 200) << r.body;
    ++pages;
    const auto doc = r.json();
    for (const auto& a : doc.at("agents").as_array()) seen.push_back(json_str(a, "id"));
    const auto& next = doc.at("next");
    if (next.is_null()) break;
    after = next.as_string();
    ASSERT_EQ(after, seen.back());
  }
  EXPECT_EQ(pages, 5);
  ASSERT_EQ(seen.size(), static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) ASSERT_EQ(seen[i], id_of(i));

  // The one away agent is last: the first call stops after examining its bound of agents.
  auto first = client_->get("/v1/agents?status=away");
  ASSERT_EQ(first.status, 200) << first.body;
  const auto first_doc = first.json();
  EXPECT_TRUE(first_doc.at("agents").as_array().empty());
  ASSERT_TRUE(first_doc.at("next").is_string());
  std::string from{first_doc.at("next").as_string()};
  std::vector<std::string> away;
  for (int calls = 0; calls < 10 && !from.empty(); ++calls) {
    auto r = client_->get("/v1/agents?status=away&after=" + from);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto doc = r.json();
    for (const auto& a : doc.at("agents").as_array()) away.push_back(json_str(a, "id"));
    from = doc.at("next").is_null() ? "" : std::string{doc.at("next").as_string()};
  }
  EXPECT_EQ(away, std::vector<std::string>{id_of(count - 1)});
  EXPECT_TRUE(from.empty());
}

// An answer is written at once when the socket takes it whole; one far larger than the socket's
// send buffer goes out in part at once and the rest as the client reads it.
TEST_F(DaemonHttp, AnAnswerLargerThanTheSocketTakesAtOnceArrivesWhole) {
  const std::string filler(1000, 'x');  // three attributes at their 1,000-character limit
  const std::string attributes =
      R"({"a":")" + filler + R"(","b":")" + filler + R"(","c":")" + filler + R"("})";
  // The most a queue lists: about 3.7 MB, more than the 3.2 MB the socket took at once here.
  constexpr int count = 1000;
  for (int i = 0; i < count; ++i) {
    const auto r =
        create(R"({"id":"B-)" + std::to_string(i) + R"(","attributes":)" + attributes + "}");
    ASSERT_EQ(r.status, 201) << r.body;
  }
  http_client slow(daemon_->port());
  slow.set_receive_buffer(4096);
  const auto head = slow.get("/v1/queues/general?limit=1000");
  ASSERT_EQ(head.status, 200);
  EXPECT_GT(head.body.size(), static_cast<std::size_t>(count) * 3 * filler.size());
  const auto doc = head.json();
  const auto& tickets = doc.at("tickets").as_array();
  ASSERT_EQ(tickets.size(), static_cast<std::size_t>(count));
  for (const auto& t : tickets) {
    EXPECT_EQ(t.at("attributes").at("c").as_string(), filler);
  }
  // The connection goes on serving.
  EXPECT_EQ(slow.get("/healthz").status, 200);
}

TEST_F(DaemonHttp, MetricsExposeRequestsRedisAndQueueState) {
  ASSERT_EQ(create(R"({"id":"T-1"})").status, 201);
  auto m = client_->get("/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.header("content-type").find("text/plain"), std::string::npos);
  for (const char* name :
       {"ticketd_http_requests_total{code=\"201\",route=\"ticket_create\"} 1",
        "ticketd_http_request_duration_seconds_bucket", "ticketd_redis_round_trip_seconds_count",
        "ticketd_tickets_enqueued_total{queue=\"general\",workspace=\"http\"} 1",
        "ticketd_queue_depth{queue=\"general\",workspace=\"http\"} 1",
        "ticketd_queue_oldest_wait_seconds{queue=\"general\",workspace=\"http\"}",
        "ticketd_agents{status=\"online\",workspace=\"http\"} 0",
        "ticketd_ticket_transitions_total{action=\"create\",workspace=\"http\"} 1",
        "ticketd_redis_connections_up 2", "ticketd_scrape_redis_ok 1",
        "ticketd_build_info{revision=\"", "process_cpu_seconds_total ",
        "process_resident_memory_bytes ", "process_virtual_memory_bytes ", "process_open_fds ",
        "process_max_fds ", "process_start_time_seconds "}) {
    EXPECT_NE(m.body.find(name), std::string::npos) << name;
  }
  // The process started within the last hour, and holds a few descriptors at least.
  const double started = metric_value(m.body, "process_start_time_seconds");
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_GT(started, now - 3600);
  EXPECT_LE(started, now + 1);
  EXPECT_GE(metric_value(m.body, "process_open_fds"), 5);
}

TEST_F(DaemonHttp, RedisDownIs503WithRetryAfterThenRecoversWithoutRestart) {
  ASSERT_EQ(create(R"({"id":"T-1"})").status, 201);
  EXPECT_EQ(metric_value(client_->get("/metrics").body,
                         R"(ticketd_queue_depth{queue="general",workspace="http"})"),
            1);
  shared_redis().kill9();
  // A hang would show as the client's own read timeout (an exception), not as an answer.
  auto r = create(R"({"id":"T-2"})");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.error_code(), "unavailable");
  EXPECT_EQ(r.header("retry-after"), "1");
  EXPECT_TRUE(eventually([&] { return client_->get("/readyz").status == 503; }));
  EXPECT_EQ(client_->get("/healthz").status, 200);
  // A scrape still answers, without shared-state gauges it cannot read. Each worker's connection
  // sees the close on its own, so the gauge reaches 0 once both have.
  http_reply scrape;
  EXPECT_TRUE(eventually([&] {
    scrape = client_->get("/metrics");
    return scrape.body.find("\nticketd_redis_connections_up 0\n") != std::string::npos;
  })) << scrape.body;
  EXPECT_EQ(scrape.status, 200);
  EXPECT_EQ(scrape.body.find("ticketd_queue_depth{"), std::string::npos) << scrape.body;
  EXPECT_EQ(scrape.body.find("ticketd_agents{"), std::string::npos);
  EXPECT_NE(scrape.body.find("\nticketd_scrape_redis_ok 0\n"), std::string::npos);
  shared_redis().start();
  ASSERT_TRUE(eventually([&] { return client_->get("/readyz").status == 200; }));
  EXPECT_EQ(create(R"({"id":"T-3"})").status, 201);
}

TEST_F(DaemonHttp, EveryResponseCarriesTheRequestsId) {
  auto given = client_->request("GET", "/healthz", {}, {{"X-Request-Id", "desk-42.a"}});
  EXPECT_EQ(given.header("x-request-id"), "desk-42.a");
  // None, or one that is not 1-128 visible characters: ticketd makes one.
  const auto made = client_->get("/healthz").header("x-request-id");
  EXPECT_EQ(made.size(), 16u) << made;
  EXPECT_EQ(made.find_first_not_of("0123456789abcdef"), std::string::npos) << made;
  EXPECT_NE(client_->get("/healthz").header("x-request-id"), made);
  const auto replaced =
      client_->request("GET", "/healthz", {}, {{"X-Request-Id", std::string(129, 'r')}});
  EXPECT_EQ(replaced.header("x-request-id").size(), 16u);
  // Errors too.
  EXPECT_EQ(client_->request("GET", "/v1/tickets/T-none", {}, {{"X-Request-Id", "desk-43"}})
                .header("x-request-id"),
            "desk-43");
}

TEST_F(DaemonHttp, AnIdempotencyKeyThatIsNotOneTo128VisibleCharactersIsRefused) {
  const auto bad_key =
      client_->request("POST", "/v1/tickets", R"({"id":"T-1"})", {{"Idempotency-Key", "a b"}});
  EXPECT_EQ(bad_key.status, 400) << bad_key.body;
  EXPECT_EQ(json_str(bad_key.json().at("error"), "field"), "Idempotency-Key");
  EXPECT_EQ(client_->get("/v1/tickets/T-1").status, 404);
}

bool has_item(const std::string& list, const std::string& item) {
  return (", " + list + ",").find(" " + item + ",") != std::string::npos;
}

// server.cors: a listed origin's calls get the headers a page needs to read their answers and
// its preflights are answered; another origin's calls are served without them (the browser
// keeps the answer from the page) and its preflights and WebSocket upgrades are refused; a
// request without Origin (not a browser) is served as it always was.
TEST(DaemonCors, AListedOriginMayCallAndConnectAndAnotherMayNot) {
  redis_client(shared_redis().socket()).command({"FLUSHALL"});
  const std::string desk = "https://desk.example.com";
  const std::string stranger = "https://elsewhere.example";
  daemon_process d(daemon_options{
      replaced(config_for(shared_redis().url()), "  body_limit: 4KiB\n",
               "  body_limit: 4KiB\n  cors: {allowed_origins: [\"" + desk + "\"]}\n"),
      false,
      {},
      {}});
  auto c = d.client();

  // A preflight is answered without a token and acts on nothing.
  const auto pre = c.request("OPTIONS", "/v1/tickets", {},
                             {{"Origin", desk},
                              {"Access-Control-Request-Method", "POST"},
                              {"Access-Control-Request-Headers", "authorization,idempotency-key"}});
  EXPECT_EQ(pre.status, 204) << pre.body;
  EXPECT_EQ(pre.header("access-control-allow-origin"), desk);
  EXPECT_TRUE(has_item(pre.header("access-control-allow-methods"), "POST"));
  EXPECT_TRUE(has_item(pre.header("access-control-allow-headers"), "Authorization"));
  EXPECT_TRUE(has_item(pre.header("access-control-allow-headers"), "Idempotency-Key"));
  EXPECT_EQ(pre.header("vary"), "Origin");
  EXPECT_EQ(c.get("/v1/tickets/T-1").status, 404);
  EXPECT_EQ(metric_value(c.get("/metrics").body,
                         R"(ticketd_http_requests_total{code="204",route="preflight"})"),
            1);
  const auto refused = c.request("OPTIONS", "/v1/tickets", {},
                                 {{"Origin", stranger}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(refused.error_code(), "forbidden");
  EXPECT_EQ(refused.header("access-control-allow-origin"), "");
  // OPTIONS without Origin is no preflight: the route's answer, as before.
  EXPECT_EQ(c.request("OPTIONS", "/v1/tickets").status, 405);

  // Calls, errors included.
  const auto made = c.request("POST", "/v1/tickets", R"({"id":"T-1"})", {{"Origin", desk}});
  EXPECT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(made.header("access-control-allow-origin"), desk);
  EXPECT_TRUE(has_item(made.header("access-control-expose-headers"), "X-Request-Id"));
  EXPECT_TRUE(has_item(made.header("access-control-expose-headers"), "Retry-After"));
  const auto missing = c.request("GET", "/v1/tickets/T-none", {}, {{"Origin", desk}});
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.header("access-control-allow-origin"), desk);
  const auto other = c.request("GET", "/v1/tickets/T-1", {}, {{"Origin", stranger}});
  EXPECT_EQ(other.status, 200) << other.body;
  EXPECT_EQ(other.header("access-control-allow-origin"), "");
  EXPECT_EQ(other.header("vary"), "Origin");
  const auto plain = c.get("/v1/tickets/T-1");
  EXPECT_EQ(plain.status, 200);
  EXPECT_EQ(plain.header("access-control-allow-origin"), "");
  EXPECT_EQ(plain.header("vary"), "");
  // Changes: from a listed origin or ticketd's own (its host and port are the Host: this
  // client sends Host 127.0.0.1), never from a page elsewhere, whose form could post them.
  const auto forged = c.request("POST", "/v1/tickets", R"({"id":"T-2"})", {{"Origin", stranger}});
  EXPECT_EQ(forged.status, 403) << forged.body;
  EXPECT_EQ(forged.error_code(), "forbidden");
  EXPECT_EQ(c.get("/v1/tickets/T-2").status, 404);
  const auto own =
      c.request("POST", "/v1/tickets", R"({"id":"T-2"})", {{"Origin", "http://127.0.0.1"}});
  EXPECT_EQ(own.status, 201) << own.body;

  // The event feed's head.
  sse_client feed(d.port(), "/v1/events", {{"Origin", desk}});
  EXPECT_EQ(feed.status(), 200);
  EXPECT_EQ(feed.header("access-control-allow-origin"), desk);
  EXPECT_FALSE(feed.header("x-request-id").empty());

  // An agent's WebSocket: from the listed origin, from ticketd's own (a page it served), or
  // from no browser; never from another origin.
  ASSERT_EQ(c.put("/v1/agents/ada", R"({"name":"Ada","queues":["general"]})").status, 200);
  ws_client from_desk(d.port(), "/v1/agents/ada/stream", {{"Origin", desk}});
  EXPECT_TRUE(from_desk.ok());
  ws_client from_own(d.port(), "/v1/agents/ada/stream",
                     {{"Origin", "http://127.0.0.1:" + std::to_string(d.port())}});
  EXPECT_TRUE(from_own.ok());
  ws_client from_no_browser(d.port(), "/v1/agents/ada/stream");
  EXPECT_TRUE(from_no_browser.ok());
  ws_client from_stranger(d.port(), "/v1/agents/ada/stream", {{"Origin", stranger}});
  EXPECT_FALSE(from_stranger.ok());
  EXPECT_EQ(from_stranger.refused_status(), 403);
  EXPECT_EQ(d.terminate(), 0) << d.log();
}

TEST(DaemonAccessLog, WritesOneLineForEachRequestWithItsId) {
  redis_client(shared_redis().socket()).command({"FLUSHALL"});
  std::string yaml = config_for(shared_redis().url());
  yaml = replaced(yaml, "  body_limit: 4KiB\n", "  body_limit: 4KiB\n  access_log: true\n");
  daemon_process d(daemon_options{yaml, false, {}, {}});
  auto c = d.client();
  ASSERT_EQ(
      c.request("POST", "/v1/tickets", R"({"id":"T-1"})", {{"X-Request-Id", "desk-77"}}).status,
      201);
  EXPECT_TRUE(eventually([&] {
    return d.log().find("request desk-77 POST /v1/tickets 201") != std::string::npos;
  })) << d.log();
  EXPECT_EQ(d.terminate(), 0);
}

// A long-lived task that fails stops the daemon loudly, whichever it is: its error logged and
// exit code 70, for the service manager to restart it, never a daemon that goes on answering
// /readyz without its timers, its event tail or its connections.
TEST(DaemonProcess, ALongLivedTaskThatFailsStopsTheDaemonWithExitCode70) {
  for (const std::string task :
       {"timer loop", "event tail", "accept loop", "redis connection", "signal handler"}) {
    SCOPED_TRACE(task);
    daemon_options o;
    o.config = config_for(shared_redis().url());
    o.env = {"TICKETD_FAULT_INJECTION=" + task};
    o.wait_ready = false;
    daemon_process d(o);
    EXPECT_EQ(d.wait_exit(), 70) << d.log();
    EXPECT_NE(d.log().find(task + " failed: fault injected"), std::string::npos) << d.log();
  }
}

TEST_F(DaemonHttp, HungRedisGivesTimeoutsNotHangs) {
  shared_redis().pause();
  // Redis answers nothing until resumed below: only the daemon's own deadline (500 ms) can
  // answer this request; a hang would end in the client's read timeout (an exception).
  auto r = client_->get("/v1/tickets/T-1");
  shared_redis().resume();
  EXPECT_EQ(r.status, 503);
  // Until the late reply comes back the connection counts as stalled and refuses at once;
  // readiness says when it serves again.
  ASSERT_TRUE(eventually([&] { return client_->get("/readyz").status == 200; }));
  EXPECT_EQ(create(R"({"id":"T-1"})").status, 201);
}

TEST_F(DaemonHttp, ReloadAppliesAValidFileAndRefusesABrokenOne) {
  {
    std::ofstream(daemon_->config_file())
        << config_for(shared_redis().url(), "events:\n  max_len: 5000\n");
  }
  auto ok = client_->post("/v1/admin/reload");
  EXPECT_EQ(ok.status, 200) << ok.body;
  { std::ofstream(daemon_->config_file()) << config_for(shared_redis().url(), "bogus_key: 1\n"); }
  auto refused = client_->post("/v1/admin/reload");
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_NE(refused.body.find("bogus_key"), std::string::npos);
  EXPECT_EQ(create(R"({"id":"T-1"})").status, 201);
  daemon_->signal(SIGHUP);  // the broken file again: logged, refused, still serving
  EXPECT_TRUE(
      eventually([&] { return daemon_->log().find("reload refused") != std::string::npos; }));
  EXPECT_EQ(client_->get("/v1/tickets/T-1").status, 200);
}

TEST_F(DaemonHttp, ExplainSaysWhereATicketStandsAndWhoCouldTakeIt) {
  ASSERT_EQ(create(R"({"id":"T-1"})").status, 201);
  ASSERT_EQ(create(R"({"id":"T-2"})").status, 201);
  ASSERT_EQ(client_->put("/v1/agents/ada", R"({"queues":["general"],"status":"away"})").status,
            200);
  const auto r = client_->get("/v1/tickets/T-2/explain");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto x = r.json().as_object();
  EXPECT_EQ(json_str(x, "ticket"), "T-2");
  EXPECT_EQ(json_str(x, "status"), "queued");
  EXPECT_EQ(json_str(x.at("rank"), "target"), "first_reply");
  EXPECT_EQ(boost::json::serialize(x.at("queues")), R"([{"name":"general","position":1}])");
  EXPECT_EQ(boost::json::serialize(x.at("agents")),
            R"([{"agent":"ada","eligible":false,"reasons":["away"],"pull_eligible":true,)"
            R"("load":0,"max_concurrent":2}])");
  EXPECT_TRUE(x.at("decision").is_null());
  EXPECT_EQ(client_->get("/v1/tickets/T-404/explain").status, 404);
  EXPECT_EQ(client_->get("/v1/tickets/T-1/explain?limit=0").status, 400);
  EXPECT_EQ(client_->post("/v1/tickets/T-1/explain").status, 405);
}

// A dry run reads the file and says what a reload would change, and applies nothing.
TEST_F(DaemonHttp, ReloadPreviewSaysWhatWouldChangeAndChangesNothing) {
  ASSERT_EQ(create(R"({"id":"T-1","queue":"billing"})").status, 201);
  ASSERT_EQ(create(R"({"id":"T-2","queue":"billing"})").status, 201);
  std::string yaml = config_for(shared_redis().url());
  yaml = replaced(yaml, "  billing: {mode: pull, escalate_to: general}\n",
                  "  extra: {mode: push, accept_timeout: 30s}\n");
  yaml = replaced(yaml, "  general: {mode: pull}\n", "  general: {mode: pull, wait_weight: 2}\n");
  yaml = replaced(yaml, "  body_limit: 4KiB\n", "  body_limit: 8KiB\n");
  { std::ofstream(daemon_->config_file()) << yaml; }
  const auto r = client_->post("/v1/admin/reload?dry_run=true");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(boost::json::serialize(r.json()),
            R"({"ok":true,"changes":{"queues":{"added":["extra"],"removed":["billing"],)"
            R"("changed":[{"name":"general","keys":["wait_weight"]}]},)"
            R"("waiting_in_removed":{"billing":2},"restart_required":["server.body_limit"],)"
            R"("workspaces":{"added":[],"removed":[]}}})");
  // Nothing applied: billing is still there, extra is not.
  EXPECT_EQ(client_->get("/v1/queues/billing").status, 200);
  EXPECT_EQ(client_->get("/v1/queues/extra").status, 404);
  // A broken file: 400 with every error, as a reload.
  { std::ofstream(daemon_->config_file()) << config_for(shared_redis().url(), "bogus_key: 1\n"); }
  const auto refused = client_->post("/v1/admin/reload?dry_run=true");
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_NE(refused.body.find("bogus_key"), std::string::npos);
  EXPECT_EQ(client_->post("/v1/admin/reload?dry_run=maybe").status, 400);
}

// What a running process cannot change is applied after a restart, and a reload says so.
TEST_F(DaemonHttp, ReloadNamesTheSettingsThatNeedARestart) {
  std::string yaml = config_for(shared_redis().url());
  yaml = replaced(yaml, "  body_limit: 4KiB\n", "  body_limit: 8KiB\n  access_log: true\n");
  yaml = replaced(yaml, "  timeout: 500ms\n", "  timeout: 600ms\n");
  { std::ofstream(daemon_->config_file()) << yaml; }
  const auto r = client_->post("/v1/admin/reload");
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<std::string> restart;
  const auto body = r.json();
  for (const auto& v : body.at("needs_restart").as_array()) {
    restart.emplace_back(v.as_string());
  }
  EXPECT_EQ(restart, (std::vector<std::string>{"server.body_limit", "redis"}));
  // access_log applies at once: the next request is logged.
  ASSERT_EQ(client_->request("GET", "/healthz", {}, {{"X-Request-Id", "after-reload"}}).status,
            200);
  EXPECT_TRUE(eventually(
      [&] { return daemon_->log().find("request after-reload GET") != std::string::npos; }));
}

TEST_F(DaemonHttp, SigtermExitsZero) {
  ASSERT_EQ(create(R"({"id":"T-1"})").status, 201);
  EXPECT_EQ(daemon_->terminate(), 0);
}

class ManualClock : public DaemonHttp {
 protected:
  void SetUp() override {
    manual_clock_ = true;
    clock_start_ = "2026-11-23T09:00:00Z";
    DaemonHttp::SetUp();
  }
};

TEST_F(ManualClock, PostponedTicketWakesWhenTheClockReachesIt) {
  agent("ada");
  ASSERT_EQ(create(R"({"id":"T-1"})").status, 201);
  ASSERT_EQ(client_->post("/v1/agents/ada/next").status, 200);
  auto p = act("T-1", "postpone", R"({"until":"2026-11-23T12:00:00Z"})");
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_EQ(json_str(p.json(), "postponed_until"), "2026-11-23T12:00:00.000Z");
  auto moved = client_->post("/v1/admin/clock", R"({"advance":"2h59m"})");
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(json_str(client_->get("/v1/tickets/T-1").json(), "status"), "postponed");
  moved = client_->post("/v1/admin/clock", R"({"now":"2026-11-23T12:00:00Z"})");
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(json_str(moved.json(), "now"), "2026-11-23T12:00:00.000Z");
  auto woke = client_->get("/v1/tickets/T-1").json();
  EXPECT_EQ(json_str(woke, "status"), "assigned");
  EXPECT_EQ(json_str(woke, "assignee"), "ada");
  EXPECT_EQ(client_->post("/v1/admin/clock", R"({"now":"2026-11-23T11:00:00Z"})").status, 400);
}

TEST_F(DaemonHttp, ClockCannotBeMovedWithoutManualClock) {
  EXPECT_EQ(client_->post("/v1/admin/clock", R"({"advance":"1h"})").status, 404);
}

TEST(DaemonProcess, SigtermFinishesRequestsInFlightThenExitsZero) {
  redis_server slow;
  std::string config = config_for(slow.url());
  config = replaced(config, "timeout: 500ms", "timeout: 10s");
  daemon_process d(daemon_options{config, false, {}, {}});
  http_client c(d.port());
  ASSERT_TRUE(eventually([&] { return c.get("/readyz").status == 200; }));
  slow.pause();  // the next request waits on Redis
  http_reply reply;
  std::string failed;  // an exception must fail the test, not end the binary from the thread
  std::thread request([&] {
    try {
      reply = c.post("/v1/tickets", R"({"id":"T-inflight"})");
    } catch (const std::exception& e) {
      failed = e.what();
    }
  });
  // In flight: read by the daemon, waiting on the paused Redis (the probe's scrape is the other).
  http_client probe(d.port());
  ASSERT_TRUE(eventually([&] {
    return probe.get("/metrics").body.find("ticketd_http_requests_in_flight 2") !=
           std::string::npos;
  }));
  d.signal(SIGTERM);
  ASSERT_TRUE(eventually(
      [&] { return d.log().find("finishing requests in flight") != std::string::npos; }));
  d.signal(SIGTERM);  // a second one (an impatient operator) must not cut the stop short
  ASSERT_TRUE(eventually([&] { return d.log().find("already finishing") != std::string::npos; }));
  slow.resume();
  request.join();
  EXPECT_EQ(failed, "");
  EXPECT_EQ(reply.status, 201) << reply.body << d.log();
  EXPECT_EQ(d.wait_exit(), 0) << d.log();
  redis_client check(slow.socket());
  EXPECT_EQ(check.command({"EXISTS", "ticketd:{http}:t:T-inflight"}).integer, 1);
}

TEST(DaemonProcess, TalksToRedisOverTcp) {
  redis_server tcp(persistence::none, transport::tcp);
  daemon_process d(daemon_options{config_for(tcp.url()), false, {}, {}});
  http_client c(d.port());
  ASSERT_TRUE(eventually([&] { return c.get("/readyz").status == 200; }));
  EXPECT_EQ(c.post("/v1/tickets", R"({"id":"T-tcp"})").status, 201);
  EXPECT_EQ(d.terminate(), 0);
}

TEST(DaemonProcess, CheckConfigExitsZeroWhenValidAndTwoWithEveryError) {
  temp_dir dir;
  const auto good = dir.path() / "good.yaml";
  const auto bad = dir.path() / "bad.yaml";
  std::ofstream(good) << config_for(shared_redis().url());
  std::ofstream(bad) << "workspace: x\nqueues:\n  general: {mode: sideways}\nbogus: 1\n";
  process ok({ticketd_binary(), "--check-config", good.string()}, dir.path() / "ok.log");
  EXPECT_EQ(ok.wait_exit(std::chrono::seconds(10)), 0) << ok.log();
  process refused({ticketd_binary(), "--check-config", bad.string()}, dir.path() / "bad.log");
  EXPECT_EQ(refused.wait_exit(std::chrono::seconds(10)), 2);
  const std::string out = refused.log();
  EXPECT_NE(out.find(bad.string() + ":3:"), std::string::npos) << out;
  EXPECT_NE(out.find("queues.general.mode"), std::string::npos) << out;
  EXPECT_NE(out.find(bad.string() + ":4:1: bogus"), std::string::npos) << out;
}

// /v1/w/{workspace}/...: the main workspace under its name; another is 404 naming the field
// (saying so when it is configured but not served yet); a bound token is 403 elsewhere.
TEST(DaemonWorkspaces, RoutesUnderAWorkspaceAndTokensBoundToOne) {
  redis_client(shared_redis().socket()).command({"FLUSHALL"});
  temp_dir dir("ticketd-workspaces");
  std::filesystem::create_directories(dir.path() / "workspaces.d");
  std::ofstream(dir.path() / "workspaces.d" / "beta.yaml") << "queues:\n  sales: {mode: pull}\n"
                                                              "defaults: {queue: sales}\n";
  const std::string yaml =
      config_for(shared_redis().url()) +
      "workspaces_dir: " + (dir.path() / "workspaces.d").string() +
      "\nauth:\n  tokens:\n"
      "    - {name: http-desk, role: backend, workspace: http, token_env: T_HTTP}\n"
      "    - {name: beta-desk, role: backend, workspace: beta, token_env: T_BETA}\n"
      "    - {name: ops, role: admin, token_env: T_OPS}\n"
      "    - {name: beta-ops, role: admin, workspace: beta, token_env: T_BETA_OPS}\n";
  daemon_process d(
      daemon_options{yaml,
                     false,
                     {},
                     {"T_HTTP=http-secret-0123456789", "T_BETA=beta-secret-0123456789",
                      "T_OPS=ops-secret-01234567890", "T_BETA_OPS=beta-ops-secret-0123456"}});
  http_client c(d.port());
  auto as = [&](const std::string& token, std::string_view method, const std::string& target,
                const std::string& body = {}) {
    return c.request(method, target, body, {{"Authorization", "Bearer " + token}});
  };
  const std::string http = "http-secret-0123456789", beta = "beta-secret-0123456789",
                    ops = "ops-secret-01234567890";
  // The main workspace, by its name or plainly: the same data.
  ASSERT_EQ(as(http, "POST", "/v1/w/http/tickets", R"({"id":"W-1"})").status, 201);
  EXPECT_EQ(as(ops, "GET", "/v1/tickets/W-1").status, 200);
  EXPECT_EQ(as(ops, "GET", "/v1/w/http/tickets/W-1/explain").status, 200);
  // Another workspace: its own data and configuration (its file's queues, nothing from the
  // main file's), under its own keys.
  auto r = as(beta, "POST", "/v1/w/beta/tickets", R"({"id":"W-1"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json().at("queue").as_string(), "sales");
  EXPECT_EQ(as(ops, "GET", "/v1/tickets/W-1").json().at("queue").as_string(), "general");
  r = as(ops, "GET", "/v1/w/beta/queues");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(R"("sales")"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find(R"("general")"), std::string::npos) << r.body;
  EXPECT_EQ(as(ops, "GET", "/v1/w/beta/admin/verify").status, 200);
  EXPECT_EQ(
      redis_client(shared_redis().socket()).command({"EXISTS", "ticketd:{beta}:t:W-1"}).integer, 1);
  // One nobody configured.
  r = as(ops, "GET", "/v1/w/gamma/queues");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find(R"("field":"workspace")"), std::string::npos) << r.body;
  // Bound tokens: only their own workspace.
  r = as(beta, "GET", "/v1/queues");
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("bound to workspace 'beta'"), std::string::npos) << r.body;
  EXPECT_EQ(as(beta, "GET", "/v1/w/http/queues").status, 403);
  EXPECT_EQ(as(http, "GET", "/v1/w/beta/queues").status, 403);
  EXPECT_EQ(as(http, "GET", "/v1/queues").status, 200);
  // A stream token opens its own workspace's stream only.
  const auto beta_feed = as(ops, "POST", "/v1/w/beta/stream-token", R"({"scope":"events"})");
  ASSERT_EQ(beta_feed.status, 200) << beta_feed.body;
  sse_client elsewhere(d.port(),
                       "/v1/w/http/events?access_token=" + json_str(beta_feed.json(), "token"));
  EXPECT_EQ(elsewhere.status(), 401);
  const auto beta_again = as(ops, "POST", "/v1/w/beta/stream-token", R"({"scope":"events"})");
  sse_client in_beta(d.port(),
                     "/v1/w/beta/events?access_token=" + json_str(beta_again.json(), "token"));
  EXPECT_EQ(in_beta.status(), 200);
  // An admin token bound to a workspace administers that workspace only: the routes that act
  // on every workspace need one bound to none.
  const std::string beta_ops = "beta-ops-secret-0123456";
  EXPECT_EQ(as(beta_ops, "GET", "/v1/w/beta/admin/verify").status, 200);
  r = as(beta_ops, "POST", "/v1/w/beta/admin/reload");
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("acts on every workspace"), std::string::npos) << r.body;
  EXPECT_EQ(as(beta_ops, "GET", "/v1/w/beta/admin/workspaces").status, 403);
  EXPECT_EQ(as(beta_ops, "DELETE", "/v1/w/beta/admin/workspaces/gamma").status, 403);
  EXPECT_EQ(as(ops, "GET", "/v1/admin/workspaces").status, 200);
  // Readiness of one workspace.
  EXPECT_TRUE(eventually([&] { return c.get("/readyz?workspace=http").status == 200; }));
  EXPECT_EQ(c.get("/readyz?workspace=beta").status, 200);
  r = c.get("/readyz?workspace=gamma");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("no workspace named 'gamma'"), std::string::npos) << r.body;
  // Each workspace's metrics under its label. The queue gauges are read from Redis within the
  // scrape's deadline (250 ms), else left out of that scrape: a busy machine may need another.
  std::string metrics;
  EXPECT_TRUE(eventually([&] {
    metrics = as(ops, "GET", "/metrics").body;
    return metrics.find(R"(ticketd_queue_depth{queue="general",workspace="http"} 1)") !=
           std::string::npos;
  })) << metrics;
  EXPECT_NE(metrics.find(R"(ticketd_tickets_enqueued_total{queue="sales",workspace="beta"} 1)"),
            std::string::npos)
      << metrics;
}

}  // namespace
}  // namespace ticketd::testing
