// `ticketctl export-workload`: a live workspace's agents and event stream turned into a workload
// for `ticketd simulate` (docs/design.md "Simulation"). Sans-io: ticketctl.cpp fetches the agent
// pages and the events (GET /v1/events?follow=false); this writes the JSON lines.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace ticketd::ctl {

struct exported_workload {
  std::string lines;  // JSON lines in time order
  std::size_t agents = 0;
  std::size_t arrivals = 0;
  std::size_t with_handling = 0;  // arrivals whose handling times the stream showed
  std::size_t customer_replies = 0;
  std::size_t status_changes = 0;
  std::string problem;  // non-empty: an answer was not what ticketd sends
};

// `agent_pages`: the bodies of GET /v1/agents pages; `events`: the text/event-stream body;
// `since_ms`: where the workload starts (its agent lines are written at that time).
exported_workload export_workload(std::span<const std::string> agent_pages, std::string_view events,
                                  std::int64_t since_ms);

}  // namespace ticketd::ctl
