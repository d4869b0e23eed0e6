#include "routing/transitions.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace ticketd::routing {
namespace {

using enum ticket_status;
using outcome_list = std::vector<ticket_status>;

struct expected_action {
  ticket_action action;
  std::string_view name;
  // Every status the action may run in, with where it may lead; any other status refuses it.
  std::vector<std::pair<ticket_status, outcome_list>> allowed;
};

// The lifecycle of shared/DESIGN.md ("Transitions") and shared/API.md ("Actions"), written out.
const std::vector<expected_action>& expected_table() {
  static const std::vector<expected_action> table{
      {ticket_action::accept, "accept", {{offered, {assigned}}}},
      {ticket_action::reject, "reject", {{offered, {queued}}}},
      {ticket_action::reply, "reply", {{assigned, {pending}}}},
      {ticket_action::customer_reply,
       "customer-reply",
       {{pending, {assigned, queued}},
        {postponed, {assigned, queued}},
        {resolved, {assigned, queued}}}},
      {ticket_action::postpone, "postpone", {{assigned, {postponed}}}},
      {ticket_action::release, "release", {{assigned, {queued}}}},
      {ticket_action::resolve,
       "resolve",
       {{queued, {resolved}},
        {offered, {resolved}},
        {assigned, {resolved}},
        {pending, {resolved}},
        {postponed, {resolved}}}},
      {ticket_action::reopen, "reopen", {{resolved, {assigned, queued}}}},
      {ticket_action::close,
       "close",
       {{queued, {closed}},
        {offered, {closed}},
        {assigned, {closed}},
        {pending, {closed}},
        {postponed, {closed}},
        {resolved, {closed}}}},
      {ticket_action::transfer,
       "transfer",
       {{queued, {queued}}, {offered, {queued}}, {assigned, {queued}}}},
      {ticket_action::escalate,
       "escalate",
       {{queued, {queued}}, {offered, {queued}}, {assigned, {queued}}}},
      {ticket_action::reassign,
       "reassign",
       {{queued, {assigned}},
        {offered, {assigned}},
        {assigned, {assigned}},
        {pending, {assigned}},
        {postponed, {assigned}}}},
  };
  return table;
}

outcome_list sorted(outcome_list list) {
  std::sort(list.begin(), list.end());
  return list;
}

outcome_list expected_outcomes(const expected_action& row, ticket_status from) {
  for (const auto& [status, to] : row.allowed) {
    if (status == from) return sorted(to);
  }
  return {};
}

TEST(TransitionTable, ExpectedTableCoversEveryAction) {
  ASSERT_EQ(expected_table().size(), std::size(all_ticket_actions));
  for (std::size_t i = 0; i < expected_table().size(); ++i) {
    EXPECT_EQ(expected_table()[i].action, all_ticket_actions[i]) << i;
  }
}

TEST(TransitionTable, MatchesDesignForEveryActionAndStatus) {
  for (const auto& row : expected_table()) {
    for (const auto from : all_ticket_statuses) {
      const auto want = expected_outcomes(row, from);
      const auto got = outcomes(row.action, from);
      EXPECT_EQ(sorted(outcome_list(got.begin(), got.end())), want)
          << row.name << " from " << to_string(from);
      EXPECT_EQ(allows(row.action, from), !want.empty()) << row.name << " from " << to_string(from);
    }
  }
}

TEST(TransitionTable, ClosedAllowsNothing) {
  for (const auto a : all_ticket_actions) {
    EXPECT_FALSE(allows(a, closed)) << to_string(a);
    EXPECT_TRUE(outcomes(a, closed).empty()) << to_string(a);
  }
}

TEST(TransitionTable, ActionsLeadOnlyToOpenStatusesOrTheirOwnEnd) {
  // resolve ends in resolved and close in closed; nothing else leaves the open statuses.
  for (const auto a : all_ticket_actions) {
    for (const auto from : all_ticket_statuses) {
      for (const auto to : outcomes(a, from)) {
        if (a == ticket_action::resolve) {
          EXPECT_EQ(to, resolved);
        } else if (a == ticket_action::close) {
          EXPECT_EQ(to, closed);
        } else {
          EXPECT_TRUE(is_open(to)) << to_string(a) << " from " << to_string(from);
        }
      }
    }
  }
}

TEST(TicketAction, RoundTripsEveryActionThroughItsPathSegment) {
  for (const auto& row : expected_table()) {
    EXPECT_EQ(to_string(row.action), row.name);
    const auto parsed = parse_ticket_action(row.name);
    ASSERT_TRUE(parsed.has_value()) << row.name;
    EXPECT_EQ(*parsed, row.action);
  }
}

TEST(TicketAction, RefusesUnknownAndMisspelledActions) {
  for (const std::string_view text :
       {"", "unknown", "customer_reply", "Customer-Reply", "ACCEPT", "accept ", "delete"}) {
    EXPECT_FALSE(parse_ticket_action(text).has_value()) << "'" << text << "'";
  }
}

TEST(TicketStatus, RoundTripsEveryStatus) {
  const std::string_view names[] = {"queued",    "offered",  "assigned", "pending",
                                    "postponed", "resolved", "closed"};
  ASSERT_EQ(std::size(names), std::size(all_ticket_statuses));
  for (std::size_t i = 0; i < std::size(names); ++i) {
    EXPECT_EQ(to_string(all_ticket_statuses[i]), names[i]);
    EXPECT_EQ(parse_ticket_status(names[i]), all_ticket_statuses[i]);
  }
  EXPECT_FALSE(parse_ticket_status("Queued").has_value());
  EXPECT_FALSE(parse_ticket_status("").has_value());
}

TEST(TicketStatus, OpenAndHeldFollowTheLifecycle) {
  EXPECT_TRUE(is_open(queued));
  EXPECT_TRUE(is_open(postponed));
  EXPECT_FALSE(is_open(resolved));
  EXPECT_FALSE(is_open(closed));
  for (const auto s : all_ticket_statuses) {
    const bool held = s == offered || s == assigned || s == pending || s == postponed;
    EXPECT_EQ(is_held(s), held) << to_string(s);
  }
}

TEST(AgentStatus, RoundTripsEveryStatus) {
  for (const auto s : {agent_status::online, agent_status::away, agent_status::offline}) {
    EXPECT_EQ(parse_agent_status(to_string(s)), s);
  }
  EXPECT_EQ(to_string(agent_status::away), "away");
  EXPECT_FALSE(parse_agent_status("busy").has_value());
}

}  // namespace
}  // namespace ticketd::routing
