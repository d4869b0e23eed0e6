// The clocks of the lifecycle driven through the manual clock: SLA warnings and breaches with
// pauses, the follow-up cadence, inactivity and unresponsive resolves, reopen windows and
// auto-close, business calendars, reload, and bounded tick batches.
#include <algorithm>

#include "routing/time_format.hpp"
#include "tests/integration/engine_fixture.hpp"

namespace ticketd::testing {
namespace {

using routing::ticket_action;
using routing::ticket_status;

std::string clock_config(const std::string& pending,
                         const std::string& resolved = "{reopen_window: 7d, close_after: 7d}") {
  return R"(
workspace: test
calendars:
  support-eu:
    timezone: Europe/Berlin
    hours: {mon-fri: "09:00-17:00"}
    holidays: [2026-12-25]
sla:
  calendar: support-eu
  warn_before: 15m
priorities:
  urgent: {first_reply: 1h, next_reply: 1h, resolution: 4h}
  normal: {first_reply: 8h, next_reply: 8h, resolution: 3d}
  office: {first_reply: 4h business, next_reply: 4h business, resolution: 2d business}
agents:
  max_concurrent: 3
queues:
  general: {mode: pull}
lifecycle:
  affinity_wait: 2h
  pending: )" +
         pending + R"(
  resolved: )" +
         resolved + R"(
defaults: {queue: general, priority: normal}
)";
}

std::int64_t at(const std::string& text) { return *routing::parse_rfc3339(text); }

class Clocks : public EngineTest {
 protected:
  // A ticket ada took and answered: pending, the cadence running from now.
  void answered(const std::string& id, const std::string& priority = "") {
    created(id, "", priority);
    auto taken = next("ada");
    ASSERT_OK(taken);
    ASSERT_TRUE(taken->has_value());
    ASSERT_EQ((*taken)->id, id);
    ASSERT_OK(act(ticket_action::reply, id, with_agent("ada")));
  }

  ticket_status status(const std::string& id) { return get(id)->status; }

  // T-1 (first reply due t0 + 8h) taken by ada, postponed at t0 + 2h until t0 + 2 days, and now
  // t0 + 5h: its first reply target paused with 6h left.
  void postponed_three_hours_ago() {
    created("T-1");
    ASSERT_OK(next("ada"));
    run_until(t0 + 2 * hour);
    ASSERT_OK(act(ticket_action::postpone, "T-1", until(t0 + 2 * day)));
    run_until(t0 + 5 * hour);
  }
};

TEST_F(Clocks, InactivityResolvesAfter48HoursOfCustomerSilence) {
  configure(clock_config("{resolve_after: 48h}"));
  ASSERT_OK(put_agent("ada", {"general"}));
  answered("T-1");
  const std::int64_t replied = now();
  run_until(replied + 48 * hour - 1);
  EXPECT_EQ(status("T-1"), ticket_status::pending);
  run_until(replied + 48 * hour);
  auto t = get("T-1");
  ASSERT_OK(t);
  EXPECT_EQ(t->status, ticket_status::resolved);
  EXPECT_EQ(t->resolve_reason, "inactivity");
  EXPECT_EQ(t->resolved_at, replied + 48 * hour);
  const auto resolved = events("ticket.resolved");
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].at("reason"), "inactivity");
  EXPECT_EQ(resolved[0].at("agent"), "ada");
  EXPECT_TRUE(events("ticket.followup_due").empty());
  EXPECT_TRUE(agent("ada")->tickets.empty());
}

TEST_F(Clocks, ACustomerReplyBeforeThe48HoursStartsThemAgain) {
  configure(clock_config("{resolve_after: 48h}"));
  ASSERT_OK(put_agent("ada", {"general"}));
  answered("T-1");
  const std::int64_t replied = now();
  run_until(replied + 30 * hour);
  ASSERT_OK(act(ticket_action::customer_reply, "T-1"));
  EXPECT_EQ(status("T-1"), ticket_status::assigned);  // back in ada's inbox
  run_until(replied + 31 * hour);
  ASSERT_OK(act(ticket_action::reply, "T-1", with_agent("ada")));
  run_until(replied + 48 * hour);
  EXPECT_EQ(status("T-1"), ticket_status::pending);
  run_until(replied + 31 * hour + 48 * hour);
  EXPECT_EQ(status("T-1"), ticket_status::resolved);
}

