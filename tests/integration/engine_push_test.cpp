// Push routing driven through the Redis functions: strategies, offers, cooldowns, overflow,
// escalation and forced reassignment, with the manual clock.
#include "tests/integration/engine_fixture.hpp"

#include <algorithm>

namespace ticketd::testing {
namespace {

using routing::agent_status;
using routing::ticket_action;
using routing::ticket_status;

std::string push_config_yaml() {
  return R"(
workspace: test
priorities:
  urgent: {first_reply: 1h, next_reply: 1h, resolution: 4h}
  normal: {first_reply: 8h, next_reply: 8h, resolution: 3d}
agents:
  max_concurrent: 2
queues:
  sales: {mode: push, strategy: least_loaded}
  idle: {mode: push, strategy: longest_idle}
  rr: {mode: push, strategy: round_robin}
  offers:
    mode: push
    accept_timeout: 30s
    reject_cooldown: 5m
    away_on_timeout: true
    overflow: [{after: 5m, to: backup}]
    escalate_to: supervisors
  backup: {mode: push}
  supervisors: {mode: push}
  desk: {mode: pull}
lifecycle:
  affinity_wait: 1h
defaults: {queue: sales, priority: normal}
)";
}

routing::action_request by(const std::string& agent, const std::string& token = "") {
  routing::action_request r;
  r.agent = agent;
  r.token = token;
  return r;
}

class Push : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    configure(push_config_yaml());
  }

  // Puts an agent online at the current time, then lets a minute pass so that idle times
  // (kept in seconds) differ between agents.
  void online(const std::string& id, std::vector<std::string> queues, unsigned max = 2) {
    ASSERT_OK(put_agent(id, std::move(queues), max));
    clock_.advance(std::chrono::minutes(1));
  }

  // Creates a ticket and answers the agent it was pushed to ("" when it waits).
  std::string pushed_to(const std::string& id, const std::string& queue,
                        const std::string& priority = "") {
    auto r = create(id, queue, priority);
    EXPECT_TRUE(r.has_value()) << id;
    clock_.advance(std::chrono::minutes(1));
    if (!r || r->assignments.empty()) return "";
    EXPECT_EQ(r->assignments.size(), 1u);
    EXPECT_EQ(r->assignments[0].ticket, id);
    return r->assignments[0].agent;
  }

  void expect_verified() {
    auto report = verify();
    ASSERT_OK(report);
    EXPECT_TRUE(report->violations.empty()) << report->violations.front();
  }
};

TEST_F(Push, CreateAssignsAtOnceInsideTheSameCall) {
  online("ada", {"sales"});
  auto r = create("T-1", "sales");
  ASSERT_OK(r);
  ASSERT_EQ(r->assignments.size(), 1u);
  EXPECT_EQ(r->assignments[0].agent, "ada");
  EXPECT_EQ(r->assignments[0].status, ticket_status::assigned);
  EXPECT_TRUE(r->assignments[0].token.empty());
  EXPECT_EQ(r->value.status, ticket_status::assigned);
  EXPECT_EQ(r->value.assignee, "ada");
  EXPECT_EQ(agent("ada")->load, 1U);
  EXPECT_EQ(redis({"ZCARD", key(routing::key_part::queue, "sales")}).integer, 0);
  expect_verified();
}

TEST_F(Push, ATicketHandedOutAtCreateNeverWaitsInTheQueue) {
  online("ada", {"sales"});
  redis({"CONFIG", "RESETSTAT"});
  ASSERT_OK(create("T-1", "sales"));
  // Neither the queue nor its age index saw it (no add and remove), and its events still say
  // where it was created.
  const std::string calls = redis({"INFO", "commandstats"}).str;
  EXPECT_EQ(calls.find("cmdstat_zrem:"), std::string::npos) << calls;
  EXPECT_EQ(calls.find("cmdstat_hincrby:"), std::string::npos) << calls;
  EXPECT_EQ(redis({"EXISTS", key(routing::key_part::queue, "sales"),
                   key(routing::key_part::queue_age, "sales"),
                   key(routing::key_part::queue_age_count, "sales")})
                .integer,
            0);
  EXPECT_EQ(event_types(),
            (std::vector<std::string>{"agent.status", "ticket.queued", "ticket.assigned"}));
  auto stats = this->stats();
  ASSERT_OK(stats);
  const auto sales = std::find_if(stats->queues.begin(), stats->queues.end(),
                                  [](const auto& q) { return q.name == "sales"; });
  ASSERT_NE(sales, stats->queues.end());
  EXPECT_EQ(sales->depth, 0);
  EXPECT_FALSE(sales->oldest_enqueued_s.has_value());
  expect_verified();
}

