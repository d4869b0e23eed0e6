#include "simulate/report.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace ticketd::simulate {
namespace {

// An event as the stream holds it; `at` in ms.
struct ev {
  std::string type;
  std::vector<std::pair<std::string, std::string>> fields;
};

void feed(recorder& r, const ev& e) {
  event_view v;
  v.type = e.type;
  for (const auto& [k, val] : e.fields) v.fields.emplace_back(k, val);
  r.event(v);
}

TEST(Report, PercentilesAreNearestRank) {
  const std::vector<std::int64_t> v{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_EQ(percentile(v, 0.5), 5);
  EXPECT_EQ(percentile(v, 0.9), 9);
  EXPECT_EQ(percentile(v, 0.99), 10);
  EXPECT_EQ(percentile({}, 0.5), 0);
  EXPECT_EQ(percentile({42}, 0.01), 42);
}

TEST(Report, WaitsHoldsAndTargetsComeFromTheEvents) {
  recorder r(0, false, false);
  r.agent_defined("ada", 2);
  feed(r, {"agent.status", {{"agent", "ada"}, {"at", "0"}, {"status", "online"}}});
  r.arrived("T1", "general", 0, true, true);
  r.arrived("T2", "general", 1000, true, false);
  feed(r,
       {"ticket.assigned", {{"ticket", "T1"}, {"at", "4000"}, {"agent", "ada"}, {"via", "push"}}});
  feed(r,
       {"ticket.assigned", {{"ticket", "T2"}, {"at", "6000"}, {"agent", "ada"}, {"via", "pull"}}});
  // Pending does not count here: T1 stops taking a place at 8 s.
  feed(r, {"ticket.pending", {{"ticket", "T1"}, {"at", "8000"}, {"agent", "ada"}}});
  feed(r, {"sla.breached", {{"ticket", "T2"}, {"at", "9000"}, {"target", "first_reply"}}});
  feed(r, {"ticket.resolved", {{"ticket", "T2"}, {"at", "10000"}, {"agent", "ada"}}});
  // A second assignment of T1 (the customer wrote) is not a second wait.
  feed(r, {"ticket.assigned",
           {{"ticket", "T1"}, {"at", "12000"}, {"agent", "ada"}, {"via", "customer_reply"}}});
  const auto rep = r.finish(20'000);
  const auto& q = rep.queues.at("general");
  EXPECT_EQ(q.arrived, 2);
  EXPECT_EQ(q.assigned(), 2);
  EXPECT_EQ(q.waits, (std::vector<std::int64_t>{4000, 5000}));
  EXPECT_EQ(q.assignments.at("push"), 1);
  EXPECT_EQ(q.assignments.at("customer_reply"), 1);
  EXPECT_EQ(q.sla.at("first_reply").measured, 2);
  EXPECT_EQ(q.sla.at("first_reply").breached, 1);
  EXPECT_EQ(q.sla.at("resolution").measured, 1);
  EXPECT_EQ(q.resolved, 1);
  const auto& ada = rep.agents.at("ada");
  EXPECT_EQ(ada.online_ms, 20'000);
  // Holding: T1 4-8 s and 12-20 s, T2 6-10 s: busy 4-10 and 12-20.
  EXPECT_EQ(ada.busy_ms, 14'000);
  EXPECT_EQ(ada.load_ms, 4000 + 8000 + 4000);
  EXPECT_EQ(ada.assigned, 3);
  EXPECT_EQ(ada.resolved, 1);
}

TEST(Report, PendingCountsWhenConfiguredSo) {
  recorder r(0, true, false);
  feed(r, {"agent.status", {{"agent", "ada"}, {"at", "0"}, {"status", "online"}}});
  r.arrived("T1", "general", 0, false, false);
  feed(r, {"ticket.assigned", {{"ticket", "T1"}, {"at", "0"}, {"agent", "ada"}, {"via", "push"}}});
  feed(r, {"ticket.pending", {{"ticket", "T1"}, {"at", "1000"}, {"agent", "ada"}}});
  feed(r, {"agent.status", {{"agent", "ada"}, {"at", "5000"}, {"status", "offline"}}});
  const auto rep = r.finish(9000);
  EXPECT_EQ(rep.agents.at("ada").online_ms, 5000);  // offline time is not counted
  EXPECT_EQ(rep.agents.at("ada").busy_ms, 5000);
}

TEST(Report, JsonAndTextShowBothRunsAndTheDifference) {
  auto one = [](std::int64_t wait) {
    recorder r(0, false, false);
    r.arrived("T1", "general", 0, true, false);
    feed(r, {"ticket.assigned",
             {{"ticket", "T1"}, {"at", std::to_string(wait)}, {"agent", "ada"}, {"via", "push"}}});
    return r.finish(60'000);
  };
  const auto c = one(1500);
  const auto b = one(4000);
  const auto doc = boost::json::parse(report_json(c, &b));
  EXPECT_EQ(doc.at("candidate")
                .at("queues")
                .at("general")
                .at("wait_seconds")
                .at("p50")
                .to_number<double>(),
            1.5);
  EXPECT_EQ(doc.at("difference")
                .at("queues")
                .at("general")
                .at("wait_seconds")
                .at("p50")
                .to_number<double>(),
            -2.5);
  EXPECT_EQ(doc.at("difference").at("totals").at("arrived").to_number<std::int64_t>(), 0);
  const auto text = report_text(c, &b);
  EXPECT_NE(text.find("  candidate"), std::string::npos) << text;
  EXPECT_NE(text.find("  baseline"), std::string::npos);
  EXPECT_NE(text.find("-3s"), std::string::npos) << text;  // 1.5 s - 4 s, rounded
  // A queue only the baseline has (the candidate removed it) still shows, beside nothing.
  recorder old(0, false, false);
  old.arrived("T9", "retired", 0, false, false);
  const auto with_retired = old.finish(60'000);
  const auto compared = report_text(c, &with_retired);
  EXPECT_NE(compared.find("retired\n  candidate                  0"), std::string::npos)
      << compared;
  const auto alone = boost::json::parse(report_json(c, nullptr));
  EXPECT_FALSE(alone.as_object().contains("baseline"));
  EXPECT_EQ(report_text(c, nullptr).find("difference"), std::string::npos);
}

}  // namespace
}  // namespace ticketd::simulate
