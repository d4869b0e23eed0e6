#include "daemon/api/auth.hpp"

#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <random>
#include <system_error>

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
  // The console's files hold no data: the page asks for a token for what it reads.
  if (auth.tokens.empty() || route == route_id::console) return false;
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
    case route_id::agent_stream_token:
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

routing::outcome<std::string> new_stream_token() {
  std::array<unsigned char, 32> bytes{};
  std::size_t got = 0;
  while (got < bytes.size()) {
    const auto n = ::getrandom(bytes.data() + got, bytes.size() - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return routing::make_error(
          routing::errc::internal,
          "no random bytes for a stream token: " + std::system_category().message(errno));
    }
    got += static_cast<std::size_t>(n);
  }
  static constexpr char digits[] = "0123456789abcdef";
  std::string out = "st_";
  out.reserve(3 + 2 * bytes.size());
  for (const auto b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0xf]);
  }
  return out;
}

std::string stream_grant(stream_scope scope, std::string_view agent, std::int64_t expires_ms) {
  std::string out = std::to_string(expires_ms);
  if (scope == stream_scope::events) return out.append("|events");
  return out.append("|agent|").append(agent);
}

grant_check check_grant(std::string_view grant, route_id route, std::string_view path_agent,
                        std::int64_t now_ms) {
  const auto bar = grant.find('|');
  if (bar == std::string_view::npos) return grant_check::elsewhere;
  std::int64_t expires = 0;
  const auto [end, ec] = std::from_chars(grant.data(), grant.data() + bar, expires);
  if (ec != std::errc{} || end != grant.data() + bar) return grant_check::elsewhere;
  const auto opens = grant.substr(bar + 1);
  const bool same = route == route_id::events
                        ? opens == "events"
                        : route == route_id::agent_stream && opens.starts_with("agent|") &&
                              opens.substr(6) == path_agent;
  if (!same) return grant_check::elsewhere;
  return now_ms < expires ? grant_check::opens : grant_check::expired;
}

}  // namespace ticketd::daemon::api
