// An agent as the functions store it (one Redis hash plus its held set) decoded into a value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "routing/resp.hpp"
#include "routing/skills.hpp"
#include "routing/status.hpp"

namespace ticketd::routing {

struct agent {
  std::string id;
  std::string name;
  agent_status status = agent_status::offline;
  std::vector<std::string> queues;  // as given
  std::vector<skill_level> skills;
  std::vector<std::string> effective_queues;  // queues plus those its skills route to
  std::optional<unsigned> max_concurrent;     // none: the configured default
  unsigned load = 0;
  std::vector<std::string> tickets;  // held in any open status, sorted
  std::optional<std::int64_t> last_assigned_at;
  std::int64_t status_since = 0;
  bool forced_excess = false;
  std::int64_t connections = 0;  // open WebSocket streams, over every daemon
  // Channels (include/capacity.lua): its own capacity (none: agents.capacity), units used,
  // the channels not online for it (channel, status), when its last running wrap-up ends.
  std::optional<unsigned> capacity;
  std::int64_t units_used = 0;
  std::vector<std::pair<std::string, std::string>> channel_presence;
  std::optional<std::int64_t> wrap_up_until;
  std::int64_t missed_offers = 0;
};

// Decodes {agent fields (HGETALL form), held ticket ids}.
std::optional<agent> decode_agent(std::string_view id, const resp_value& reply);

}  // namespace ticketd::routing
