#include "routing/sla.hpp"

#include <algorithm>

namespace ticketd::routing {

sla_clock::sla_clock(const config::config& cfg) {
  if (cfg.sla.calendar) {
    if (const auto* c = cfg.find_calendar(*cfg.sla.calendar)) calendar_.emplace(*c);
  }
}

std::int64_t sla_clock::add(std::int64_t from_ms, const config::span& span) const {
  if (span.basis == config::time_basis::business && calendar_) {
    if (span.whole_days > 0) return calendar_->add_days(from_ms, span.whole_days);
    return calendar_->add(from_ms, span.length.count());
  }
  return from_ms + span.length.count();
}

initial_dues sla_clock::dues_for_new_ticket(const config::priority_config& priority,
                                            std::int64_t created_ms) const {
  return {add(created_ms, priority.first_reply), add(created_ms, priority.resolution)};
}

std::int64_t sla_clock::remaining(std::int64_t now_ms, std::int64_t due_ms,
                                  config::time_basis basis) const {
  if (due_ms <= now_ms) return 0;
  if (basis == config::time_basis::business && calendar_) return calendar_->between(now_ms, due_ms);
  return due_ms - now_ms;
}

std::int64_t sla_clock::resume(std::int64_t now_ms, std::int64_t left,
                               config::time_basis basis) const {
  if (basis == config::time_basis::business && calendar_) return calendar_->add(now_ms, left);
  return now_ms + std::max<std::int64_t>(left, 0);
}

std::int64_t sla_clock::length(const config::span& span) const {
  if (span.basis == config::time_basis::business && calendar_ && span.whole_days > 0) {
    return span.whole_days * calendar_->average_day_ms();
  }
  return span.length.count();
}

std::int64_t sla_clock::retarget(std::int64_t now_ms, std::int64_t due_ms,
                                 const config::span& before, const config::span& after) const {
  if (due_ms <= now_ms) return due_ms;
  // Left under the new target: what was left, less what the new target is shorter by.
  const std::int64_t left =
      remaining(now_ms, due_ms, before.basis) - (length(before) - length(after));
  // The time already spent is over the new target: due that long ago (as wall time).
  if (left <= 0) return now_ms + left;
  return resume(now_ms, left, after.basis);
}

}  // namespace ticketd::routing
