// Ticket statuses and agent presence: the lifecycle vocabulary shared by every layer.
#pragma once

#include <optional>
#include <string_view>

namespace ticketd::routing {

enum class ticket_status { queued, offered, assigned, pending, postponed, resolved, closed };

inline constexpr ticket_status all_ticket_statuses[] = {
    ticket_status::queued,  ticket_status::offered,   ticket_status::assigned,
    ticket_status::pending, ticket_status::postponed, ticket_status::resolved,
    ticket_status::closed};

std::string_view to_string(ticket_status s);
std::optional<ticket_status> parse_ticket_status(std::string_view text);

// Not resolved or closed: the ticket still needs work.
constexpr bool is_open(ticket_status s) {
  return s != ticket_status::resolved && s != ticket_status::closed;
}

// An agent holds the ticket (it is in the agent's inbox).
constexpr bool is_held(ticket_status s) {
  return s == ticket_status::offered || s == ticket_status::assigned ||
         s == ticket_status::pending || s == ticket_status::postponed;
}

enum class agent_status { online, away, offline };

std::string_view to_string(agent_status s);
std::optional<agent_status> parse_agent_status(std::string_view text);

}  // namespace ticketd::routing
