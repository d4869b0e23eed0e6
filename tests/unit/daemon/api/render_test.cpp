#include "daemon/api/render.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "routing/time_format.hpp"
#include "tests/unit/routing/test_support.hpp"

namespace ticketd::daemon::api {
namespace {

namespace json = boost::json;
using routing::ticket_status;
using test::hour_ms;
using test::t0;

// The time of the request being answered.
constexpr std::int64_t now_ms = t0 + 60'000;

json::object parse_object(const std::string& text) {
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) {
    ADD_FAILURE() << "not a JSON object: " << text;
    return {};
  }
  return v.as_object();
}

enum class kind { string, number, boolean, array, object, null, string_or_null };

bool has_kind(const json::value& v, kind k) {
  switch (k) {
    case kind::string:
      return v.is_string();
    case kind::number:
      return v.is_int64() || v.is_uint64() || v.is_double();
    case kind::boolean:
      return v.is_bool();
    case kind::array:
      return v.is_array();
    case kind::object:
      return v.is_object();
    case kind::null:
      return v.is_null();
    case kind::string_or_null:
      return v.is_string() || v.is_null();
  }
  return false;
}

void expect_fields(const json::object& obj,
                   std::initializer_list<std::pair<std::string_view, kind>> fields,
                   std::string_view where) {
  for (const auto& [name, k] : fields) {
    const auto* v = obj.if_contains(name);
    if (v == nullptr) {
      ADD_FAILURE() << where << " has no " << name << ": " << json::serialize(obj);
      continue;
    }
    EXPECT_TRUE(has_kind(*v, k)) << where << "." << name << " = " << json::serialize(*v);
  }
}

// An RFC 3339 string that reads back as `ms`.
void expect_time(const json::object& obj, std::string_view name, std::int64_t ms) {
  const auto* v = obj.if_contains(name);
  ASSERT_TRUE(v != nullptr && v->is_string()) << name;
  EXPECT_EQ(v->as_string(), routing::format_rfc3339(ms)) << name;
  EXPECT_EQ(routing::parse_rfc3339(v->as_string()), ms) << name;
}

routing::ticket queued_ticket() {
  routing::ticket t;
  t.id = "T-1001";
  t.status = ticket_status::queued;
  t.queue = "billing";
  t.queues = {"billing"};
  t.priority = "urgent";
  t.channel = "email";
  t.skills = {"spanish"};
  t.attributes_json = R"({"brand":"acme"})";
  t.score = 1795345200000250.0;
  t.first_reply_due = t0 + hour_ms;
  t.resolution_due = t0 + 4 * hour_ms;
  t.version = 1;
  t.created_at = t0;
  t.updated_at = t0 + 1;
  t.queued_at = t0 + 2;
  return t;
}

class Render : public ::testing::Test {
 protected:
  Render() : cfg_(test::sample_config()) {
    cfg_.lifecycle.followups = {config::span{config::millis{hour_ms}},
                                config::span{config::millis{2 * hour_ms}},
                                config::span{config::millis{3 * hour_ms}}};
    cfg_.agents.max_concurrent = 7;
  }

