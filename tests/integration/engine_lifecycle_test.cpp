// The ticket lifecycle, To Solve and capacity, driven through the Redis functions.
#include "tests/integration/engine_fixture.hpp"

#include <algorithm>

#include "daemon/api/render.hpp"
#include "daemon/events/stream_event.hpp"
#include "routing/lua_library.hpp"
#include "routing/rank.hpp"
#include "tests/support/text.hpp"

namespace ticketd::testing {
namespace {

using routing::agent_status;
using routing::ticket_action;
using routing::ticket_status;

routing::action_request to_queue(const std::string& queue) {
  routing::action_request r;
  r.queue = queue;
  return r;
}

// The engine configuration with its vip queue pushing.
std::string with_push_vip(const std::string& yaml) {
  return replaced(yaml, "  vip: {mode: pull, rank_offset: -1h}",
                  "  vip: {mode: push, rank_offset: -1h}");
}

class Lifecycle : public EngineTest {};
class ToSolve : public EngineTest {};
class Affinity : public EngineTest {};
class Supervision : public EngineTest {
 protected:
  // Ada and Bob, at most one ticket each, hold T-1 and T-2.
  void each_agent_holds_one() {
    ASSERT_OK(put_agent("ada", {"general"}, 1));
    ASSERT_OK(put_agent("bob", {"general"}, 1));
    created("T-1");
    created("T-2");
    ASSERT_OK(next("ada"));
    ASSERT_OK(next("bob"));
  }
};
class Integrity : public EngineTest {};

TEST_F(Lifecycle, CreateQueuesTicketWithSlaDuesAndRank) {
  auto r = create("T-1", "", "", "phone");
  ASSERT_OK(r);
  const auto& t = r->value;
  EXPECT_TRUE(r->created);
  EXPECT_EQ(t.status, ticket_status::queued);
  EXPECT_EQ(t.queue, "general");
  EXPECT_EQ(t.priority, "urgent");  // the phone rule
  EXPECT_EQ(t.first_reply_due, t0 + hour);
  EXPECT_EQ(t.resolution_due, t0 + 4 * hour);
  EXPECT_EQ(t.rank(), routing::compute_rank(t0 + hour, t0, 0.0, 0));
  EXPECT_EQ(t.version, 1);
  EXPECT_EQ(event_types(), std::vector<std::string>{"ticket.queued"});
}

TEST_F(Lifecycle, RepeatedCreateIsIdempotentAndChangesNothing) {
  ASSERT_OK(create("T-1"));
  clock_.advance(std::chrono::minutes(5));
  auto again = create("T-1");
  ASSERT_OK(again);
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->value.version, 1);
  EXPECT_EQ(again->value.created_at, t0);
  EXPECT_EQ(redis({"ZCARD", key(routing::key_part::queue, "general")}).integer, 1);
  EXPECT_EQ(event_types().size(), 1U);
}

TEST_F(Lifecycle, SameIdWithAnotherPayloadIsConflict) {
  ASSERT_OK(create("T-1"));
  EXPECT_ERROR(create("T-1", "billing"), conflict);
  auto t = get("T-1");
  ASSERT_OK(t);
  EXPECT_EQ(t->queue, "general");
}

TEST_F(Lifecycle, FullConversationFromNewToClosed) {
  ASSERT_OK(put_agent("ada", {"general"}));
  created("T-1");
  auto taken = next("ada");
  ASSERT_OK(taken);
  ASSERT_TRUE(taken->has_value());
  EXPECT_EQ((*taken)->status, ticket_status::assigned);
  EXPECT_EQ((*taken)->assignee, "ada");

  // The agent answers: pending, no longer counted, first reply recorded.
  clock_.advance(std::chrono::minutes(30));
  auto replied = act(ticket_action::reply, "T-1", with_agent("ada"));
  ASSERT_OK(replied);
  EXPECT_EQ(replied->status, ticket_status::pending);
  EXPECT_EQ(replied->first_replied_at, now());
  EXPECT_FALSE(replied->first_reply_due.has_value());
  EXPECT_EQ(agent("ada")->load, 0U);
  EXPECT_EQ(agent("ada")->tickets, std::vector<std::string>{"T-1"});

  // The customer writes back: the ticket returns to Ada, who is online, with a next-reply due.
  clock_.advance(std::chrono::hours(2));
  auto back = act(ticket_action::customer_reply, "T-1");
  ASSERT_OK(back);
  EXPECT_EQ(back->status, ticket_status::assigned);
  EXPECT_EQ(back->assignee, "ada");
  EXPECT_EQ(back->next_reply_due, now() + 8 * hour);
  EXPECT_EQ(agent("ada")->load, 1U);

  auto resolved = act(ticket_action::resolve, "T-1");
  ASSERT_OK(resolved);
  EXPECT_EQ(resolved->status, ticket_status::resolved);
  EXPECT_EQ(resolved->resolve_reason, "agent");
  EXPECT_EQ(resolved->reopen_until, now() + 7 * day);
  EXPECT_FALSE(resolved->assignee.has_value());
  EXPECT_EQ(resolved->last_agent, "ada");
  EXPECT_EQ(agent("ada")->load, 0U);
  EXPECT_TRUE(agent("ada")->tickets.empty());

  // Seven days later the close timer closes it.
  advance(7 * day);
  auto closed = get("T-1");
  ASSERT_OK(closed);
  EXPECT_EQ(closed->status, ticket_status::closed);
  EXPECT_GT(redis({"PTTL", key(routing::key_part::ticket, "T-1")}).integer, 0);
  EXPECT_EQ(event_types(), (std::vector<std::string>{
                               "agent.status", "ticket.queued", "ticket.assigned", "ticket.pending",
                               "ticket.assigned", "ticket.resolved", "ticket.closed"}));
  auto report = verify();
  ASSERT_OK(report);
  EXPECT_TRUE(report->violations.empty());
}

TEST_F(Lifecycle, ReopenInsideWindowReturnsToAgentAndCountsIt) {
  ASSERT_OK(put_agent("ada", {"general"}));
  created("T-1");
  ASSERT_OK(next("ada"));
  ASSERT_OK(act(ticket_action::resolve, "T-1"));
  clock_.advance(std::chrono::hours(24 * 6));
  auto reopened = act(ticket_action::customer_reply, "T-1");
  ASSERT_OK(reopened);
  EXPECT_EQ(reopened->status, ticket_status::assigned);
  EXPECT_EQ(reopened->assignee, "ada");
  EXPECT_EQ(reopened->reopens, 1);
  EXPECT_FALSE(reopened->reopen_until.has_value());
  // The close timer of the first resolution is gone: it must not close the reopened ticket.
  advance(2 * day);
  EXPECT_EQ(get("T-1")->status, ticket_status::assigned);
}

TEST_F(Lifecycle, AfterTheReopenWindowACustomerReplyIsConflict) {
  ASSERT_OK(put_agent("ada", {"general"}));
  created("T-1");
  ASSERT_OK(next("ada"));
  auto r = act(ticket_action::resolve, "T-1");
  ASSERT_OK(r);
  // Keep the close timer from firing first: only the window matters here.
  clock_.advance(std::chrono::hours(24 * 7) + std::chrono::minutes(1));
  EXPECT_ERROR(act(ticket_action::customer_reply, "T-1"), conflict);
  EXPECT_ERROR(act(ticket_action::reopen, "T-1"), conflict);
  EXPECT_EQ(get("T-1")->status, ticket_status::resolved);
}

TEST_F(Lifecycle, ClosedTicketRefusesCustomerReplyAsConflict) {
  created("T-1");
  ASSERT_OK(act(ticket_action::close, "T-1"));
  EXPECT_ERROR(act(ticket_action::customer_reply, "T-1"), conflict);
  EXPECT_ERROR(act(ticket_action::resolve, "T-1"), invalid_transition);
  EXPECT_EQ(redis({"ZCARD", key(routing::key_part::queue, "general")}).integer, 0);
}

TEST_F(Lifecycle, InvalidTransitionNamesTheCurrentStatusAndChangesNothing) {
  created("T-1");
  auto r = act(ticket_action::reply, "T-1");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, routing::errc::invalid_transition);
  EXPECT_EQ(r.error().detail("status"), "queued");
  EXPECT_EQ(get("T-1")->version, 1);
}

