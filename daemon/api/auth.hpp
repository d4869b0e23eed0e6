// Bearer tokens and roles (API.md "Auth"), sans-io: who a request's token names, and whether
// that role may use a route. Secrets are compared in constant time and never logged.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "config/config.hpp"
#include "daemon/api/routes.hpp"
#include "daemon/common/tokens.hpp"
#include "routing/errors.hpp"

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

// Stream tokens (API.md "Stream tokens"): single-use and short-lived, a browser passes one as
// `?access_token=` to an agent's stream or to the event feed, where it cannot set a header.
inline constexpr std::int64_t stream_token_lifetime_s = 60;

// A new stream token: `st_` and 32 bytes from the system's random source, in hex.
routing::outcome<std::string> new_stream_token();

// What a stream token opens, as Redis keeps it: `<expires_ms>|agent|<id>` (that agent's stream)
// or `<expires_ms>|events` (the event feed; `agent` unused).
std::string stream_grant(stream_scope scope, std::string_view agent, std::int64_t expires_ms);

enum class grant_check {
  opens,      // the stream asked for, in time
  expired,    // past its lifetime on ticketd's clock
  elsewhere,  // another stream's (another agent's, or the feed's)
};
// Whether `grant` opens `route` (agent_stream of `path_agent`, or events) at `now_ms`.
grant_check check_grant(std::string_view grant, route_id route, std::string_view path_agent,
                        std::int64_t now_ms);

}  // namespace ticketd::daemon::api