  config::config cfg_;
};

TEST_F(Render, TicketHasEveryFieldOfTheApiExampleWithItsType) {
  const auto obj = parse_object(ticket_json(queued_ticket(), cfg_, now_ms));
  expect_fields(obj,
                {{"id", kind::string},
                 {"status", kind::string},
                 {"queue", kind::string},
                 {"queues", kind::array},
                 {"priority", kind::string},
                 {"channel", kind::string},
                 {"skills", kind::array},
                 {"attributes", kind::object},
                 {"assignee", kind::null},
                 {"last_agent", kind::null},
                 {"rank", kind::number},
                 {"sla", kind::object},
                 {"followup", kind::object},
                 {"reopens", kind::number},
                 {"escalated", kind::boolean},
                 {"version", kind::number},
                 {"created_at", kind::string},
                 {"updated_at", kind::string},
                 {"queued_at", kind::string}},
                "ticket");
  const auto& sla = obj.at("sla").as_object();
  expect_fields(sla,
                {{"policy", kind::string},
                 {"first_reply_due", kind::string},
                 {"next_reply_due", kind::null},
                 {"resolution_due", kind::string},
                 {"breached", kind::array}},
                "sla");
  expect_fields(obj.at("followup").as_object(), {{"attempt", kind::number}, {"of", kind::number}},
                "followup");
}

TEST_F(Render, TicketValuesMatchTheTicket) {
  const auto obj = parse_object(ticket_json(queued_ticket(), cfg_, now_ms));
  EXPECT_EQ(obj.at("id").as_string(), "T-1001");
  EXPECT_EQ(obj.at("status").as_string(), "queued");
  EXPECT_EQ(obj.at("queue").as_string(), "billing");
  EXPECT_EQ(obj.at("queues"), json::parse(R"(["billing"])"));
  EXPECT_EQ(obj.at("priority").as_string(), "urgent");
  EXPECT_EQ(obj.at("channel").as_string(), "email");
  EXPECT_EQ(obj.at("skills"), json::parse(R"(["spanish"])"));
  EXPECT_EQ(obj.at("attributes"), json::parse(R"({"brand":"acme"})"));
  EXPECT_EQ(obj.at("rank").as_int64(), 1'795'345'200'000);
  EXPECT_EQ(obj.at("sla").at("policy").as_string(), "urgent");
  expect_time(obj.at("sla").as_object(), "first_reply_due", t0 + hour_ms);
  expect_time(obj.at("sla").as_object(), "resolution_due", t0 + 4 * hour_ms);
  EXPECT_EQ(obj.at("followup").at("attempt").as_int64(), 0);
  EXPECT_EQ(obj.at("followup").at("of").as_int64(), 3);
  EXPECT_EQ(obj.at("reopens").as_int64(), 0);
  EXPECT_FALSE(obj.at("escalated").as_bool());
  EXPECT_EQ(obj.at("version").as_int64(), 1);
  expect_time(obj, "created_at", t0);
  expect_time(obj, "updated_at", t0 + 1);
  expect_time(obj, "queued_at", t0 + 2);
}

TEST_F(Render, TicketWithoutChannelOrAttributesUsesNullAndEmptyObject) {
  auto t = queued_ticket();
  t.channel.clear();
  t.attributes_json.clear();
  t.skills.clear();
  const auto obj = parse_object(ticket_json(t, cfg_, now_ms));
  EXPECT_TRUE(obj.at("channel").is_null());
  EXPECT_EQ(obj.at("attributes"), json::object{});
  EXPECT_EQ(obj.at("skills"), json::array{});
}

TEST_F(Render, RankOnlyWhileQueued) {
  for (const auto s : routing::all_ticket_statuses) {
    auto t = queued_ticket();
    t.status = s;
    const auto obj = parse_object(ticket_json(t, cfg_, now_ms));
    ASSERT_TRUE(obj.contains("rank")) << routing::to_string(s);
    EXPECT_EQ(obj.at("rank").is_null(), s != ticket_status::queued) << routing::to_string(s);
  }
}

TEST_F(Render, HeldTicketShowsAgentsAndLifecycle) {
  auto t = queued_ticket();
  t.status = ticket_status::postponed;
  t.assignee = "ada";
  t.last_agent = "ada";
  t.next_reply_due = t0 + 8 * hour_ms;
  t.breached = {"first_reply"};
  t.followup_attempt = 2;
  t.reopens = 1;
  t.escalated = true;
  t.version = 9;
  t.postponed_until = t0 + 24 * hour_ms;
  const auto obj = parse_object(ticket_json(t, cfg_, now_ms));
  EXPECT_EQ(obj.at("assignee").as_string(), "ada");
  EXPECT_EQ(obj.at("last_agent").as_string(), "ada");
  expect_time(obj.at("sla").as_object(), "next_reply_due", t0 + 8 * hour_ms);
  EXPECT_EQ(obj.at("sla").at("breached"), json::parse(R"(["first_reply"])"));
  EXPECT_EQ(obj.at("followup").at("attempt").as_int64(), 2);
  EXPECT_EQ(obj.at("reopens").as_int64(), 1);
  EXPECT_TRUE(obj.at("escalated").as_bool());
  EXPECT_EQ(obj.at("version").as_int64(), 9);
  expect_time(obj, "postponed_until", t0 + 24 * hour_ms);
  // Once woken, a leftover postponed_until is not shown.
  t.status = ticket_status::assigned;
  EXPECT_TRUE(parse_object(ticket_json(t, cfg_, now_ms)).at("postponed_until").is_null());
}

TEST_F(Render, ResolvedTicketShowsResolution) {
  auto t = queued_ticket();
  t.status = ticket_status::resolved;
  t.resolved_at = t0 + hour_ms;
  t.reopen_until = t0 + 7 * 24 * hour_ms;
  t.resolve_reason = "inactivity";
  const auto obj = parse_object(ticket_json(t, cfg_, now_ms));
  expect_time(obj, "resolved_at", t0 + hour_ms);
  expect_time(obj, "reopen_until", t0 + 7 * 24 * hour_ms);
  EXPECT_EQ(obj.at("resolution_reason").as_string(), "inactivity");
  EXPECT_TRUE(
      parse_object(ticket_json(queued_ticket(), cfg_, now_ms)).at("resolution_reason").is_null());
}

TEST_F(Render, NextWrapsTheTicket) {
  const auto obj = parse_object(next_json(queued_ticket(), cfg_, now_ms));
  ASSERT_EQ(obj.size(), 1u);
  EXPECT_EQ(obj.at("ticket"), json::parse(ticket_json(queued_ticket(), cfg_, now_ms)));
}

routing::agent sample_agent() {
  routing::agent a;
  a.id = "ada";
  a.name = "Ada";
  a.status = routing::agent_status::online;
  a.queues = {"billing", "general"};
  a.skills = {{"spanish", 8}, {"billing", 1}};
  a.effective_queues = {"billing", "general", "spanish"};
  a.max_concurrent = 5;
  a.load = 2;
  a.tickets = {"T-1", "T-2", "T-3"};
  a.last_assigned_at = t0;
  a.status_since = t0 - hour_ms;
  return a;
}

TEST_F(Render, AgentHasTheApiFieldsWithTheirTypes) {
  const auto obj = parse_object(agent_json(sample_agent(), cfg_));
  expect_fields(obj,
                {{"id", kind::string},
                 {"name", kind::string},
                 {"status", kind::string},
                 {"queues", kind::array},
                 {"skills", kind::object},
                 {"max_concurrent", kind::number},
                 {"load", kind::number},
                 {"tickets", kind::array},
                 {"last_assigned_at", kind::string}},
                "agent");
  EXPECT_EQ(obj.at("id").as_string(), "ada");
  EXPECT_EQ(obj.at("name").as_string(), "Ada");
  EXPECT_EQ(obj.at("status").as_string(), "online");
  EXPECT_EQ(obj.at("queues"), json::parse(R"(["billing","general"])"));
  EXPECT_EQ(obj.at("skills"), json::parse(R"({"spanish":8,"billing":1})"));
  EXPECT_EQ(obj.at("max_concurrent").as_int64(), 5);
  EXPECT_EQ(obj.at("load").as_int64(), 2);
  EXPECT_EQ(obj.at("tickets"), json::parse(R"(["T-1","T-2","T-3"])"));
  expect_time(obj, "last_assigned_at", t0);
}

TEST_F(Render, AgentWithoutOwnMaximumShowsTheConfiguredDefault) {
  auto a = sample_agent();
  a.max_concurrent.reset();
  a.last_assigned_at.reset();
  const auto obj = parse_object(agent_json(a, cfg_));
  EXPECT_EQ(obj.at("max_concurrent").as_int64(), 7);
  EXPECT_TRUE(obj.at("last_assigned_at").is_null());
}

TEST_F(Render, QueuesListShowsWaitRankAgentsAndMode) {
  cfg_.queues[1].mode = config::queue_mode::push;  // billing
  routing::queue_stats stats;
  routing::queue_stat billing;
  billing.name = "billing";
  billing.depth = 3;
  billing.oldest_enqueued_s = t0 / 1000 - 90;
  billing.head_score = 1795345200000500.0;
  billing.agents_online = 2;
  billing.agents_available = 1;
  billing.at_risk = 2;
  routing::queue_stat general;
  general.name = "general";
  stats.queues = {billing, general};
  const auto obj = parse_object(queues_json(stats, cfg_, t0 + 500));
  const auto& list = obj.at("queues").as_array();
  ASSERT_EQ(list.size(), 2u);
  const auto& b = list[0].as_object();
  expect_fields(b,
                {{"name", kind::string},
                 {"depth", kind::number},
                 {"oldest_wait_s", kind::number},
                 {"next_rank", kind::number},
                 {"agents_online", kind::number},
                 {"agents_available", kind::number},
                 {"at_risk", kind::number},
                 {"mode", kind::string}},
                "queue");
  EXPECT_EQ(b.at("name").as_string(), "billing");
  EXPECT_EQ(b.at("depth").as_int64(), 3);
  EXPECT_EQ(b.at("oldest_wait_s").as_int64(), 90);
  EXPECT_EQ(b.at("next_rank").as_int64(), 1'795'345'200'000);
  EXPECT_EQ(b.at("agents_online").as_int64(), 2);
  EXPECT_EQ(b.at("agents_available").as_int64(), 1);
  EXPECT_EQ(b.at("at_risk").as_int64(), 2);
  EXPECT_EQ(b.at("mode").as_string(), "push");
  const auto& g = list[1].as_object();
  EXPECT_TRUE(g.at("oldest_wait_s").is_null());
  EXPECT_TRUE(g.at("next_rank").is_null());
  EXPECT_EQ(g.at("mode").as_string(), "pull");
}

TEST_F(Render, QueueShowsItsHeadInOrder) {
  routing::queue_head head;
  head.depth = 2;
  head.oldest_enqueued_s = t0 / 1000 + 10;  // clock skew: never a negative wait
  auto second = queued_ticket();
  second.id = "T-1002";
  head.tickets = {queued_ticket(), second};
  const auto obj = parse_object(queue_json("billing", head, cfg_, t0));
  EXPECT_EQ(obj.at("name").as_string(), "billing");
  EXPECT_EQ(obj.at("depth").as_int64(), 2);
  EXPECT_EQ(obj.at("oldest_wait_s").as_int64(), 0);
  const auto& tickets = obj.at("tickets").as_array();
  ASSERT_EQ(tickets.size(), 2u);
  EXPECT_EQ(tickets[0].at("id").as_string(), "T-1001");
  EXPECT_EQ(tickets[1].at("id").as_string(), "T-1002");
}

TEST_F(Render, VerifyIsOkOnlyWithoutViolations) {
  routing::verify_report r;
  r.forced = {"agent bob load 6 above max 5"};
  r.tickets_checked = 4;
  r.agents_checked = 2;
  const auto ok = parse_object(verify_json(r));
  EXPECT_TRUE(ok.at("ok").as_bool());
  EXPECT_EQ(ok.at("forced"), json::parse(R"(["agent bob load 6 above max 5"])"));
  EXPECT_EQ(ok.at("tickets_checked").as_int64(), 4);
  r.violations = {"queued ticket T-1 sits in 0 waiting sets, expected 1"};
  const auto bad = parse_object(verify_json(r));
  EXPECT_FALSE(bad.at("ok").as_bool());
  EXPECT_EQ(bad.at("violations").as_array().size(), 1u);
}

}  // namespace
}  // namespace ticketd::daemon::api
