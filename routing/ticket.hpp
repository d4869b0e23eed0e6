// A ticket as the functions store it (one Redis hash, short field names) decoded into a value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "routing/errors.hpp"
#include "routing/rank.hpp"
#include "routing/requests.hpp"
#include "routing/resp.hpp"
#include "routing/status.hpp"

namespace ticketd::routing {

// The record of a ticket's last hand-out (`dr`): how its holder (last_agent) got it.
struct decision_record {
  std::string mode;      // push, pull, accept, reassign, return, affinity
  std::string strategy;  // a push's queue strategy; empty otherwise
  std::string score;     // the winner's score in the availability index (a push); empty otherwise
  std::int64_t candidates = 1;
  std::int64_t at = 0;
  friend bool operator==(const decision_record&, const decision_record&) = default;
};

struct ticket {
  std::string id;
  ticket_status status = ticket_status::queued;
  std::string queue;                // home queue
  std::vector<std::string> queues;  // shared queues it waits in (queued), else {queue}
  std::string personal_queue;       // agent whose personal queue holds it, or empty
  std::string priority;
  std::string channel;
  std::vector<std::string> skills;
  std::string attributes_json;  // a JSON object, or empty for none
  // What an agent must have to take it, by skill; each relaxes relax_after into the wait.
  std::vector<config::requirement> requirements;
  std::string customer;  // the helpdesk's customer id, empty: none
  std::optional<decision_record> decision;
  // Until its wait has lasted preferred->for_ms, only these agents may take it.
  std::optional<preference> preferred;
  std::optional<std::string> assignee;
  std::optional<std::string> last_agent;
  double score = 0;  // queue score: rank * score_scale plus an enqueue counter (rank.hpp)
  std::optional<std::int64_t> first_reply_due;
  std::optional<std::int64_t> next_reply_due;
  std::optional<std::int64_t> resolution_due;
  // Targets paused while the ticket waits on the customer (postponed, resolved): the due time
  // they had, frozen since paused_at.
  std::optional<std::int64_t> paused_first_reply;
  std::optional<std::int64_t> paused_next_reply;
  std::optional<std::int64_t> paused_resolution;
  std::optional<std::int64_t> paused_at;
  std::optional<std::int64_t> first_replied_at;
  std::optional<std::int64_t> last_customer_reply_at;
  std::vector<std::string> breached;
  int followup_attempt = 0;
  int reopens = 0;
  bool escalated = false;
  std::int64_t version = 0;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  std::int64_t queued_at = 0;
  std::optional<std::int64_t> postponed_until;
  // A postponed ticket's rank and reply due times for when it wakes.
  std::optional<std::int64_t> wake_rank;
  std::optional<std::int64_t> wake_first_reply;
  std::optional<std::int64_t> wake_next_reply;
  std::optional<std::int64_t> resolved_at;
  std::optional<std::int64_t> reopen_until;
  std::string resolve_reason;
  std::string fingerprint;

  // The virtual deadline in epoch ms (the score without its tie-break counter).
  std::int64_t rank() const { return rank_of_score(score); }
  // The earliest open SLA target, which the rank follows.
  std::optional<std::int64_t> next_due() const;
  // When requirement r stops being in force (nullopt: never): its relax_after into the wait.
  std::optional<std::int64_t> relaxes_at(const config::requirement& r) const;
  // The names of the paused targets (first_reply, next_reply, resolution).
  std::vector<std::string> paused() const;
};

// A decision record as the ticket's `dr` field holds it (mode|strategy|score|candidates|at_ms);
// nullopt when it has fewer parts.
std::optional<decision_record> parse_decision(std::string_view text);

// Decodes a HGETALL-form reply (field, value, field, value...).
std::optional<ticket> decode_ticket(std::string_view id, const resp_value& fields);
// The same into `t`, a default-constructed ticket of the caller's (a ticket is large, and each
// move of one costs about as much as decoding a few of its fields); false: not a ticket.
bool decode_ticket_into(ticket& t, std::string_view id, const resp_value& fields);

}  // namespace ticketd::routing
