// Bearer tokens and roles (API.md "Auth"), sans-io: who a request's token names, and whether
// that role may use a route. Secrets are compared in constant time and never logged.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "config/config.hpp"
#include "daemon/api/routes.hpp"

namespace ticketd::daemon::api {

// Equal texts, in time that depends only on the lengths.
bool constant_time_equal(std::string_view a, std::string_view b);

// The configured tokens by a keyed hash of their secrets (the key random per process): finding
// the one a request carries compares it, in constant time, with only the tokens of its hash,
// so a platform with a token per tenant pays a lookup per request, not a scan of thousands.
// Holds pointers into `auth`, which must outlive it.
class token_index {
 public:
  explicit token_index(const config::auth_config& auth);
  // The configured token an `Authorization` header carries; nullptr when the header is
  // missing, not `Bearer <token>`, or names no configured token.
  const config::token_config* find(std::string_view authorization) const;

 private:
  std::unordered_multimap<std::uint64_t, const config::token_config*> by_hash_;
};

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