TEST_F(Lifecycle, IfMatchMismatchIsRefusedAndChangesNothing) {
  ASSERT_OK(put_agent("ada", {"general"}));
  created("T-1");
  ASSERT_OK(next("ada"));
  auto r = act(ticket_action::reply, "T-1", {}, 1);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, routing::errc::version_mismatch);
  EXPECT_EQ(r.error().detail("version"), "2");
  EXPECT_EQ(get("T-1")->status, ticket_status::assigned);
  ASSERT_OK(act(ticket_action::reply, "T-1", {}, 2));
}

TEST_F(Lifecycle, PostponedTicketWakesBackToItsAgentAtTheTime) {
  ASSERT_OK(put_agent("ada", {"general"}));
  created("T-1");
  ASSERT_OK(next("ada"));
  auto p = act(ticket_action::postpone, "T-1", until(now() + 3 * hour));
  ASSERT_OK(p);
  EXPECT_EQ(p->status, ticket_status::postponed);
  EXPECT_EQ(p->postponed_until, now() + 3 * hour);
  EXPECT_EQ(agent("ada")->load, 0U);  // postponed does not count
  EXPECT_EQ(redis({"ZSCORE", key(routing::key_part::timers), "l|T-1"}).str,
            std::to_string(now() + 3 * hour));
  advance(3 * hour - 1);
  EXPECT_EQ(get("T-1")->status, ticket_status::postponed);
  advance(1);
  auto woke = get("T-1");
  ASSERT_OK(woke);
  EXPECT_EQ(woke->status, ticket_status::assigned);
  EXPECT_EQ(woke->assignee, "ada");
  EXPECT_EQ(agent("ada")->load, 1U);
  // The wake-up is gone; only the SLA timer of its running targets is left.
  EXPECT_TRUE(redis({"ZSCORE", key(routing::key_part::timers), "l|T-1"}).is_nil());
  EXPECT_EQ(redis({"ZCARD", key(routing::key_part::timers)}).integer, 1);
}

