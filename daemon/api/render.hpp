// JSON forms of tickets, agents and queues as API.md shows them (sans-io).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "daemon/api/json_writer.hpp"
#include "routing/agent.hpp"
#include "routing/functions.hpp"
#include "routing/ticket.hpp"

namespace ticketd::daemon::api {

// `now_ms`: the time of the request (which requirements are still in force). `assignments`:
// what push routing did in the same call; the first is shown as "assignment" (API.md), all of
// them as "assignments" when there are several.
void write_ticket(json_writer& w, const routing::ticket& t, const config::config& cfg,
                  std::int64_t now_ms, std::span<const routing::assignment> assignments = {});
// GET /v1/tickets/{id}/explain.
std::string explain_json(const routing::explanation& x, const config::config& cfg,
                         std::int64_t now_ms);
std::string ticket_json(const routing::ticket& t, const config::config& cfg, std::int64_t now_ms,
                        std::span<const routing::assignment> assignments = {});
void write_assignment(json_writer& w, const routing::assignment& a);

// {"ticket": {...}} for "To Solve".
std::string next_json(const routing::ticket& t, const config::config& cfg, std::int64_t now_ms);

void write_agent(json_writer& w, const routing::agent& a, const config::config& cfg,
                 std::span<const routing::assignment> assignments = {});
std::string agent_json(const routing::agent& a, const config::config& cfg,
                       std::span<const routing::assignment> assignments = {});

// GET /v1/agents: {"agents": [...], "next": id or null}.
std::string agent_list_json(const routing::agent_page& page, const config::config& cfg);

std::string queues_json(const routing::queue_stats& stats, const config::config& cfg,
                        std::int64_t now_ms);
std::string queue_json(std::string_view name, const routing::queue_head& head,
                       const config::config& cfg, std::int64_t now_ms);

std::string verify_json(const routing::verify_report& r);

}  // namespace ticketd::daemon::api