TEST_F(Push, ANewTicketWaitsBehindTicketsAlreadyWaitingAndStillGoesToAFreeAgent) {
  online("bob", {"offers"});
  auto first = create("T-1", "offers");
  ASSERT_OK(first);
  ASSERT_EQ(first->assignments.size(), 1u);
  ASSERT_OK(act(ticket_action::reject, "T-1", by("bob", first->assignments[0].token)));
  // T-1 waits: bob cools down for it. T-2 joins the queue behind it and is offered to bob.
  auto second = create("T-2", "offers");
  ASSERT_OK(second);
  ASSERT_EQ(second->assignments.size(), 1u);
  EXPECT_EQ(second->assignments[0].ticket, "T-2");
  EXPECT_EQ(second->assignments[0].agent, "bob");
  EXPECT_EQ(get("T-1")->status, ticket_status::queued);
  EXPECT_EQ(redis({"ZCARD", key(routing::key_part::queue, "offers")}).integer, 1);
  expect_verified();
}

TEST_F(Push, PullQueuesNeverPush) {
  online("ada", {"desk"});
  auto r = create("T-1", "desk");
  ASSERT_OK(r);
  EXPECT_TRUE(r->assignments.empty());
  EXPECT_EQ(r->value.status, ticket_status::queued);
}

TEST_F(Push, LeastLoadedPicksTheLowestLoadRatioThenTheLongestIdle) {
  online("ada", {"sales"}, 4);
  online("bob", {"sales"}, 2);
  // Both empty: ada has been idle longer.
  EXPECT_EQ(pushed_to("T-1", "sales"), "ada");  // ada 1/4
  EXPECT_EQ(pushed_to("T-2", "sales"), "bob");  // bob 1/2
  EXPECT_EQ(pushed_to("T-3", "sales"), "ada");  // ada 2/4 = bob 1/2: bob got work later
  EXPECT_EQ(pushed_to("T-4", "sales"), "bob");  // bob 1/2 < ada 2/4? equal: ada got T-3 last
  EXPECT_EQ(pushed_to("T-5", "sales"), "ada");  // bob full
  EXPECT_EQ(agent("ada")->load, 3U);
  EXPECT_EQ(agent("bob")->load, 2U);
  expect_verified();
}

TEST_F(Push, LongestIdleCountsWorkFromAnyQueue) {
  online("ada", {"idle", "desk"}, 5);
  online("bob", {"idle"}, 5);
  // ada takes pull work: she is no longer the longest idle.
  created("D-1", "desk");
  auto pulled = next("ada");
  ASSERT_OK(pulled);
  ASSERT_TRUE(pulled->has_value());
  clock_.advance(std::chrono::minutes(1));
  EXPECT_EQ(pushed_to("T-1", "idle"), "bob");
  EXPECT_EQ(pushed_to("T-2", "idle"), "ada");
  EXPECT_EQ(pushed_to("T-3", "idle"), "bob");
  expect_verified();
}

TEST_F(Push, RoundRobinTakesTurnsWithinTheQueueOnly) {
  online("ada", {"rr", "desk"}, 5);
  online("bob", {"rr"}, 5);
  online("cy", {"rr"}, 5);
  EXPECT_EQ(pushed_to("T-1", "rr"), "ada");
  // Work from another queue does not cost ada her turn in rr.
  created("D-1", "desk");
  ASSERT_OK(next("ada"));
  EXPECT_EQ(pushed_to("T-2", "rr"), "bob");
  EXPECT_EQ(pushed_to("T-3", "rr"), "cy");
  EXPECT_EQ(pushed_to("T-4", "rr"), "ada");
  EXPECT_EQ(pushed_to("T-5", "rr"), "bob");
  expect_verified();
}