TEST_F(Lifecycle, AStatusChangeMovesTheTicketsOneLifecycleSlot) {
  ASSERT_OK(put_agent("ada", {"general"}));
  created("T-1");
  ASSERT_OK(next("ada"));
  ASSERT_OK(act(ticket_action::postpone, "T-1", until(now() + 3 * hour)));
  // Resolving clears the wake-up and sets the auto-close (close_after 7d) in the same slot.
  ASSERT_OK(act(ticket_action::resolve, "T-1"));
  EXPECT_EQ(redis({"ZSCORE", key(routing::key_part::timers), "l|T-1"}).str,
            std::to_string(now() + 7 * 24 * hour));
  // Resolved: no running SLA target, so the slot is the ticket's only timer.
  EXPECT_EQ(redis({"ZCARD", key(routing::key_part::timers)}).integer, 1);
  // Reopening clears the slot and sets none.
  ASSERT_OK(act(ticket_action::reopen, "T-1"));
  EXPECT_TRUE(redis({"ZSCORE", key(routing::key_part::timers), "l|T-1"}).is_nil());
}

TEST_F(Lifecycle, PostponeIntoThePastIsInvalidArgument) {
  ASSERT_OK(put_agent("ada", {"general"}));
  created("T-1");
  ASSERT_OK(next("ada"));
  EXPECT_ERROR(act(ticket_action::postpone, "T-1", until(now())), invalid_argument);
}

TEST_F(Lifecycle, ReleaseReturnsTheTicketToItsQueue) {
  ASSERT_OK(put_agent("ada", {"general"}));
  created("T-1");
  ASSERT_OK(next("ada"));
  EXPECT_ERROR(act(ticket_action::release, "T-1", with_agent("bob")), conflict);
  auto r = act(ticket_action::release, "T-1", with_agent("ada"));
  ASSERT_OK(r);
  EXPECT_EQ(r->status, ticket_status::queued);
  EXPECT_FALSE(r->assignee.has_value());
  EXPECT_EQ(agent("ada")->load, 0U);
  EXPECT_EQ(redis({"ZCARD", key(routing::key_part::queue, "general")}).integer, 1);
}

TEST_F(Lifecycle, TransferMovesTheTicketAndKeepsItsDueTimes) {
  created("T-1");
  auto r = act(ticket_action::transfer, "T-1", to_queue("billing"));
  ASSERT_OK(r);
  EXPECT_EQ(r->queue, "billing");
  EXPECT_EQ(r->first_reply_due, t0 + 8 * hour);
  EXPECT_EQ(redis({"ZCARD", key(routing::key_part::queue, "general")}).integer, 0);
  EXPECT_EQ(redis({"ZCARD", key(routing::key_part::queue, "billing")}).integer, 1);
  EXPECT_ERROR(act(ticket_action::transfer, "T-1", to_queue("nowhere")), not_found);
}

TEST_F(Lifecycle, DeleteForgetsTheTicketAndFreesCapacity) {
  ASSERT_OK(put_agent("ada", {"general"}));
  created("T-1");
  ASSERT_OK(next("ada"));
  const auto r = routing::decode_action(run(routing::delete_call(rt_->plan.base(now()), "T-1")));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->version, 1);
  EXPECT_ERROR(get("T-1"), not_found);
  EXPECT_EQ(agent("ada")->load, 0U);
  EXPECT_TRUE(agent("ada")->tickets.empty());
  EXPECT_TRUE(verify()->violations.empty());
}

TEST_F(Lifecycle, DeleteLeavesNoTimerBehind) {
  ASSERT_OK(put_agent("ada", {"general"}));
  created("T-1");
  ASSERT_OK(next("ada"));
  ASSERT_OK(act(ticket_action::postpone, "T-1", until(now() + 3 * hour)));
  EXPECT_FALSE(redis({"ZSCORE", key(routing::key_part::timers), "l|T-1"}).is_nil());
  ASSERT_TRUE(routing::decode_action(run(routing::delete_call(rt_->plan.base(now()), "T-1"))));
  EXPECT_EQ(redis({"ZCARD", key(routing::key_part::timers)}).integer, 0);
}

TEST_F(ToSolve, GivesTheLowestRankAcrossTheAgentsQueues) {
  ASSERT_OK(put_agent("ada", {"billing", "general"}));
  created("T-low", "general", "low");
  clock_.advance(std::chrono::minutes(1));
  created("T-urgent", "billing", "urgent");
  clock_.advance(std::chrono::minutes(1));
  created("T-normal", "general", "normal");
  std::vector<std::string> order;
  for (int i = 0; i < 3; ++i) {
    auto t = next("ada");
    ASSERT_OK(t);
    ASSERT_TRUE(t->has_value());
    order.push_back((*t)->id);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"T-urgent", "T-normal", "T-low"}));
}

TEST_F(ToSolve, EqualRanksGoInEnqueueOrder) {
  ASSERT_OK(put_agent("ada", {"general"}, 10));
  for (const char* id : {"T-c", "T-a", "T-b"}) created(id);
  for (const char* id : {"T-c", "T-a", "T-b"}) {
    auto t = next("ada");
    ASSERT_OK(t);
    ASSERT_TRUE(t->has_value());
    EXPECT_EQ((*t)->id, id);
  }
}

TEST_F(ToSolve, QueueRankOffsetFavoursTheQueue) {
  ASSERT_OK(put_agent("ada", {"general", "vip"}));
  created("T-general", "general");
  clock_.advance(std::chrono::minutes(30));
  created("T-vip", "vip");  // 30 minutes later but an hour ahead by offset
  auto t = next("ada");
  ASSERT_OK(t);
  EXPECT_EQ((*t)->id, "T-vip");
}

