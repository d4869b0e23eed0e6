#include "routing/errors.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace ticketd::routing {
namespace {

using details_list = std::vector<std::pair<std::string, std::string>>;

struct code_case {
  errc code;
  std::string_view name;  // API code
  std::string_view wire;  // after TICKETD_
};

constexpr code_case all_codes[] = {
    {errc::invalid_argument, "invalid_argument", "INVALID_ARGUMENT"},
    {errc::unauthenticated, "unauthenticated", "UNAUTHENTICATED"},
    {errc::forbidden, "forbidden", "FORBIDDEN"},
    {errc::not_found, "not_found", "NOT_FOUND"},
    {errc::invalid_transition, "invalid_transition", "INVALID_TRANSITION"},
    {errc::capacity_exceeded, "capacity_exceeded", "CAPACITY_EXCEEDED"},
    {errc::conflict, "conflict", "CONFLICT"},
    {errc::version_mismatch, "version_mismatch", "VERSION_MISMATCH"},
    {errc::payload_too_large, "payload_too_large", "PAYLOAD_TOO_LARGE"},
    {errc::unavailable, "unavailable", "UNAVAILABLE"},
    {errc::stale, "stale", "STALE"},
    {errc::internal, "internal", "INTERNAL"},
};

TEST(CodeName, IsTheSnakeCaseApiCodeOfEveryCode) {
  for (const auto& c : all_codes) EXPECT_EQ(code_name(c.code), c.name);
}

TEST(FromFunctionError, MapsEveryWireCode) {
  for (const auto& c : all_codes) {
    const error e = from_function_error("TICKETD_" + std::string{c.wire});
    EXPECT_EQ(e.code, c.code) << c.wire;
    EXPECT_TRUE(e.details.empty()) << c.wire;
    EXPECT_TRUE(e.message.empty()) << c.wire << ": " << e.message;
  }
}

TEST(FromFunctionError, ReadsKeyValueDetailsInOrder) {
  const error e = from_function_error("TICKETD_CAPACITY_EXCEEDED load=5 max=5");
  EXPECT_EQ(e.code, errc::capacity_exceeded);
  EXPECT_EQ(e.details, (details_list{{"load", "5"}, {"max", "5"}}));
  EXPECT_EQ(e.detail("load"), "5");
  EXPECT_EQ(e.detail("max"), "5");
  EXPECT_FALSE(e.detail("status").has_value());
}

TEST(FromFunctionError, StopsAtRedisScriptSuffix) {
  const error e = from_function_error(
      "TICKETD_INVALID_TRANSITION status=pending script: ticketd_v1_accept, on "
      "@user_function:12. extra=1");
  EXPECT_EQ(e.code, errc::invalid_transition);
  EXPECT_EQ(e.details, (details_list{{"status", "pending"}}));
}

TEST(FromFunctionError, KeepsValuesWithSymbolsAndSkipsBareWords) {
  const error e =
      from_function_error("TICKETD_CONFLICT reason=offer  offered_to=ada@example.com note x=a=b");
  EXPECT_EQ(e.code, errc::conflict);
  EXPECT_EQ(e.details,
            (details_list{{"reason", "offer"}, {"offered_to", "ada@example.com"}, {"x", "a=b"}}));
}

TEST(FromFunctionError, ReadsIdsOfNotFound) {
  EXPECT_EQ(from_function_error("TICKETD_NOT_FOUND ticket=T-1").detail("ticket"), "T-1");
  EXPECT_EQ(from_function_error("TICKETD_NOT_FOUND agent=ada").detail("agent"), "ada");
  EXPECT_EQ(from_function_error("TICKETD_VERSION_MISMATCH version=7").detail("version"), "7");
}

TEST(FromFunctionError, OtherErrorsAreInternalAndKeepTheirText) {
  for (const std::string_view text :
       {"ERR Function not found", "NOSCRIPT No matching script",
        "ERR user_function:3: Script attempted to access nonexistent global variable 'x'",
        "ticketd_not_found ticket=T-1", ""}) {
    const error e = from_function_error(text);
    EXPECT_EQ(e.code, errc::internal) << text;
    EXPECT_EQ(e.message, text);
    EXPECT_TRUE(e.details.empty()) << text;
  }
}

// A code this build does not know (a newer library during a rolling upgrade) is "anything else":
// internal, and its text is the only clue to what happened.
TEST(FromFunctionError, UnknownTicketdCodeIsInternalAndKeepsTheText) {
  const std::string_view text = "TICKETD_NEW_CODE a=1";
  const error e = from_function_error(text);
  EXPECT_EQ(e.code, errc::internal);
  EXPECT_EQ(e.message, text);
}

TEST(MakeError, CarriesCodeAndMessageWithoutDetails) {
  const error e = make_error(errc::not_found, "no ticket 'T-1'");
  EXPECT_EQ(e.code, errc::not_found);
  EXPECT_EQ(e.message, "no ticket 'T-1'");
  EXPECT_TRUE(e.details.empty());
}

}  // namespace
}  // namespace ticketd::routing
