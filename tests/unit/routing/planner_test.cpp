// The planner turns validated requests into function calls; the tests decode the planned
// command back into its ARGV (numbered as in the routing/lua contracts) and check the values.
#include "routing/planner.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "routing/rank.hpp"
#include "tests/unit/routing/test_support.hpp"

namespace ticketd::routing {
namespace {

using strings = std::vector<std::string>;
using test::day_ms;
using test::hour_ms;
using test::lua_argv;
using test::t0;

constexpr std::int64_t minute_ms = 60'000;

std::string num(std::int64_t n) { return std::to_string(n); }

class Planner : public ::testing::Test {
 protected:
  Planner() : cfg_(make_config()), sla_(cfg_), plan_(cfg_, sla_, keys_, settings_) {}

  static config::config make_config() {
    auto cfg = test::sample_config();
    config::routing_match phone;
    phone.channel = "phone";
    cfg.routing.push_back(test::make_rule(phone, std::nullopt, "urgent"));
    config::routing_match spanish;
    spanish.skills = {"spanish"};
    cfg.routing.push_back(test::make_rule(spanish, "spanish"));
    return cfg;
  }

  // An assigned normal-priority ticket in billing, created two hours before t0.
  static ticket snapshot() {
    ticket t;
    t.id = "T-1";
    t.status = ticket_status::assigned;
    t.queue = "billing";
    t.queues = {"billing"};
    t.priority = "normal";
    t.assignee = "ada";
    t.last_agent = "ada";
    t.created_at = t0 - 2 * hour_ms;
    t.first_reply_due = t.created_at + 8 * hour_ms;
    t.resolution_due = t.created_at + 3 * day_ms;
    t.version = 5;
    return t;
  }

  static create_request request(std::string id = "T-1") {
    create_request r;
    r.id = std::move(id);
    r.fingerprint = "fp-1";
    return r;
  }

  static const command& call_of(const command& c) { return c; }
  static const command& call_of(const planner::planned_create& p) { return p.call; }

  // The planned command's words, or a test failure naming the error.
  template <class T>
  static strings argv_or_fail(const outcome<T>& planned) {
    if (!planned) {
      ADD_FAILURE() << "planning failed: " << code_name(planned.error().code) << " "
                    << planned.error().message;
      return {};
    }
    return test::argv_of(call_of(*planned));
  }

  template <class T>
  static void expect_error(const outcome<T>& planned, errc code,
                           std::optional<std::string_view> field) {
    ASSERT_TRUE(planned.has_error()) << "planned " << call_of(*planned).encoded();
    EXPECT_EQ(planned.error().code, code) << planned.error().message;
    EXPECT_EQ(planned.error().detail("field"), field) << planned.error().message;
    EXPECT_FALSE(planned.error().message.empty());
  }

  outcome<command> act(ticket_action a, const action_request& r, const ticket* snap,
                       std::optional<std::int64_t> if_match = std::nullopt) const {
    return plan_.action(a, "T-1", if_match, r, snap, t0);
  }