TEST_F(ToSolve, RefusesAtCapacityAndNeverExceedsIt) {
  ASSERT_OK(put_agent("ada", {"general"}, 2));
  for (int i = 0; i < 4; ++i) created("T-" + std::to_string(i));
  ASSERT_OK(next("ada"));
  ASSERT_OK(next("ada"));
  auto r = next("ada");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, routing::errc::capacity_exceeded);
  EXPECT_EQ(r.error().detail("load"), "2");
  EXPECT_EQ(r.error().detail("max"), "2");
  EXPECT_EQ(agent("ada")->load, 2U);
  EXPECT_EQ(redis({"ZCARD", key(routing::key_part::queue, "general")}).integer, 2);
}

TEST_F(ToSolve, PendingAndPostponedTicketsDoNotTakeCapacity) {
  ASSERT_OK(put_agent("ada", {"general"}, 1));
  for (int i = 0; i < 3; ++i) created("T-" + std::to_string(i));
  auto a = next("ada");
  ASSERT_OK(a);
  ASSERT_OK(act(ticket_action::reply, (*a)->id));
  auto b = next("ada");
  ASSERT_OK(b);
  ASSERT_OK(act(ticket_action::postpone, (*b)->id, until(now() + hour)));
  auto c = next("ada");
  ASSERT_OK(c);
  ASSERT_TRUE(c->has_value());
  auto held = agent("ada");
  EXPECT_EQ(held->load, 1U);
  EXPECT_EQ(held->tickets.size(), 3U);
}

TEST_F(ToSolve, ReturnsNothingWhenNoQueueHasWork) {
  ASSERT_OK(put_agent("ada", {"general"}));
  created("T-1", "billing");
  auto r = next("ada");
  ASSERT_OK(r);
  EXPECT_FALSE(r->has_value());
}

TEST_F(ToSolve, UnknownAgentIsNotFound) {
  created("T-1");
  EXPECT_ERROR(next("ghost"), not_found);
  EXPECT_EQ(redis({"ZCARD", key(routing::key_part::queue, "general")}).integer, 1);
}

TEST_F(Affinity, CustomerReplyGoesToTheSharedQueueWhenTheAgentIsOffline) {
  ASSERT_OK(put_agent("ada", {"general"}));
  created("T-1");
  ASSERT_OK(next("ada"));
  ASSERT_OK(act(ticket_action::reply, "T-1"));
  ASSERT_OK(set_status("ada", agent_status::offline));
  auto r = act(ticket_action::customer_reply, "T-1");
  ASSERT_OK(r);
  EXPECT_EQ(r->status, ticket_status::queued);
  EXPECT_TRUE(r->personal_queue.empty());
  EXPECT_TRUE(agent("ada")->tickets.empty());
  ASSERT_OK(put_agent("bob", {"general"}));
  auto taken = next("bob");
  ASSERT_OK(taken);
  EXPECT_EQ((*taken)->id, "T-1");
}

TEST_F(Affinity, BusyAgentGetsThePersonalQueueUntilTheWaitEnds) {
  ASSERT_OK(put_agent("ada", {"general"}, 1));
  created("T-1");
  ASSERT_OK(next("ada"));
  ASSERT_OK(act(ticket_action::reply, "T-1"));
  created("T-2");
  ASSERT_OK(next("ada"));  // now at capacity with T-2
  auto r = act(ticket_action::customer_reply, "T-1");
  ASSERT_OK(r);
  EXPECT_EQ(r->status, ticket_status::queued);
  EXPECT_EQ(r->personal_queue, "ada");
  // Another agent of the queue does not see it while it waits for Ada.
  ASSERT_OK(put_agent("bob", {"general"}));
  auto none = next("bob");
  ASSERT_OK(none);
  EXPECT_FALSE(none->has_value());
  // When Ada frees up, her personal queue is part of To Solve.
  ASSERT_OK(act(ticket_action::resolve, "T-2"));
  auto mine = next("ada");
  ASSERT_OK(mine);
  EXPECT_EQ((*mine)->id, "T-1");
}

TEST_F(Affinity, AfterTheWaitTheTicketJoinsTheSharedQueue) {
  ASSERT_OK(put_agent("ada", {"general"}, 1));
  created("T-1");
  ASSERT_OK(next("ada"));
  ASSERT_OK(act(ticket_action::reply, "T-1"));
  created("T-2");
  ASSERT_OK(next("ada"));
  ASSERT_OK(act(ticket_action::customer_reply, "T-1"));
  advance(2 * hour);
  auto t = get("T-1");
  ASSERT_OK(t);
  EXPECT_EQ(t->status, ticket_status::queued);
  EXPECT_TRUE(t->personal_queue.empty());
  ASSERT_OK(put_agent("bob", {"general"}));
  auto taken = next("bob");
  ASSERT_OK(taken);
  EXPECT_EQ((*taken)->id, "T-1");
  EXPECT_TRUE(verify()->violations.empty());
}

TEST_F(Supervision, EscalateMovesRaisesPriorityAndFreesTheAgent) {
  ASSERT_OK(put_agent("ada", {"billing"}));
  created("T-1", "billing", "low");
  ASSERT_OK(next("ada"));
  clock_.advance(std::chrono::minutes(20));
  routing::action_request r;
  r.priority = "urgent";
  r.reason = "angry customer";
  auto e = act(ticket_action::escalate, "T-1", r);
  ASSERT_OK(e);
  EXPECT_EQ(e->status, ticket_status::queued);
  EXPECT_EQ(e->queue, "supervisors");
  EXPECT_EQ(e->priority, "urgent");
  EXPECT_TRUE(e->escalated);
  // Recomputed from the ticket's start: twenty minutes are already spent.
  EXPECT_EQ(e->first_reply_due, t0 + hour);
  EXPECT_EQ(agent("ada")->load, 0U);
  routing::action_request lower;
  lower.priority = "low";
  EXPECT_ERROR(act(ticket_action::escalate, "T-1", lower), invalid_argument);
}

