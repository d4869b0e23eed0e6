// Bearer tokens and roles without a server.
#include "daemon/api/auth.hpp"

#include <gtest/gtest.h>

namespace ticketd::daemon::api {
namespace {

config::auth_config tokens() {
  config::auth_config a;
  a.tokens.push_back(
      {"helpdesk", config::token_role::backend, "", "T_B", {}, "backend-secret-0123"});
  a.tokens.push_back({"ops", config::token_role::admin, "", "T_A", {}, "admin-secret-012345"});
  a.tokens.push_back({"ada", config::token_role::agent, "ada", "T_ADA", {}, "agent-secret-ada-01"});
  return a;
}

TEST(ConstantTimeEqual, ComparesWholeTexts) {
  EXPECT_TRUE(constant_time_equal("secret", "secret"));
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_FALSE(constant_time_equal("secret", "secreT"));
  EXPECT_FALSE(constant_time_equal("secret", "secret2"));
  EXPECT_FALSE(constant_time_equal("secret", "secre"));
  EXPECT_FALSE(constant_time_equal("", "x"));
  // A prefix padded with NULs is still a different text.
  EXPECT_FALSE(constant_time_equal(std::string_view("ab\0", 3), "ab"));
}

const config::token_config* authenticate(const config::auth_config& a, std::string_view header) {
  return token_index(a).find(header);
}

TEST(Authenticate, FindsTheTokenOfABearerHeader) {
  const auto a = tokens();
  const auto* t = authenticate(a, "Bearer backend-secret-0123");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->name, "helpdesk");
  const auto* agent = authenticate(a, "bearer   agent-secret-ada-01 ");
  ASSERT_NE(agent, nullptr);
  EXPECT_EQ(agent->agent, "ada");
}

TEST(Authenticate, RefusesEverythingElse) {
  const auto a = tokens();
  for (std::string_view header : {"", "Bearer", "Bearer ", "Basic backend-secret-0123",
                                  "backend-secret-0123", "Bearer backend-secret-012",
                                  "Bearer backend-secret-01234", "Bearer admin-secret-012345x"}) {
    EXPECT_EQ(authenticate(a, header), nullptr) << header;
  }
}

TEST(Authenticate, FindsOneTokenAmongThousands) {
  config::auth_config a;
  for (int i = 0; i < 10000; ++i) {
    a.tokens.push_back({"tenant-" + std::to_string(i),
                        config::token_role::backend,
                        "",
                        "",
                        {},
                        "secret-of-tenant-" + std::to_string(i),
                        "tenant-" + std::to_string(i)});
  }
  const token_index index(a);
  for (int i : {0, 4321, 9999}) {
    const auto* t = index.find("Bearer secret-of-tenant-" + std::to_string(i));
    ASSERT_NE(t, nullptr) << i;
    EXPECT_EQ(t->name, "tenant-" + std::to_string(i));
  }
  EXPECT_EQ(index.find("Bearer secret-of-tenant-10000"), nullptr);
  EXPECT_EQ(index.find("Bearer secret-of-tenant-"), nullptr);
}

TEST(NeedsToken, OnlyWhenTokensAreConfigured) {
  EXPECT_FALSE(needs_token({}, route_id::ticket_create));
  auto a = tokens();
  EXPECT_TRUE(needs_token(a, route_id::ticket_create));
  EXPECT_TRUE(needs_token(a, route_id::events));
  EXPECT_FALSE(needs_token(a, route_id::metrics));
  EXPECT_FALSE(needs_token(a, route_id::healthz));
  a.protect_operations = true;
  EXPECT_TRUE(needs_token(a, route_id::metrics));
  EXPECT_TRUE(needs_token(a, route_id::readyz));
  // The console's files hold no data: the page asks for a token for what it reads.
  EXPECT_FALSE(needs_token(a, route_id::console));
}

TEST(Authorize, AdminMayDoEverything) {
  const auto a = tokens();
  for (auto r : {route_id::admin_reload, route_id::admin_verify, route_id::ticket_create,
                 route_id::agent_next, route_id::events}) {
    EXPECT_EQ(authorize(a.tokens[1], r, "bob", ""), access::allowed);
  }
}

TEST(Authorize, BackendMayNotAdminister) {
  const auto all = tokens();
  const auto& backend = all.tokens[0];
  EXPECT_EQ(authorize(backend, route_id::ticket_create, "", ""), access::allowed);
  EXPECT_EQ(authorize(backend, route_id::ticket_action, "", "resolve"), access::allowed);
  EXPECT_EQ(authorize(backend, route_id::agent_put, "ada", ""), access::allowed);
  EXPECT_EQ(authorize(backend, route_id::queues_list, "", ""), access::allowed);
  EXPECT_EQ(authorize(backend, route_id::events, "", ""), access::allowed);
  EXPECT_EQ(authorize(backend, route_id::agents_list, "", ""), access::allowed);
  EXPECT_EQ(authorize(backend, route_id::admin_reload, "", ""), access::forbidden);
  EXPECT_EQ(authorize(backend, route_id::admin_verify, "", ""), access::forbidden);
  EXPECT_EQ(authorize(backend, route_id::admin_clock, "", ""), access::forbidden);
}

TEST(Authorize, AnAgentActsOnlyForItself) {
  const auto all = tokens();
  const auto& ada = all.tokens[2];
  for (auto r : {route_id::agent_next, route_id::agent_stream, route_id::agent_status,
                 route_id::agent_get, route_id::agent_ready, route_id::agent_stream_token}) {
    EXPECT_EQ(authorize(ada, r, "ada", ""), access::allowed);
    EXPECT_EQ(authorize(ada, r, "bob", ""), access::forbidden);
  }
  for (auto action : {"accept", "reject", "reply", "release"}) {
    EXPECT_EQ(authorize(ada, route_id::ticket_action, "", action), access::as_agent) << action;
  }
  for (auto action : {"resolve", "transfer", "reassign", "escalate", "close"}) {
    EXPECT_EQ(authorize(ada, route_id::ticket_action, "", action), access::forbidden) << action;
  }
  EXPECT_EQ(authorize(ada, route_id::ticket_get, "", ""), access::as_agent);
  for (auto r : {route_id::ticket_create, route_id::ticket_delete, route_id::agent_put,
                 route_id::agents_list, route_id::queues_list, route_id::events,
                 route_id::stream_token, route_id::admin_verify}) {
    EXPECT_EQ(authorize(ada, r, "ada", ""), access::forbidden);
  }
}

TEST(StreamToken, IsLongRandomAndHex) {
  const auto made_a = new_stream_token();
  const auto made_b = new_stream_token();
  ASSERT_TRUE(made_a.has_value());
  ASSERT_TRUE(made_b.has_value());
  const auto& a = *made_a;
  const auto& b = *made_b;
  EXPECT_EQ(a.size(), 67u) << a;
  EXPECT_TRUE(a.starts_with("st_")) << a;
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef", 3), std::string::npos) << a;
  EXPECT_NE(a, b);
}

TEST(StreamToken, AGrantOpensItsOwnStreamUntilItExpires) {
  const auto ada = stream_grant(stream_scope::agent, "ada", 61'000);
  const auto feed = stream_grant(stream_scope::events, "", 61'000);
  EXPECT_EQ(ada, "61000|agent|ada");
  EXPECT_EQ(feed, "61000|events");
  EXPECT_EQ(check_grant(ada, route_id::agent_stream, "ada", 60'999), grant_check::opens);
  EXPECT_EQ(check_grant(ada, route_id::agent_stream, "ada", 61'000), grant_check::expired);
  EXPECT_EQ(check_grant(ada, route_id::agent_stream, "bob", 1'000), grant_check::elsewhere);
  EXPECT_EQ(check_grant(ada, route_id::agent_stream, "ad", 1'000), grant_check::elsewhere);
  EXPECT_EQ(check_grant(ada, route_id::events, "", 1'000), grant_check::elsewhere);
  EXPECT_EQ(check_grant(feed, route_id::events, "", 1'000), grant_check::opens);
  EXPECT_EQ(check_grant(feed, route_id::agent_stream, "events", 1'000), grant_check::elsewhere);
  EXPECT_EQ(check_grant("garbage", route_id::events, "", 1'000), grant_check::elsewhere);
  EXPECT_EQ(check_grant("x|events", route_id::events, "", 1'000), grant_check::elsewhere);
}

}  // namespace
}  // namespace ticketd::daemon::api
