// The Redis round trips of one engine operation, written once and sans-io. The daemon's
// ticket_store drives an operation on its pipelined connection, the engine tests on a blocking
// client; both loop the same way:
//
//   while (!op.done()) {
//     send op.batch() in one write; then op.receive(its replies, in order)
//     or, when the transport failed, op.fail(failure);
//   }
//   then read what it came to: op.failure(), op.result(), or the API's x_result_of(op).
//
// Around its function call an operation reads the ticket first when the plan needs its state
// (and answers If-Match from that read), reads and plans again when the function says the
// ticket moved in between (TICKETD_STALE, a few rounds), stores the configuration and calls
// again when Redis lost it (TICKETD_UNCONFIGURED, once), and reads the ticket back so that the
// response shows it as Redis holds it once the call is done: pipelined behind the call when its
// id is known, after it when the reply names it (next) or says the ticket is not as planned
// (create: overflowed at once, or kept waiting by the customer's agent; otherwise the planned
// ticket is what Redis holds, handed out as the reply describes when push routing or the
// customer's agent took it at once, and costs Redis no read; a create with a preferred agent has
// its read ride behind the call; an accept whose answer shows only the ticket's status and
// version, an agent stream's, reads nothing: action_view). Under an Idempotency-Key the function
// answers the ticket itself, kept with its change (routing/lua/include/idempotency.lua), and an
// operation that plans from the ticket asks the key first, with its read.
//
// An operation refers to the planner and request it was made from: they must outlive it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "routing/errors.hpp"
#include "routing/functions.hpp"
#include "routing/planner.hpp"
#include "routing/requests.hpp"
#include "routing/resp.hpp"
#include "routing/ticket.hpp"
#include "routing/transitions.hpp"

namespace ticketd::routing {

// What a function call came to: its reply, and the ticket the response shows, read back.
struct call_outcome {
  resp_value reply;
  std::optional<ticket> value;  // when the operation shows a ticket and it exists
  bool replayed = false;        // an Idempotency-Key repeat: the answer kept by the first
};

// How a batch failed to get its replies. `written`: it reached Redis, so a function in it may
// have run (the reply was lost: a timeout, a dropped connection); otherwise nothing ran.
struct transport_failure {
  std::string message;
  bool written = false;
};

class operation {
 public:
  // Builds the function call, from the ticket as the operation read it when it reads first
  // (`snapshot`), else from nothing (nullptr).
  using plan_fn = std::function<outcome<command>(const ticket* snapshot)>;

  // Which ticket the response shows (read back after the call).
  enum class shows {
    nothing,
    named,   // the ticket `id` names
    picked,  // the ticket the function's reply names (next)
  };

  struct options {
    std::string_view id;                   // the ticket read first or shown (named)
    bool read_first = false;               // plan from the ticket's current state
    std::optional<std::int64_t> if_match;  // answered from that read
    shows show = shows::nothing;
    idempotency idem;  // the call's Idempotency-Key, if any
    // For `named`: the ticket as the call left it when the reply says so without a read (then,
    // unless `read_along` says otherwise, no read rides behind the call; when it answers
    // nullopt, the ticket is read after it).
    std::function<std::optional<ticket>(const resp_value& reply)> known;
    // With `known`, asked once the call is planned: true when the call will likely move the
    // ticket further than planned in a way its reply does not describe (a create with a
    // preferred agent), so that the read rides behind the call instead of costing a round trip
    // after it. Its reply goes unread when `known` answers after all.
    std::function<bool()> read_along;
  };

  // `plan` (with its keys and settings) also stores the configuration when Redis lost it; `now`
  // is the request's time.
  operation(const planner& p, std::int64_t now, plan_fn plan, options o);

  bool done() const { return state_ == state::done; }
  // The commands to send now, in one write; their replies come back in this order.
  std::span<const command> batch() const { return batch_; }
  // The replies to batch(), one each, in order.
  void receive(std::vector<resp_value> replies);
  void fail(const transport_failure& f);
  // Done, but what it wrote (or what an earlier attempt wrote, for a repeat) was not confirmed
  // as the configuration asks (redis.wait_replicas): it fails as maybe applied, saying `why`.
  void unconfirmed(std::string why);
  // Once done, without moving it out: why it failed, or (when it did not) what it came to.
  const std::optional<error>& failure() const { return error_; }
  call_outcome& result() { return done_; }
  // The request's Idempotency-Key (empty: none).
  std::string_view idempotency_key() const { return opts_.idem.key; }

 private:
  enum class state { checking_kept, reading, calling, reading_back, configuring, done };

  void read_first();
  void call();
  void finish();         // done_ is the outcome
  void finish(error e);  // this error is
  void on_read(resp_value snapshot);
  void on_call(std::vector<resp_value> replies);
  // Reads ticket `id` after the call (done_ holds what it came to).
  void read_back(std::string id);
  // Decodes ticket `id`, read with ticket_get_command, into `into` in place (moves of a ticket
  // add up); false, having finished with the error, when it is not there or not a ticket.
  bool take_ticket(std::optional<ticket>& into, std::string_view id, const resp_value& reply);
  // The id of the ticket the reply picked (next), if any.
  static std::optional<std::string> picked_id(const resp_value& reply);

  const planner& planner_;
  std::int64_t now_;
  plan_fn plan_;
  options opts_;
  state state_ = state::done;
  std::vector<command> batch_;
  // The call Redis answered TICKETD_UNCONFIGURED, sent again once the settings are stored.
  std::vector<command> unconfigured_;
  bool reconfigured_ = false;
  int stale_rounds_ = 0;
  std::optional<ticket> snapshot_;
  std::string picked_;  // the ticket the reply picked, read back
  call_outcome done_;   // what the call came to (and the ticket shown, once known)
  std::optional<error> error_;
};

// How much of the ticket an action's answer shows: all of it (the HTTP API), or only its id,
// status, version and holder (an agent's stream, whose reply frame carries its status and
// version). Brief, an accept (offered -> assigned, always) is answered from the function's reply,
// the new version, without reading the ticket back; any other action reads it as `full` does.
enum class action_view { full, brief };

// The operations of the API, from validated requests. `idem` is the request's
// Idempotency-Key (empty: none).
operation create_operation(const planner& p, const create_request& r, std::int64_t now,
                           idempotency idem = {});
operation action_operation(const planner& p, ticket_action a, std::string_view id,
                           std::optional<std::int64_t> if_match, const action_request& r,
                           std::int64_t now, idempotency idem = {},
                           action_view view = action_view::full);
// PATCH: planned from the ticket as it is, answered with the ticket as the call left it.
operation patch_operation(const planner& p, std::string_view id,
                          std::optional<std::int64_t> if_match, const patch_request& r,
                          std::int64_t now, idempotency idem = {});
operation next_operation(const planner& p, std::string_view agent, std::int64_t now,
                         idempotency idem = {});
// Any other function call (agents, queues, delete, tick, verify): shows no ticket. `call` was
// built with `idem` in its header (planner::base).
operation call_operation(const planner& p, command call, std::int64_t now, idempotency idem = {});

// The error of a batch that failed in transport; `maybe_applied` when a function in it may have
// run.
error unavailable(const transport_failure& f, bool maybe_applied);

// What the API makes of them, once done (the ticket moves out of the operation).
outcome<create_result> create_result_of(operation& op);
outcome<ticket_result> ticket_result_of(operation& op);
struct pulled {
  std::optional<ticket_result> ticket;  // nullopt: nothing waits for the agent
  bool replayed = false;
};
outcome<pulled> next_result_of(operation& op);

}  // namespace ticketd::routing