TEST_F(Supervision, ReassignEnforcesCapacityUnlessForced) {
  each_agent_holds_one();
  routing::action_request to_ada = with_agent("ada");
  EXPECT_ERROR(act(ticket_action::reassign, "T-2", to_ada), capacity_exceeded);
  to_ada.force = true;
  auto r = act(ticket_action::reassign, "T-2", to_ada);
  ASSERT_OK(r);
  EXPECT_EQ(r->assignee, "ada");
  EXPECT_EQ(agent("ada")->load, 2U);
  EXPECT_EQ(agent("bob")->load, 0U);
  auto report = verify();
  ASSERT_OK(report);
  EXPECT_TRUE(report->violations.empty());
  ASSERT_EQ(report->forced.size(), 1U);
  EXPECT_NE(report->forced[0].find("ada"), std::string::npos);
}

// The library paces Lua's garbage collector (include/configuration.lua) with the first call
// after it loads. Every library of a Redis shares one Lua engine, so a probe library reads the
// pace the call left (setstepmul answers the one it replaces).
TEST_F(Integrity, TheFirstCallAfterALoadPacesLuasGarbageCollector) {
  const std::string probe =
      "#!lua name=gc_probe\n"
      "redis.register_function('gc_probe_pace', function(keys, args)\n"
      "  return collectgarbage('setstepmul', tonumber(args[1]))\n"
      "end)\n";
  const std::string library{routing::lua::library_source()};
  ASSERT_FALSE(redis({"FUNCTION", "LOAD", "REPLACE", probe}).is_error());
  // Lua's default pace, then the library loaded anew, as a daemon's connect loads it.
  ASSERT_FALSE(redis({"FCALL", "gc_probe_pace", "0", "200"}).is_error());
  ASSERT_FALSE(redis({"FUNCTION", "LOAD", "REPLACE", library}).is_error());
  EXPECT_EQ(redis({"FCALL", "gc_probe_pace", "0", "200"}).integer, 200);  // loading sets nothing
  ASSERT_OK(create("T-1"));
  EXPECT_EQ(redis({"FCALL", "gc_probe_pace", "0", "200"}).integer, 5);
  // Later tests run where a daemon leaves the engine: paced by the library.
  redis({"FUNCTION", "DELETE", "gc_probe"});
  ASSERT_FALSE(redis({"FUNCTION", "LOAD", "REPLACE", library}).is_error());
  ASSERT_OK(create("T-2"));
}

TEST_F(Integrity, VerifyReportsLoadThatDisagreesWithHeldTickets) {
  ASSERT_OK(put_agent("ada", {"general"}));
  created("T-1");
  ASSERT_OK(next("ada"));
  redis({"HSET", key(routing::key_part::agent, "ada"), "l", "2"});
  auto report = verify();
  ASSERT_OK(report);
  ASSERT_EQ(report->violations.size(), 1U);
  EXPECT_NE(report->violations[0].find("load 2 but holds 1"), std::string::npos);
}

TEST_F(Integrity, VerifyReportsAQueuedTicketOutsideEveryQueue) {
  created("T-1");
  redis({"ZREM", key(routing::key_part::queue, "general"), "T-1"});
  auto report = verify();
  ASSERT_OK(report);
  ASSERT_EQ(report->violations.size(), 1U);
  EXPECT_NE(report->violations[0].find("T-1"), std::string::npos);
}

TEST_F(Integrity, QueueStatsCountAnAgentWithoutItsOwnMaxByTheDefault) {
  routing::agent_request r;
  r.queues = {"general"};
  r.status = agent_status::online;  // no max_concurrent: agents.max_concurrent (3) applies
  auto cmd = rt_->plan.put_agent("ada", r, now());
  ASSERT_OK(cmd);
  ASSERT_FALSE(run(*cmd).is_error());
  auto s = stats();
  ASSERT_OK(s);
  EXPECT_EQ(s->queues[0].agents_available, 1);
  for (int i = 0; i < 3; ++i) created("T-" + std::to_string(i), "general");
  for (int i = 0; i < 3; ++i) ASSERT_OK(next("ada"));
  EXPECT_EQ(stats()->queues[0].agents_available, 0);
}

TEST_F(Integrity, QueueStatsTrackDepthAndOldestWait) {
  ASSERT_OK(put_agent("ada", {"general"}, 5));
  ASSERT_OK(put_agent("bob", {"general"}, 5, agent_status::away));
  created("T-old", "general", "low");
  clock_.advance(std::chrono::minutes(10));
  created("T-new", "general", "urgent");
  auto s = stats();
  ASSERT_OK(s);
  const auto& general = s->queues[0];
  EXPECT_EQ(general.name, "general");
  EXPECT_EQ(general.depth, 2);
  EXPECT_EQ(general.oldest_enqueued_s, t0 / 1000);
  EXPECT_EQ(general.agents_online, 1);
  EXPECT_EQ(general.agents_available, 1);
  EXPECT_EQ(s->agents_away, 1);
  // The urgent ticket goes first; the low one stays the oldest.
  auto taken = next("ada");
  ASSERT_OK(taken);
  EXPECT_EQ((*taken)->id, "T-new");
  EXPECT_EQ(stats()->queues[0].oldest_enqueued_s, t0 / 1000);
  ASSERT_OK(next("ada"));
  EXPECT_FALSE(stats()->queues[0].oldest_enqueued_s.has_value());
  EXPECT_EQ(redis({"EXISTS", key(routing::key_part::queue_age_count, "general")}).integer, 0);
}

