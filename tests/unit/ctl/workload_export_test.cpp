#include "ctl/workload_export.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <sstream>
#include <vector>

namespace ticketd::ctl {
namespace {

namespace json = boost::json;

std::string record(const std::string& type, const std::string& data) {
  return "id: 1-0\nevent: " + type + "\ndata: " + data + "\n\n";
}

std::vector<json::object> lines_of(const std::string& text) {
  std::vector<json::object> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line).as_object());
  return out;
}

const std::string agents_page =
    R"({"agents": [
      {"id": "ada", "name": "Ada", "status": "online", "queues": ["general"], "skills": {"german": 2},
       "max_concurrent": 5, "capacity": 10, "load": 1, "tickets": ["T-1"],
       "channels": {"chat": "online", "phone": "away"}},
      {"id": "bob", "name": "Bob", "status": "online", "queues": ["general"], "skills": {},
       "max_concurrent": 5, "capacity": 10, "load": 0, "tickets": []},
      {"id": "cy", "name": "Cy", "status": "away", "queues": ["billing"], "skills": {},
       "max_concurrent": 2, "capacity": 10, "load": 0, "tickets": []}],
     "next": null})";

TEST(WorkloadExport, ArrivalsRepliesShiftsAndHandlingFromTheStream) {
  const std::string events =
      "retry: 1000\n\n" +
      record(
          "ticket.queued",
          R"({"ticket":"T-1","at":"2026-11-23T09:00:00.000Z","queue":"general","request":{"channel":"chat","attributes":{"vip":true}}})") +
      record("ticket.queued",
             R"({"ticket":"T-2","at":"2026-11-23T09:00:01.000Z","queue":"general"})") +
      record(
          "ticket.queued",
          R"({"ticket":"T-2","at":"2026-11-23T09:00:02.000Z","queue":"general","via":"rejected"})") +
      record("ticket.assigned",
             R"({"ticket":"T-1","at":"2026-11-23T09:00:30.000Z","agent":"ada","via":"pull"})") +
      record("ticket.pending",
             R"({"ticket":"T-1","at":"2026-11-23T09:02:00.500Z","agent":"ada"})") +
      // T-2's round is broken by its customer: no handle for it.
      record("ticket.assigned",
             R"({"ticket":"T-2","at":"2026-11-23T09:03:00.000Z","agent":"bob","via":"pull"})") +
      record("ticket.pending",
             R"({"ticket":"T-2","at":"2026-11-23T09:04:00.000Z","agent":"bob"})") +
      record(
          "ticket.assigned",
          R"({"ticket":"T-2","at":"2026-11-23T09:05:00.000Z","agent":"bob","via":"customer_reply"})") +
      record("ticket.resolved",
             R"({"ticket":"T-1","at":"2026-11-23T09:10:00.500Z","agent":"ada","reason":"agent"})") +
      record("ticket.resolved",
             R"({"ticket":"T-2","at":"2026-11-23T09:10:01.000Z","agent":"bob","reason":"agent"})") +
      record(
          "ticket.assigned",
          R"({"ticket":"OLD","at":"2026-11-23T09:11:00.000Z","agent":"ada","via":"customer_reply"})") +
      record("agent.status",
             R"({"agent":"bob","at":"2026-11-23T09:12:00.000Z","status":"online"})") +
      record(
          "agent.status",
          R"({"agent":"ada","at":"2026-11-23T09:13:00.000Z","status":"away","reason":"missed_offers"})") +
      // Another daemon's clock 5 ms behind: the line keeps the stream's order, at the time before.
      record(
          "agent.status",
          R"({"agent":"bob","at":"2026-11-23T09:11:59.995Z","status":"away","channel":"chat"})") +
      ": keep-alive\n\n";
  // The stream's ids run ahead of the daemon's clock here: the agents come at the first event.
  const auto w = export_workload(std::vector<std::string>{agents_page}, events, 1796000000000);
  ASSERT_TRUE(w.problem.empty()) << w.problem;
  EXPECT_EQ(w.agents, 3u);
  EXPECT_EQ(w.arrivals, 2u);
  EXPECT_EQ(w.with_handling, 1u);
  EXPECT_EQ(w.customer_replies, 1u);  // OLD arrived before the window
  EXPECT_EQ(w.status_changes, 2u);    // the missed-offers one is ticketd's own doing
  const auto lines = lines_of(w.lines);
  ASSERT_EQ(lines.size(), 4u + 2 + 1 + 2) << w.lines;
  // Agents: the common max_concurrent and capacity are left to the configuration; bob turned
  // online in the window, so it started offline; ada's phone is away (a line of its own), and
  // bob's chat went away in the window, so it started online (no line).
  EXPECT_EQ(
      json::serialize(lines[0]),
      R"({"at":"2026-11-23T09:00:00.000Z","op":"agent","id":"ada","name":"Ada","queues":["general"],"skills":{"german":2},"status":"online"})");
  EXPECT_EQ(
      json::serialize(lines[1]),
      R"({"at":"2026-11-23T09:00:00.000Z","op":"status","agent":"ada","status":"away","channel":"phone"})");
  EXPECT_EQ(lines[2].at("status"), "offline");
  EXPECT_FALSE(lines[2].contains("max_concurrent"));
  EXPECT_EQ(lines[3].at("max_concurrent"), 2);
  // The create body as sent, and the handling of its first round: 90.5 s from the assignment
  // to the reply, 480 s from that reply to the resolve.
  EXPECT_EQ(lines[4].at("op"), "create");
  EXPECT_EQ(lines[4].at("id"), "T-1");
  EXPECT_EQ(lines[4].at("channel"), "chat");
  EXPECT_EQ(lines[4].at("attributes").at("vip"), true);
  EXPECT_EQ(lines[4].at("handle").at("reply_after").to_number<double>(), 90.5);
  EXPECT_EQ(lines[4].at("handle").at("resolve_after").to_number<double>(), 480.0);
  // A body of only the id has no `request`; a ticket queued again is not a second arrival.
  EXPECT_EQ(json::serialize(lines[5]),
            R"({"at":"2026-11-23T09:00:01.000Z","op":"create","id":"T-2"})");
  EXPECT_EQ(json::serialize(lines[6]),
            R"({"at":"2026-11-23T09:05:00.000Z","op":"customer-reply","ticket":"T-2"})");
  EXPECT_EQ(lines[7].at("agent"), "bob");
  EXPECT_EQ(
      json::serialize(lines[8]),
      R"({"at":"2026-11-23T09:12:00.000Z","op":"status","agent":"bob","status":"away","channel":"chat"})");
}

TEST(WorkloadExport, SomethingElseThanTicketdIsAProblem) {
  EXPECT_FALSE(export_workload(std::vector<std::string>{"<html>"}, "", 0).problem.empty());
  const auto empty =
      export_workload(std::vector<std::string>{R"({"agents": [], "next": null})"}, "", 0);
  EXPECT_TRUE(empty.problem.empty());
  EXPECT_TRUE(empty.lines.empty());
}

}  // namespace
}  // namespace ticketd::ctl
