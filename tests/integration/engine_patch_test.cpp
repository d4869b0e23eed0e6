// PATCH /v1/tickets/{id} through the real functions: a priority change moves the running, paused
// and wake-up due times by the difference of the targets with the time already spent counting,
// re-ranks a waiting ticket where it waits, and marks nothing escalated; channel, skills and
// attributes are replaced or removed without routing the ticket again.
#include <gtest/gtest.h>

#include "tests/integration/engine_fixture.hpp"
#include "tests/support/text.hpp"

namespace ticketd::testing {
namespace {

using routing::patch_request;
using routing::ticket_action;
using routing::ticket_status;

patch_request priority(std::string p) {
  patch_request r;
  r.priority = std::move(p);
  return r;
}

class Patch : public EngineTest {
 protected:
  // The queue's waiting ticket ids in rank order.
  std::vector<std::string> waiting(const std::string& queue) {
    const auto r = redis({"ZRANGE", key(routing::key_part::queue, queue), "0", "-1"});
    std::vector<std::string> ids;
    for (const auto& e : r.elements) ids.push_back(e.str);
    return ids;
  }
  double score(const std::string& queue, const std::string& id) {
    return std::stod(redis({"ZSCORE", key(routing::key_part::queue, queue), id}).str);
  }
};

TEST_F(Patch, RaisingThePriorityCountsTheTimeSpentAndRanksTheTicketAnewInPlace) {
  created("T-2");  // normal: first reply due t0 + 8h, resolution t0 + 3d
  created("T-1");
  ASSERT_EQ(waiting("general"), (std::vector<std::string>{"T-2", "T-1"}));
  run_until(t0 + 30 * minute);
  const auto before = get("T-1");
  ASSERT_OK(before);
  auto t = patch("T-1", priority("urgent"));
  ASSERT_OK(t);
  // Urgent is 1h to the first reply and 4h to resolution; 30 minutes are spent of each.
  EXPECT_EQ(t->priority, "urgent");
  EXPECT_EQ(t->first_reply_due, t0 + hour);
  EXPECT_EQ(t->resolution_due, t0 + 4 * hour);
  EXPECT_EQ(t->status, ticket_status::queued);
  EXPECT_FALSE(t->escalated);
  EXPECT_EQ(t->version, before->version + 1);
  EXPECT_EQ(t->queued_at, before->queued_at);  // its wait goes on
  EXPECT_EQ(t->rank(), t0 + hour);             // wait_weight 0: the due time
  EXPECT_EQ(waiting("general"), (std::vector<std::string>{"T-1", "T-2"}));
  EXPECT_EQ(routing::rank_of_score(score("general", "T-1")), t0 + hour);
  const auto updated = events("ticket.updated");
  ASSERT_EQ(updated.size(), 1u);
  EXPECT_EQ(updated[0].at("ticket"), "T-1");
  EXPECT_EQ(updated[0].at("changed"), "priority");
  EXPECT_EQ(updated[0].at("priority"), "urgent");
  EXPECT_TRUE(events("ticket.escalated").empty());
  // The SLA timer follows: the first reply breaches at t0 + 1h, not t0 + 8h.
  run_until(t0 + hour);
  const auto breaches = events("sla.breached");
  ASSERT_EQ(breaches.size(), 1u);
  EXPECT_EQ(breaches[0].at("due"), std::to_string(t0 + hour));
  ASSERT_OK(put_agent("ada", {"general"}));
  auto taken = next("ada");
  ASSERT_OK(taken);
  ASSERT_TRUE(taken->has_value());
  EXPECT_EQ((*taken)->id, "T-1");
  ASSERT_OK(verify());
  EXPECT_TRUE(verify()->violations.empty());
}

TEST_F(Patch, LoweringThePriorityGivesTheNewTargetsLessTheTimeSpent) {
  created("T-1", "", "urgent");
  run_until(t0 + 30 * minute);
  auto t = patch("T-1", priority("normal"));
  ASSERT_OK(t);
  EXPECT_EQ(t->first_reply_due, t0 + 8 * hour);
  EXPECT_EQ(t->resolution_due, t0 + 3 * day);
  EXPECT_EQ(t->rank(), t0 + 8 * hour);
  run_until(t0 + 8 * hour - 1);
  EXPECT_TRUE(events("sla.breached").empty());
}

TEST_F(Patch, ATargetAlreadyBreachedKeepsItsDueTimeAndIsNotBreachedAgain) {
  created("T-1", "", "urgent");
  run_until(t0 + 2 * hour);  // the first reply breached at t0 + 1h
  ASSERT_EQ(events("sla.breached").size(), 1u);
  auto t = patch("T-1", priority("low"));
  ASSERT_OK(t);
  EXPECT_EQ(t->first_reply_due, t0 + hour);
  EXPECT_EQ(t->resolution_due, t0 + 7 * day);  // 4h target, 2h spent: 7d less 2h from now
  run_until(t0 + 6 * day);
  EXPECT_EQ(events("sla.breached").size(), 1u);
  EXPECT_EQ(get("T-1")->breached, std::vector<std::string>{"first_reply"});
}

// Escalation with a priority retargets the due times the same way; one already breached keeps
// its time, and what fired for it stays fired (it used to fire again at once).
TEST_F(Patch, AnEscalationDoesNotBreachAnAlreadyBreachedTargetAgain) {
  created("T-1", "billing", "urgent");
  run_until(t0 + 2 * hour);
  ASSERT_EQ(events("sla.breached").size(), 1u);
  routing::action_request up;
  up.priority = "urgent";
  ASSERT_OK(act(ticket_action::escalate, "T-1", up));
  run_until(t0 + 3 * hour);
  EXPECT_EQ(events("sla.breached").size(), 1u);
  run_until(t0 + 4 * hour);
  EXPECT_EQ(events("sla.breached").size(), 2u);  // resolution, at its time
}

TEST_F(Patch, APostponedTicketsPausedTargetsMoveAndItWakesWithThem) {
  ASSERT_OK(put_agent("ada", {"general"}));
  created("T-1");  // normal: first reply due t0 + 8h
  ASSERT_OK(next("ada"));
  run_until(t0 + 2 * hour);
  ASSERT_OK(act(ticket_action::postpone, "T-1", until(t0 + 2 * day)));
  run_until(t0 + 5 * hour);
  // Paused with 6h left of 8h; low gives 1d: 22h left.
  auto t = patch("T-1", priority("low"));
  ASSERT_OK(t);
  EXPECT_EQ(t->status, ticket_status::postponed);
  EXPECT_EQ(t->paused_first_reply, t0 + 2 * hour + 22 * hour);
  run_until(t0 + 2 * day);
  t = get("T-1");
  ASSERT_OK(t);
  EXPECT_EQ(t->status, ticket_status::assigned);
  EXPECT_EQ(t->first_reply_due, t0 + 2 * day + 22 * hour);
}

TEST_F(Patch, ATicketWaitingInSeveralQueuesIsRankedAnewInEach) {
  configure(replaced(engine_config_yaml(), "  general: {mode: pull, wait_weight: 0}",
                     "  general: {mode: pull, wait_weight: 0, overflow: [{after: 10m, to: vip}]}"));
  created("T-1");
  run_until(t0 + 20 * minute);
  ASSERT_EQ(get("T-1")->queues, (std::vector<std::string>{"general", "vip"}));
  auto t = patch("T-1", priority("urgent"));
  ASSERT_OK(t);
  EXPECT_EQ(routing::rank_of_score(score("general", "T-1")), t0 + hour);
  EXPECT_EQ(score("vip", "T-1"), score("general", "T-1"));
  EXPECT_EQ(t->rank(), t0 + hour);
  ASSERT_OK(verify());
  EXPECT_TRUE(verify()->violations.empty());
}

TEST_F(Patch, ChannelSkillsAndAttributesAreReplacedOrRemovedWithoutRoutingAgain) {
  routing::create_request r;
  r.id = "T-1";
  r.channel = "email";
  r.skills = {"spanish"};
  r.attributes_json = R"({"brand":"acme"})";
  ASSERT_OK(create(r));
  patch_request p;
  p.channel = "phone";  // a rule routes phone to urgent, but rules do not run again
  p.skills = std::vector<std::string>{"billing", "french"};
  p.attributes_json = R"({"tier":2})";
  auto t = patch("T-1", p);
  ASSERT_OK(t);
  EXPECT_EQ(t->channel, "phone");
  EXPECT_EQ(t->skills, (std::vector<std::string>{"billing", "french"}));
  EXPECT_EQ(t->attributes_json, R"({"tier":2})");
  EXPECT_EQ(t->priority, "normal");
  EXPECT_EQ(events("ticket.updated").back().at("changed"), "channel,skills,attributes");
  patch_request none;
  none.channel = "";
  none.skills = std::vector<std::string>{};
  none.attributes_json = "";
  t = patch("T-1", none);
  ASSERT_OK(t);
  EXPECT_EQ(t->channel, "");
  EXPECT_TRUE(t->skills.empty());
  EXPECT_EQ(t->attributes_json, "");
  // Removed from the hash, not stored empty.
  for (const auto& e :
       redis({"HMGET", key(routing::key_part::ticket, "T-1"), "ch", "sk", "at"}).elements) {
    EXPECT_TRUE(e.is_nil());
  }
}

TEST_F(Patch, RefusesWhatItMustAndChangesNothing) {
  created("T-1");
  EXPECT_ERROR(patch("T-9", priority("urgent")), not_found);
  EXPECT_ERROR(patch("T-1", priority("whenever")), invalid_argument);
  EXPECT_ERROR(patch("T-1", priority("urgent"), 7), version_mismatch);
  ASSERT_OK(patch("T-1", priority("urgent"), 1));
  ASSERT_OK(act(ticket_action::close, "T-1"));
  const auto closed = get("T-1");
  EXPECT_ERROR(patch("T-1", priority("low")), conflict);
  EXPECT_EQ(get("T-1")->version, closed->version);
  EXPECT_EQ(get("T-1")->priority, "urgent");
  EXPECT_EQ(events("ticket.updated").size(), 1u);
}

}  // namespace
}  // namespace ticketd::testing
