#include "simulate/workload.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace ticketd::simulate {
namespace {

parsed_workload parse(const std::string& text) {
  std::istringstream in(text);
  return parse_workload(in);
}

TEST(Workload, ReadsEveryOperationWithTheApisOwnParsers) {
  const auto w = parse(
      R"({"at": "2026-11-23T09:00:00Z", "op": "agent", "id": "ada", "queues": ["general"], "max_concurrent": 2})"
      "\n"
      R"({"at": "2026-11-23T09:00:00Z", "op": "handling", "channel": "chat", "reply_after": 60, "resolve_after": 120.5, "spread": 0.25})"
      "\n\n"
      R"({"at": "2026-11-23T09:01:00Z", "op": "create", "id": "T1", "channel": "chat", "handle": {"reply_after": 5, "resolve_after": 7}})"
      "\n"
      R"({"at": "2026-11-23T09:02:00Z", "op": "customer-reply", "ticket": "T1"})"
      "\n"
      R"({"at": "2026-11-23T09:03:00Z", "op": "status", "agent": "ada", "status": "away", "channel": "chat"})"
      "\n");
  ASSERT_TRUE(w.errors.empty()) << w.errors.front().message;
  ASSERT_EQ(w.value.ops.size(), 5u);
  const auto& agent = std::get<agent_op>(w.value.ops[0].what);
  EXPECT_EQ(agent.id, "ada");
  EXPECT_EQ(agent.request.name, "ada");
  EXPECT_EQ(agent.request.status, routing::agent_status::online);  // a shift starts
  EXPECT_EQ(agent.request.max_concurrent, 2u);
  const auto& h = std::get<handling_op>(w.value.ops[1].what);
  EXPECT_EQ(h.channel, "chat");
  EXPECT_EQ(h.value.reply_after_ms, 60'000);
  EXPECT_EQ(h.value.resolve_after_ms, 120'500);
  EXPECT_DOUBLE_EQ(h.value.spread, 0.25);
  const auto& c = std::get<create_op>(w.value.ops[2].what);
  EXPECT_EQ(w.value.ops[2].line, 4u);
  EXPECT_EQ(c.request.id, "T1");
  EXPECT_EQ(c.request.channel, "chat");
  ASSERT_TRUE(c.handle.has_value());
  EXPECT_EQ(c.handle->reply_after_ms, 5'000);
  EXPECT_EQ(c.request.body, R"({"channel":"chat"})");  // what ticket.queued carries
  EXPECT_EQ(std::get<customer_reply_op>(w.value.ops[3].what).ticket, "T1");
  const auto& s = std::get<status_op>(w.value.ops[4].what);
  EXPECT_EQ(s.request.status, routing::agent_status::away);
  EXPECT_EQ(s.request.channel, "chat");
  EXPECT_EQ(w.value.ops[4].at - w.value.ops[0].at, 180'000);
}

TEST(Workload, AnAgentLineMayStartOffline) {
  const auto w = parse(
      R"({"at": "2026-11-23T09:00:00Z", "op": "agent", "id": "ada", "queues": ["general"], "status": "offline"})");
  ASSERT_TRUE(w.errors.empty());
  EXPECT_EQ(std::get<agent_op>(w.value.ops[0].what).request.status, routing::agent_status::offline);
}

TEST(Workload, EveryBadLineIsReportedWithItsNumber) {
  const auto w = parse(
      R"({"at": "2026-11-23T09:00:00Z", "op": "create", "id": "T1"})"
      "\n"
      R"(not json)"
      "\n"
      R"({"at": "2026-11-23T08:00:00Z", "op": "create", "id": "T2"})"
      "\n"
      R"({"at": "2026-11-23T09:00:00Z", "op": "dance"})"
      "\n"
      R"({"at": "2026-11-23T09:00:00Z", "op": "create", "id": "T3", "colour": "red"})"
      "\n"
      R"({"at": "2026-11-23T09:00:00Z", "op": "create", "id": "T4", "handle": {"reply_after": -1, "resolve_after": 1}})"
      "\n"
      R"({"at": "9am", "op": "create", "id": "T5"})"
      "\n"
      R"({"at": "2026-11-23T09:00:00Z", "op": "status", "agent": "ada", "status": "asleep"})"
      "\n");
  ASSERT_EQ(w.errors.size(), 7u);
  EXPECT_EQ(w.value.ops.size(), 1u);
  EXPECT_EQ(w.errors[0].line, 2u);
  EXPECT_EQ(w.errors[0].message, "not a JSON object");
  EXPECT_EQ(w.errors[1].line, 3u);
  EXPECT_NE(w.errors[1].message.find("back in time"), std::string::npos);
  EXPECT_NE(w.errors[2].message.find("op must be"), std::string::npos);
  EXPECT_NE(w.errors[3].message.find("colour"), std::string::npos) << w.errors[3].message;
  EXPECT_NE(w.errors[4].message.find("reply_after"), std::string::npos);
  EXPECT_NE(w.errors[5].message.find("RFC 3339"), std::string::npos);
  EXPECT_NE(w.errors[6].message.find("status"), std::string::npos);
}

TEST(Workload, ReportsAtMostTwentyErrors) {
  std::string text;
  for (int i = 0; i < 50; ++i) text += "{}\n";  // not even an `at`
  EXPECT_EQ(parse(text).errors.size(), 20u);
}

TEST(Workload, ATicketsOwnHandleHasNoSpread) {
  const auto w = parse(
      R"({"at": "2026-11-23T09:00:00Z", "op": "create", "id": "T1", "handle": {"reply_after": 5, "resolve_after": 7, "spread": 0.5}})");
  ASSERT_EQ(w.errors.size(), 1u);
  EXPECT_NE(w.errors[0].message.find("spread"), std::string::npos) << w.errors[0].message;
}

TEST(Workload, HandleOptions) {
  auto h = parse_handle_option("email=300,1800,0.5");
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->first, "email");
  EXPECT_EQ(h->second.reply_after_ms, 300'000);
  EXPECT_EQ(h->second.resolve_after_ms, 1'800'000);
  EXPECT_DOUBLE_EQ(h->second.spread, 0.5);
  EXPECT_TRUE(parse_handle_option("default=0.5,1").has_value());
  for (const char* bad :
       {"email", "=1,2", "email=1", "email=1,2,3", "email=1,x", "email=-1,2", "email=1,2,0.5,1"}) {
    EXPECT_FALSE(parse_handle_option(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace ticketd::simulate
