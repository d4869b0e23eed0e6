// SLA and lifecycle time arithmetic: a configured span added to an instant, either wall-clock
// time (24/7) or business time on the SLA calendar (`8h business`, `1d business`), and the
// measurements pauses and escalations need.
#pragma once

#include <cstdint>
#include <optional>

#include "config/config.hpp"
#include "routing/calendar.hpp"

namespace ticketd::routing {

struct initial_dues {
  std::int64_t first_reply;
  std::int64_t resolution;
};

class sla_clock {
 public:
  // Throws std::runtime_error when the SLA calendar's time zone is unknown (the loader checks).
  explicit sla_clock(const config::config& cfg);

  // The instant `span` after `from_ms`.
  std::int64_t add(std::int64_t from_ms, const config::span& span) const;

  initial_dues dues_for_new_ticket(const config::priority_config& priority,
                                   std::int64_t created_ms) const;

  // What is left of a running target due at `due_ms`, measured at `now_ms` in the span's basis
  // (business time on the calendar, else wall time); 0 once due.
  std::int64_t remaining(std::int64_t now_ms, std::int64_t due_ms, config::time_basis basis) const;

  // The due time of a target that resumes at `now_ms` with `left` of its time remaining.
  std::int64_t resume(std::int64_t now_ms, std::int64_t left, config::time_basis basis) const;

  // A running target re-targeted from `before` to `after` (escalation to another priority):
  // the time already spent counts against the new target, so the due time moves by the
  // difference of the two. A target already due keeps its due time; one whose time spent is
  // over the new target becomes due that long ago.
  std::int64_t retarget(std::int64_t now_ms, std::int64_t due_ms, const config::span& before,
                        const config::span& after) const;

  // A span's length as time in its basis (a business day weighs the calendar's average day).
  std::int64_t length(const config::span& span) const;

 private:
  std::optional<business_calendar> calendar_;
};

}  // namespace ticketd::routing