  config::config cfg_;
  sla_clock sla_;
  keyspace keys_{"acme"};
  call_settings settings_;
  planner plan_;
};

TEST_F(Planner, CreateRoutesByRulesAndComputesDueTimesAndRank) {
  auto r = request();
  r.channel = "phone";
  r.skills = {"billing", "spanish"};
  r.attributes_json = R"({"brand":"acme"})";
  const strings argv = argv_or_fail(plan_.create(r, t0));
  ASSERT_FALSE(argv.empty());
  EXPECT_EQ(argv[1], lua::fn::create.name);
  EXPECT_EQ(lua_argv(argv, 1), num(t0));
  EXPECT_EQ(lua_argv(argv, 5), "T-1");
  EXPECT_EQ(lua_argv(argv, 6), "fp-1");
  EXPECT_EQ(lua_argv(argv, 7), "spanish");  // from the skills rule
  EXPECT_EQ(lua_argv(argv, 8), "urgent");   // from the channel rule
  EXPECT_EQ(lua_argv(argv, 9), "phone");
  EXPECT_EQ(lua_argv(argv, 10), "billing,spanish");
  EXPECT_EQ(lua_argv(argv, 11), R"({"brand":"acme"})");
  EXPECT_EQ(lua_argv(argv, 12), num(t0));
  EXPECT_EQ(lua_argv(argv, 13), num(t0 + hour_ms));      // urgent: first reply in 1h
  EXPECT_EQ(lua_argv(argv, 14), num(t0 + 4 * hour_ms));  // urgent: resolution in 4h
  EXPECT_EQ(lua_argv(argv, 15), num(t0 + hour_ms));      // EDF queue: the first reply due
}

TEST_F(Planner, CreateUsesDefaultsWhenNoRuleMatches) {
  const strings argv = argv_or_fail(plan_.create(request(), t0));
  ASSERT_FALSE(argv.empty());
  EXPECT_EQ(lua_argv(argv, 7), "general");
  EXPECT_EQ(lua_argv(argv, 8), "normal");
  EXPECT_EQ(lua_argv(argv, 9), "");
  EXPECT_EQ(lua_argv(argv, 10), "");
  EXPECT_EQ(lua_argv(argv, 11), "");
  EXPECT_EQ(lua_argv(argv, 13), num(t0 + 8 * hour_ms));
  EXPECT_EQ(lua_argv(argv, 14), num(t0 + 3 * day_ms));
  EXPECT_EQ(lua_argv(argv, 15), num(t0 + 8 * hour_ms));
}

TEST_F(Planner, CreateCountsSlaFromCreatedAtAndRanksWithTheQueueWeightAndOffset) {
  auto r = request();
  r.queue = "billing";  // wait_weight 0.5, rank_offset -1 minute
  r.priority = "normal";
  r.created_at = t0 - 30 * minute_ms;
  const strings argv = argv_or_fail(plan_.create(r, t0));
  ASSERT_FALSE(argv.empty());
  const std::int64_t first_reply = t0 - 30 * minute_ms + 8 * hour_ms;
  EXPECT_EQ(lua_argv(argv, 12), num(t0 - 30 * minute_ms));
  EXPECT_EQ(lua_argv(argv, 13), num(first_reply));
  EXPECT_EQ(lua_argv(argv, 14), num(t0 - 30 * minute_ms + 3 * day_ms));
  // The customer has waited since created_at, not since ticketd heard of the ticket:
  // created + (due - created) / (1 + 0.5) - 1 minute = created + 8h / 1.5 - 1 minute.
  const std::int64_t created = t0 - 30 * minute_ms;
  EXPECT_EQ(lua_argv(argv, 15), num(created + 8 * hour_ms * 2 / 3 - minute_ms));
  EXPECT_EQ(lua_argv(argv, 15), num(compute_rank(first_reply, created, 0.5, -minute_ms)));
}

TEST_F(Planner, CreateRanksByTheEarlierOfFirstReplyAndResolution) {
  cfg_.priorities[2].resolution = config::span{config::millis{2 * hour_ms}};  // normal
  const strings argv = argv_or_fail(plan_.create(request(), t0));
  ASSERT_FALSE(argv.empty());
  EXPECT_EQ(lua_argv(argv, 13), num(t0 + 8 * hour_ms));
  EXPECT_EQ(lua_argv(argv, 15), num(t0 + 2 * hour_ms));
}

// The SLA timer create sets: the earlier due time's warning (sla.warn_before, 15 minutes by
// default), or without warnings the due time itself; arm_sla computes the same in Lua.
TEST_F(Planner, CreatePassesTheFirstWarningAsTheSlaTimer) {
  const strings argv = argv_or_fail(plan_.create(request(), t0));
  ASSERT_FALSE(argv.empty());
  EXPECT_EQ(lua_argv(argv, 16), num(t0 + 8 * hour_ms - 15 * minute_ms));

  cfg_.priorities[2].resolution = config::span{config::millis{2 * hour_ms}};  // normal
  const strings earlier = argv_or_fail(plan_.create(request(), t0));
  ASSERT_FALSE(earlier.empty());
  EXPECT_EQ(lua_argv(earlier, 16), num(t0 + 2 * hour_ms - 15 * minute_ms));

  cfg_.sla.warn_before = config::millis{0};
  const strings unwarned = argv_or_fail(plan_.create(request(), t0));
  ASSERT_FALSE(unwarned.empty());
  EXPECT_EQ(lua_argv(unwarned, 16), num(t0 + 2 * hour_ms));
}

TEST_F(Planner, CreateRefusesUnknownPriority) {
  auto r = request();
  r.priority = "critical";
  expect_error(plan_.create(r, t0), errc::invalid_argument, "priority");
}

TEST_F(Planner, CreateAlsoGivesTheTicketAsItWillBeStored) {
  auto r = request();
  r.channel = "email";
  r.created_at = t0 - 5 * minute_ms;
  const auto planned = plan_.create(r, t0);
  ASSERT_TRUE(planned.has_value());
  const ticket& t = planned->value;
  EXPECT_EQ(t.id, r.id);
  EXPECT_EQ(t.status, ticket_status::queued);
  EXPECT_EQ(t.queue, "general");
  EXPECT_EQ(t.queues, strings{"general"});
  EXPECT_EQ(t.priority, "normal");
  EXPECT_EQ(t.channel, "email");
  EXPECT_EQ(t.version, 1);
  EXPECT_EQ(t.created_at, t0 - 5 * minute_ms);
  EXPECT_EQ(t.queued_at, t0 - 5 * minute_ms);  // its wait began when it was created
  EXPECT_EQ(t.fingerprint, "fp-1");
  // The same values as the FCALL's arguments (create.lua ARGV[13], [14], [15]).
  const strings argv = argv_or_fail(planned);
  EXPECT_EQ(std::to_string(*t.first_reply_due), lua_argv(argv, 13));
  EXPECT_EQ(std::to_string(*t.resolution_due), lua_argv(argv, 14));
  EXPECT_EQ(std::to_string(t.rank()), lua_argv(argv, 15));
}

TEST_F(Planner, CreateReportsUnknownQueueAsNotFound) {
  auto r = request();
  r.queue = "nowhere";
  const auto planned = plan_.create(r, t0);
  expect_error(planned, errc::not_found, "queue");
  EXPECT_EQ(planned.error().detail("queue"), "nowhere");
}

// With a large wait weight the order is close to the order of the waits: a ticket created ten
// minutes ago goes ahead of one created now, whenever ticketd heard of either.
TEST_F(Planner, CreateRanksAnOlderTicketAheadUnderALargeWaitWeight) {
  cfg_.queues.push_back(config::queue_config{});
  cfg_.queues.back().name = "fifo";
  cfg_.queues.back().wait_weight = 1000;
  auto older = request("T-old");
  older.queue = "fifo";
  older.created_at = t0 - 10 * minute_ms;
  auto newer = request("T-new");
  newer.queue = "fifo";
  // The older ticket reaches ticketd a minute after the newer one.
  const strings newer_argv = argv_or_fail(plan_.create(newer, t0));
  const strings older_argv = argv_or_fail(plan_.create(older, t0 + minute_ms));
  ASSERT_FALSE(newer_argv.empty());
  ASSERT_FALSE(older_argv.empty());
  EXPECT_LT(std::stoll(lua_argv(older_argv, 15)), std::stoll(lua_argv(newer_argv, 15)));
}

TEST_F(Planner, CreateRefusesCreatedAtBeforeTheYear2000) {
  auto r = request();
  r.created_at = 946'684'800'000;  // 2000-01-01T00:00:00Z
  EXPECT_TRUE(plan_.create(r, t0).has_value());
  r.created_at = 1'700'000'000;  // seconds sent as milliseconds: January 1970
  expect_error(plan_.create(r, t0), errc::invalid_argument, "created_at");
}

TEST_F(Planner, CreateRefusesCreatedAtFarInTheFuture) {
  auto r = request();
  r.created_at = t0 + 5 * minute_ms;  // clock skew is tolerated
  EXPECT_TRUE(plan_.create(r, t0).has_value());
  r.created_at = t0 + hour_ms;
  expect_error(plan_.create(r, t0), errc::invalid_argument, "created_at");
}

TEST_F(Planner, NeedsSnapshotExactlyForActionsThatReadTheTicket) {
  for (const auto a : all_ticket_actions) {
    const bool expected = a == ticket_action::customer_reply || a == ticket_action::reopen ||
                          a == ticket_action::postpone || a == ticket_action::release ||
                          a == ticket_action::transfer || a == ticket_action::escalate ||
                          a == ticket_action::reassign;
    EXPECT_EQ(planner::needs_snapshot(a), expected) << to_string(a);
  }
}

TEST_F(Planner, ActionsNeedingASnapshotFailWithoutOne) {
  action_request r;
  r.until = t0 + hour_ms;
  r.queue = "general";
  for (const auto a : all_ticket_actions) {
    if (!planner::needs_snapshot(a)) continue;
    const auto planned = act(a, r, nullptr);
    ASSERT_TRUE(planned.has_error()) << to_string(a);
    EXPECT_EQ(planned.error().code, errc::internal) << to_string(a);
  }
}

TEST_F(Planner, PassesIfMatchAndTheSnapshotVersion) {
  action_request r;
  r.agent = "ada";
  const auto snap = snapshot();
  const strings plain = argv_or_fail(act(ticket_action::reply, r, nullptr, 4));
  ASSERT_FALSE(plain.empty());
  EXPECT_EQ(lua_argv(plain, 5), "T-1");
  EXPECT_EQ(lua_argv(plain, 6), "4");
  EXPECT_EQ(lua_argv(plain, 7), "");
  const strings with_snapshot = argv_or_fail(act(ticket_action::release, r, &snap));
  ASSERT_FALSE(with_snapshot.empty());
  EXPECT_EQ(lua_argv(with_snapshot, 6), "");
  EXPECT_EQ(lua_argv(with_snapshot, 7), "5");
}

TEST_F(Planner, SimpleActionsPassTheirArguments) {
  action_request r;
  r.agent = "ada";
  r.token = "tok";
  r.reason = "no";
  const strings accept = argv_or_fail(act(ticket_action::accept, r, nullptr));
  EXPECT_EQ(accept.at(1), lua::fn::accept.name);
  EXPECT_EQ(lua_argv(accept, 8), "ada");
  EXPECT_EQ(lua_argv(accept, 9), "tok");
  const strings reject = argv_or_fail(act(ticket_action::reject, r, nullptr));
  EXPECT_EQ(lua_argv(reject, 9), "no");
  EXPECT_EQ(lua_argv(reject, 10), "tok");
  const strings close = argv_or_fail(act(ticket_action::close, r, nullptr));
  EXPECT_EQ(close.at(1), lua::fn::close.name);
  EXPECT_EQ(test::lua_argc(close), 7u);
}

TEST_F(Planner, ReassignResumesAPostponedTicketsReplyTargets) {
  action_request r;
  r.agent = "bob";
  r.force = true;
  auto snap = snapshot();
  const strings forced = argv_or_fail(act(ticket_action::reassign, r, &snap));
  EXPECT_EQ(lua_argv(forced, 8), "bob");
  EXPECT_EQ(lua_argv(forced, 9), "1");
  EXPECT_EQ(lua_argv(forced, 10), "");  // not postponed: the targets run as they are
  EXPECT_EQ(lua_argv(forced, 11), "");
  snap.status = ticket_status::postponed;
  snap.first_reply_due.reset();
  snap.paused_first_reply = t0 + 6 * hour_ms;
  snap.paused_at = t0 - hour_ms;
  r.force = false;
  const strings resumed = argv_or_fail(act(ticket_action::reassign, r, &snap));
  EXPECT_EQ(lua_argv(resumed, 9), "");
  EXPECT_EQ(lua_argv(resumed, 10), num(t0 + 7 * hour_ms));  // 7h were left when it paused
  EXPECT_EQ(lua_argv(resumed, 11), "");
}

TEST_F(Planner, ResolveSetsReopenWindowAndAutoClose) {
  cfg_.lifecycle.close_after = config::span{config::millis{2 * day_ms}};
  action_request r;
  r.reason = "duplicate";
  const strings argv = argv_or_fail(act(ticket_action::resolve, r, nullptr));
  ASSERT_FALSE(argv.empty());
  EXPECT_EQ(lua_argv(argv, 8), "duplicate");
  EXPECT_EQ(lua_argv(argv, 9), num(t0 + 7 * day_ms));
  EXPECT_EQ(lua_argv(argv, 10), num(t0 + 2 * day_ms));
}

TEST_F(Planner, ResolveWithoutReasonIsByTheAgent) {
  const strings argv = argv_or_fail(act(ticket_action::resolve, action_request{}, nullptr));
  ASSERT_FALSE(argv.empty());
  EXPECT_EQ(lua_argv(argv, 8), "agent");
}

TEST_F(Planner, PostponeRefusesTimesNotInTheFuture) {
  const auto snap = snapshot();
  action_request r;
  r.until = t0 - 1;
  expect_error(act(ticket_action::postpone, r, &snap), errc::invalid_argument, "until");
  r.until = t0;
  expect_error(act(ticket_action::postpone, r, &snap), errc::invalid_argument, "until");
}

TEST_F(Planner, PostponeRanksTheWakeAsAnEnqueueAtUntil) {
  const auto snap = snapshot();
  action_request r;
  r.until = t0 + hour_ms;
  const strings argv = argv_or_fail(act(ticket_action::postpone, r, &snap));
  ASSERT_FALSE(argv.empty());
  EXPECT_EQ(lua_argv(argv, 8), num(t0 + hour_ms));
  // The first reply target pauses for the hour: it wakes with the 6h it had left, due t0 + 7h.
  const std::int64_t woken_due = *snap.first_reply_due + hour_ms;
  EXPECT_EQ(lua_argv(argv, 10), num(woken_due));
  EXPECT_EQ(lua_argv(argv, 11), "");
  // billing: until + (due - until) / 1.5 - 1 minute = until + 6h / 1.5 - 1 minute.
  EXPECT_EQ(lua_argv(argv, 9), num(compute_rank(woken_due, t0 + hour_ms, 0.5, -minute_ms)));
  EXPECT_EQ(lua_argv(argv, 9), num(t0 + hour_ms + 4 * hour_ms - minute_ms));
}

TEST_F(Planner, PostponeInAQueueNoLongerConfiguredRanksAtTheWakeWithinRankRange) {
  auto snap = snapshot();
  snap.queue = "removed-by-a-reload";
  action_request r;
  r.until = t0 + hour_ms;
  strings argv = argv_or_fail(act(ticket_action::postpone, r, &snap));
  ASSERT_FALSE(argv.empty());
  EXPECT_EQ(lua_argv(argv, 9), num(t0 + hour_ms));
  // Far enough ahead, the rank stops at the largest one whose queue score is exact.
  r.until = max_rank + day_ms;
  argv = argv_or_fail(act(ticket_action::postpone, r, &snap));
  ASSERT_FALSE(argv.empty());
  EXPECT_EQ(lua_argv(argv, 8), num(max_rank + day_ms));
  EXPECT_EQ(lua_argv(argv, 9), num(max_rank));
}

TEST_F(Planner, ReleaseRanksInTheHomeQueue) {
  const auto snap = snapshot();
  action_request r;
  r.agent = "ada";
  const strings argv = argv_or_fail(act(ticket_action::release, r, &snap));
  ASSERT_FALSE(argv.empty());
  EXPECT_EQ(lua_argv(argv, 8), "ada");
  // due = created + 8h = t0 + 6h; billing: t0 + 6h / 1.5 - 1 minute.
  EXPECT_EQ(lua_argv(argv, 9), num(t0 + 4 * hour_ms - minute_ms));
}

TEST_F(Planner, TransferRanksInTheTargetQueue) {
  const auto snap = snapshot();
  action_request r;
  r.queue = "general";
  const strings argv = argv_or_fail(act(ticket_action::transfer, r, &snap));
  ASSERT_FALSE(argv.empty());
  EXPECT_EQ(lua_argv(argv, 8), "general");
  EXPECT_EQ(lua_argv(argv, 9), num(t0 + 6 * hour_ms));
}

// A ticket given back to a queue keeps waiting from when its wait began (queued_at).
TEST_F(Planner, ReleaseTransferAndEscalateRankFromTheWaitThatGoesOn) {
  auto snap = snapshot();
  snap.queued_at = snap.created_at;  // waiting since two hours before t0
  const std::int64_t due = t0 + 6 * hour_ms;
  action_request release;
  release.agent = "ada";
  strings argv = argv_or_fail(act(ticket_action::release, release, &snap));
  ASSERT_FALSE(argv.empty());
  EXPECT_EQ(lua_argv(argv, 9), num(compute_rank(due, snap.queued_at, 0.5, -minute_ms)));
  action_request transfer;
  transfer.queue = "general";
  argv = argv_or_fail(act(ticket_action::transfer, transfer, &snap));
  ASSERT_FALSE(argv.empty());
  EXPECT_EQ(lua_argv(argv, 9), num(compute_rank(due, snap.queued_at, 0, 0)));
  argv = argv_or_fail(act(ticket_action::escalate, action_request{}, &snap));
  ASSERT_FALSE(argv.empty());
  EXPECT_EQ(lua_argv(argv, 10), num(compute_rank(due, snap.queued_at, 2, 1000)));
}

TEST_F(Planner, TransferToUnknownQueueIsNotFound) {
  const auto snap = snapshot();
  action_request r;
  r.queue = "nowhere";
  const auto planned = act(ticket_action::transfer, r, &snap);
  expect_error(planned, errc::not_found, "queue");
  EXPECT_EQ(planned.error().detail("queue"), "nowhere");
}

TEST_F(Planner, EscalateWithoutQueueUsesEscalateTo) {
  const auto snap = snapshot();  // billing escalates to tier2
  action_request r;
  r.reason = "angry";
  const strings argv = argv_or_fail(act(ticket_action::escalate, r, &snap));
  ASSERT_FALSE(argv.empty());
  EXPECT_EQ(lua_argv(argv, 8), "tier2");
  EXPECT_EQ(lua_argv(argv, 9), "");  // priority unchanged
  // tier2: wait_weight 2, offset +1s; due t0 + 6h.
  EXPECT_EQ(lua_argv(argv, 10), num(t0 + 2 * hour_ms + 1000));
  EXPECT_EQ(lua_argv(argv, 11), "");
  EXPECT_EQ(lua_argv(argv, 12), "");
  EXPECT_EQ(lua_argv(argv, 13), "");
  EXPECT_EQ(lua_argv(argv, 14), "angry");
}

TEST_F(Planner, EscalateWithoutQueueOrEscalateToIsInvalid) {
  auto snap = snapshot();
  snap.queue = "general";
  expect_error(act(ticket_action::escalate, action_request{}, &snap), errc::invalid_argument,
               "queue");
}

TEST_F(Planner, EscalateToUnknownQueueIsNotFound) {
  const auto snap = snapshot();
  action_request r;
  r.queue = "nowhere";
  expect_error(act(ticket_action::escalate, r, &snap), errc::not_found, "queue");
}

TEST_F(Planner, EscalateRaisesPriorityAndCountsTheTimeAlreadySpent) {
  const auto snap = snapshot();
  action_request r;
  r.queue = "general";
  r.priority = "urgent";
  const strings argv = argv_or_fail(act(ticket_action::escalate, r, &snap));
  ASSERT_FALSE(argv.empty());
  EXPECT_EQ(lua_argv(argv, 8), "general");
  EXPECT_EQ(lua_argv(argv, 9), "urgent");
  EXPECT_EQ(lua_argv(argv, 11), num(snap.created_at + hour_ms));
  EXPECT_EQ(lua_argv(argv, 13), num(snap.created_at + 4 * hour_ms));
  // Ranked by the new, already passed first-reply target.
  EXPECT_EQ(lua_argv(argv, 10), num(snap.created_at + hour_ms));
}

TEST_F(Planner, EscalateCannotLowerPriority) {
  const auto snap = snapshot();  // normal
  action_request r;
  r.queue = "general";
  r.priority = "low";
  expect_error(act(ticket_action::escalate, r, &snap), errc::invalid_argument, "priority");
  r.priority = "normal";
  EXPECT_TRUE(act(ticket_action::escalate, r, &snap).has_value());
  r.priority = "critical";
  expect_error(act(ticket_action::escalate, r, &snap), errc::invalid_argument, "priority");
}

TEST_F(Planner, CustomerReplyStartsTheNextReplyClockAndAffinityWait) {
  auto snap = snapshot();
  snap.status = ticket_status::pending;
  snap.first_reply_due.reset();  // answered
  const strings argv = argv_or_fail(act(ticket_action::customer_reply, action_request{}, &snap));
  ASSERT_FALSE(argv.empty());
  EXPECT_EQ(argv.at(1), lua::fn::customer_reply.name);
  EXPECT_EQ(lua_argv(argv, 8), "");                     // first reply: answered
  EXPECT_EQ(lua_argv(argv, 9), num(t0 + 8 * hour_ms));  // normal: next reply in 8h
  EXPECT_EQ(lua_argv(argv, 10), "");                    // resolution: running, unchanged
  // billing ranks by next reply due: t0 + 8h / 1.5 - 1 minute.
  EXPECT_EQ(lua_argv(argv, 11), num(compute_rank(t0 + 8 * hour_ms, t0, 0.5, -minute_ms)));
  EXPECT_EQ(lua_argv(argv, 12), num(t0 + 24 * hour_ms));  // affinity_wait default
}

TEST_F(Planner, CustomerReplyKeepsAnEarlierNextReplyDue) {
  auto snap = snapshot();
  snap.status = ticket_status::pending;
  snap.next_reply_due = t0 + hour_ms;
  const strings argv = argv_or_fail(act(ticket_action::reopen, action_request{}, &snap));
  ASSERT_FALSE(argv.empty());
  EXPECT_EQ(argv.at(1), lua::fn::reopen.name);
  EXPECT_EQ(lua_argv(argv, 9), num(t0 + hour_ms));
}

TEST_F(Planner, ReopenResumesTheResolutionTargetWithWhatItHadLeft) {
  auto snap = snapshot();
  snap.status = ticket_status::resolved;
  snap.first_reply_due.reset();
  // Resolved two days ago with 10 hours of its resolution target left.
  snap.paused_resolution = t0 - 2 * day_ms + 10 * hour_ms;
  snap.resolution_due.reset();
  snap.paused_at = t0 - 2 * day_ms;
  const strings argv = argv_or_fail(act(ticket_action::reopen, action_request{}, &snap));
  ASSERT_FALSE(argv.empty());
  EXPECT_EQ(lua_argv(argv, 10), num(t0 + 10 * hour_ms));
  // The next reply (8h) is the nearer target: it ranks.
  EXPECT_EQ(lua_argv(argv, 11), num(compute_rank(t0 + 8 * hour_ms, t0, 0.5, -minute_ms)));
}

TEST_F(Planner, ReplyPlansTheFollowUpCadenceFromNow) {
  action_request r;
  r.agent = "ada";
  const strings argv = argv_or_fail(act(ticket_action::reply, r, nullptr));
  ASSERT_FALSE(argv.empty());
  // The fixture has no lifecycle.pending: nothing to schedule.
  EXPECT_EQ(lua_argv(argv, 9), "");
  const auto days = [](int n) { return config::span{config::millis{n * day_ms}}; };
  cfg_.lifecycle.followups = {days(1), days(3), days(5)};
  cfg_.lifecycle.resolve_after = days(6);
  cfg_.lifecycle.reopen_window = days(7);
  cfg_.lifecycle.close_after = days(2);
  const strings planned = argv_or_fail(act(ticket_action::reply, r, nullptr));
  ASSERT_FALSE(planned.empty());
  EXPECT_EQ(lua_argv(planned, 9), num(t0 + day_ms) + "," + num(t0 + 3 * day_ms) + "," +
                                      num(t0 + 5 * day_ms) + ";" + num(t0 + 6 * day_ms) + ";" +
                                      num(t0 + 13 * day_ms) + ";" + num(t0 + 8 * day_ms));
}

TEST_F(Planner, ReturningTicketWhoseQueueIsGoneIsAConflict) {
  auto snap = snapshot();
  snap.queue = "retired";
  const auto planned = act(ticket_action::customer_reply, action_request{}, &snap);
  ASSERT_TRUE(planned.has_error());
  EXPECT_EQ(planned.error().code, errc::conflict);
}

TEST_F(Planner, PutAgentAddsSkillQueuesAndPassesProfile) {
  agent_request r;
  r.name = "Ada";
  r.queues = {"billing", "general"};
  r.skills = {{"spanish", 1}};
  r.max_concurrent = 3;
  r.status = agent_status::online;
  const strings argv = argv_or_fail(plan_.put_agent("ada", r, t0));
  ASSERT_FALSE(argv.empty());
  EXPECT_EQ(argv.at(1), lua::fn::agent_put.name);
  EXPECT_EQ(lua_argv(argv, 5), "ada");
  EXPECT_EQ(lua_argv(argv, 6), "Ada");
  EXPECT_EQ(lua_argv(argv, 7), "billing,general");
  EXPECT_EQ(lua_argv(argv, 8), "spanish:1");
  EXPECT_EQ(lua_argv(argv, 9), "billing,general,spanish");
  EXPECT_EQ(lua_argv(argv, 10), "3");
  EXPECT_EQ(lua_argv(argv, 11), "online");
}

TEST_F(Planner, PutAgentKeepsDefaultsEmpty) {
  const strings argv = argv_or_fail(plan_.put_agent("bob", agent_request{}, t0));
  ASSERT_FALSE(argv.empty());
  EXPECT_EQ(lua_argv(argv, 10), "");
  EXPECT_EQ(lua_argv(argv, 11), "");
}

TEST_F(Planner, PutAgentWithUnknownQueueIsNotFound) {
  agent_request r;
  r.queues = {"general", "nowhere"};
  const auto planned = plan_.put_agent("ada", r, t0);
  expect_error(planned, errc::not_found, "queues");
  EXPECT_EQ(planned.error().detail("queue"), "nowhere");
}

TEST_F(Planner, RankInFollowsTheEarliestDueOrNow) {
  auto t = snapshot();
  const auto& general = *cfg_.find_queue("general");
  EXPECT_EQ(plan_.rank_in(general, t, t0), t0 + 6 * hour_ms);
  t.next_reply_due = t0 + hour_ms;  // an earlier target
  EXPECT_EQ(plan_.rank_in(general, t, t0), t0 + hour_ms);
  t.next_reply_due.reset();
  t.first_reply_due.reset();
  t.resolution_due.reset();
  EXPECT_EQ(plan_.rank_in(general, t, t0), t0);
}

}  // namespace
}  // namespace ticketd::routing