TEST_F(Clocks, OneBusinessDayOfSilenceThenResolved) {
  configure(clock_config("{resolve_after: 1d business}"));
  ASSERT_OK(put_agent("ada", {"general"}));
  // Friday 27 November, 15:00 in Berlin: one business day later is Monday 15:00.
  clock_.set(at("2026-11-27T14:00:00Z"));
  answered("T-1");
  run_until(at("2026-11-30T13:59:59.999Z"));
  EXPECT_EQ(status("T-1"), ticket_status::pending);
  run_until(at("2026-11-30T14:00:00Z"));
  auto t = get("T-1");
  ASSERT_OK(t);
  EXPECT_EQ(t->status, ticket_status::resolved);
  EXPECT_EQ(t->resolve_reason, "inactivity");
}

TEST_F(Clocks, FollowUpsOneTwoThreeThenUnresponsiveOnDaySix) {
  configure(clock_config("{followups: [1d, 3d, 5d], resolve_after: 6d}"));
  ASSERT_OK(put_agent("ada", {"general"}));
  answered("T-1");
  const std::int64_t replied = now();
  const std::int64_t offsets[] = {1, 3, 5};
  for (int n = 1; n <= 3; ++n) {
    const std::int64_t due = replied + offsets[n - 1] * day;
    run_until(due - 1);
    ASSERT_EQ(status("T-1"), ticket_status::pending) << "follow-up " << n;
    run_until(due);
    auto t = get("T-1");
    ASSERT_OK(t);
    EXPECT_EQ(t->status, ticket_status::assigned) << "follow-up " << n;
    EXPECT_EQ(t->assignee, "ada");
    EXPECT_EQ(t->followup_attempt, n);
    const auto due_events = events("ticket.followup_due");
    ASSERT_EQ(due_events.size(), static_cast<std::size_t>(n));
    EXPECT_EQ(due_events.back().at("attempt"), std::to_string(n));
    EXPECT_EQ(due_events.back().at("of"), "3");
    EXPECT_EQ(due_events.back().at("agent"), "ada");
    // The agent follows up an hour later; the cadence keeps counting from the first reply.
    run_until(due + hour);
    ASSERT_OK(act(ticket_action::reply, "T-1", with_agent("ada")));
  }
  run_until(replied + 6 * day - 1);
  EXPECT_EQ(status("T-1"), ticket_status::pending);
  run_until(replied + 6 * day);
  auto t = get("T-1");
  ASSERT_OK(t);
  EXPECT_EQ(t->status, ticket_status::resolved);
  EXPECT_EQ(t->resolve_reason, "unresponsive");
  EXPECT_EQ(events("ticket.resolved").back().at("reason"), "unresponsive");
  EXPECT_EQ(events("ticket.followup_due").size(), 3u);
}

TEST_F(Clocks, AnyCustomerContactStartsTheCadenceAgain) {
  configure(clock_config("{followups: [1d, 3d, 5d], resolve_after: 6d}"));
  ASSERT_OK(put_agent("ada", {"general"}));
  answered("T-1");
  const std::int64_t replied = now();
  run_until(replied + day);
  ASSERT_EQ(events("ticket.followup_due").size(), 1u);
  run_until(replied + day + hour);
  ASSERT_OK(act(ticket_action::reply, "T-1", with_agent("ada")));
  run_until(replied + 2 * day);
  ASSERT_OK(act(ticket_action::customer_reply, "T-1"));
  EXPECT_EQ(get("T-1")->followup_attempt, 0);
  run_until(replied + 2 * day + hour);
  ASSERT_OK(act(ticket_action::reply, "T-1", with_agent("ada")));
  const std::int64_t again = now();
  // The old schedule (day 3) is gone: the next follow-up is 1/3 a day after the new reply.
  run_until(again + day - 1);
  EXPECT_EQ(events("ticket.followup_due").size(), 1u);
  run_until(again + day);
  const auto due_events = events("ticket.followup_due");
  ASSERT_EQ(due_events.size(), 2u);
  EXPECT_EQ(due_events.back().at("attempt"), "1");
  EXPECT_EQ(due_events.back().at("at"), std::to_string(again + day));
}

