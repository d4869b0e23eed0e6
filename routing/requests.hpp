// What the API's requests ask for, as plain validated values: the daemon parses JSON into these,
// the planner turns them into function calls.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "routing/skills.hpp"
#include "routing/status.hpp"

namespace ticketd::routing {

// Preferred agents: until the ticket's wait has lasted `for_ms`, only they may take it.
struct preference {
  std::vector<std::string> agents;  // sorted, unique, 1 to 64
  std::int64_t for_ms = 0;          // 1 s to 7 days

  friend bool operator==(const preference&, const preference&) = default;
};

struct create_request {
  std::string id;
  std::string queue;     // empty: from the routing rules
  std::string priority;  // empty: from the routing rules
  std::string channel;
  std::vector<std::string> skills;                              // sorted, unique
  std::vector<std::pair<std::string, std::string>> attributes;  // scalar text forms, by name
  std::string attributes_json;  // canonical (sorted keys), empty when none
  std::optional<std::int64_t> created_at;
  std::vector<config::requirement> requirements;  // sorted by skill, one per skill
  std::string customer;                           // the helpdesk's customer id, empty: none
  std::optional<preference> preferred;
  // Identifies the payload, so a repeated create is told apart from a different one.
  std::string fingerprint;
  // The body as the client sent it but its id, compact: the new ticket's `ticket.queued`
  // carries it, so a day's arrivals can be replayed (ticketctl export-workload). Empty when the
  // body was only the id.
  std::string body;
};

struct action_request {
  std::string agent;
  std::string token;
  std::string reason;
  std::string queue;
  std::string priority;
  std::optional<std::int64_t> until;
  bool force = false;
};

// PATCH /v1/tickets/{id}: each field given is replaced (a null or empty value removes a channel,
// skills or attributes); routing rules do not run again.
struct patch_request {
  std::optional<std::string> priority;
  std::optional<std::string> channel;
  std::optional<std::vector<std::string>> skills;  // sorted, unique
  std::optional<std::string> attributes_json;      // canonical (sorted keys); empty: none
  std::optional<std::vector<config::requirement>> requirements;  // sorted by skill; empty: none
  std::optional<std::optional<preference>> preferred;            // inner nullopt: none
};

struct agent_request {
  std::string name;
  std::vector<std::string> queues;
  std::vector<skill_level> skills;  // sorted by name, one per name
  std::optional<unsigned> max_concurrent;
  std::optional<routing::agent_status> status;
  std::optional<unsigned> capacity;  // units; none: agents.capacity
  // Channels not online for the agent (channel, status); a channel not named follows it.
  std::vector<std::pair<std::string, routing::agent_status>> channels;
  bool channels_named = false;  // the request had `channels` (only with channels configured)
};

// POST /v1/agents/{id}/status: the agent's status, or with `channel` that channel's.
struct status_request {
  routing::agent_status status = routing::agent_status::offline;
  std::string channel;

  friend bool operator==(const status_request&, const status_request&) = default;
};

}  // namespace ticketd::routing