TEST_F(Integrity, ChangingCountedStatusesRecountsEveryAgent) {
  ASSERT_OK(put_agent("ada", {"general"}));
  created("T-1");
  created("T-2");
  ASSERT_OK(next("ada"));
  ASSERT_OK(next("ada"));
  ASSERT_OK(act(ticket_action::reply, "T-1"));
  EXPECT_EQ(agent("ada")->load, 1U);
  configure(replaced(engine_config_yaml(), "  max_concurrent: 3",
                     "  max_concurrent: 3\n  counted_statuses: [offered, assigned, pending]"));
  EXPECT_EQ(agent("ada")->load, 2U);
  EXPECT_TRUE(verify()->violations.empty());
}

TEST_F(Integrity, TheEventStreamIsCappedByTheTickNotByEachAppend) {
  configure(engine_config_yaml() + "events:\n  max_len: 1000\n");
  const auto events = key(routing::key_part::events);
  const auto length = [&] { return redis({"XLEN", events}).integer; };
  const auto before = length();
  for (int i = 0; i < 1250; ++i) ASSERT_TRUE(create("C-" + std::to_string(i)).has_value()) << i;
  EXPECT_EQ(length(), before + 1250);
  ASSERT_TRUE(tick().has_value());
  // Trimmed in whole nodes (stream-node-max-entries each): at the cap, or less than a node
  // over it.
  const auto node_config = redis({"CONFIG", "GET", "stream-node-max-entries"});
  const auto node = std::stoll(node_config.elements.at(1).str);
  EXPECT_GE(length(), 1000);
  EXPECT_LT(length(), 1000 + node);
  // The newest survive.
  const auto newest = daemon::decode_entries(redis({"XREVRANGE", events, "+", "-", "COUNT", "1"}));
  ASSERT_EQ(newest.size(), 1u);
  EXPECT_EQ(newest[0].field("ticket"), "C-1249");
}

// An event is stored as one field named by its type (include/events.lua); a free-text value holding
// the packing's separator makes its event one of separate fields instead. Either way it reads back
// whole, on the fast path (a held ticket) and the general one (escalate; a rejected offer in
// engine_push_test.cpp).
TEST_F(Integrity, EventsKeepFreeTextWholeAndAreStoredPacked) {
  const auto events_key = key(routing::key_part::events);
  const auto newest_fields = [&] {
    const auto newest = redis({"XREVRANGE", events_key, "+", "-", "COUNT", "1"});
    return newest.elements.at(0).elements.at(1).elements.size();
  };
  ASSERT_OK(put_agent("ada", {"general", "billing"}));
  const std::string odd = "late\x1f|reply;\n\"quoted\"";
  int n = 0;
  for (const std::string& reason : {std::string{"solved"}, odd}) {
    const auto id = "T-" + std::to_string(++n);
    created(id);
    ASSERT_OK(next("ada"));
    routing::action_request r;
    r.reason = reason;
    ASSERT_OK(act(ticket_action::resolve, id, r));
    EXPECT_EQ(events("ticket.resolved").back().at("reason"), reason);
    EXPECT_EQ(events("ticket.resolved").back().at("ticket"), id);
    EXPECT_EQ(events("ticket.resolved").back().at("agent"), "ada");
    // Packed: one name and one value; separate: type, ticket, at, reason and agent.
    EXPECT_EQ(newest_fields(), reason == odd ? 10u : 2u);
  }
  created("T-9", "billing", "low");
  ASSERT_OK(next("ada"));
  routing::action_request esc;
  esc.priority = "urgent";
  esc.reason = odd;
  ASSERT_OK(act(ticket_action::escalate, "T-9", esc));
  const auto escalated = events("ticket.escalated").back();
  EXPECT_EQ(escalated.at("reason"), odd);
  EXPECT_EQ(escalated.at("queue"), "supervisors");
  EXPECT_EQ(escalated.at("priority"), "urgent");
  EXPECT_TRUE(verify()->violations.empty());
}

