// The console's files (GET /console: daemon/console/), built into the binary by embed.cmake.
#pragma once

#include <span>
#include <string_view>

namespace ticketd::daemon::console {

struct file {
  std::string_view name;  // as in the URL: /console/<name>; index.html is /console itself
  std::string_view content_type;
  std::string_view body;
};

std::span<const file> files();

// The file named `name` (empty: index.html); nullptr when there is none.
inline const file* find(std::string_view name) {
  if (name.empty()) name = "index.html";
  for (const auto& f : files()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace ticketd::daemon::console
