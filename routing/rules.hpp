// Routing rules of the YAML: a ticket's channel, skills and attributes pick its queue and
// priority; an agent's skills add the queues those rules send such tickets to.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.hpp"

namespace ticketd::routing {

struct ticket_facts {
  std::string_view channel;
  std::span<const std::string> skills;
  // String forms of the attributes (numbers and booleans as their JSON text).
  std::span<const std::pair<std::string, std::string>> attributes;
};

struct route {
  const config::queue_config* queue = nullptr;
  const config::priority_config* priority = nullptr;
  // The requirements of every matching rule (for a skill, the first rule naming it wins).
  std::vector<config::requirement> require;
};

// What the request names wins; each missing part comes from the first matching rule that sets
// it, then from `defaults`. Unknown explicit names give a null pointer for the caller to
// report. Every matching rule adds its requirements.
route route_ticket(const config::config& cfg, const ticket_facts& facts,
                   std::string_view explicit_queue, std::string_view explicit_priority);

// The queues an agent serves: its own, plus the queue of every rule that matches on skills
// alone when the agent has all of them (an agent speaking Spanish serves where Spanish tickets
// go). Sorted, without duplicates.
std::vector<std::string> effective_queues(const config::config& cfg,
                                          std::span<const std::string> queues,
                                          std::span<const std::string> skills);

}  // namespace ticketd::routing
