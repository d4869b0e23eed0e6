#include "daemon/common/tokens.hpp"

#include <algorithm>
#include <random>

namespace ticketd::daemon {

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

}  // namespace ticketd::daemon
