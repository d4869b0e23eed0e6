#include "daemon/api/error_response.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace ticketd::daemon::api {
namespace {

namespace json = boost::json;
using routing::errc;
using routing::from_function_error;

// The `error` object of an error body; fails when the body is not `{"error": {...}}`.
json::object error_object(const routing::error& e) {
  const std::string body = error_body(e);
  boost::system::error_code ec;
  const json::value v = json::parse(body, ec);
  if (ec || !v.is_object() || v.as_object().size() != 1 || !v.as_object().contains("error") ||
      !v.as_object().at("error").is_object()) {
    ADD_FAILURE() << "not an error body: " << body;
    return {};
  }
  return v.as_object().at("error").as_object();
}

TEST(HttpStatus, FollowsTheApiTable) {
  const std::pair<errc, int> table[] = {
      {errc::invalid_argument, 400},
      {errc::unauthenticated, 401},
      {errc::forbidden, 403},
      {errc::not_found, 404},
      {errc::invalid_transition, 409},
      {errc::capacity_exceeded, 409},
      {errc::conflict, 409},
      {errc::version_mismatch, 412},
      {errc::idempotency_conflict, 422},
      {errc::payload_too_large, 413},
      {errc::unavailable, 503},
      {errc::unconfigured, 503},
      {errc::stale, 409},
      {errc::internal, 500},
  };
  for (const auto& [code, status] : table) {
    EXPECT_EQ(http_status(code), status) << routing::code_name(code);
  }
}

TEST(RetryAfter, EveryServiceUnavailableSaysWhenToRetry) {
  EXPECT_EQ(retry_after(errc::unavailable), "1");
  EXPECT_EQ(retry_after(errc::unconfigured), "1");
  EXPECT_EQ(retry_after(errc::conflict), "");
  EXPECT_EQ(retry_after(errc::internal), "");
}

TEST(ErrorBody, HasCodeAndMessageForEveryCode) {
  for (int i = 0; i <= static_cast<int>(errc::internal); ++i) {
    const auto code = static_cast<errc>(i);
    const auto error = error_object(routing::make_error(code, ""));
    ASSERT_TRUE(error.contains("code")) << routing::code_name(code);
    ASSERT_TRUE(error.contains("message")) << routing::code_name(code);
    EXPECT_TRUE(error.at("code").is_string());
    EXPECT_TRUE(error.at("message").is_string());
    EXPECT_FALSE(error.at("message").as_string().empty()) << routing::code_name(code);
    EXPECT_EQ(error.size(), 2u);
    if (code != errc::stale) {
      EXPECT_EQ(error.at("code").as_string(), routing::code_name(code));
    }
  }
}

TEST(ErrorBody, ReportsStaleAsConflict) {
  const auto error = error_object(from_function_error("TICKETD_STALE version=4"));
  EXPECT_EQ(error.at("code").as_string(), "conflict");
  EXPECT_EQ(http_status(errc::stale), 409);
}

TEST(ErrorBody, RendersCapacityDetailsAsNumbersUnderTheApiNames) {
  const auto e = from_function_error("TICKETD_CAPACITY_EXCEEDED load=5 max=5");
  const auto error = error_object(e);
  EXPECT_EQ(error.at("code").as_string(), "capacity_exceeded");
  ASSERT_TRUE(error.contains("load"));
  ASSERT_TRUE(error.contains("max_concurrent"));
  EXPECT_FALSE(error.contains("max"));
  EXPECT_TRUE(error.at("load").is_int64());
  EXPECT_TRUE(error.at("max_concurrent").is_int64());
  EXPECT_EQ(error.at("load").as_int64(), 5);
  EXPECT_EQ(error.at("max_concurrent").as_int64(), 5);
  EXPECT_EQ(error.at("message").as_string(), "the agent is at capacity (5 of 5 tickets)");
}

TEST(ErrorBody, SaysWhichLimitOfUnitsOrChannelRefusedTheTicket) {
  const auto room = error_object(from_function_error(
      "TICKETD_CAPACITY_EXCEEDED reason=no_room channel=phone cost=10 used=3 capacity=10 load=1 "
      "max=5"));
  EXPECT_EQ(room.at("reason").as_string(), "no_room");
  EXPECT_EQ(room.at("channel").as_string(), "phone");
  EXPECT_EQ(room.at("cost").as_int64(), 10);
  EXPECT_EQ(room.at("used").as_int64(), 3);
  EXPECT_EQ(room.at("capacity").as_int64(), 10);
  EXPECT_EQ(room.at("max_concurrent").as_int64(), 5);
  EXPECT_EQ(room.at("message").as_string(),
            "the ticket costs 10 units (phone) and the agent uses 3 of its 10");
  const auto full = error_object(from_function_error(
      "TICKETD_CAPACITY_EXCEEDED reason=channel_full channel=phone cost=10 used=10 capacity=20 "
      "load=1 max=5"));
  EXPECT_EQ(full.at("reason").as_string(), "channel_full");
  EXPECT_NE(std::string{full.at("message").as_string()}.find("phone"), std::string::npos);
}

TEST(ErrorBody, RendersVersionAsANumber) {
  const auto error = error_object(from_function_error("TICKETD_VERSION_MISMATCH version=7"));
  EXPECT_EQ(error.at("code").as_string(), "version_mismatch");
  ASSERT_TRUE(error.contains("version"));
  EXPECT_TRUE(error.at("version").is_int64());
  EXPECT_EQ(error.at("version").as_int64(), 7);
  EXPECT_NE(std::string{error.at("message").as_string()}.find('7'), std::string::npos);
}

TEST(ErrorBody, KeepsOtherDetailsAsStrings) {
  const auto transition =
      error_object(from_function_error("TICKETD_INVALID_TRANSITION status=pending"));
  EXPECT_EQ(transition.at("code").as_string(), "invalid_transition");
  EXPECT_EQ(transition.at("status").as_string(), "pending");
  EXPECT_NE(std::string{transition.at("message").as_string()}.find("pending"), std::string::npos);

  routing::error e = routing::make_error(errc::invalid_argument, "id is required");
  e.details.emplace_back("field", "id");
  const auto invalid = error_object(e);
  EXPECT_EQ(invalid.at("message").as_string(), "id is required");
  EXPECT_EQ(invalid.at("field").as_string(), "id");

  // A numeric name with a value that is not a number stays a string.
  const auto odd = error_object(from_function_error("TICKETD_CAPACITY_EXCEEDED load=many max=5x"));
  EXPECT_EQ(odd.at("load").as_string(), "many");
  EXPECT_EQ(odd.at("max_concurrent").as_string(), "5x");
  // Ids are never numbers, even when they look like them.
  const auto missing = error_object(from_function_error("TICKETD_NOT_FOUND ticket=1001"));
  EXPECT_EQ(missing.at("ticket").as_string(), "1001");
  EXPECT_EQ(missing.at("message").as_string(), "no ticket '1001'");
}

TEST(ErrorBody, EscapesMessages) {
  const auto error = error_object(routing::make_error(errc::internal, "bad \"reply\"\n\\"));
  EXPECT_EQ(error.at("message").as_string(), "bad \"reply\"\n\\");
}

TEST(Describe, PrefersTheGivenMessage) {
  EXPECT_EQ(describe(routing::make_error(errc::not_found, "no queue 'x'")), "no queue 'x'");
}

TEST(Describe, BuildsSentencesFromDetails) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"TICKETD_NOT_FOUND ticket=T-1", "no ticket 'T-1'"},
      {"TICKETD_NOT_FOUND agent=ada", "no agent 'ada'"},
      {"TICKETD_NOT_FOUND queue=billing", "no queue 'billing'"},
      {"TICKETD_CONFLICT reason=payload", "a ticket with this id exists with a different payload"},
      {"TICKETD_CONFLICT reason=closed", "the ticket is closed; a new message needs a new ticket"},
      {"TICKETD_CONFLICT reason=reopen_window",
       "the reopen window has passed; a new message needs a new ticket"},
      {"TICKETD_CONFLICT reason=assignee assignee=bob", "the ticket is assigned to bob"},
      {"TICKETD_CONFLICT reason=offer offered_to=bob", "the ticket is offered to bob"},
      {"TICKETD_CONFLICT reason=offer_token", "the offer token is stale"},
      {"TICKETD_VERSION_MISMATCH version=3", "the ticket changed: its version is now 3"},
      {"TICKETD_INVALID_TRANSITION status=closed",
       "this action is not allowed while the ticket is closed"},
  };
  for (const auto& [reply, sentence] : cases) {
    EXPECT_EQ(describe(from_function_error(reply)), sentence) << reply;
  }
}

TEST(ErrorBody, SaysWhetherAFailedWriteMayHaveBeenApplied) {
  routing::error e = routing::make_error(errc::unavailable, "Redis did not answer");
  e.details.emplace_back("maybe_applied", "true");
  EXPECT_EQ(error_object(e).at("maybe_applied"), true);
  e.details.back().second = "false";
  EXPECT_EQ(error_object(e).at("maybe_applied"), false);
}

}  // namespace
}  // namespace ticketd::daemon::api
