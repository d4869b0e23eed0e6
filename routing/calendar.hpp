// Business time on a named calendar: an IANA time zone (daylight-saving changes included),
// working intervals per weekday and holidays. Instants are epoch milliseconds; business time
// is the part of the timeline inside the working intervals of working days.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "config/config.hpp"

namespace ticketd::routing {

class business_calendar {
 public:
  // Throws std::runtime_error when the time zone is unknown (the config loader checks it first).
  explicit business_calendar(const config::calendar_config& cfg);
  ~business_calendar();
  business_calendar(business_calendar&&) noexcept;
  business_calendar& operator=(business_calendar&&) noexcept;

  // The instant after `from_ms` by which `business_ms` of working time has passed. Adding to
  // an instant outside working hours starts counting at the next opening; adding zero is
  // `from_ms` itself.
  std::int64_t add(std::int64_t from_ms, std::int64_t business_ms) const;

  // N business days: the same local time of day N working days later, counted from the next
  // business instant at or after `from_ms`; when that day's hours do not include that time
  // (a shorter Saturday), the next business instant after it.
  std::int64_t add_days(std::int64_t from_ms, int days) const;

  // Working time inside [from_ms, to_ms); 0 when to_ms <= from_ms.
  std::int64_t between(std::int64_t from_ms, std::int64_t to_ms) const;

  // The first instant at or after `ms` inside working hours.
  std::int64_t next_open(std::int64_t ms) const;

  // Average working time of a working day: what one business day weighs when a whole-day span
  // has to be compared with a length (escalation's time already spent).
  std::int64_t average_day_ms() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace ticketd::routing
