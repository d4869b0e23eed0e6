#include "daemon/api/auth.hpp"

#include <algorithm>
#include <random>

namespace ticketd::daemon::api {

namespace {

bool is_operations(route_id r) {
  return r == route_id::healthz || r == route_id::readyz || r == route_id::metrics;
}

bool is_admin_only(route_id r) {
  return r == route_id::admin_reload || r == route_id::admin_verify || r == route_id::admin_clock ||
         r == route_id::admin_workspaces || r == route_id::admin_purge;
}

// The ticket actions an agent may take on its own behalf.
bool is_agent_action(std::string_view action) {
  return action == "accept" || action == "reject" || action == "reply" || action == "release";
}

}  // namespace

bool constant_time_equal(std::string_view a, std::string_view b) {
  // Walks the longer text whatever the contents; a length difference alone makes it unequal.
  const std::size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = static_cast<unsigned char>(i < a.size() ? a[i] : 0);
    const auto y = static_cast<unsigned char>(i < b.size() ? b[i] : 0);
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

namespace {

// The token of an `Authorization: Bearer <token>` header (the scheme case-insensitive, RFC
// 9110; spaces around the token ignored); empty when there is none.
std::string_view bearer_token(std::string_view authorization) {
  constexpr std::string_view scheme = "Bearer ";
  if (authorization.size() <= scheme.size()) return {};
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    const char c = authorization[i];
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    const char want = (scheme[i] >= 'A' && scheme[i] <= 'Z')
                          ? static_cast<char>(scheme[i] - 'A' + 'a')
                          : scheme[i];
    if (lower != want) return {};
  }
  auto presented = authorization.substr(scheme.size());
  while (!presented.empty() && presented.front() == ' ') presented.remove_prefix(1);
  while (!presented.empty() && presented.back() == ' ') presented.remove_suffix(1);
  return presented;
}

// FNV-1a from a random start: it only picks the candidates, which are then compared in
// constant time.
std::uint64_t keyed_hash(std::string_view text) {
  static const std::uint64_t key = []() {
    std::random_device seed;
    return (std::uint64_t{seed()} << 32) | seed();
  }();
  std::uint64_t h = 0xcbf29ce484222325ULL ^ key;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace

token_index::token_index(const config::auth_config& auth) {
  for (const auto& t : auth.tokens) by_hash_.emplace(keyed_hash(t.secret), &t);
}

const config::token_config* token_index::find(std::string_view authorization) const {
  const auto presented = bearer_token(authorization);
  if (presented.empty()) return nullptr;
  const config::token_config* found = nullptr;
  const auto [first, last] = by_hash_.equal_range(keyed_hash(presented));
  for (auto it = first; it != last; ++it) {
    if (constant_time_equal(presented, it->second->secret) && found == nullptr) found = it->second;
  }
  return found;
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