TEST_F(Push, WaitingTicketsDrainLowestRankFirstAsCapacityFrees) {
  online("ada", {"sales"}, 1);
  EXPECT_EQ(pushed_to("T-1", "sales"), "ada");
  EXPECT_EQ(pushed_to("T-2", "sales"), "");
  EXPECT_EQ(pushed_to("T-3", "sales", "urgent"), "");  // lower rank than T-2
  auto resolved = act(ticket_action::resolve, "T-1");
  ASSERT_OK(resolved);
  ASSERT_EQ(pushed().size(), 1u);
  EXPECT_EQ(pushed()[0].ticket, "T-3");
  EXPECT_EQ(pushed()[0].agent, "ada");
  // A reply frees capacity too (pending is not counted).
  ASSERT_OK(act(ticket_action::reply, "T-3", by("ada")));
  ASSERT_EQ(pushed().size(), 1u);
  EXPECT_EQ(pushed()[0].ticket, "T-2");
  EXPECT_EQ(get("T-2")->status, ticket_status::assigned);
  expect_verified();
}

TEST_F(Push, AnAgentComingOnlineGetsWaitingWorkUpToItsCapacity) {
  created("T-1", "sales");
  created("T-2", "sales");
  created("T-3", "sales");
  ASSERT_OK(put_agent("ada", {"sales"}, 2, agent_status::offline));
  EXPECT_TRUE(pushed().empty());
  ASSERT_OK(set_status("ada", agent_status::online));
  ASSERT_EQ(pushed().size(), 2u);
  EXPECT_EQ(pushed()[0].ticket, "T-1");
  EXPECT_EQ(pushed()[1].ticket, "T-2");
  EXPECT_EQ(agent("ada")->load, 2U);
  // Away agents get nothing; release and transfer away free capacity.
  ASSERT_OK(act(ticket_action::release, "T-1", by("ada")));
  ASSERT_EQ(pushed().size(), 1u);
  EXPECT_EQ(pushed()[0].ticket, "T-3");  // T-1 is older but ada just released it: lower rank wins
  expect_verified();
}

TEST_F(Push, AwayAgentsGetNothing) {
  ASSERT_OK(put_agent("ada", {"sales"}, 2, agent_status::away));
  EXPECT_EQ(pushed_to("T-1", "sales"), "");
  ASSERT_OK(put_agent("bob", {"sales"}, 2, agent_status::online));
  ASSERT_EQ(pushed().size(), 1u);
  EXPECT_EQ(pushed()[0].agent, "bob");
}

