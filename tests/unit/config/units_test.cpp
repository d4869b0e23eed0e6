#include "config/units.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <variant>

namespace ticketd::config {
namespace {

using namespace std::chrono_literals;

std::string failure_of(const std::variant<span, parse_failure>& result) {
  const auto* failure = std::get_if<parse_failure>(&result);
  return failure ? failure->message : "";
}

struct span_case {
  std::string_view text;
  millis length;
  int whole_days;
};

TEST(ParseSpan, ReadsEveryUnitAndCombinations) {
  const span_case cases[] = {
      {"500ms", 500ms, 0}, {"30s", 30s, 0},
      {"5m", 5min, 0},     {"8h", 8h, 0},
      {"2d", 48h, 2},      {"1w", 168h, 7},
      {"1h30m", 90min, 0}, {"1d12h", 36h, 0},
      {"1w2d", 216h, 9},   {"2m30s250ms", 150250ms, 0},
      {"0s", 0ms, 0},      {"  5m\t", 5min, 0},
  };
  for (const auto& c : cases) {
    const auto result = parse_span(c.text, sign_rule::positive_only, business_rule::wall_only);
    ASSERT_TRUE(std::holds_alternative<span>(result)) << c.text << ": " << failure_of(result);
    const auto& s = std::get<span>(result);
    EXPECT_EQ(s.length, c.length) << c.text;
    EXPECT_EQ(s.whole_days, c.whole_days) << c.text;
    EXPECT_EQ(s.basis, time_basis::wall) << c.text;
  }
}

TEST(ParseSpan, AcceptsNegativeOnlyWhenAllowed) {
  const auto allowed = parse_span("-5m", sign_rule::allow_negative, business_rule::wall_only);
  ASSERT_TRUE(std::holds_alternative<span>(allowed)) << failure_of(allowed);
  EXPECT_EQ(std::get<span>(allowed).length, -5min);

  const auto refused = parse_span("-5m", sign_rule::positive_only, business_rule::wall_only);
  EXPECT_NE(failure_of(refused).find("negative"), std::string::npos) << failure_of(refused);
}

TEST(ParseSpan, AcceptsBusinessSuffixOnlyWhenAllowed) {
  const auto allowed =
      parse_span("8h business", sign_rule::positive_only, business_rule::allow_business);
  ASSERT_TRUE(std::holds_alternative<span>(allowed)) << failure_of(allowed);
  EXPECT_EQ(std::get<span>(allowed).length, 8h);
  EXPECT_EQ(std::get<span>(allowed).basis, time_basis::business);

  const auto days =
      parse_span("2d  business", sign_rule::positive_only, business_rule::allow_business);
  ASSERT_TRUE(std::holds_alternative<span>(days)) << failure_of(days);
  EXPECT_EQ(std::get<span>(days).whole_days, 2);
  EXPECT_EQ(std::get<span>(days).basis, time_basis::business);

  const auto refused =
      parse_span("8h business", sign_rule::positive_only, business_rule::wall_only);
  EXPECT_NE(failure_of(refused).find("business time is not allowed"), std::string::npos)
      << failure_of(refused);
}

TEST(ParseSpan, RejectsGarbageWithAMessage) {
  for (const std::string_view text :
       {"", "   ", "abc", "30", "5x", "1.5h", "30m1h", "1h1h", "h", "-", "--5m", "5m fast", "1 h",
        "5m business later", "99999999999999999999d", "200000w", "5m-"}) {
    const auto result = parse_span(text, sign_rule::allow_negative, business_rule::allow_business);
    EXPECT_TRUE(std::holds_alternative<parse_failure>(result)) << "accepted: \"" << text << "\"";
    EXPECT_FALSE(failure_of(result).empty()) << text;
  }
}

TEST(ParseSpan, ExplainsUnitOrderAndDecimals) {
  EXPECT_NE(failure_of(parse_span("30m1h", sign_rule::positive_only, business_rule::wall_only))
                .find("largest to smallest"),
            std::string::npos);
  EXPECT_NE(failure_of(parse_span("1.5h", sign_rule::positive_only, business_rule::wall_only))
                .find("whole numbers"),
            std::string::npos);
  EXPECT_NE(failure_of(parse_span("5x", sign_rule::positive_only, business_rule::wall_only))
                .find("unknown unit \"x\""),
            std::string::npos);
}

TEST(ParseSize, ReadsBytesAndBinaryAndDecimalUnits) {
  const std::pair<std::string_view, std::size_t> cases[] = {
      {"65536", 65536},      {"0", 0},          {"64KiB", 64 * 1024},
      {"1MiB", 1024 * 1024}, {"64KB", 64'000},  {"1MB", 1'000'000},
      {"2GiB", 2ULL << 30},  {"16 KiB", 16384}, {"512B", 512},
  };
  for (const auto& [text, bytes] : cases) {
    const auto result = parse_size(text);
    ASSERT_TRUE(std::holds_alternative<std::size_t>(result)) << text;
    EXPECT_EQ(std::get<std::size_t>(result), bytes) << text;
  }
}

TEST(ParseSize, RejectsGarbageAndOverflow) {
  for (const std::string_view text : {"", "KiB", "-1", "1.5MiB", "10XB", "64 K i B",
                                      "99999999999999999999", "18446744073709551615GiB"}) {
    const auto result = parse_size(text);
    ASSERT_TRUE(std::holds_alternative<parse_failure>(result)) << "accepted: \"" << text << "\"";
    EXPECT_FALSE(std::get<parse_failure>(result).message.empty());
  }
}

TEST(FormatSpan, RendersTheWayTheYamlWritesIt) {
  EXPECT_EQ(format_span(span{90min}), "1h30m");
  EXPECT_EQ(format_span(span{48h, time_basis::wall, 2}), "2d");
  EXPECT_EQ(format_span(span{36h}), "36h");  // not whole days: stays in hours
  EXPECT_EQ(format_span(span{8h, time_basis::business}), "8h business");
  EXPECT_EQ(format_span(span{-5min}), "-5m");
  EXPECT_EQ(format_span(span{0ms}), "0s");
  EXPECT_EQ(format_span(span{1500ms}), "1s500ms");
}

TEST(FormatSpan, RoundTripsThroughParseSpan) {
  for (const std::string_view text : {"500ms", "30s", "5m", "1h30m", "2d", "1w", "1d12h", "-5m",
                                      "8h business", "3d business", "25h"}) {
    const auto first = parse_span(text, sign_rule::allow_negative, business_rule::allow_business);
    ASSERT_TRUE(std::holds_alternative<span>(first)) << text;
    const std::string rendered = format_span(std::get<span>(first));
    const auto second =
        parse_span(rendered, sign_rule::allow_negative, business_rule::allow_business);
    ASSERT_TRUE(std::holds_alternative<span>(second)) << rendered;
    EXPECT_EQ(std::get<span>(first), std::get<span>(second)) << text << " -> " << rendered;
  }
}

}  // namespace
}  // namespace ticketd::config