TEST_F(Clocks, ACadenceEndsWhenItsAgentLetsTheTicketGo) {
  configure(clock_config("{followups: [1d, 3d, 5d], resolve_after: 6d}"));
  ASSERT_OK(put_agent("ada", {"general"}));
  answered("T-1");
  const std::int64_t replied = now();
  run_until(replied + day);  // 1/3: back in ada's inbox
  ASSERT_EQ(status("T-1"), ticket_status::assigned);
  ASSERT_OK(act(ticket_action::release, "T-1", with_agent("ada")));
  ASSERT_OK(put_agent("bob", {"general"}));
  ASSERT_OK(next("bob"));
  run_until(replied + 4 * day);
  ASSERT_OK(act(ticket_action::reply, "T-1", with_agent("bob")));
  // Bob's reply starts a cadence of its own: nothing falls due at once for ada's old offsets.
  const std::int64_t bob_replied = now();
  run_until(bob_replied + day - 1);
  EXPECT_EQ(status("T-1"), ticket_status::pending);
  EXPECT_EQ(events("ticket.followup_due").size(), 1u);
  run_until(bob_replied + day);
  const auto due_events = events("ticket.followup_due");
  ASSERT_EQ(due_events.size(), 2u);
  EXPECT_EQ(due_events.back().at("attempt"), "1");
  EXPECT_EQ(due_events.back().at("agent"), "bob");
}

TEST_F(Clocks, ResolvedReopensInsideTheSevenDayWindowThenClosesItself) {
  configure(clock_config("{}"));
  ASSERT_OK(put_agent("ada", {"general"}));
  answered("T-1");
  ASSERT_OK(act(ticket_action::resolve, "T-1"));
  EXPECT_EQ(events("ticket.resolved").back().at("reason"), "agent");
  const std::int64_t resolved = now();
  run_until(resolved + 7 * day - minute);
  auto reopened = act(ticket_action::customer_reply, "T-1");
  ASSERT_OK(reopened);
  EXPECT_EQ(reopened->status, ticket_status::assigned);
  EXPECT_EQ(reopened->reopens, 1);
  EXPECT_EQ(events("ticket.reopened").size(), 1u);
  ASSERT_OK(act(ticket_action::resolve, "T-1"));
  const std::int64_t again = now();
  run_until(again + 7 * day - 1);
  EXPECT_EQ(status("T-1"), ticket_status::resolved);
  run_until(again + 7 * day);
  EXPECT_EQ(status("T-1"), ticket_status::closed);
  EXPECT_EQ(events("ticket.closed").back().at("via"), "auto");
  EXPECT_ERROR(act(ticket_action::customer_reply, "T-1"), conflict);
}

TEST_F(Clocks, AfterTheReopenWindowAReplyIsAConflictUntilItCloses) {
  configure(clock_config("{}", "{reopen_window: 7d, close_after: 10d}"));
  ASSERT_OK(put_agent("ada", {"general"}));
  answered("T-1");
  ASSERT_OK(act(ticket_action::resolve, "T-1"));
  const std::int64_t resolved = now();
  run_until(resolved + 8 * day);
  EXPECT_ERROR(act(ticket_action::customer_reply, "T-1"), conflict);
  EXPECT_ERROR(act(ticket_action::reopen, "T-1"), conflict);
  EXPECT_EQ(status("T-1"), ticket_status::resolved);
  run_until(resolved + 10 * day);
  EXPECT_EQ(status("T-1"), ticket_status::closed);
}

TEST_F(Clocks, SlaWarnsThenBreachesEachTargetOnce) {
  configure(clock_config("{}"));
  created("T-1", "", "urgent");  // first reply 1h, resolution 4h, warn 15m before
  run_until(t0 + 45 * minute - 1);
  EXPECT_TRUE(events("sla.warning").empty());
  clock_.set(t0 + 45 * minute);
  auto fired = tick();
  ASSERT_OK(fired);
  using note = routing::timer_note;
  EXPECT_EQ(fired->notes, (std::vector<note>{{note::kind::sla_warning, "general", "first_reply"}}));
  clock_.set(t0 + hour);
  fired = tick();
  ASSERT_OK(fired);
  EXPECT_EQ(fired->notes,
            (std::vector<note>{{note::kind::sla_breached, "general", "first_reply"}}));
  auto t = get("T-1");
  ASSERT_OK(t);
  EXPECT_EQ(t->breached, std::vector<std::string>{"first_reply"});
  run_until(t0 + 4 * hour);
  EXPECT_EQ(get("T-1")->breached, (std::vector<std::string>{"first_reply", "resolution"}));
  const auto warnings = events("sla.warning");
  const auto breaches = events("sla.breached");
  ASSERT_EQ(warnings.size(), 2u);
  ASSERT_EQ(breaches.size(), 2u);
  EXPECT_EQ(warnings[1].at("target"), "resolution");
  EXPECT_EQ(warnings[1].at("at"), std::to_string(t0 + 3 * hour + 45 * minute));
  EXPECT_EQ(breaches[0].at("due"), std::to_string(t0 + hour));
  EXPECT_EQ(breaches[0].at("queue"), "general");
  EXPECT_EQ(breaches[0].at("priority"), "urgent");
  // Nothing more to fire for this ticket.
  EXPECT_TRUE(redis({"ZSCORE", key(routing::key_part::timers), "s|T-1"}).is_nil());
  run_until(t0 + 30 * day);
  EXPECT_EQ(events("sla.breached").size(), 2u);
}

