// Idempotency-Key: a writing function keeps what it answered under the key, atomically with its
// change, and a repeat of the request gets it again without acting twice.
#include "tests/integration/engine_fixture.hpp"

namespace ticketd::testing {
namespace {

using routing::ticket_action;
using routing::ticket_status;

class Idempotency : public EngineTest {
 protected:
  std::string key_of(const std::string& k) const { return key(routing::key_part::idempotency, k); }

  routing::outcome<routing::pulled> next_with(const std::string& agent,
                                              const routing::idempotency& idem) {
    auto op = routing::next_operation(rt_->plan, agent, now(), idem);
    return routing::next_result_of(drive(op));
  }

  routing::outcome<routing::ticket_result> act_with(ticket_action a, const std::string& id,
                                                    const routing::action_request& r,
                                                    const routing::idempotency& idem) {
    auto op = routing::action_operation(rt_->plan, a, id, std::nullopt, r, now(), idem);
    return routing::ticket_result_of(drive(op));
  }
};

TEST_F(Idempotency, ARepeatedNextGetsTheSameTicketAndTakesNoOther) {
  ASSERT_OK(put_agent("ada", {"general"}));
  created("T-1");
  created("T-2");
  const routing::idempotency key{"pull-1", "POST /v1/agents/ada/next 00"};
  auto first = next_with("ada", key);
  ASSERT_OK(first);
  ASSERT_TRUE(first->ticket.has_value());
  EXPECT_FALSE(first->replayed);
  EXPECT_EQ(first->ticket->value.id, "T-1");
  auto again = next_with("ada", key);
  ASSERT_OK(again);
  EXPECT_TRUE(again->replayed);
  ASSERT_TRUE(again->ticket.has_value());
  EXPECT_EQ(again->ticket->value.id, "T-1");
  EXPECT_EQ(again->ticket->value.version, first->ticket->value.version);
  EXPECT_EQ(agent("ada")->load, 1U);
  EXPECT_EQ(get("T-2")->status, ticket_status::queued);
  // The answer is kept for 24 hours.
  const auto ttl = redis({"PTTL", key_of("pull-1")}).integer;
  EXPECT_GT(ttl, 23 * hour);
  EXPECT_LE(ttl, 24 * hour);
}

TEST_F(Idempotency, TheKeptAnswerShowsTheTicketAsTheFirstCallLeftIt) {
  ASSERT_OK(put_agent("ada", {"general"}));
  created("T-1");
  ASSERT_OK(next("ada"));
  const routing::idempotency key{"resolve-1", "POST /v1/tickets/T-1/resolve 00"};
  auto first = act_with(ticket_action::resolve, "T-1", {}, key);
  ASSERT_OK(first);
  EXPECT_EQ(first->value.status, ticket_status::resolved);
  ASSERT_OK(act(ticket_action::reopen, "T-1"));  // the ticket moves on
  auto again = act_with(ticket_action::resolve, "T-1", {}, key);
  ASSERT_OK(again);
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->value.status, ticket_status::resolved);
  EXPECT_EQ(again->value.version, first->value.version);
  EXPECT_NE(get("T-1")->status, ticket_status::resolved);  // the repeat resolved nothing
}

// Postpone plans from the ticket and the clock: a repeat sent after its wake-up time must be
// answered from the key before that plan refuses an `until` in the past.
TEST_F(Idempotency, ARepeatPlannedFromTheTicketIsAnsweredBeforeThePlanCanRefuseIt) {
  ASSERT_OK(put_agent("ada", {"general"}));
  created("T-1");
  ASSERT_OK(next("ada"));
  routing::action_request r;
  r.until = now() + hour;
  const routing::idempotency key{"postpone-1", "POST /v1/tickets/T-1/postpone 00"};
  auto first = act_with(ticket_action::postpone, "T-1", r, key);
  ASSERT_OK(first);
  EXPECT_EQ(first->value.status, ticket_status::postponed);
  advance(2 * hour);  // the ticket wakes up
  const auto woken = get("T-1")->version;
  auto again = act_with(ticket_action::postpone, "T-1", r, key);
  ASSERT_OK(again);
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->value.status, ticket_status::postponed);
  EXPECT_EQ(again->value.version, first->value.version);
  EXPECT_EQ(get("T-1")->version, woken);  // the repeat changed nothing
  EXPECT_ERROR(act_with(ticket_action::postpone, "T-1", r,
                        {"postpone-1", "POST /v1/tickets/T-1/postpone 01"}),
               idempotency_conflict);
}

TEST_F(Idempotency, TheSameKeyForAnotherRequestIsAConflictAndChangesNothing) {
  ASSERT_OK(put_agent("ada", {"general"}));
  created("T-1");
  created("T-2");
  ASSERT_OK(next_with("ada", {"k", "POST /v1/agents/ada/next 00"}));
  EXPECT_ERROR(next_with("ada", {"k", "POST /v1/agents/ada/next 01"}), idempotency_conflict);
  EXPECT_ERROR(
      act_with(ticket_action::resolve, "T-2", {}, {"k", "POST /v1/tickets/T-2/resolve 00"}),
      idempotency_conflict);
  EXPECT_EQ(agent("ada")->load, 1U);
  EXPECT_EQ(get("T-2")->status, ticket_status::queued);
}

TEST_F(Idempotency, AFailedRequestKeepsNothingSoItsRepeatRunsAgain) {
  ASSERT_OK(put_agent("ada", {"general"}, 1));
  created("T-1");
  created("T-2");
  ASSERT_OK(next("ada"));
  const routing::idempotency key{"pull-2", "POST /v1/agents/ada/next 00"};
  EXPECT_ERROR(next_with("ada", key), capacity_exceeded);
  EXPECT_EQ(redis({"EXISTS", key_of("pull-2")}).integer, 0);
  ASSERT_OK(act(ticket_action::resolve, "T-1"));
  auto retried = next_with("ada", key);
  ASSERT_OK(retried);
  EXPECT_FALSE(retried->replayed);
  ASSERT_TRUE(retried->ticket.has_value());
  EXPECT_EQ(retried->ticket->value.id, "T-2");
}

TEST_F(Idempotency, ARepeatedCreateAnswersCreatedAgain) {
  routing::create_request r;
  r.id = "T-1";
  r.fingerprint = "T-1|";
  const routing::idempotency key{"create-1", "POST /v1/tickets 00"};
  auto first_op = routing::create_operation(rt_->plan, r, now(), key);
  auto first = routing::create_result_of(drive(first_op));
  ASSERT_OK(first);
  EXPECT_TRUE(first->created);
  auto again_op = routing::create_operation(rt_->plan, r, now(), key);
  auto again = routing::create_result_of(drive(again_op));
  ASSERT_OK(again);
  EXPECT_TRUE(again->created);  // the first answer (201), not "existing"
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->value.version, first->value.version);
  EXPECT_EQ(event_types().size(), 1U);
}

}  // namespace
}  // namespace ticketd::testing