TEST_F(Push, AnOfferTakesCapacityAndCarriesAToken) {
  online("ada", {"offers"}, 1);
  auto r = create("T-1", "offers");
  ASSERT_OK(r);
  ASSERT_EQ(r->assignments.size(), 1u);
  const auto offer = r->assignments[0];
  EXPECT_EQ(offer.status, ticket_status::offered);
  EXPECT_FALSE(offer.token.empty());
  EXPECT_EQ(offer.expires_at, now() + 30'000);
  EXPECT_EQ(r->value.status, ticket_status::offered);
  EXPECT_EQ(agent("ada")->load, 1U);
  // Stale token, another agent: refused, nothing changes.
  EXPECT_ERROR(act(ticket_action::accept, "T-1", by("ada", "999")), conflict);
  EXPECT_ERROR(act(ticket_action::accept, "T-1", by("bob", offer.token)), conflict);
  EXPECT_EQ(get("T-1")->status, ticket_status::offered);
  auto accepted = act(ticket_action::accept, "T-1", by("ada", offer.token));
  ASSERT_OK(accepted);
  EXPECT_EQ(accepted->status, ticket_status::assigned);
  EXPECT_EQ(agent("ada")->load, 1U);
  // The offer's token died with the offer.
  EXPECT_ERROR(act(ticket_action::accept, "T-1", by("ada", offer.token)), invalid_transition);
  expect_verified();
}

TEST_F(Push, ARejectedOfferGoesToTheNextAgentWithItsRankKept) {
  online("ada", {"offers"});
  online("bob", {"offers"});
  auto r = create("T-1", "offers");
  ASSERT_OK(r);
  const auto rank = r->value.rank();
  ASSERT_EQ(r->assignments.size(), 1u);
  EXPECT_EQ(r->assignments[0].agent, "ada");
  // A reason is free text: one holding the byte that joins an event's values is kept whole
  // (include/events.lua, emit_text).
  auto by_ada = by("ada", r->assignments[0].token);
  by_ada.reason = "busy\x1f|on a call";
  auto rejected = act(ticket_action::reject, "T-1", by_ada);
  ASSERT_OK(rejected);
  ASSERT_EQ(pushed().size(), 1u);
  EXPECT_EQ(pushed()[0].agent, "bob");
  EXPECT_EQ(rejected->rank(), rank);
  EXPECT_EQ(agent("ada")->load, 0U);
  const auto offers_rejected = events("offer.rejected");
  ASSERT_EQ(offers_rejected.size(), 1u);
  EXPECT_EQ(offers_rejected[0].at("reason"), "busy\x1f|on a call");
  EXPECT_EQ(offers_rejected[0].at("agent"), "ada");
  EXPECT_EQ(offers_rejected[0].at("ticket"), "T-1");
  expect_verified();
}

TEST_F(Push, TheRejectingAgentIsNotOfferedTheTicketAgainUntilItsCooldownEnds) {
  online("ann-1.eu", {"offers"});
  auto r = create("T-1", "offers");
  ASSERT_OK(r);
  ASSERT_OK(act(ticket_action::reject, "T-1", by("ann-1.eu", r->assignments.at(0).token)));
  EXPECT_TRUE(pushed().empty());
  EXPECT_EQ(get("T-1")->status, ticket_status::queued);
  // Another ticket still reaches her (an id with '-' and '.', which Lua patterns would misread).
  EXPECT_EQ(pushed_to("T-2", "offers"), "ann-1.eu");
  ASSERT_OK(act(ticket_action::resolve, "T-2"));
  EXPECT_TRUE(pushed().empty());  // T-1 is still cooling down for her
  // At the end of the cooldown (5m after the reject) the retry timer offers it again.
  clock_.advance(std::chrono::minutes(4));
  auto fired = tick();
  ASSERT_OK(fired);
  ASSERT_EQ(fired->assignments.size(), 1u);
  EXPECT_EQ(fired->assignments[0].ticket, "T-1");
  EXPECT_EQ(fired->assignments[0].agent, "ann-1.eu");
  expect_verified();
}

TEST_F(Push, AMissedOfferReturnsToTheQueueAndSetsTheAgentAway) {
  online("ada", {"offers"});
  online("bob", {"offers"});
  auto r = create("T-1", "offers");
  ASSERT_OK(r);
  const auto token = r->assignments.at(0).token;
  clock_.advance(std::chrono::seconds(29));
  auto early = tick();
  ASSERT_OK(early);
  EXPECT_EQ(early->offer_timeouts, 0);
  clock_.advance(std::chrono::seconds(1));
  auto fired = tick();
  ASSERT_OK(fired);
  EXPECT_EQ(fired->offer_timeouts, 1);
  ASSERT_EQ(fired->assignments.size(), 1u);
  EXPECT_EQ(fired->assignments[0].agent, "bob");
  EXPECT_EQ(agent("ada")->status, agent_status::away);
  EXPECT_EQ(agent("ada")->load, 0U);
  // Ada's late accept is refused: the ticket is bob's offer now.
  EXPECT_ERROR(act(ticket_action::accept, "T-1", by("ada", token)), conflict);
  EXPECT_EQ(get("T-1")->assignee, "bob");
  expect_verified();
}

TEST_F(Push, AcceptAndTimeoutAtTheSameInstantHaveExactlyOneWinner) {
  online("ada", {"offers"});
  for (int round = 0; round < 20; ++round) {
    const std::string id = "T-" + std::to_string(round);
    ASSERT_OK(set_status("ada", agent_status::online));
    auto r = create(id, "offers");
    ASSERT_OK(r);
    ASSERT_EQ(r->assignments.size(), 1u) << id;
    const auto token = r->assignments[0].token;
    clock_.advance(std::chrono::seconds(30));
    bool accepted = false;
    if (round % 2 == 0) {
      accepted = act(ticket_action::accept, id, by("ada", token)).has_value();
      ASSERT_OK(tick());
    } else {
      ASSERT_OK(tick());
      accepted = act(ticket_action::accept, id, by("ada", token)).has_value();
    }
    auto t = get(id);
    ASSERT_OK(t);
    if (accepted) {
      EXPECT_EQ(t->status, ticket_status::assigned) << id;
    } else {
      EXPECT_EQ(t->status, ticket_status::queued) << id;
    }
    EXPECT_EQ(accepted, round % 2 == 0) << id;
    ASSERT_OK(act(ticket_action::close, id));
    clock_.advance(std::chrono::minutes(10));
    ASSERT_OK(tick());
  }
  expect_verified();
}

TEST_F(Push, GoingOfflineWithdrawsOffersButKeepsAssignedTickets) {
  online("ada", {"offers", "sales"});
  ASSERT_EQ(pushed_to("T-1", "sales"), "ada");
  auto r = create("T-2", "offers");
  ASSERT_OK(r);
  ASSERT_EQ(r->value.status, ticket_status::offered);
  ASSERT_OK(set_status("ada", agent_status::offline));
  EXPECT_EQ(get("T-1")->status, ticket_status::assigned);
  EXPECT_EQ(get("T-2")->status, ticket_status::queued);
  EXPECT_EQ(agent("ada")->load, 1U);
  expect_verified();
}

TEST_F(Push, OverflowMakesAStillWaitingTicketEligibleToTheTargetQueue) {
  online("bob", {"backup"});
  auto r = create("T-1", "offers");
  ASSERT_OK(r);
  EXPECT_TRUE(r->assignments.empty());
  clock_.advance(std::chrono::minutes(4));
  auto early = tick();
  ASSERT_OK(early);
  EXPECT_EQ(early->overflows, 0);
  clock_.advance(std::chrono::minutes(1));
  auto fired = tick();
  ASSERT_OK(fired);
  EXPECT_EQ(fired->overflows, 1);
  ASSERT_EQ(fired->assignments.size(), 1u);
  EXPECT_EQ(fired->assignments[0].agent, "bob");
  auto t = get("T-1");
  EXPECT_EQ(t->status, ticket_status::assigned);
  EXPECT_EQ(t->queue, "offers");  // its home queue stays
  expect_verified();
}

TEST_F(Push, ATransferredTicketLeavesItsOldQueuesOverflowBehind) {
  ASSERT_OK(create("T-1", "offers"));  // overflow to backup armed for 5 minutes
  EXPECT_FALSE(redis({"ZSCORE", key(routing::key_part::timers), "l|T-1"}).is_nil());
  routing::action_request r;
  r.queue = "desk";  // no overflow
  ASSERT_OK(act(ticket_action::transfer, "T-1", r));
  EXPECT_TRUE(redis({"ZSCORE", key(routing::key_part::timers), "l|T-1"}).is_nil());
  clock_.advance(std::chrono::minutes(6));
  auto fired = tick();
  ASSERT_OK(fired);
  EXPECT_EQ(fired->overflows, 0);
  EXPECT_EQ(get("T-1")->queues, std::vector<std::string>{"desk"});
  expect_verified();
}

TEST_F(Push, AnOverflowedTicketWaitsInBothQueuesAndLeavesBothWhenTaken) {
  auto r = create("T-1", "offers");
  ASSERT_OK(r);
  advance(5 * minute);
  auto t = get("T-1");
  ASSERT_OK(t);
  EXPECT_EQ(t->queues, (std::vector<std::string>{"offers", "backup"}));
  EXPECT_EQ(redis({"ZCARD", key(routing::key_part::queue, "backup")}).integer, 1);
  online("ada", {"offers"});
  ASSERT_EQ(pushed().size(), 1u);
  EXPECT_EQ(redis({"ZCARD", key(routing::key_part::queue, "backup")}).integer, 0);
  EXPECT_EQ(redis({"ZCARD", key(routing::key_part::queue, "offers")}).integer, 0);
  expect_verified();
}

TEST_F(Push, EscalationMovesTheTicketRaisesItsPriorityAndFreesTheAgent) {
  online("ada", {"offers"});
  online("sue", {"supervisors"});
  auto r = create("T-1", "offers");
  ASSERT_OK(r);
  ASSERT_OK(act(ticket_action::accept, "T-1", by("ada", r->assignments.at(0).token)));
  routing::action_request esc;
  esc.priority = "urgent";
  esc.reason = "angry customer";
  auto escalated = act(ticket_action::escalate, "T-1", esc);
  ASSERT_OK(escalated);
  EXPECT_TRUE(escalated->escalated);
  EXPECT_EQ(escalated->queue, "supervisors");
  EXPECT_EQ(escalated->priority, "urgent");
  EXPECT_EQ(escalated->status, ticket_status::assigned);
  EXPECT_EQ(escalated->assignee, "sue");
  EXPECT_EQ(agent("ada")->load, 0U);
  expect_verified();
}

TEST_F(Push, ReassignRefusesAboveCapacityUnlessForced) {
  online("ada", {"sales"}, 1);
  online("bob", {"sales"}, 1);
  EXPECT_EQ(pushed_to("T-1", "sales"), "ada");
  EXPECT_EQ(pushed_to("T-2", "sales"), "bob");
  EXPECT_ERROR(act(ticket_action::reassign, "T-2", by("ada")), capacity_exceeded);
  routing::action_request forced = by("ada");
  forced.force = true;
  auto moved = act(ticket_action::reassign, "T-2", forced);
  ASSERT_OK(moved);
  EXPECT_EQ(moved->assignee, "ada");
  EXPECT_EQ(agent("ada")->load, 2U);
  auto report = verify();
  ASSERT_OK(report);
  EXPECT_TRUE(report->violations.empty());
  ASSERT_EQ(report->forced.size(), 1u);
  EXPECT_NE(report->forced[0].find("ada"), std::string::npos);
}

TEST_F(Push, ACustomerReplyWaitsForItsBusyAgentThenJoinsTheSharedQueue) {
  online("ada", {"sales"}, 1);
  online("bob", {"sales"}, 1);
  EXPECT_EQ(pushed_to("T-1", "sales"), "ada");
  ASSERT_OK(act(ticket_action::reply, "T-1", by("ada")));
  EXPECT_EQ(pushed_to("T-2", "sales"), "bob");
  EXPECT_EQ(pushed_to("T-3", "sales"), "ada");
  // Bob finishes and is free; the customer answers ada, who is busy: the ticket waits for her.
  ASSERT_OK(act(ticket_action::resolve, "T-2"));
  auto back = act(ticket_action::customer_reply, "T-1");
  ASSERT_OK(back);
  EXPECT_EQ(back->status, ticket_status::queued);
  EXPECT_TRUE(pushed().empty());
  // After affinity_wait it joins the shared queue and bob gets it.
  clock_.advance(std::chrono::hours(1));
  auto fired = tick();
  ASSERT_OK(fired);
  ASSERT_EQ(fired->assignments.size(), 1u);
  EXPECT_EQ(fired->assignments[0].ticket, "T-1");
  EXPECT_EQ(fired->assignments[0].agent, "bob");
  expect_verified();
}

TEST_F(Push, ABusyAgentsPersonalQueueGoesFirstWhenItFreesUp) {
  online("ada", {"sales"}, 1);
  EXPECT_EQ(pushed_to("T-1", "sales"), "ada");
  ASSERT_OK(act(ticket_action::reply, "T-1", by("ada")));
  EXPECT_EQ(pushed_to("T-2", "sales"), "ada");
  ASSERT_OK(act(ticket_action::customer_reply, "T-1"));
  EXPECT_EQ(get("T-1")->status, ticket_status::queued);
  ASSERT_OK(act(ticket_action::resolve, "T-2"));
  ASSERT_EQ(pushed().size(), 1u);
  EXPECT_EQ(pushed()[0].ticket, "T-1");
  expect_verified();
}

}  // namespace
}  // namespace ticketd::testing
