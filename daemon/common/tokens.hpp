// The configured bearer tokens, found by the secret a request presents (API.md "Auth"), sans-io:
// part of a configuration's runtime snapshot. Secrets are compared in constant time and never
// logged.
#pragma once

#include <cstdint>
#include <string_view>
#include <unordered_map>

#include "config/config.hpp"

namespace ticketd::daemon {

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

}  // namespace ticketd::daemon
