// SLA due-time arithmetic: a configured span added to an instant, 24/7 or (later) on the SLA
// business calendar, and the due times a new ticket starts with.
#pragma once

#include <cstdint>

#include "config/config.hpp"

namespace ticketd::routing {

struct initial_dues {
  std::int64_t first_reply;
  std::int64_t resolution;
};

class sla_clock {
 public:
  explicit sla_clock(const config::config& cfg);

  // The instant `span` after `from_ms`.
  std::int64_t add(std::int64_t from_ms, const config::span& span) const;

  initial_dues dues_for_new_ticket(const config::priority_config& priority,
                                   std::int64_t created_ms) const;
};

}  // namespace ticketd::routing
