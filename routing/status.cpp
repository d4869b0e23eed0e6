#include "routing/status.hpp"

#include <array>

namespace ticketd::routing {
namespace {

constexpr std::array<std::string_view, 7> ticket_status_names{
    "queued", "offered", "assigned", "pending", "postponed", "resolved", "closed"};
constexpr std::array<std::string_view, 3> agent_status_names{"online", "away", "offline"};

}  // namespace

std::string_view to_string(ticket_status s) {
  return ticket_status_names[static_cast<std::size_t>(s)];
}

std::optional<ticket_status> parse_ticket_status(std::string_view text) {
  for (std::size_t i = 0; i < ticket_status_names.size(); ++i) {
    if (ticket_status_names[i] == text) return static_cast<ticket_status>(i);
  }
  return std::nullopt;
}

std::string_view to_string(agent_status s) {
  return agent_status_names[static_cast<std::size_t>(s)];
}

std::optional<agent_status> parse_agent_status(std::string_view text) {
  for (std::size_t i = 0; i < agent_status_names.size(); ++i) {
    if (agent_status_names[i] == text) return static_cast<agent_status>(i);
  }
  return std::nullopt;
}

}  // namespace ticketd::routing
