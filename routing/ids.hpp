// Identifier rules of API.md: ticket, agent and queue ids match [A-Za-z0-9._:@-]{1,128};
// workspace names the same characters, 1 to 64 (config/loader.cpp checks the files' names).
#pragma once

#include <string_view>

namespace ticketd::routing {

inline constexpr std::size_t max_id_length = 128;

constexpr bool is_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '@' || c == '-';
}

constexpr bool is_valid_id(std::string_view id) {
  if (id.empty() || id.size() > max_id_length) return false;
  for (char c : id) {
    if (!is_id_char(c)) return false;
  }
  return true;
}

inline constexpr std::size_t max_workspace_length = 64;

constexpr bool is_valid_workspace(std::string_view name) {
  return is_valid_id(name) && name.size() <= max_workspace_length;
}

}  // namespace ticketd::routing
