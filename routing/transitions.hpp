// The ticket transition table of DESIGN.md: which action may run in which status, and where it
// leads. The Redis functions enforce the same table atomically
// (routing/lua/include/transitions.lua); tests/integration/transition_table_test.cpp drives every
// pair through Redis and compares.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "routing/status.hpp"

namespace ticketd::routing {

enum class ticket_action {
  accept,
  reject,
  reply,
  customer_reply,
  postpone,
  release,
  resolve,
  reopen,
  close,
  transfer,
  escalate,
  reassign,
};

inline constexpr ticket_action all_ticket_actions[] = {
    ticket_action::accept,         ticket_action::reject,   ticket_action::reply,
    ticket_action::customer_reply, ticket_action::postpone, ticket_action::release,
    ticket_action::resolve,        ticket_action::reopen,   ticket_action::close,
    ticket_action::transfer,       ticket_action::escalate, ticket_action::reassign};

// The path segment of POST /v1/tickets/{id}/{action}, e.g. "customer-reply".
std::string_view to_string(ticket_action a);
std::optional<ticket_action> parse_ticket_action(std::string_view text);

// True when the action may run on a ticket in this status.
bool allows(ticket_action a, ticket_status from);

// The statuses the action can lead to from `from` (empty when not allowed); several when the
// outcome depends on agents (a customer reply goes to the last agent or to the queue).
std::span<const ticket_status> outcomes(ticket_action a, ticket_status from);

}  // namespace ticketd::routing