// Every create answers the ticket as Redis holds it after the call: the planned ticket when the
// call left it as planned (no read), with the hand-out the reply describes when push routing
// handed it out at once (no read either), the ticket read back when an overflow due at once
// changed it. Rendered as the API renders it, the answer and a later GET agree.
TEST_F(Lifecycle, CreateAnswersWhatAReadOfTheTicketShows) {
  configure(replaced(with_push_vip(engine_config_yaml()),
                     "  billing: {mode: pull, wait_weight: 0, escalate_to: supervisors}",
                     "  billing: {mode: pull, wait_weight: 0.5, escalate_to: supervisors,\n"
                     "            overflow: [{after: 10m, to: general}]}"));
  ASSERT_OK(put_agent("ada", {"vip"}));
  auto same = [&](const std::string& id, const routing::outcome<routing::create_result>& r) {
    ASSERT_OK(r);
    auto read = get(id);
    ASSERT_OK(read);
    EXPECT_EQ(daemon::api::ticket_json(r->value, *rt_->cfg, now()),
              daemon::api::ticket_json(*read, *rt_->cfg, now()))
        << id;
  };
  routing::create_request plain;
  plain.id = "T-plain";
  plain.channel = "phone";
  plain.skills = {"spanish"};
  plain.attributes_json = R"({"brand":"acme"})";
  same("T-plain", create(plain));
  routing::create_request older;
  older.id = "T-older";
  older.queue = "billing";
  older.created_at = now() - 5 * minute;
  same("T-older", create(older));
  routing::create_request overflowed = older;  // its first overflow step is due at once
  overflowed.id = "T-overflowed";
  overflowed.created_at = now() - 15 * minute;
  auto o = create(overflowed);
  same("T-overflowed", o);
  EXPECT_EQ(o->value.queues, (std::vector<std::string>{"billing", "general"}));
  routing::create_request pushed;
  pushed.id = "T-pushed";
  pushed.queue = "vip";
  auto p = create(pushed);
  same("T-pushed", p);
  EXPECT_EQ(p->value.status, ticket_status::assigned);
  clock_.advance(std::chrono::minutes(1));
  same("T-plain", create(plain));  // the same create again

  // Offered (the queue waits for an accept), with a channel and attributes: handed out in the
  // call, answered from the plan and the reply's hand-out, with no read.
  configure(replaced(with_push_vip(engine_config_yaml()), "  vip: {mode: push, rank_offset: -1h}",
                     "  vip: {mode: push, rank_offset: -1h, accept_timeout: 30s}"));
  ASSERT_OK(put_agent("bob", {"vip"}));
  routing::create_request offered = plain;
  offered.id = "T-offered";
  offered.queue = "vip";
  auto q = create(offered);
  same("T-offered", q);
  EXPECT_EQ(q->value.status, ticket_status::offered);
  EXPECT_EQ(q->value.assignee, "bob");
  ASSERT_TRUE(q->value.decision.has_value());
  EXPECT_EQ(q->value.decision->mode, "push");
  EXPECT_EQ(q->value.decision, get("T-offered")->decision);  // not in the ticket's JSON
  EXPECT_EQ(p->value.decision, get("T-pushed")->decision);
}

// The wait ------------------------------------------------------------------------------------

class Wait : public EngineTest {
 protected:
  // A queue ranked close to first come, first served.
  void SetUp() override {
    EngineTest::SetUp();
    configure(replaced(engine_config_yaml(), "  general: {mode: pull, wait_weight: 0}",
                       "  general: {mode: pull, wait_weight: 1000}"));
  }

  routing::outcome<routing::create_result> create_at(const std::string& id,
                                                     std::int64_t created_at) {
    routing::create_request r;
    r.id = id;
    r.created_at = created_at;
    return create(r);
  }

  // ada takes ticket `id` and answers it, then goes offline; `later` on, the customer writes
  // back, and the ticket waits in the shared queue again.
  routing::outcome<routing::ticket> customer_writes_back(const std::string& id,
                                                         std::chrono::milliseconds later) {
    EXPECT_TRUE(next("ada").has_value());
    EXPECT_TRUE(act(ticket_action::reply, id, with_agent("ada")).has_value());
    EXPECT_TRUE(set_status("ada", agent_status::offline).has_value());
    clock_.advance(later);
    return act(ticket_action::customer_reply, id);
  }
};

TEST_F(Wait, StartsWhenTheTicketWasCreatedNotWhenTicketdHeardOfIt) {
  ASSERT_OK(put_agent("ada", {"general"}));
  created("T-new");
  clock_.advance(std::chrono::minutes(1));
  // The helpdesk reports a ticket its customer opened ten minutes ago.
  auto old = create_at("T-old", now() - 10 * minute);
  ASSERT_OK(old);
  EXPECT_EQ(old->value.queued_at, now() - 10 * minute);
  EXPECT_EQ(stats()->queues[0].oldest_enqueued_s, (now() - 10 * minute) / 1000);
  auto taken = next("ada");
  ASSERT_OK(taken);
  ASSERT_TRUE(taken->has_value());
  EXPECT_EQ((*taken)->id, "T-old");
}

TEST_F(Wait, GoesOnWhenTheTicketIsGivenBackToTheQueue) {
  ASSERT_OK(put_agent("ada", {"general"}));
  created("T-1");
  clock_.advance(std::chrono::minutes(5));
  ASSERT_OK(next("ada"));
  clock_.advance(std::chrono::minutes(5));
  created("T-2");  // has waited less than T-1 has
  clock_.advance(std::chrono::minutes(5));
  auto back = act(ticket_action::release, "T-1", with_agent("ada"));
  ASSERT_OK(back);
  EXPECT_EQ(back->queued_at, t0);
  EXPECT_EQ(stats()->queues[0].oldest_enqueued_s, t0 / 1000);
  auto taken = next("ada");
  ASSERT_OK(taken);
  EXPECT_EQ((*taken)->id, "T-1");
  // A transfer keeps it too.
  auto moved = act(ticket_action::transfer, "T-2", to_queue("billing"));
  ASSERT_OK(moved);
  EXPECT_EQ(moved->queued_at, t0 + 10 * minute);
}

