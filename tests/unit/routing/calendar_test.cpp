#include "routing/calendar.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "routing/sla.hpp"
#include "routing/time_format.hpp"

namespace ticketd::routing {
namespace {

constexpr std::int64_t minute = 60'000;
constexpr std::int64_t hour = 60 * minute;

// An instant written with its UTC offset, as a person in the calendar's zone reads it.
std::int64_t at(const std::string& text) {
  const auto ms = parse_rfc3339(text);
  if (!ms) throw std::invalid_argument("bad instant in test: " + text);
  return *ms;
}

std::string show(std::int64_t ms) { return format_rfc3339(ms); }

config::time_of_day_interval hours(int from_h, int from_m, int to_h, int to_m) {
  return {from_h * 60 + from_m, to_h * 60 + to_m};
}

// Berlin, Monday to Friday 09:00-17:00, Saturday 10:00-14:00 unless said otherwise.
config::calendar_config berlin(bool saturday = true) {
  config::calendar_config c;
  c.name = "support-eu";
  c.timezone = "Europe/Berlin";
  for (int d = 0; d < 5; ++d) c.hours[d] = {hours(9, 0, 17, 0)};
  if (saturday) c.hours[5] = {hours(10, 0, 14, 0)};
  return c;
}

TEST(BusinessCalendar, AddsInsideOneWorkingDay) {
  const business_calendar cal(berlin());
  // Monday 2026-11-23 10:00 in Berlin (UTC+1).
  EXPECT_EQ(show(cal.add(at("2026-11-23T10:00:00+01:00"), 3 * hour)),
            show(at("2026-11-23T13:00:00+01:00")));
  EXPECT_EQ(show(cal.add(at("2026-11-23T10:00:00+01:00"), 7 * hour)),
            show(at("2026-11-23T17:00:00+01:00")));
}

TEST(BusinessCalendar, CarriesOverNightsAndWeekends) {
  const business_calendar weekdays(berlin(false));
  // Monday 10:00 + 8h: 7h on Monday, 1h on Tuesday.
  EXPECT_EQ(show(weekdays.add(at("2026-11-23T10:00:00+01:00"), 8 * hour)),
            show(at("2026-11-24T10:00:00+01:00")));
  // Friday 16:00 + 2h: one hour on Friday, the other on Monday.
  EXPECT_EQ(show(weekdays.add(at("2026-11-27T16:00:00+01:00"), 2 * hour)),
            show(at("2026-11-30T10:00:00+01:00")));
  // With short Saturday hours, the Saturday counts.
  const business_calendar saturdays(berlin(true));
  EXPECT_EQ(show(saturdays.add(at("2026-11-27T16:00:00+01:00"), 2 * hour)),
            show(at("2026-11-28T11:00:00+01:00")));
  EXPECT_EQ(show(saturdays.add(at("2026-11-27T16:00:00+01:00"), 6 * hour)),
            show(at("2026-11-30T10:00:00+01:00")));
}

TEST(BusinessCalendar, StartsOutsideHoursAtTheNextOpening) {
  const business_calendar cal(berlin(false));
  // Friday evening: counting starts Monday 09:00.
  EXPECT_EQ(show(cal.add(at("2026-11-27T18:30:00+01:00"), hour)),
            show(at("2026-11-30T10:00:00+01:00")));
  // Early morning: counting starts at 09:00 the same day.
  EXPECT_EQ(show(cal.add(at("2026-11-24T06:00:00+01:00"), 30 * minute)),
            show(at("2026-11-24T09:30:00+01:00")));
  EXPECT_EQ(show(cal.next_open(at("2026-11-28T12:00:00+01:00"))),
            show(at("2026-11-30T09:00:00+01:00")));
  EXPECT_EQ(cal.next_open(at("2026-11-24T12:00:00+01:00")), at("2026-11-24T12:00:00+01:00"));
  // Adding nothing is the instant itself, in or out of hours.
  EXPECT_EQ(cal.add(at("2026-11-28T12:00:00+01:00"), 0), at("2026-11-28T12:00:00+01:00"));
}

TEST(BusinessCalendar, SkipsHolidays) {
  auto c = berlin(true);
  c.holidays = {{2026, 12, 25}, {2026, 12, 26}};
  const business_calendar cal(c);
  // Thursday 24 December 16:00 + 2h: Friday 25 and Saturday 26 are holidays.
  EXPECT_EQ(show(cal.add(at("2026-12-24T16:00:00+01:00"), 2 * hour)),
            show(at("2026-12-28T10:00:00+01:00")));
  EXPECT_EQ(cal.between(at("2026-12-24T00:00:00+01:00"), at("2026-12-28T00:00:00+01:00")),
            8 * hour);
}

TEST(BusinessCalendar, LunchBreaksDoNotCount) {
  auto c = berlin(false);
  for (int d = 0; d < 5; ++d) c.hours[d] = {hours(9, 0, 12, 0), hours(13, 0, 17, 0)};
  const business_calendar cal(c);
  EXPECT_EQ(show(cal.add(at("2026-11-23T11:00:00+01:00"), 2 * hour)),
            show(at("2026-11-23T14:00:00+01:00")));
  // Exactly the morning's rest ends at the break.
  EXPECT_EQ(show(cal.add(at("2026-11-23T11:00:00+01:00"), hour)),
            show(at("2026-11-23T12:00:00+01:00")));
  EXPECT_EQ(show(cal.next_open(at("2026-11-23T12:20:00+01:00"))),
            show(at("2026-11-23T13:00:00+01:00")));
  EXPECT_EQ(cal.between(at("2026-11-23T08:00:00+01:00"), at("2026-11-23T18:00:00+01:00")),
            7 * hour);
  EXPECT_EQ(cal.average_day_ms(), 7 * hour);
}

TEST(BusinessCalendar, FollowsDaylightSavingChanges) {
  const business_calendar cal(berlin(false));
  // Berlin moves to summer time on Sunday 2026-03-29: Friday 16:00 is UTC+1, Monday UTC+2.
  EXPECT_EQ(show(cal.add(at("2026-03-27T16:00:00+01:00"), 2 * hour)),
            show(at("2026-03-30T10:00:00+02:00")));
  // And back on Sunday 2026-10-25.
  EXPECT_EQ(show(cal.add(at("2026-10-23T16:00:00+02:00"), 2 * hour)),
            show(at("2026-10-26T10:00:00+01:00")));
  // A calendar open around the clock on Sundays: the switch days have 23 and 25 hours.
  auto c = berlin(false);
  c.hours[6] = {hours(0, 0, 24, 0)};
  const business_calendar sundays(c);
  EXPECT_EQ(sundays.between(at("2026-03-29T00:00:00+01:00"), at("2026-03-30T00:00:00+02:00")),
            23 * hour);
  EXPECT_EQ(sundays.between(at("2026-10-25T00:00:00+02:00"), at("2026-10-26T00:00:00+01:00")),
            25 * hour);
  EXPECT_EQ(show(sundays.add(at("2026-03-29T01:00:00+01:00"), 2 * hour)),
            show(at("2026-03-29T04:00:00+02:00")));
}

TEST(BusinessCalendar, AddsBusinessDaysAtTheSameTimeOfDay) {
  const business_calendar cal(berlin(false));
  // Friday 15:00 + 1 business day: Monday 15:00.
  EXPECT_EQ(show(cal.add_days(at("2026-11-27T15:00:00+01:00"), 1)),
            show(at("2026-11-30T15:00:00+01:00")));
  // Wednesday 11:00 + 3 business days: Monday 11:00.
  EXPECT_EQ(show(cal.add_days(at("2026-11-25T11:00:00+01:00"), 3)),
            show(at("2026-11-30T11:00:00+01:00")));
  // Outside hours: from the next opening.
  EXPECT_EQ(show(cal.add_days(at("2026-11-27T18:00:00+01:00"), 1)),
            show(at("2026-12-01T09:00:00+01:00")));
  // Saturday's short hours do not hold 16:00: the next opening after it.
  const business_calendar saturdays(berlin(true));
  EXPECT_EQ(show(saturdays.add_days(at("2026-11-27T16:00:00+01:00"), 1)),
            show(at("2026-11-30T09:00:00+01:00")));
}

TEST(BusinessCalendar, MeasuresWorkingTimeBetweenInstants) {
  const business_calendar cal(berlin(false));
  EXPECT_EQ(cal.between(at("2026-11-27T16:00:00+01:00"), at("2026-11-30T10:00:00+01:00")),
            2 * hour);
  EXPECT_EQ(cal.between(at("2026-11-30T10:00:00+01:00"), at("2026-11-27T16:00:00+01:00")), 0);
  EXPECT_EQ(cal.between(at("2026-11-28T10:00:00+01:00"), at("2026-11-29T10:00:00+01:00")), 0);
  // between and add agree.
  const std::int64_t from = at("2026-11-26T13:17:00+01:00");
  for (std::int64_t d : {minute, hour, 7 * hour, 8 * hour, 41 * hour}) {
    EXPECT_EQ(cal.between(from, cal.add(from, d)), d) << d;
  }
}

TEST(BusinessCalendar, RefusesAnUnknownZone) {
  auto c = berlin();
  c.timezone = "Mars/Olympus_Mons";
  EXPECT_THROW(business_calendar{c}, std::runtime_error);
}

config::config with_calendar() {
  config::config cfg;
  cfg.calendars = {berlin(false)};
  cfg.sla.calendar = "support-eu";
  return cfg;
}

config::span business(std::int64_t ms, int whole_days = 0) {
  return {std::chrono::milliseconds{ms}, config::time_basis::business, whole_days};
}

config::span wall(std::int64_t ms) { return {std::chrono::milliseconds{ms}}; }

TEST(SlaClock, AddsWallTimeOrBusinessTimeByTheSpan) {
  const sla_clock sla(with_calendar());
  const std::int64_t friday = at("2026-11-27T16:00:00+01:00");
  EXPECT_EQ(sla.add(friday, wall(2 * hour)), friday + 2 * hour);
  EXPECT_EQ(show(sla.add(friday, business(2 * hour))), show(at("2026-11-30T10:00:00+01:00")));
  EXPECT_EQ(show(sla.add(friday, business(24 * hour, 1))), show(at("2026-11-30T16:00:00+01:00")));
  // Without a calendar every span is wall time.
  const sla_clock plain{config::config{}};
  EXPECT_EQ(plain.add(friday, business(2 * hour)), friday + 2 * hour);
}

TEST(SlaClock, PausedTargetsResumeWithWhatWasLeft) {
  const sla_clock sla(with_calendar());
  // Due Monday 11:00; paused Friday 16:00 with 3 business hours left.
  const std::int64_t due = at("2026-11-30T11:00:00+01:00");
  const std::int64_t paused = at("2026-11-27T16:00:00+01:00");
  const std::int64_t left = sla.remaining(paused, due, config::time_basis::business);
  EXPECT_EQ(left, 3 * hour);
  // Resumed Tuesday 09:30: due Tuesday 12:30.
  EXPECT_EQ(show(sla.resume(at("2026-12-01T09:30:00+01:00"), left, config::time_basis::business)),
            show(at("2026-12-01T12:30:00+01:00")));
  EXPECT_EQ(sla.remaining(paused, due, config::time_basis::wall), due - paused);
  EXPECT_EQ(sla.remaining(due + 1, due, config::time_basis::wall), 0);
}

TEST(SlaClock, RetargetingCountsTheTimeAlreadySpent) {
  const sla_clock sla(with_calendar());
  const std::int64_t now = at("2026-11-23T10:00:00+01:00");
  // 8h target with 5h left (3h spent) moves to a 4h target: 1h left.
  const std::int64_t due = sla.add(now, business(5 * hour));
  EXPECT_EQ(show(sla.retarget(now, due, business(8 * hour), business(4 * hour))),
            show(at("2026-11-23T11:00:00+01:00")));
  // 3h spent against a 2h target: due an hour ago.
  EXPECT_EQ(sla.retarget(now, due, business(8 * hour), business(2 * hour)), now - hour);
  // Wall time: the due time moves by the difference.
  EXPECT_EQ(sla.retarget(now, now + 10 * hour, wall(24 * hour), wall(16 * hour)), now + 2 * hour);
  // Already due: it stays due when it was.
  EXPECT_EQ(sla.retarget(now, now - hour, wall(24 * hour), wall(4 * hour)), now - hour);
}

}  // namespace
}  // namespace ticketd::routing
