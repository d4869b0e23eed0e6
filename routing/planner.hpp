// Turns validated requests into function calls: routing rules pick queue and priority, the SLA
// clock gives due times, the rank orders the queue. Pure and sans-io; the daemon's
// operations (routing/operation.hpp) run what it plans. Actions that need the ticket's current
// state (its due times, queue, priority) are planned from a snapshot read first; the function
// then refuses with TICKETD_STALE if the ticket moved in between, and the operation reads and
// plans again.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "config/config.hpp"
#include "routing/errors.hpp"
#include "routing/functions.hpp"
#include "routing/requests.hpp"
#include "routing/sla.hpp"
#include "routing/ticket.hpp"
#include "routing/transitions.hpp"

namespace ticketd::routing {

class planner {
 public:
  planner(const config::config& cfg, const sla_clock& sla, const keyspace& keys,
          const call_settings& settings)
      : cfg_(cfg), sla_(sla), keys_(keys), settings_(settings) {}

  // The call, and the ticket as the call stores it: what Redis holds after the call when its
  // reply says `created`, and with the hand-out applied when it says `handed` (apply_handed;
  // create.lua answers `routed` when it moved the ticket further in another way).
  struct planned_create {
    command call;
    ticket value;
    // The call will likely move the ticket on in a way its reply does not describe (it has a
    // preferred agent, who takes it or keeps it waiting): `value` is then probably not what
    // Redis holds after it.
    bool moves_on = false;
  };
  // `idem`: the request's Idempotency-Key, if any (every writing call takes one).
  outcome<planned_create> create(const create_request& r, std::int64_t now,
                                 idempotency idem = {}) const;

  // True when action() needs the ticket as it is now.
  static bool needs_snapshot(ticket_action a);

  // `snapshot` is required when needs_snapshot(a).
  outcome<command> action(ticket_action a, std::string_view id,
                          std::optional<std::int64_t> if_match, const action_request& r,
                          const ticket* snapshot, std::int64_t now, idempotency idem = {}) const;

  // PATCH /v1/tickets/{id}, planned from the ticket as it is (`snapshot`).
  outcome<command> patch(const ticket& snapshot, std::optional<std::int64_t> if_match,
                         const patch_request& r, std::int64_t now, idempotency idem = {}) const;

  // An agent's presence on `channel`: only with channels configured, and one of them (or
  // `default`); the error names `field`.
  std::optional<error> check_channel(std::string_view channel, std::string_view field) const;
  outcome<command> put_agent(std::string_view id, const agent_request& r, std::int64_t now,
                             idempotency idem = {}) const;

  // The rank of ticket t in queue q, following its next due target, for a wait that began at
  // `wait_start` (its created_at, the customer's message, a wake-up: docs/design.md "Order").
  std::int64_t rank_in(const config::queue_config& q, const ticket& t,
                       std::int64_t wait_start) const;

  const keyspace& keys() const { return keys_; }

  call_base base(std::int64_t now, idempotency idem = {}) const {
    return {keys_, settings_, now, idem};
  }

  // The follow-up cadence of an agent reply at `now` (lifecycle.pending).
  cadence cadence_from(std::int64_t now) const;

 private:
  outcome<return_args> returning(const ticket& t, std::int64_t now) const;
  outcome<command> escalate(const call_base& b, const ticket_ref& ref, const action_request& r,
                            const ticket& t) const;
  outcome<const config::queue_config*> known_queue(std::string_view name,
                                                   std::string_view field) const;
  // How a target of the named priority counts time.
  config::time_basis basis_of(std::string_view priority,
                              config::span config::priority_config::*target) const;
  // The reply targets a pause kept (first reply, next reply), resumed at `now` with the time
  // they had left when they paused.
  std::array<std::optional<std::int64_t>, 2> resumed_reply_targets(const ticket& t,
                                                                   std::int64_t now) const;

  const config::config& cfg_;
  const sla_clock& sla_;
  const keyspace& keys_;
  const call_settings& settings_;
};

}  // namespace ticketd::routing
