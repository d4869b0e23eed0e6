#include "routing/transitions.hpp"

#include <array>
#include <vector>

namespace ticketd::routing {
namespace {

using enum ticket_status;

struct action_info {
  std::string_view name;
  // Outcomes by source status (index = ticket_status); empty = not allowed.
  std::array<std::vector<ticket_status>, 7> to;
};

std::array<action_info, 12> build_table() {
  std::array<action_info, 12> t;
  auto set = [&t](
                 ticket_action a, std::string_view name,
                 std::initializer_list<std::pair<ticket_status, std::vector<ticket_status>>> rows) {
    auto& info = t[static_cast<std::size_t>(a)];
    info.name = name;
    for (const auto& [from, to] : rows) info.to[static_cast<std::size_t>(from)] = to;
  };
  // Pushed work the agent takes or declines.
  set(ticket_action::accept, "accept", {{offered, {assigned}}});
  set(ticket_action::reject, "reject", {{offered, {queued}}});
  // The agent answered and now waits for the customer.
  set(ticket_action::reply, "reply", {{assigned, {pending}}});
  // The customer wrote: back to the last agent when online (or its personal queue while it is
  // at capacity), else to the shared queue; inside the reopen window a resolved ticket reopens.
  set(ticket_action::customer_reply, "customer-reply",
      {{pending, {assigned, queued}},
       {postponed, {assigned, queued}},
       {resolved, {assigned, queued}}});
  set(ticket_action::postpone, "postpone", {{assigned, {postponed}}});
  set(ticket_action::release, "release", {{assigned, {queued}}});
  set(ticket_action::resolve, "resolve",
      {{queued, {resolved}},
       {offered, {resolved}},
       {assigned, {resolved}},
       {pending, {resolved}},
       {postponed, {resolved}}});
  set(ticket_action::reopen, "reopen", {{resolved, {assigned, queued}}});
  set(ticket_action::close, "close",
      {{queued, {closed}},
       {offered, {closed}},
       {assigned, {closed}},
       {pending, {closed}},
       {postponed, {closed}},
       {resolved, {closed}}});
  // Moving work between teams: only while it waits for an agent or an agent owes the move.
  set(ticket_action::transfer, "transfer",
      {{queued, {queued}}, {offered, {queued}}, {assigned, {queued}}});
  set(ticket_action::escalate, "escalate",
      {{queued, {queued}}, {offered, {queued}}, {assigned, {queued}}});
  // A supervisor puts any open ticket on a named agent; its lifecycle restarts as assigned.
  set(ticket_action::reassign, "reassign",
      {{queued, {assigned}},
       {offered, {assigned}},
       {assigned, {assigned}},
       {pending, {assigned}},
       {postponed, {assigned}}});
  return t;
}

const std::array<action_info, 12>& table() {
  static const auto t = build_table();
  return t;
}

}  // namespace

std::string_view to_string(ticket_action a) { return table()[static_cast<std::size_t>(a)].name; }

std::optional<ticket_action> parse_ticket_action(std::string_view text) {
  for (auto a : all_ticket_actions) {
    if (to_string(a) == text) return a;
  }
  return std::nullopt;
}

bool allows(ticket_action a, ticket_status from) { return !outcomes(a, from).empty(); }

std::span<const ticket_status> outcomes(ticket_action a, ticket_status from) {
  return table()[static_cast<std::size_t>(a)].to[static_cast<std::size_t>(from)];
}

}  // namespace ticketd::routing