TEST_F(Clocks, AnAnswerInTimeStopsTheReplyTargetAndACustomerReplyStartsTheNext) {
  configure(clock_config("{}"));
  ASSERT_OK(put_agent("ada", {"general"}));
  created("T-1", "", "urgent");
  ASSERT_OK(next("ada"));
  run_until(t0 + 30 * minute);
  ASSERT_OK(act(ticket_action::reply, "T-1", with_agent("ada")));
  run_until(t0 + hour);
  ASSERT_OK(act(ticket_action::customer_reply, "T-1"));
  auto t = get("T-1");
  ASSERT_OK(t);
  EXPECT_FALSE(t->first_reply_due.has_value());
  EXPECT_EQ(t->next_reply_due, t0 + 2 * hour);
  run_until(t0 + 2 * hour);
  const auto breaches = events("sla.breached");
  ASSERT_EQ(breaches.size(), 1u);
  EXPECT_EQ(breaches[0].at("target"), "next_reply");
  EXPECT_EQ(breaches[0].at("agent"), "ada");
  // Resolution kept running the whole time (open, pending included).
  const auto warnings = events("sla.warning");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].at("target"), "next_reply");
  run_until(t0 + 4 * hour);
  EXPECT_EQ(get("T-1")->breached, (std::vector<std::string>{"next_reply", "resolution"}));
}

TEST_F(Clocks, PostponingPausesTheReplyTargets) {
  configure(clock_config("{}"));
  ASSERT_OK(put_agent("ada", {"general"}));
  created("T-1");  // normal: first reply due t0 + 8h
  ASSERT_OK(next("ada"));
  run_until(t0 + hour);
  ASSERT_OK(act(ticket_action::postpone, "T-1", until(t0 + 3 * hour)));
  auto t = get("T-1");
  ASSERT_OK(t);
  EXPECT_FALSE(t->first_reply_due.has_value());
  EXPECT_EQ(t->paused(), std::vector<std::string>{"first_reply"});
  run_until(t0 + 3 * hour);
  t = get("T-1");
  ASSERT_OK(t);
  EXPECT_EQ(t->status, ticket_status::assigned);
  EXPECT_TRUE(t->paused().empty());
  // 7h were left when it paused: due 7h after the wake-up.
  EXPECT_EQ(t->first_reply_due, t0 + 10 * hour);
  run_until(t0 + 10 * hour - 1);
  EXPECT_TRUE(events("sla.breached").empty());
  run_until(t0 + 10 * hour);
  EXPECT_EQ(events("sla.breached").size(), 1u);
}

TEST_F(Clocks, ACustomerReplyWhilePostponedResumesThePausedTarget) {
  configure(clock_config("{}"));
  ASSERT_OK(put_agent("ada", {"general"}));
  postponed_three_hours_ago();
  ASSERT_OK(act(ticket_action::customer_reply, "T-1"));
  auto t = get("T-1");
  ASSERT_OK(t);
  EXPECT_EQ(t->status, ticket_status::assigned);
  EXPECT_EQ(t->first_reply_due, t0 + 11 * hour);  // 6h left, resumed at t0 + 5h
  EXPECT_EQ(t->next_reply_due, t0 + 13 * hour);   // 8h from the customer's message
}

