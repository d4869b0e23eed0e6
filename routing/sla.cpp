#include "routing/sla.hpp"

namespace ticketd::routing {

sla_clock::sla_clock(const config::config&) {}

std::int64_t sla_clock::add(std::int64_t from_ms, const config::span& span) const {
  return from_ms + span.length.count();
}

initial_dues sla_clock::dues_for_new_ticket(const config::priority_config& priority,
                                            std::int64_t created_ms) const {
  return {add(created_ms, priority.first_reply), add(created_ms, priority.resolution)};
}

}  // namespace ticketd::routing
