#include "routing/resp.hpp"

#include <gtest/gtest.h>

#include <charconv>
#include <cstdint>
#include <limits>
#include <string>

#include "tests/unit/routing/test_support.hpp"

namespace ticketd::routing {
namespace {

TEST(Command, EncodesStringsAsBulkStrings) {
  EXPECT_EQ(command{"PING"}.encoded(), "*1\r\n$4\r\nPING\r\n");
  EXPECT_EQ(command{"HGET"}.arg("key").arg(std::string{"field"}).encoded(),
            "*3\r\n$4\r\nHGET\r\n$3\r\nkey\r\n$5\r\nfield\r\n");
}

TEST(Command, EncodesEmptyStringsAndBinarySafeText) {
  EXPECT_EQ(command{"SET"}.arg("k").arg("").encoded(), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
  const std::string binary{"a\r\nb\0c", 6};
  constexpr char expected[] = "*2\r\n$3\r\nSET\r\n$6\r\na\r\nb\0c\r\n";
  EXPECT_EQ(command{"SET"}.arg(binary).encoded(), std::string(expected, sizeof expected - 1));
  EXPECT_EQ(command{"SET"}.arg("h\xc3\xa9").encoded(), "*2\r\n$3\r\nSET\r\n$3\r\nh\xc3\xa9\r\n");
}

TEST(Command, EncodesIntegersAsDecimalText) {
  EXPECT_EQ(command{"X"}.arg(0).arg(42).encoded(), "*3\r\n$1\r\nX\r\n$1\r\n0\r\n$2\r\n42\r\n");
  EXPECT_EQ(command{"X"}.arg(-7).encoded(), "*2\r\n$1\r\nX\r\n$2\r\n-7\r\n");
  EXPECT_EQ(command{"X"}.arg(std::int64_t{1'795'341'600'000}).encoded(),
            "*2\r\n$1\r\nX\r\n$13\r\n1795341600000\r\n");
  EXPECT_EQ(command{"X"}.arg(std::numeric_limits<std::int64_t>::min()).encoded(),
            "*2\r\n$1\r\nX\r\n$20\r\n-9223372036854775808\r\n");
  EXPECT_EQ(command{"X"}.arg(5u).arg(std::size_t{1'000'000}).encoded(),
            "*3\r\n$1\r\nX\r\n$1\r\n5\r\n$7\r\n1000000\r\n");
}

TEST(Command, EncodesDoublesAsShortestRoundTripText) {
  const auto one = [](double v) { return test::argv_of(command{"X"}.arg(v)).at(1); };
  EXPECT_EQ(one(0.5), "0.5");
  EXPECT_EQ(one(-2.25), "-2.25");
  EXPECT_EQ(one(1.0), "1");
  EXPECT_EQ(one(0.1), "0.1");
  EXPECT_EQ(one(1795341600000.5), "1795341600000.5");
  EXPECT_EQ(command{"X"}.arg(0.1).encoded(), "*2\r\n$1\r\nX\r\n$3\r\n0.1\r\n");
  for (const double v : {1.0 / 3.0, 2.0 / 3.0, 1e-300, 123456789.123456789, -0.000123}) {
    const std::string text = one(v);
    double back = 0;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), back);
    ASSERT_EQ(r.ec, std::errc{}) << text;
    EXPECT_EQ(back, v) << text;
    EXPECT_LE(text.size(), 24u) << text;
  }
}

TEST(Command, CountsArgumentsAndAppendsToExistingOutput) {
  command cmd{"FCALL"};
  cmd.arg("f").arg(1).arg("k");
  EXPECT_EQ(cmd.size(), 4u);
  std::string out = "+prefix";
  cmd.encode(out);
  EXPECT_EQ(out, "+prefix*4\r\n$5\r\nFCALL\r\n$1\r\nf\r\n$1\r\n1\r\n$1\r\nk\r\n");
  EXPECT_EQ(command{}.encoded(), "*0\r\n");
}

TEST(RespValue, KindPredicates) {
  EXPECT_TRUE(test::nil().is_nil());
  EXPECT_TRUE(test::error_reply("E").is_error());
  EXPECT_TRUE(test::array({}).is_array());
  EXPECT_TRUE(test::bulk("x").is_string());
  resp_value status;
  status.type = resp_value::kind::status;
  EXPECT_TRUE(status.is_string());
  EXPECT_FALSE(test::integer(1).is_string());
}

}  // namespace
}  // namespace ticketd::routing