TEST_F(Wait, BeginsAgainWithTheCustomersMessage) {
  ASSERT_OK(put_agent("ada", {"general"}));
  created("T-1");
  auto back = customer_writes_back("T-1", std::chrono::hours(2));
  ASSERT_OK(back);
  EXPECT_EQ(back->status, ticket_status::queued);
  EXPECT_EQ(back->queued_at, t0 + 2 * hour);
  EXPECT_EQ(back->rank(), routing::compute_rank(*back->next_due(), t0 + 2 * hour, 1000.0, 0));
}

// A new ticket's hash keeps no creation time apart from its wait's start (one field less per
// waiting ticket); the first new wait keeps it, and later ones leave it as it is.
TEST_F(Wait, TheCreationTimeOutlivesEveryNewWait) {
  ASSERT_OK(put_agent("ada", {"general"}));
  const std::int64_t created_at = now() - 10 * minute;
  ASSERT_OK(create_at("T-1", created_at));
  EXPECT_EQ(redis({"HEXISTS", key(routing::key_part::ticket, "T-1"), "ca"}).integer, 0);
  for (int round = 1; round <= 2; ++round) {
    SCOPED_TRACE(round);
    auto back = customer_writes_back("T-1", std::chrono::hours(1));
    ASSERT_OK(back);
    EXPECT_EQ(back->status, ticket_status::queued);
    EXPECT_EQ(back->queued_at, now());
    EXPECT_EQ(back->created_at, created_at);
    EXPECT_EQ(redis({"HGET", key(routing::key_part::ticket, "T-1"), "ca"}).str,
              std::to_string(created_at));
    ASSERT_OK(set_status("ada", agent_status::online));
  }
  auto read = get("T-1");
  ASSERT_OK(read);
  EXPECT_EQ(read->created_at, created_at);
}

// Forced excess --------------------------------------------------------------------------------

// A forced reassign may leave an agent above its maximum, and verify lists that as forced; once
// the load is back under the maximum the mark goes, so a later excess nobody forced is reported.
// Without push queues the load drops in place (one command); with one, through the agent record.
TEST_F(Supervision, AForcedExcessEndsOnceTheLoadIsBackUnderTheMaximum) {
  for (const bool with_push : {false, true}) {
    SCOPED_TRACE(with_push ? "with a push queue" : "pull queues only");
    if (with_push) {
      redis({"FLUSHALL"});
      configure(with_push_vip(engine_config_yaml()));
    }
    each_agent_holds_one();
    routing::action_request to_ada = with_agent("ada");
    to_ada.force = true;
    ASSERT_OK(act(ticket_action::reassign, "T-2", to_ada));
    ASSERT_EQ(verify()->forced.size(), 1U);
    // Back at its maximum: nothing is forced any more.
    ASSERT_OK(act(ticket_action::resolve, "T-1"));
    EXPECT_EQ(agent("ada")->load, 1U);
    auto report = verify();
    ASSERT_OK(report);
    EXPECT_TRUE(report->forced.empty());
    EXPECT_TRUE(report->violations.empty());
    // An excess nobody forced (here, a load written behind the functions' back) is a violation.
    redis({"HINCRBY", key(routing::key_part::agent, "ada"), "l", "1"});
    report = verify();
    ASSERT_OK(report);
    EXPECT_TRUE(report->forced.empty());
    EXPECT_NE(std::find_if(report->violations.begin(), report->violations.end(),
                           [](const std::string& v) {
                             return v.find("ada load 2 above max 1") != std::string::npos;
                           }),
              report->violations.end())
        << ::testing::PrintToString(report->violations);
  }
}

// One Redis server runs one function library for all its databases: two daemons naming the same
// workspace in two databases must not see each other's forced agents.
TEST_F(Supervision, AForcedExcessIsTheDatabasesOwn) {
  const auto in_database = [this](int db) {
    redis({"SELECT", std::to_string(db)});
    configure(engine_config_yaml() +
              "redis: {url: \"unix:///run/ticketd/redis.sock?db=" + std::to_string(db) + "\"}\n");
  };
  routing::action_request to_ada = with_agent("ada");
  to_ada.force = true;
  in_database(0);
  each_agent_holds_one();
  ASSERT_OK(act(ticket_action::reassign, "T-2", to_ada));
  in_database(1);
  each_agent_holds_one();
  ASSERT_OK(act(ticket_action::reassign, "T-2", to_ada));
  ASSERT_OK(act(ticket_action::resolve, "T-1"));  // ada's excess in database 1 ends
  EXPECT_TRUE(verify()->forced.empty());
  in_database(0);
  ASSERT_EQ(verify()->forced.size(), 1U);  // and goes on in database 0
  ASSERT_OK(act(ticket_action::resolve, "T-1"));
  EXPECT_EQ(agent("ada")->load, 1U);
  // The mark goes with the excess (a mark left behind would excuse a later excess nobody forced).
  EXPECT_EQ(redis({"HEXISTS", key(routing::key_part::agent, "ada"), "fx"}).integer, 0);
  EXPECT_EQ(redis({"SCARD", key(routing::key_part::forced)}).integer, 0);
  auto report = verify();
  ASSERT_OK(report);
  EXPECT_TRUE(report->forced.empty()) << ::testing::PrintToString(report->forced);
  EXPECT_TRUE(report->violations.empty()) << ::testing::PrintToString(report->violations);
}

}  // namespace
}  // namespace ticketd::testing
