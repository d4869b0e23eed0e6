#include "daemon/api/auth.hpp"

#include <algorithm>
#include <random>

namespace ticketd::daemon::api {

namespace {

bool is_operations(route_id r) {
  return r == route_id::healthz || r == route_id::readyz || r == route_id::metrics;
}

bool is_admin_only(route_id r) { return is_daemon_wide(r) || r == route_id::admin_verify; }

// The ticket actions an agent may take on its own behalf.
bool is_agent_action(std::string_view action) {
  return action == "accept" || action == "reject" || action == "reply" || action == "release";
}

}  // namespace

bool is_daemon_wide(route_id r) {
  return r == route_id::admin_reload || r == route_id::admin_clock ||
         r == route_id::admin_workspaces || r == route_id::admin_purge;
}

bool needs_token(const config::auth_config& auth, route_id route) {
  if (auth.tokens.empty()) return false;
  if (is_operations(route)) return auth.protect_operations;
  return true;
}

access authorize(const config::token_config& token, route_id route, std::string_view path_agent,
                 std::string_view action) {
  if (is_operations(route)) return access::allowed;
  switch (token.role) {
    case config::token_role::admin:
      return access::allowed;
    case config::token_role::backend:
      return is_admin_only(route) ? access::forbidden : access::allowed;
    case config::token_role::agent:
      break;
  }
  switch (route) {
    case route_id::agent_next:
    case route_id::agent_ready:
    case route_id::agent_stream:
    case route_id::agent_status:
    case route_id::agent_get:
      return path_agent == token.agent ? access::allowed : access::forbidden;
    case route_id::ticket_get:
      return access::as_agent;
    case route_id::ticket_action:
      return is_agent_action(action) ? access::as_agent : access::forbidden;
    case route_id::not_found:
    case route_id::method_not_allowed:
      return access::allowed;  // answered as such
    default:
      return access::forbidden;
  }
}

}  // namespace ticketd::daemon::api
