#include "routing/time_format.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "tests/unit/routing/test_support.hpp"

namespace ticketd::routing {
namespace {

using test::day_ms;
using test::hour_ms;
using test::t0;

constexpr std::int64_t minute_ms = 60'000;

TEST(FormatRfc3339, AlwaysWritesMillisecondsAndZ) {
  EXPECT_EQ(format_rfc3339(t0), "2026-11-22T10:00:00.000Z");
  EXPECT_EQ(format_rfc3339(t0 + 7), "2026-11-22T10:00:00.007Z");
  EXPECT_EQ(format_rfc3339(t0 + 59 * minute_ms + 59'999), "2026-11-22T10:59:59.999Z");
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339(951'782'400'000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339(t0).size(), 24u);
}

TEST(FormatRfc3339, HandlesInstantsBefore1970) {
  EXPECT_EQ(format_rfc3339(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339(-day_ms), "1969-12-31T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339(-day_ms - 1), "1969-12-30T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339(-2'208'988'800'000), "1900-01-01T00:00:00.000Z");
}

TEST(FormatRfc3339, WritesInstantsOutsideYears0000To9999AsTheNearestEnd) {
  EXPECT_EQ(format_rfc3339(rfc3339_max_ms), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339(rfc3339_max_ms + 1), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339(std::numeric_limits<std::int64_t>::max()), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339(rfc3339_min_ms), "0000-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339(rfc3339_min_ms - 1), "0000-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339(std::numeric_limits<std::int64_t>::min()), "0000-01-01T00:00:00.000Z");
  EXPECT_EQ(parse_rfc3339(format_rfc3339(rfc3339_max_ms)), rfc3339_max_ms);
  EXPECT_EQ(parse_rfc3339(format_rfc3339(rfc3339_min_ms)), rfc3339_min_ms);
}

TEST(FormatRfc3339, WritesExactlyItsSizeAndNothingPast) {
  char buf[rfc3339_size + 1];
  buf[rfc3339_size] = '#';
  EXPECT_EQ(write_rfc3339(buf, t0), buf + rfc3339_size);
  EXPECT_EQ(std::string_view(buf, rfc3339_size), "2026-11-22T10:00:00.000Z");
  EXPECT_EQ(buf[rfc3339_size], '#');
}

TEST(FormatRfc3339, AppendsToExistingText) {
  std::string out = "at ";
  append_rfc3339(out, t0);
  EXPECT_EQ(out, "at 2026-11-22T10:00:00.000Z");
}

struct parse_case {
  std::string_view text;
  std::int64_t expected;
};

TEST(ParseRfc3339, ReadsUtcWithAndWithoutFraction) {
  const parse_case cases[] = {
      {"2026-11-22T10:00:00Z", t0},
      {"2026-11-22T10:00:00.000Z", t0},
      {"1970-01-01T00:00:00Z", 0},
      {"1969-12-31T23:59:59.999Z", -1},
      {"2000-02-29T00:00:00Z", 951'782'400'000},
  };
  for (const auto& c : cases) EXPECT_EQ(parse_rfc3339(c.text), c.expected) << c.text;
}

TEST(ParseRfc3339, AppliesOffsets) {
  const parse_case cases[] = {
      {"2026-11-22T11:00:00+01:00", t0},
      {"2026-11-22T04:30:00-05:30", t0},
      {"2026-11-22T10:00:00+00:00", t0},
      {"2026-11-22T10:00:00-00:00", t0},
      {"2026-11-23T00:30:00+14:30", t0},
      // The offset moves the instant across midnight and a month end.
      {"2026-11-30T23:00:00-02:00", t0 + 8 * day_ms + 15 * hour_ms},
      {"2026-11-22T11:00:00.250+01:00", t0 + 250},
  };
  for (const auto& c : cases) EXPECT_EQ(parse_rfc3339(c.text), c.expected) << c.text;
}

TEST(ParseRfc3339, ReadsFractionsOfAnyLengthToMilliseconds) {
  const parse_case cases[] = {
      {"2026-11-22T10:00:00.5Z", t0 + 500},         {"2026-11-22T10:00:00.05Z", t0 + 50},
      {"2026-11-22T10:00:00.123Z", t0 + 123},       {"2026-11-22T10:00:00.123456Z", t0 + 123},
      {"2026-11-22T10:00:00.999999999Z", t0 + 999}, {"2026-11-22T10:00:00.000001Z", t0},
  };
  for (const auto& c : cases) EXPECT_EQ(parse_rfc3339(c.text), c.expected) << c.text;
}

TEST(ParseRfc3339, AcceptsLowercaseAndSpaceSeparators) {
  EXPECT_EQ(parse_rfc3339("2026-11-22t10:00:00z"), t0);
  EXPECT_EQ(parse_rfc3339("2026-11-22t10:00:00.100Z"), t0 + 100);
  EXPECT_EQ(parse_rfc3339("2026-11-22 10:00:00Z"), t0);
}

TEST(ParseRfc3339, RefusesImpossibleDatesAndTimes) {
  for (const std::string_view text : {
           "2026-02-30T00:00:00Z",  // February has 28 days in 2026
           "2026-02-29T00:00:00Z",  // not a leap year
           "1900-02-29T00:00:00Z",  // century, not a leap year
           "2026-13-01T00:00:00Z",
           "2026-00-10T00:00:00Z",
           "2026-04-31T00:00:00Z",
           "2026-01-00T00:00:00Z",
           "2026-01-32T00:00:00Z",
           "2026-11-22T24:00:00Z",
           "2026-11-22T10:60:00Z",
           "2026-11-22T10:00:61Z",
           "2026-11-22T10:00:00+24:00",
           "2026-11-22T10:00:00+01:60",
       }) {
    EXPECT_FALSE(parse_rfc3339(text).has_value()) << text;
  }
  EXPECT_TRUE(parse_rfc3339("2024-02-29T00:00:00Z").has_value());
  EXPECT_TRUE(parse_rfc3339("2000-02-29T00:00:00Z").has_value());
}

TEST(ParseRfc3339, RefusesMalformedText) {
  for (const std::string_view text : {
           "",
           "garbage",
           "2026-11-22",
           "2026-11-22T10:00:00",    // no zone
           "2026-11-22T10:00Z",      // no seconds
           "2026-11-22T10:00:00.Z",  // empty fraction
           "2026-11-22T10:00:00ZZ",  // trailing text
           "2026-11-22T10:00:00Z ",
           " 2026-11-22T10:00:00Z",
           "2026-11-22X10:00:00Z",
           "2026/11/22T10:00:00Z",
           "26-11-22T10:00:00Z",
           "2026-1-22T10:00:00Z",
           "2026-11-22T10:00:00+0100",  // offset without colon
           "2026-11-22T10:00:00+01",
           "2026-11-22T10:00:00UTC",
           "2026-11-22T1a:00:00Z",
           "1795341600000",
       }) {
    EXPECT_FALSE(parse_rfc3339(text).has_value()) << "'" << text << "'";
  }
}

TEST(ParseRfc3339, RefusesOffsetsThatLeaveTheFourDigitYears) {
  EXPECT_EQ(parse_rfc3339("0000-01-01T00:00:00Z"), days_from_civil(0, 1, 1) * 86'400'000);
  EXPECT_EQ(parse_rfc3339("9999-12-31T23:59:59.999Z"), std::int64_t{253'402'300'799'999});
  EXPECT_FALSE(parse_rfc3339("0000-01-01T00:30:00+01:00").has_value());
  EXPECT_FALSE(parse_rfc3339("9999-12-31T23:30:00-01:00").has_value());
}

TEST(ParseRfc3339, FoldsALeapSecondOntoTheNextSecond) {
  EXPECT_EQ(parse_rfc3339("2016-12-31T23:59:60Z"), parse_rfc3339("2017-01-01T00:00:00Z"));
}

TEST(Rfc3339, RoundTripsAcrossCenturiesLeapYearsAndBefore1970) {
  // From 1601 to 2399 in steps that are not a whole number of days or seconds.
  const std::int64_t first = -11'644'473'600'000;  // 1601-01-01
  const std::int64_t last = 13'569'465'600'000;    // 2400-01-01
  const std::int64_t step = 3 * day_ms + 7 * hour_ms + 13 * minute_ms + 17'003;
  int checked = 0;
  for (std::int64_t ms = first; ms < last; ms += step, ++checked) {
    const std::string text = format_rfc3339(ms);
    ASSERT_EQ(parse_rfc3339(text), ms) << text;
  }
  EXPECT_GT(checked, 80'000);
  for (const std::int64_t ms : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{1}, t0,
                                std::int64_t{951'868'799'999},         // 2000-02-29T23:59:59.999Z
                                std::int64_t{4'107'542'399'999},       // 2100-02-28T23:59:59.999Z
                                std::int64_t{253'402'300'799'999}}) {  // 9999-12-31T23:59:59.999Z
    EXPECT_EQ(parse_rfc3339(format_rfc3339(ms)), ms) << format_rfc3339(ms);
  }
  EXPECT_EQ(format_rfc3339(253'402'300'799'999), "9999-12-31T23:59:59.999Z");
}

TEST(CivilDays, KnownDates) {
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(1969, 12, 31), -1);
  EXPECT_EQ(days_from_civil(2000, 3, 1), 11'017);
  EXPECT_EQ(days_from_civil(2026, 11, 22), t0 / day_ms);
  static_assert(days_from_civil(2000, 2, 29) + 1 == days_from_civil(2000, 3, 1));
  static_assert(days_from_civil(1900, 2, 28) + 1 == days_from_civil(1900, 3, 1));
  const auto c = civil_from_days(-1);
  EXPECT_EQ(c.year, 1969);
  EXPECT_EQ(c.month, 12u);
  EXPECT_EQ(c.day, 31u);
}

TEST(CivilDays, RoundTripsEveryDayOverFourCenturies) {
  const std::int64_t first = days_from_civil(1600, 1, 1);
  const std::int64_t last = days_from_civil(2400, 12, 31);
  civil_day previous = civil_from_days(first - 1);
  for (std::int64_t z = first; z <= last; ++z) {
    const civil_day c = civil_from_days(z);
    ASSERT_EQ(days_from_civil(c.year, c.month, c.day), z)
        << c.year << "-" << c.month << "-" << c.day;
    ASSERT_GE(c.month, 1u);
    ASSERT_LE(c.month, 12u);
    // Consecutive days: the next day of the month, or the first of the next month.
    const bool next_in_month =
        c.year == previous.year && c.month == previous.month && c.day == previous.day + 1;
    const bool first_of_month = c.day == 1 && (c.month == previous.month % 12 + 1);
    ASSERT_TRUE(next_in_month || first_of_month) << c.year << "-" << c.month << "-" << c.day;
    previous = c;
  }
}

}  // namespace
}  // namespace ticketd::routing
