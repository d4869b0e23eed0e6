#include "daemon/api/cors.hpp"

#include <gtest/gtest.h>

namespace ticketd::daemon::api {
namespace {

const std::vector<std::string> listed{"https://desk.example.com", "http://localhost:3000"};

TEST(Cors, AListedOriginMatchesWithoutRegardToCaseAndNothingElseDoes) {
  EXPECT_TRUE(origin_listed(listed, "https://desk.example.com"));
  EXPECT_TRUE(origin_listed(listed, "HTTPS://Desk.Example.com"));
  EXPECT_TRUE(origin_listed(listed, "http://localhost:3000"));
  for (const auto* other : {"http://desk.example.com", "https://desk.example.com:8443",
                            "https://desk.example.com.evil.test", "https://example.com",
                            "http://localhost:3001", "null", ""}) {
    EXPECT_FALSE(origin_listed(listed, other)) << other;
  }
  EXPECT_FALSE(origin_listed({}, "https://desk.example.com"));
}

TEST(Cors, AnOriginMayActWhenAbsentListedOrTicketdsOwn) {
  EXPECT_TRUE(origin_may_act(listed, "", "127.0.0.1:8080"));
  EXPECT_TRUE(origin_may_act(listed, "https://desk.example.com", "127.0.0.1:8080"));
  // A page ticketd served sends its own origin: its host and port are the Host.
  EXPECT_TRUE(origin_may_act({}, "http://127.0.0.1:8080", "127.0.0.1:8080"));
  EXPECT_TRUE(origin_may_act({}, "https://Tickets.Example.com", "tickets.example.com"));
  EXPECT_TRUE(origin_may_act({}, "https://tickets.example.com", "tickets.example.com:443"));
  EXPECT_TRUE(origin_may_act({}, "http://tickets.example.com", "tickets.example.com:80"));
  EXPECT_TRUE(origin_may_act({}, "http://[::1]:8080", "[::1]:8080"));
  EXPECT_FALSE(origin_may_act({}, "http://tickets.example.com", "tickets.example.com:443"));
  EXPECT_FALSE(origin_may_act({}, "http://127.0.0.1:8081", "127.0.0.1:8080"));
  EXPECT_FALSE(origin_may_act({}, "http://127.0.0.1", "127.0.0.1:8080"));
  EXPECT_FALSE(origin_may_act(listed, "https://evil.test", "127.0.0.1:8080"));
  EXPECT_FALSE(origin_may_act(listed, "https://evil.test", ""));
  EXPECT_FALSE(origin_may_act(listed, "null", "null"));
}

}  // namespace
}  // namespace ticketd::daemon::api
