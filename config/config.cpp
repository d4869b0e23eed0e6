#include "config/config.hpp"

#include <algorithm>

namespace ticketd::config {
namespace {

template <class T>
const T* find_named(const std::vector<T>& items, std::string_view name) {
  const auto it =
      std::find_if(items.begin(), items.end(), [&](const T& item) { return item.name == name; });
  return it == items.end() ? nullptr : &*it;
}

span hours(int n) { return span{std::chrono::hours{n}}; }

span days(int n) { return span{std::chrono::hours{24 * n}, time_basis::wall, n}; }

}  // namespace

const queue_config* config::find_queue(std::string_view name) const {
  return find_named(queues, name);
}

const priority_config* config::find_priority(std::string_view name) const {
  return find_named(priorities, name);
}

const channel_config* config::find_channel(std::string_view name) const {
  return find_named(channels, name);
}

const calendar_config* config::find_calendar(std::string_view name) const {
  return find_named(calendars, name);
}

bool config::knows_skill(std::string_view name) const {
  return !skills || std::find(skills->begin(), skills->end(), name) != skills->end();
}

std::vector<priority_config> default_priorities() {
  return {
      {"urgent", hours(1), hours(1), hours(4)},
      {"high", hours(4), hours(4), days(1)},
      {"normal", hours(8), hours(8), days(3)},
      {"low", days(1), days(1), days(7)},
  };
}

}  // namespace ticketd::config
