// The typed C++ face of the Redis function library: one builder per function turning typed
// arguments into an FCALL command, and decoders turning replies into values. Sans-io: the
// daemon's ticket_store sends the commands.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "routing/agent.hpp"
#include "routing/errors.hpp"
#include "routing/keyspace.hpp"
#include "routing/lua_library.hpp"
#include "routing/resp.hpp"
#include "routing/ticket.hpp"

namespace ticketd::routing {

// The configuration as the functions see it (routing/lua/include/configuration.lua):
// stored once in Redis under its epoch by `configure`; every call names the epoch.
struct call_settings {
  std::string epoch;  // digest of `fields`
  std::vector<std::pair<std::string, std::string>> fields;
};

// The settings of a loaded configuration: counted statuses, defaults, queue policies.
call_settings make_call_settings(const config::config& cfg);

// A request's Idempotency-Key and what identifies the request (method, path and a digest of the
// body): a writing function keeps its answer under the key, atomically with its change
// (routing/lua/include/idempotency.lua). Empty: the request has none.
struct idempotency {
  std::string_view key;
  std::string_view fingerprint;
  bool empty() const { return key.empty(); }
};

// What every call needs: where the workspace lives, the settings, the injected time and the
// request's idempotency.
struct call_base {
  const keyspace& keys;
  const call_settings& settings;
  std::int64_t now_ms;
  idempotency idem = {};
};

// `FCALL[_RO] <name> 1 <prefix> <now> <epoch> <idempotency key> <fingerprint>`; the function's
// own arguments follow (routing/lua/README.md, "Conventions").
command begin_call(const lua::function_info& fn, const call_base& base);

// A ticket an action applies to, with the client's If-Match and the version C++ read its
// arguments from (when it did: the function answers TICKETD_STALE if the ticket moved since).
struct ticket_ref {
  std::string_view id;
  std::optional<std::int64_t> if_match;
  std::optional<std::int64_t> expect;
};

struct create_args {
  std::string_view id;
  std::string_view fingerprint;
  std::string_view queue;
  std::string_view priority;
  std::string_view channel;     // empty: none
  std::string_view skills;      // comma list
  std::string_view attributes;  // JSON object text, empty: none
  std::int64_t created_at = 0;  // also when its wait began
  std::int64_t first_reply_due = 0;
  std::int64_t resolution_due = 0;
  std::int64_t rank = 0;
  // When the new ticket's SLA timer first fires: its first warning, or without warnings its
  // first breach (what arm_sla in routing/lua/include/sla.lua would compute).
  std::int64_t sla_timer = 0;
  std::string_view requirements;  // skill:level:relax_ms comma list, empty: none
  std::string_view customer;      // empty: none
  std::string_view preference;    // for_ms|agent,agent; empty: none
  std::string_view request;       // the create body but its id, compact JSON; empty: only the id
};

// Where a returning ticket goes when its last agent cannot take it (customer reply, reopen).
struct return_args {
  // Due times to set (nullopt: the target stays as it is); paused targets resume with them.
  std::optional<std::int64_t> first_reply_due;
  std::optional<std::int64_t> next_reply_due;
  std::optional<std::int64_t> resolution_due;
  std::int64_t rank = 0;
  std::int64_t affinity_until = 0;
};

// The follow-up cadence of a pending ticket as absolute times.
struct cadence {
  std::vector<std::int64_t> followups;
  std::optional<std::int64_t> resolve_at;
  std::int64_t reopen_until = 0;  // when resolve_at resolves it
  std::int64_t close_at = 0;
};
// 'f,f,...;resolve_at;reopen_until;close_at'; empty when there is nothing to schedule.
std::string format_cadence(const cadence& c);

struct escalate_args {
  std::string_view queue;
  std::string_view priority;  // empty: unchanged
  std::int64_t rank = 0;
  std::optional<std::int64_t> first_reply_due;
  std::optional<std::int64_t> next_reply_due;
  std::optional<std::int64_t> resolution_due;
  std::string_view reason;
};

// PATCH: what changes (nullopt: unchanged). A priority change moves the due times C++ computed
// from it, and re-ranks a waiting ticket (or, postponed, the rank it wakes with).
struct patch_args {
  std::string_view priority;  // empty: unchanged
  std::optional<std::int64_t> rank;
  std::array<std::optional<std::int64_t>, 3> dues;    // running targets
  std::array<std::optional<std::int64_t>, 3> paused;  // paused targets (frozen due times)
  std::array<std::optional<std::int64_t>, 2> wake;    // a postponed ticket's reply dues at wake-up
  std::optional<std::int64_t> wake_rank;
  std::optional<std::string_view> channel;       // "" removes
  std::optional<std::string_view> skills;        // comma list; "" removes
  std::optional<std::string_view> attributes;    // JSON object text; "" removes
  std::optional<std::string_view> requirements;  // skill:level:relax_ms list; "" removes
  std::optional<std::string_view> preference;    // for_ms|agent,agent; "" removes
};

struct agent_put_args {
  std::string_view id;
  std::string_view name;
  std::string_view queues;            // comma list
  std::string_view skills;            // comma list
  std::string_view effective_queues;  // comma list
  std::optional<unsigned> max_concurrent;
  std::string_view status;           // empty: keep (offline for a new agent)
  std::optional<unsigned> capacity;  // units; none: agents.capacity
  std::string_view channels;         // channels not online for it: channel=status comma list
};

enum class force_mode { respect_capacity, force };

command create_call(const call_base& b, const create_args& a);
command next_call(const call_base& b, std::string_view agent);
command accept_call(const call_base& b, const ticket_ref& t, std::string_view agent,
                    std::string_view token);
command reject_call(const call_base& b, const ticket_ref& t, std::string_view agent,
                    std::string_view reason, std::string_view token);
// `cadence`: the follow-up schedule from now (format_cadence), used when this is the first
// agent reply since the customer's last message.
command reply_call(const call_base& b, const ticket_ref& t, std::string_view agent,
                   std::string_view cadence);
command customer_reply_call(const call_base& b, const ticket_ref& t, const return_args& r);
// `wake_dues`: first and next reply due times once it wakes (the reply targets pause).
command postpone_call(const call_base& b, const ticket_ref& t, std::int64_t until,
                      std::int64_t wake_rank,
                      const std::array<std::optional<std::int64_t>, 2>& wake_dues);
command release_call(const call_base& b, const ticket_ref& t, std::string_view agent,
                     std::int64_t rank);
command resolve_call(const call_base& b, const ticket_ref& t, std::string_view reason,
                     std::int64_t reopen_until, std::int64_t close_at);
command reopen_call(const call_base& b, const ticket_ref& t, const return_args& r);
command close_call(const call_base& b, const ticket_ref& t);
command transfer_call(const call_base& b, const ticket_ref& t, std::string_view queue,
                      std::int64_t rank);
command escalate_call(const call_base& b, const ticket_ref& t, const escalate_args& e);
// `resumed`: a postponed ticket's first and next reply due times from now on (its pause ends).
command reassign_call(const call_base& b, const ticket_ref& t, std::string_view agent,
                      force_mode force, const std::array<std::optional<std::int64_t>, 2>& resumed);
command patch_call(const call_base& b, const ticket_ref& t, const patch_args& p);
command delete_call(const call_base& b, std::string_view id);
command agent_put_call(const call_base& b, const agent_put_args& a);
// `channel` given: that channel's presence for the agent (channels configured).
command agent_status_call(const call_base& b, std::string_view agent, agent_status status,
                          std::string_view channel = {});
command agent_ready_call(const call_base& b, std::string_view agent);
// A stream of the agent opened (+1) or closed (-1); `status`: what presence by connection sets
// (nullopt with presence by API: only the count changes).
command agent_presence_call(const call_base& b, std::string_view agent, int connections,
                            std::optional<agent_status> status);
command agent_get_call(const call_base& b, std::string_view agent);
// GET /v1/tickets/{id}/explain: the ticket, its place in each queue and, for up to `limit`
// agents of its queues, what stops push routing (or a pull) from handing it to them.
command explain_call(const call_base& b, std::string_view ticket, std::size_t limit);
// One page of GET /v1/agents: the agents after `after` in id order that match every filter
// given (an empty filter matches all).
struct agent_filter {
  std::string_view after;
  std::size_t limit = 100;
  std::string_view queue;
  std::string_view status;
  std::string_view skill;
};
command agent_list_call(const call_base& b, const agent_filter& f);
command queue_stats_call(const call_base& b, const std::vector<std::string>& queues);
command queue_head_call(const call_base& b, std::string_view queue, std::size_t limit);
command tick_call(const call_base& b, std::size_t limit);
command verify_call(const call_base& b, const std::vector<std::string>& queues);
// Stores b.settings under their epoch (on every connect and reload).
command configure_call(const call_base& b);
// What b.idem's key kept (read before a plan that depends on the ticket's state).
command kept_call(const call_base& b);
// HGETALL of one ticket (reads need no function).
command ticket_get_command(const keyspace& keys, std::string_view id);

// Replies ------------------------------------------------------------------------------------

// A function's error reply as a domain error; nullopt when the reply is not an error.
std::optional<error> reply_error(const resp_value& reply);

// A ticket push routing offered or assigned during a call.
struct assignment {
  std::string ticket;
  std::string agent;
  ticket_status status = ticket_status::assigned;  // offered or assigned
  std::string token;                               // offers: what accept/reject must echo
  std::optional<std::int64_t> expires_at;          // offers
  std::optional<std::int64_t> queued_at;           // when the ticket started waiting
};

// The assignments a writing function answers after its result ({result, assignments...}: they
// start at index 1; the agent functions' at 2).
std::vector<assignment> decode_assignments(const resp_value& reply, std::size_t first = 1);

// A create's 'handed' reply ({'handed', version, decision record, assignments...}: push routing
// handed the new ticket out as it was created, create.lua) applied to `planned`, the ticket as
// the call stored it, at `now`, the call's time: its status and holder from its assignment, that
// version, updated then, that decision. False, leaving it as it was, when the reply is not one
// or holds no assignment of that ticket.
bool apply_handed(ticket& planned, const resp_value& reply, std::int64_t now);

struct create_result {
  bool created = false;  // false: the same request was repeated (idempotent)
  ticket value;
  std::vector<assignment> assignments;
  bool replayed = false;  // the answer an Idempotency-Key kept
};
// A ticket function's result: the reply itself, or the first element of {result,
// assignments...} when push routing handed tickets out in the same call (settle in
// routing/lua/include/push.lua). nullptr for an empty list.
const resp_value* reply_result(const resp_value& reply);
// create: {'created'|'routed'|'existing', assignments...}, or {'handed', version, decision record,
// assignments...} (apply_handed); `value` is left for the caller.
outcome<create_result> decode_create(const resp_value& reply);

// A ticket after an action, with what push routing did in the same call.
struct ticket_result {
  ticket value;
  std::vector<assignment> assignments;
  bool replayed = false;  // the answer an Idempotency-Key kept
};

struct action_result {
  std::int64_t version = 0;  // the ticket's new version
  std::vector<assignment> assignments;
  bool replayed = false;  // the answer an Idempotency-Key kept
};
outcome<action_result> decode_action(const resp_value& reply);

struct next_result {
  std::optional<std::string> id;  // nullopt when nothing waits for the agent
  std::vector<assignment> assignments;
};
outcome<next_result> decode_next(const resp_value& reply);

// A ticket read with ticket_get_command (HGETALL); not_found when it does not exist.
outcome<ticket> decode_ticket_reply(std::string_view id, const resp_value& reply);
// The same into `t`, a default-constructed ticket of the caller's (decode_ticket_into); the
// error when there is one.
std::optional<error> decode_ticket_reply_into(ticket& t, std::string_view id,
                                              const resp_value& reply);

struct agent_result {
  agent value;
  std::vector<assignment> assignments;
  bool replayed = false;  // the answer an Idempotency-Key kept
};
// {agent fields, held ticket ids, assignments...}
outcome<agent_result> decode_agent_reply(std::string_view id, const resp_value& reply);

struct queue_position {
  std::string queue;  // a shared queue, or personal:<agent>
  std::int64_t ahead = 0;
};
struct agent_explained {
  std::string agent;
  std::vector<std::string> reasons;  // empty: push routing could hand it the ticket now
  std::optional<bool> pull;          // whether its `next` could return it (a pull queue)
  std::int64_t load = 0;
  std::int64_t max_concurrent = 0;
  std::int64_t used = 0;
  std::int64_t capacity = 0;  // 0 without channels
};
struct explanation {
  ticket value;
  std::vector<queue_position> positions;
  std::vector<agent_explained> agents;
};
outcome<explanation> decode_explain(std::string_view id, const resp_value& reply);

struct agent_page {
  std::vector<agent> agents;
  std::optional<std::string> next;  // where the next page starts (its `after`) when more follow
};
// {next or false, id, {agent fields, held ticket ids}, ...}
outcome<agent_page> decode_agent_list(const resp_value& reply);

struct queue_stat {
  std::string name;
  std::int64_t depth = 0;
  std::optional<std::int64_t> oldest_enqueued_s;  // epoch second of the oldest waiting ticket
  std::optional<double> head_score;
  std::int64_t agents_online = 0;
  std::int64_t agents_available = 0;
  // With channels: units used by and units of capacity of its online agents.
  std::int64_t units_used = 0;
  std::int64_t units_capacity = 0;
  // Waiting tickets whose next due time falls before the queue's expected wait (its depth over
  // the rate tickets left it lately), and that wait (none: nothing left it lately).
  std::int64_t at_risk = 0;
  std::optional<std::int64_t> expected_wait_s;
};
// Agents by their presence on a configured channel, and the wrap-ups of it running.
struct channel_stat {
  std::string name;
  std::int64_t online = 0;
  std::int64_t away = 0;
  std::int64_t offline = 0;
  std::int64_t wrap_ups = 0;
};
struct queue_stats {
  std::vector<queue_stat> queues;
  std::int64_t agents_online = 0;
  std::int64_t agents_away = 0;
  std::int64_t agents_offline = 0;
  std::vector<channel_stat> channels;  // empty without channels
};
outcome<queue_stats> decode_queue_stats(const std::vector<std::string>& names,
                                        const resp_value& reply);

struct queue_head {
  std::int64_t depth = 0;
  std::optional<std::int64_t> oldest_enqueued_s;
  std::vector<ticket> tickets;
};
outcome<queue_head> decode_queue_head(const resp_value& reply);

// One thing a timer did that metrics count.
struct timer_note {
  enum class kind {
    sla_warning,
    sla_breached,
    followup,
    resolved,
    closed,
    returned,            // an absent assignee's ticket went back
    missed_offer,        // an offer timed out (counted toward agents.missed_offers_away)
    missed_offers_away,  // ... and set its agent away
  };
  kind what = kind::followup;
  std::string queue;  // sla_*
  std::string label;  // sla_*: the target; resolved, returned: the reason
  friend bool operator==(const timer_note&, const timer_note&) = default;
};

struct tick_result {
  std::int64_t fired = 0;
  std::optional<std::int64_t> next_due;
  std::int64_t offer_timeouts = 0;
  std::int64_t overflows = 0;
  // What the timers did that metrics count (unknown notes are skipped).
  std::vector<timer_note> notes;
  std::vector<assignment> assignments;
};
outcome<tick_result> decode_tick(const resp_value& reply);

struct verify_report {
  std::vector<std::string> violations;
  std::vector<std::string> forced;
  std::int64_t tickets_checked = 0;
  std::int64_t agents_checked = 0;
};
outcome<verify_report> decode_verify(const resp_value& reply);

}  // namespace ticketd::routing
