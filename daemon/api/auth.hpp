// Bearer tokens and roles (API.md "Auth"), sans-io: who a request's token names, and whether
// that role may use a route. Secrets are compared in constant time and never logged.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "config/config.hpp"
#include "daemon/api/routes.hpp"
#include "daemon/common/tokens.hpp"

namespace ticketd::daemon::api {

using daemon::constant_time_equal;
using daemon::token_index;

// The admin routes that act on the whole daemon, not on the workspace of their path (a token
// bound to a workspace may not use them).
bool is_daemon_wide(route_id route);

// Whether a route needs a token at all under this configuration.
bool needs_token(const config::auth_config& auth, route_id route);

enum class access {
  allowed,
  forbidden,
  // An agent token on a route about tickets: allowed only for tickets it holds (GET) or when
  // it acts as itself (the action's `agent` is its own).
  as_agent,
};

// What the token's role may do on `route`; `path_agent` is the agent id of /v1/agents/{id}/...
// routes, `action` the ticket action segment.
access authorize(const config::token_config& token, route_id route, std::string_view path_agent,
                 std::string_view action);

}  // namespace ticketd::daemon::api
