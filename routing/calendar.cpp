#include "routing/calendar.hpp"

#include <date/tz.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace ticketd::routing {
namespace {

using ms = std::chrono::milliseconds;
using sys_ms = date::sys_time<ms>;

// Far enough for any span a configuration can hold on a calendar with at least one working
// day; only a calendar without any would walk this far.
constexpr int max_days_walked = 366 * 30;

}  // namespace

struct business_calendar::impl {
  const date::time_zone* zone = nullptr;
  std::array<std::vector<config::time_of_day_interval>, 7> hours;  // Monday first
  std::vector<date::local_days> holidays;                          // sorted

  date::local_days local_day_of(std::int64_t at) const {
    const auto local = zone->to_local(sys_ms{ms{at}});
    return date::floor<date::days>(local);
  }

  const std::vector<config::time_of_day_interval>& intervals_of(date::local_days day) const {
    static const std::vector<config::time_of_day_interval> none;
    if (std::binary_search(holidays.begin(), holidays.end(), day)) return none;
    const unsigned iso = date::weekday{day}.iso_encoding();  // 1 = Monday ... 7 = Sunday
    return hours[iso - 1];
  }

  bool working(date::local_days day) const { return !intervals_of(day).empty(); }

  // A local wall time as an instant. A time skipped by a clock change maps to the change
  // itself; a repeated one to its first occurrence.
  std::int64_t instant(date::local_days day, int minute) const {
    const auto local = date::local_time<ms>{day} + std::chrono::minutes{minute};
    return zone->to_sys(local, date::choose::earliest).time_since_epoch().count();
  }

  // Calls f(begin, end) for each working interval, as instants, in time order, starting with
  // the local day that holds `from` (intervals already over included); stops when f returns
  // true. Returns false when the walk gave up (no working time at all).
  template <class F>
  bool walk(std::int64_t from, F&& f) const {
    date::local_days day = local_day_of(from);
    for (int n = 0; n < max_days_walked; ++n, day += date::days{1}) {
      for (const auto& interval : intervals_of(day)) {
        if (f(instant(day, interval.begin_minute), instant(day, interval.end_minute))) return true;
      }
    }
    return false;
  }
};

business_calendar::business_calendar(const config::calendar_config& cfg)
    : impl_(std::make_unique<impl>()) {
  impl_->zone = date::locate_zone(cfg.timezone);  // throws std::runtime_error when unknown
  impl_->hours = cfg.hours;
  for (const auto& h : cfg.holidays) {
    impl_->holidays.push_back(
        date::local_days{date::year{h.year} / date::month{h.month} / date::day{h.day}});
  }
  std::sort(impl_->holidays.begin(), impl_->holidays.end());
}

business_calendar::~business_calendar() = default;
business_calendar::business_calendar(business_calendar&&) noexcept = default;
business_calendar& business_calendar::operator=(business_calendar&&) noexcept = default;

std::int64_t business_calendar::add(std::int64_t from_ms, std::int64_t business_ms) const {
  if (business_ms <= 0) return from_ms;
  std::int64_t left = business_ms;
  std::int64_t result = from_ms + business_ms;  // only if the calendar had no working time
  impl_->walk(from_ms, [&](std::int64_t begin, std::int64_t end) {
    if (end <= from_ms) return false;
    const std::int64_t start = std::max(begin, from_ms);
    if (left <= end - start) {
      result = start + left;
      return true;
    }
    left -= end - start;
    return false;
  });
  return result;
}

std::int64_t business_calendar::next_open(std::int64_t ms_at) const {
  std::int64_t result = ms_at;
  impl_->walk(ms_at, [&](std::int64_t begin, std::int64_t end) {
    if (end <= ms_at) return false;
    result = std::max(begin, ms_at);
    return true;
  });
  return result;
}

std::int64_t business_calendar::add_days(std::int64_t from_ms, int days) const {
  if (days <= 0) return from_ms;
  const std::int64_t start = next_open(from_ms);
  const auto local = impl_->zone->to_local(sys_ms{ms{start}});
  date::local_days day = date::floor<date::days>(local);
  const auto time_of_day = local - day;
  int counted = 0;
  for (int n = 0; n < max_days_walked && counted < days; ++n) {
    day += date::days{1};
    if (impl_->working(day)) ++counted;
  }
  const auto target = impl_->zone->to_sys(day + time_of_day, date::choose::earliest);
  return next_open(target.time_since_epoch().count());
}

std::int64_t business_calendar::between(std::int64_t from_ms, std::int64_t to_ms) const {
  if (to_ms <= from_ms) return 0;
  std::int64_t total = 0;
  impl_->walk(from_ms, [&](std::int64_t begin, std::int64_t end) {
    if (begin >= to_ms) return true;
    const std::int64_t a = std::max(begin, from_ms);
    const std::int64_t b = std::min(end, to_ms);
    if (b > a) total += b - a;
    return false;
  });
  return total;
}

std::int64_t business_calendar::average_day_ms() const {
  std::int64_t minutes = 0;
  int days = 0;
  for (const auto& day : impl_->hours) {
    if (day.empty()) continue;
    ++days;
    for (const auto& i : day) minutes += i.end_minute - i.begin_minute;
  }
  return days == 0 ? 0 : minutes * 60'000 / days;
}

}  // namespace ticketd::routing