TEST_F(Clocks, ReassigningAPostponedTicketResumesItsTargetsAndDropsTheWakeUp) {
  configure(clock_config("{}"));
  ASSERT_OK(put_agent("ada", {"general"}));
  ASSERT_OK(put_agent("bob", {"general"}));
  postponed_three_hours_ago();
  routing::action_request to_bob;
  to_bob.agent = "bob";
  ASSERT_OK(act(ticket_action::reassign, "T-1", to_bob));
  auto t = get("T-1");
  ASSERT_OK(t);
  EXPECT_EQ(t->status, ticket_status::assigned);
  EXPECT_TRUE(t->paused().empty());
  EXPECT_EQ(t->first_reply_due, t0 + 11 * hour);  // 6h left, resumed at t0 + 5h
  EXPECT_FALSE(t->postponed_until.has_value());
  // The old wake-up does not fire: the ticket stays with bob, and its target breaches on time.
  run_until(t0 + 2 * day);
  t = get("T-1");
  ASSERT_OK(t);
  EXPECT_EQ(t->status, ticket_status::assigned);
  EXPECT_EQ(t->last_agent, "bob");
  for (const auto& e : events("ticket.assigned")) EXPECT_NE(e.at("via"), "wake");
  const auto breaches = events("sla.breached");
  ASSERT_EQ(breaches.size(), 1u);
  EXPECT_EQ(breaches[0].at("target"), "first_reply");
}

TEST_F(Clocks, ResolvingPausesResolutionAndAReopenResumesIt) {
  configure(clock_config("{}"));
  ASSERT_OK(put_agent("ada", {"general"}));
  answered("T-1");  // resolution due t0 + 3d
  run_until(t0 + day);
  ASSERT_OK(act(ticket_action::resolve, "T-1"));
  EXPECT_EQ(get("T-1")->paused(), std::vector<std::string>{"resolution"});
  run_until(t0 + 4 * day);  // past the old due time: paused, so no breach
  EXPECT_TRUE(events("sla.breached").empty());
  ASSERT_OK(act(ticket_action::reopen, "T-1"));
  auto t = get("T-1");
  ASSERT_OK(t);
  EXPECT_EQ(t->resolution_due, t0 + 6 * day);  // the 2 days left, from the reopen
  EXPECT_TRUE(t->paused().empty());
}

TEST_F(Clocks, BusinessHourTargetsRunOnTheCalendar) {
  configure(clock_config("{}"));
  // Friday 27 November 15:00 in Berlin; 4 business hours: 2 on Friday, 2 on Monday.
  clock_.set(at("2026-11-27T14:00:00Z"));
  auto t = created("T-1", "", "office");
  EXPECT_EQ(routing::format_rfc3339(*t.first_reply_due), "2026-11-30T10:00:00.000Z");
  // 2 business days: Tuesday 15:00.
  EXPECT_EQ(routing::format_rfc3339(*t.resolution_due), "2026-12-01T14:00:00.000Z");
  // The warning comes 15 minutes (wall time) before: Monday 10:45 in Berlin.
  run_until(at("2026-11-30T09:44:59Z"));
  EXPECT_TRUE(events("sla.warning").empty());
  run_until(at("2026-11-30T09:45:00Z"));
  EXPECT_EQ(events("sla.warning").size(), 1u);
}

TEST_F(Clocks, AReloadAppliesToTimersScheduledAfterIt) {
  configure(clock_config("{resolve_after: 48h}"));
  ASSERT_OK(put_agent("ada", {"general"}));
  answered("T-1");
  const std::int64_t first = now();
  configure(clock_config("{resolve_after: 24h}"));
  run_until(first + hour);
  answered("T-2");
  const std::int64_t second = now();
  run_until(second + 24 * hour);
  EXPECT_EQ(status("T-2"), ticket_status::resolved);
  EXPECT_EQ(status("T-1"), ticket_status::pending);  // scheduled before: keeps its 48h
  run_until(first + 48 * hour);
  EXPECT_EQ(status("T-1"), ticket_status::resolved);
}

TEST_F(Clocks, TicksFireDueTimersInBoundedBatchesEachOnce) {
  configure(clock_config("{}"));
  for (int i = 0; i < 250; ++i) created("T-" + std::to_string(i), "", "urgent");
  clock_.set(t0 + 45 * minute);
  std::vector<std::int64_t> batches;
  for (;;) {
    auto r = tick(100);
    ASSERT_OK(r);
    batches.push_back(r->fired);
    if (r->fired < 100) break;
    ASSERT_TRUE(r->next_due.has_value());
    EXPECT_LE(*r->next_due, now());
  }
  EXPECT_EQ(batches, (std::vector<std::int64_t>{100, 100, 50}));
  EXPECT_EQ(events("sla.warning").size(), 250u);
  auto again = tick(100);
  ASSERT_OK(again);
  EXPECT_EQ(again->fired, 0);
  EXPECT_EQ(again->next_due, t0 + hour);
}

}  // namespace
}  // namespace ticketd::testing
