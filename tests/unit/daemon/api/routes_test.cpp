#include "daemon/api/routes.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace ticketd::daemon::api {
namespace {

using enum http_method;

struct route_case {
  http_method method;
  std::string_view path;
  route_id route;
  std::string_view id = {};
  std::string_view action = {};
};

std::string_view method_name(http_method m) {
  switch (m) {
    case get:
      return "GET";
    case post:
      return "POST";
    case put:
      return "PUT";
    case patch:
      return "PATCH";
    case del:
      return "DELETE";
    case other:
      return "OTHER";
  }
  return "?";
}

TEST(MatchRoute, FindsEveryRouteOfTheApi) {
  const route_case cases[] = {
      {get, "/healthz", route_id::healthz},
      {get, "/readyz", route_id::readyz},
      {get, "/metrics", route_id::metrics},
      {get, "/console", route_id::console},
      {get, "/console/", route_id::console},
      {get, "/console/console.js", route_id::console, "console.js"},
      {post, "/v1/tickets", route_id::ticket_create},
      {get, "/v1/tickets/T-1001", route_id::ticket_get, "T-1001"},
      {del, "/v1/tickets/T-1001", route_id::ticket_delete, "T-1001"},
      {post, "/v1/tickets/T-1001/accept", route_id::ticket_action, "T-1001", "accept"},
      {post, "/v1/tickets/T-1001/customer-reply", route_id::ticket_action, "T-1001",
       "customer-reply"},
      {post, "/v1/tickets/T-1001/not-an-action", route_id::ticket_action, "T-1001",
       "not-an-action"},
      {put, "/v1/agents/ada", route_id::agent_put, "ada"},
      {get, "/v1/agents/ada", route_id::agent_get, "ada"},
      {get, "/v1/agents", route_id::agents_list, ""},
      {patch, "/v1/tickets/T-1", route_id::ticket_patch, "T-1"},
      {post, "/v1/agents/ada/status", route_id::agent_status, "ada"},
      {post, "/v1/agents/ada/next", route_id::agent_next, "ada"},
      {post, "/v1/agents/ada/ready", route_id::agent_ready, "ada"},
      {get, "/v1/tickets/T-1/explain", route_id::ticket_explain, "T-1"},
      {get, "/v1/agents/ada/stream", route_id::agent_stream, "ada"},
      {post, "/v1/agents/ada/stream-token", route_id::agent_stream_token, "ada"},
      {post, "/v1/stream-token", route_id::stream_token},
      {get, "/v1/queues", route_id::queues_list},
      {get, "/v1/queues/billing", route_id::queue_get, "billing"},
      {get, "/v1/events", route_id::events},
      {post, "/v1/admin/reload", route_id::admin_reload},
      {get, "/v1/admin/verify", route_id::admin_verify},
      {post, "/v1/admin/clock", route_id::admin_clock},
      {get, "/v1/admin/workspaces", route_id::admin_workspaces},
      {del, "/v1/admin/workspaces/old", route_id::admin_purge, "old"},
  };
  for (const auto& c : cases) {
    const auto m = match_route(c.method, c.path);
    EXPECT_EQ(m.route, c.route) << method_name(c.method) << " " << c.path << " -> "
                                << route_label(m.route);
    EXPECT_EQ(m.id, c.id) << c.path;
    EXPECT_EQ(m.action, c.action) << c.path;
  }
}

struct not_allowed_case {
  http_method method;
  std::string_view path;
  std::string_view allow;
};

TEST(MatchRoute, WrongMethodOnAKnownPathIsMethodNotAllowedWithAllow) {
  const not_allowed_case cases[] = {
      {post, "/healthz", "GET"},
      {put, "/readyz", "GET"},
      {del, "/metrics", "GET"},
      {get, "/v1/tickets", "POST"},
      {post, "/v1/tickets/T-1", "GET, PATCH, DELETE"},
      {put, "/v1/tickets/T-1", "GET, PATCH, DELETE"},
      {get, "/v1/tickets/T-1/accept", "POST"},
      {post, "/v1/agents/ada", "GET, PUT"},
      {post, "/v1/agents", "GET"},
      {del, "/v1/agents/ada", "GET, PUT"},
      {get, "/v1/agents/ada/status", "POST"},
      {get, "/v1/agents/ada/next", "POST"},
      {post, "/v1/agents/ada/stream", "GET"},
      {post, "/v1/queues", "GET"},
      {del, "/v1/queues/billing", "GET"},
      {post, "/v1/events", "GET"},
      {get, "/v1/admin/reload", "POST"},
      {post, "/v1/admin/verify", "GET"},
      {get, "/v1/admin/clock", "POST"},
      {other, "/v1/tickets/T-1", "GET, PATCH, DELETE"},
      {other, "/healthz", "GET"},
  };
  for (const auto& c : cases) {
    const auto m = match_route(c.method, c.path);
    EXPECT_EQ(m.route, route_id::method_not_allowed)
        << method_name(c.method) << " " << c.path << " -> " << route_label(m.route);
    EXPECT_EQ(m.allow, c.allow) << method_name(c.method) << " " << c.path;
  }
}

TEST(MatchRoute, KeepsPathIdsOnMethodNotAllowed) {
  EXPECT_EQ(match_route(put, "/v1/tickets/T-9").id, "T-9");
  EXPECT_EQ(match_route(get, "/v1/tickets/T-9/close").action, "close");
}

TEST(MatchRoute, UnknownPathsAndTrailingSegmentsAreNotFound) {
  for (const std::string_view path : {
           "",
           "/",
           "healthz",
           "/nothing",
           "/healthz/extra",
           "/v1",
           "/v2/tickets",
           "/V1/tickets",
           "/v1/unknown",
           "/v1/tickets/T-1/accept/extra",
           "/v1/tickets/a/b/c/d/e/f/g",
           "/v1/agents/ada/unknown",
           "/v1/agents/ada/next/extra",
           "/v1/queues/billing/extra",
           "/v1/events/extra",
           "/v1/admin",
           "/v1/admin/unknown",
           "/v1/admin/verify/extra",
       }) {
    for (const auto method : {get, post, put, patch, del}) {
      const auto m = match_route(method, path);
      EXPECT_EQ(m.route, route_id::not_found)
          << method_name(method) << " '" << path << "' -> " << route_label(m.route);
    }
  }
}

TEST(RouteLabel, IsDistinctForEveryRoute) {
  std::set<std::string_view> labels;
  for (std::size_t i = 0; i < route_count; ++i) {
    const auto label = route_label(static_cast<route_id>(i));
    EXPECT_FALSE(label.empty()) << i;
    EXPECT_TRUE(labels.insert(label).second) << label;
  }
  EXPECT_EQ(route_label(route_id::ticket_action), "ticket_action");
  EXPECT_EQ(route_label(route_id::method_not_allowed), "method_not_allowed");
  EXPECT_EQ(route_label(route_id::not_found), "not_found");
  EXPECT_EQ(route_label(route_id::preflight), "preflight");
}

TEST(SplitTarget, SeparatesPathAndQuery) {
  const auto with = split_target("/v1/queues/billing?limit=5&x=1");
  EXPECT_EQ(with.path, "/v1/queues/billing");
  EXPECT_EQ(with.query, "limit=5&x=1");
  const auto without = split_target("/v1/events");
  EXPECT_EQ(without.path, "/v1/events");
  EXPECT_EQ(without.query, "");
  const auto empty = split_target("/v1/events?");
  EXPECT_EQ(empty.path, "/v1/events");
  EXPECT_EQ(empty.query, "");
  const auto second = split_target("/a?b=1?c");
  EXPECT_EQ(second.path, "/a");
  EXPECT_EQ(second.query, "b=1?c");
}

TEST(RouteMatch, EveryV1RouteAlsoLivesUnderAWorkspace) {
  auto r = match_route(http_method::get, "/v1/w/acme/tickets/T-1/explain");
  EXPECT_EQ(r.route, route_id::ticket_explain);
  EXPECT_EQ(r.id, "T-1");
  EXPECT_EQ(r.workspace, "acme");
  r = match_route(http_method::post, "/v1/w/acme/tickets/T-1/accept");
  EXPECT_EQ(r.route, route_id::ticket_action);
  EXPECT_EQ(r.action, "accept");
  EXPECT_EQ(match_route(http_method::get, "/v1/w/acme/events").route, route_id::events);
  EXPECT_EQ(match_route(http_method::post, "/v1/w/acme/admin/reload").route,
            route_id::admin_reload);
  EXPECT_EQ(match_route(http_method::get, "/v1/tickets/T-1").workspace, "");
  for (const char* path : {"/v1/w/acme", "/v1/w/acme/", "/v1/w//tickets", "/v1/w/acme/w/x/tickets",
                           "/v1/w/acme/tickets/T-1/explain/more"}) {
    EXPECT_EQ(match_route(http_method::get, path).route, route_id::not_found) << path;
  }
}

TEST(QueryParam, FindsRawValuesByExactName) {
  const std::string_view q = "limit=5&after=1700000000000-0&flag&empty=&eq=a=b&limit=9";
  EXPECT_EQ(query_param(q, "limit"), "5");
  EXPECT_EQ(query_param(q, "after"), "1700000000000-0");
  EXPECT_EQ(query_param(q, "flag"), "");
  EXPECT_EQ(query_param(q, "empty"), "");
  EXPECT_EQ(query_param(q, "eq"), "a=b");
  EXPECT_FALSE(query_param(q, "lim").has_value());
  EXPECT_FALSE(query_param(q, "limits").has_value());
  EXPECT_FALSE(query_param(q, "missing").has_value());
  EXPECT_FALSE(query_param("", "limit").has_value());
  EXPECT_EQ(query_param("a=1&&b=2", "b"), "2");
  EXPECT_EQ(query_param("x=%20y", "x"), "%20y");
}

TEST(LoggableTarget, HidesAnAccessTokensValueAndKeepsTheRest) {
  EXPECT_EQ(loggable_target("/v1/events?access_token=st_abc&follow=false"),
            "/v1/events?access_token=***&follow=false");
  EXPECT_EQ(loggable_target("/v1/agents/ada/stream?access_token=st_abc"),
            "/v1/agents/ada/stream?access_token=***");
  EXPECT_EQ(loggable_target("/v1/events?after=1-0&access_token=x"),
            "/v1/events?after=1-0&access_token=***");
  EXPECT_EQ(loggable_target("/v1/events?my_access_token=x"), "/v1/events?my_access_token=x");
  EXPECT_EQ(loggable_target("/v1/events?access_token="), "/v1/events?access_token=");
  EXPECT_EQ(loggable_target("/v1/tickets/T-1"), "/v1/tickets/T-1");
  EXPECT_EQ(loggable_target("/v1/events?access_token=&access_token=st_b&x=1&access_token=c"),
            "/v1/events?access_token=&access_token=***&x=1&access_token=***");
  EXPECT_EQ(loggable_target("/v1/events?x=&&access_token=a&"), "/v1/events?x=&&access_token=***&");
}

}  // namespace
}  // namespace ticketd::daemon::api
