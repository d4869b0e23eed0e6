#include "routing/operation.hpp"

#include <memory>
#include <utility>

namespace ticketd::routing {
namespace {

// Another writer moving the same ticket between our read and our call is rare; a few rounds
// settle it, and a ticket that keeps moving gets a conflict the client can retry.
constexpr int max_stale_rounds = 5;

// {'kept' | 'replayed', reply, ticket fields}: what a writing function answers under an
// Idempotency-Key.
struct kept_answer {
  resp_value reply;
  resp_value fields;
  bool replayed = false;
};

std::optional<kept_answer> unwrap_kept(resp_value& reply) {
  if (!reply.is_array() || reply.elements.size() != 3) return std::nullopt;
  const auto& marker = reply.elements[0].str;
  if (marker != "kept" && marker != "replayed") return std::nullopt;
  return kept_answer{std::move(reply.elements[1]), std::move(reply.elements[2]),
                     marker == "replayed"};
}

}  // namespace

error unavailable(const transport_failure& f, bool maybe_applied) {
  error e = make_error(
      errc::unavailable,
      maybe_applied ? "Redis did not answer (" + f.message +
                          "); the change may have been applied: repeat the request with the same "
                          "Idempotency-Key to learn its outcome"
                    : "Redis is unavailable (" + f.message + "); nothing was applied");
  e.details.emplace_back("maybe_applied", maybe_applied ? "true" : "false");
  return e;
}

operation::operation(const planner& p, std::int64_t now, plan_fn plan, options o)
    : planner_(p), now_(now), plan_(std::move(plan)), opts_(std::move(o)) {
  if (opts_.read_first && !opts_.idem.empty()) {
    // A repeat is answered as the first was, before a plan from the ticket as it is now (moved
    // on by that first request) could refuse it; the ticket is read in the same write, for a
    // first request.
    state_ = state::checking_kept;
    batch_.push_back(kept_call(planner_.base(now_, opts_.idem)));
    batch_.push_back(ticket_get_command(planner_.keys(), opts_.id));
  } else if (opts_.read_first) {
    read_first();
  } else {
    call();
  }
}

void operation::read_first() {
  state_ = state::reading;
  batch_.clear();
  batch_.push_back(ticket_get_command(planner_.keys(), opts_.id));
}

void operation::call() {
  auto cmd = plan_(snapshot_ ? &*snapshot_ : nullptr);
  if (!cmd) {
    finish(cmd.error());
    return;
  }
  state_ = state::calling;
  batch_.clear();
  batch_.push_back(std::move(*cmd));
  // The named ticket rides behind the call in the same write: nothing of this connection runs
  // in between, and no round trip is added.
  if (opts_.show == shows::named && opts_.idem.empty() &&
      (!opts_.known || (opts_.read_along && opts_.read_along()))) {
    batch_.push_back(ticket_get_command(planner_.keys(), opts_.id));
  }
}

void operation::finish() {
  state_ = state::done;
  batch_.clear();
}

void operation::finish(error e) {
  error_ = std::move(e);
  finish();
}

void operation::unconfirmed(std::string why) {
  finish(unavailable(transport_failure{std::move(why), true}, true));
}

void operation::fail(const transport_failure& f) {
  // The function call may have run when its batch reached Redis; one that answered (its ticket
  // is being read back) has: a failed read-back cannot undo it.
  finish(unavailable(f, state_ == state::reading_back || (f.written && state_ == state::calling)));
}

void operation::receive(std::vector<resp_value> replies) {
  if (replies.size() != batch_.size()) {
    finish(make_error(errc::internal, "operation: a reply is missing"));
    return;
  }
  switch (state_) {
    case state::checking_kept:
      if (auto e = reply_error(replies[0])) {
        finish(std::move(*e));
        return;
      }
      if (replies[0].is_nil()) {
        on_read(std::move(replies[1]));  // a first request
        return;
      }
      on_call(std::move(replies));
      return;
    case state::reading:
      on_read(std::move(replies[0]));
      return;
    case state::calling:
      on_call(std::move(replies));
      return;
    case state::reading_back:
      if (take_ticket(done_.value, picked_, replies[0])) finish();
      return;
    case state::configuring:
      if (auto e = reply_error(replies[0])) {
        finish(std::move(*e));
        return;
      }
      // The same call again: it wrote nothing, and its plan stands.
      state_ = state::calling;
      batch_ = std::move(unconfigured_);
      return;
    case state::done:
      return;
  }
}

bool operation::take_ticket(std::optional<ticket>& into, std::string_view id,
                            const resp_value& reply) {
  if (auto e = decode_ticket_reply_into(into.emplace(), id, reply)) {
    into.reset();
    finish(std::move(*e));
    return false;
  }
  return true;
}

void operation::on_read(resp_value reply) {
  if (!take_ticket(snapshot_, opts_.id, reply)) return;
  // Under an Idempotency-Key a repeat that raced the first request (neither found an answer
  // kept) must reach the function, which answers what the first did: the ticket moved since.
  if (opts_.if_match && *opts_.if_match != snapshot_->version && opts_.idem.empty()) {
    error e = make_error(errc::version_mismatch, {});
    e.details.emplace_back("version", std::to_string(snapshot_->version));
    snapshot_.reset();
    finish(std::move(e));
    return;
  }
  call();
}

void operation::on_call(std::vector<resp_value> replies) {
  resp_value& reply = replies[0];
  if (auto e = reply_error(reply)) {
    if (e->code == errc::stale && opts_.read_first && ++stale_rounds_ < max_stale_rounds) {
      read_first();
      return;
    }
    if (e->code == errc::unconfigured && !reconfigured_ && state_ == state::calling) {
      // Redis lost this configuration's settings (a flush, a new server): store them and send
      // the call again (once).
      reconfigured_ = true;
      unconfigured_ = std::move(batch_);
      state_ = state::configuring;
      batch_.clear();
      batch_.push_back(configure_call(planner_.base(now_)));
      return;
    }
    finish(std::move(*e));
    return;
  }
  // The outcome is built where result() hands it over: a ticket is large, and moves add up.
  if (!opts_.idem.empty()) {
    auto kept = unwrap_kept(reply);
    if (!kept) {
      finish(make_error(errc::internal, "unexpected reply from Redis: bad idempotent reply"));
      return;
    }
    done_.reply = std::move(kept->reply);
    done_.replayed = kept->replayed;
    if (kept->fields.is_array() && !kept->fields.elements.empty()) {
      const auto id = opts_.show == shows::picked ? picked_id(done_.reply) : std::string{opts_.id};
      done_.value = decode_ticket(id.value_or(std::string{}), kept->fields);
    }
    finish();
    return;
  }
  done_.reply = std::move(reply);
  if (opts_.show == shows::named && !opts_.known) {
    if (!take_ticket(done_.value, opts_.id, replies[1])) return;
  } else if (opts_.show == shows::named) {
    done_.value = opts_.known(done_.reply);
    if (!done_.value) {
      if (replies.size() < 2) {
        read_back(std::string{opts_.id});
        return;
      }
      if (!take_ticket(done_.value, opts_.id, replies[1])) return;
    }
  } else if (opts_.show == shows::picked) {
    if (auto id = picked_id(done_.reply)) {
      // The function chose the ticket, so its id is known only now: one more round trip,
      // which costs Redis less than passing the hash through Lua.
      read_back(std::move(*id));
      return;
    }
  }
  finish();
}

void operation::read_back(std::string id) {
  picked_ = std::move(id);
  state_ = state::reading_back;
  batch_.clear();
  batch_.push_back(ticket_get_command(planner_.keys(), picked_));
}

std::optional<std::string> operation::picked_id(const resp_value& reply) {
  const resp_value* first = reply_result(reply);
  if (first == nullptr || !first->is_string() || first->str.empty()) return std::nullopt;
  return first->str;
}

// The operations of the API ------------------------------------------------------------------

operation create_operation(const planner& p, const create_request& r, std::int64_t now,
                           idempotency idem) {
  // The planned ticket, kept for after the call: unless the call changed it further (the
  // customer's agent or a preferred agent keeps it waiting, an overflow due at once) or found it
  // there already, it is what Redis holds, with the hand-out the reply describes when push
  // routing or the customer's agent took it at once.
  auto planned = std::make_shared<std::optional<planner::planned_create>>();
  operation::options o;
  o.id = r.id;
  o.show = operation::shows::named;
  o.idem = idem;
  o.known = [planned, now](const resp_value& reply) -> std::optional<ticket> {
    // `created`: stored as planned; `handed`: so, and handed out as the reply describes
    // ('routed' moved it further, 'existing' found another: they are read). Used once, after the
    // call: the planned ticket moves into the answer.
    const resp_value* word = reply_result(reply);
    if (!*planned || word == nullptr) return std::nullopt;
    ticket& t = (*planned)->value;
    if (word->str == "created" || apply_handed(t, reply, now)) return std::move(t);
    return std::nullopt;
  };
  o.read_along = [planned] { return *planned && (*planned)->moves_on; };
  return operation(
      p, now,
      [&p, &r, now, idem, planned](const ticket*) -> outcome<command> {
        auto plan = p.create(r, now, idem);
        if (!plan) return plan.error();
        *planned = std::move(*plan);
        return std::move((*planned)->call);
      },
      o);
}

operation action_operation(const planner& p, ticket_action a, std::string_view id,
                           std::optional<std::int64_t> if_match, const action_request& r,
                           std::int64_t now, idempotency idem, action_view view) {
  operation::options o;
  o.id = id;
  o.read_first = planner::needs_snapshot(a);
  o.if_match = if_match;
  o.show = operation::shows::named;
  o.idem = idem;
  if (view == action_view::brief && a == ticket_action::accept && idem.empty()) {
    // The accepting agent holds it, assigned, at the version the function answers: what a
    // brief answer shows, without Redis reading the ticket's hash out for it.
    o.known = [id, agent = r.agent](const resp_value& reply) -> std::optional<ticket> {
      auto done = decode_action(reply);
      if (!done || done->version <= 0) return std::nullopt;  // read back, as a full answer is
      std::optional<ticket> t{std::in_place};
      t->id = id;
      t->status = ticket_status::assigned;
      t->version = done->version;
      t->assignee = agent;
      t->last_agent = agent;
      return t;
    };
  }
  return operation(
      p, now,
      [&p, a, id, if_match, &r, now, idem](const ticket* snapshot) {
        return p.action(a, id, if_match, r, snapshot, now, idem);
      },
      o);
}

operation patch_operation(const planner& p, std::string_view id,
                          std::optional<std::int64_t> if_match, const patch_request& r,
                          std::int64_t now, idempotency idem) {
  operation::options o;
  o.id = id;
  o.read_first = true;
  o.if_match = if_match;
  o.show = operation::shows::named;
  o.idem = idem;
  return operation(
      p, now,
      [&p, if_match, &r, now, idem](const ticket* snapshot) -> outcome<command> {
        return p.patch(*snapshot, if_match, r, now, idem);
      },
      o);
}

operation next_operation(const planner& p, std::string_view agent, std::int64_t now,
                         idempotency idem) {
  operation::options o;
  o.show = operation::shows::picked;
  o.idem = idem;
  return operation(
      p, now,
      [&p, agent, now, idem](const ticket*) -> outcome<command> {
        return next_call(p.base(now, idem), agent);
      },
      o);
}

operation call_operation(const planner& p, command call, std::int64_t now, idempotency idem) {
  operation::options o;
  o.idem = idem;
  // Planned once: only a read-first operation plans again (after TICKETD_STALE).
  return operation(
      p, now,
      [call = std::move(call)](const ticket*) mutable -> outcome<command> {
        return std::move(call);
      },
      o);
}

// The results below name one variable in every return: GCC elides the copy of a named result
// only then, and each move of a ticket costs about as much as decoding a few of its fields.

outcome<create_result> create_result_of(operation& op) {
  auto& r = op.result();
  outcome<create_result> out =
      op.failure() ? outcome<create_result>{*op.failure()} : decode_create(r.reply);
  if (out && !r.value) out = make_error(errc::internal, "create: the ticket was not read back");
  if (out) {
    out->value = std::move(*r.value);
    out->replayed = r.replayed;
  }
  return out;
}

outcome<ticket_result> ticket_result_of(operation& op) {
  outcome<ticket_result> out;
  auto& r = op.result();
  auto done = op.failure() ? outcome<action_result>{*op.failure()} : decode_action(r.reply);
  if (!done) {
    out = done.error();
  } else if (!r.value) {
    out = make_error(errc::internal, "action: the ticket was not read back");
  } else {
    out->value = std::move(*r.value);
    out->assignments = std::move(done->assignments);
    out->replayed = r.replayed;
  }
  return out;
}

outcome<pulled> next_result_of(operation& op) {
  outcome<pulled> out;
  auto& r = op.result();
  auto picked = op.failure() ? outcome<next_result>{*op.failure()} : decode_next(r.reply);
  if (!picked) {
    out = picked.error();
  } else if (picked->id && !r.value) {
    out = make_error(errc::internal, "next: the ticket was not read back");
  } else {
    out->replayed = r.replayed;
    if (picked->id) {
      // Member by member: clang 14 (the fuzz build) has no aggregate init from parentheses.
      auto& t = out->ticket.emplace();
      t.value = std::move(*r.value);
      t.assignments = std::move(picked->assignments);
      t.replayed = r.replayed;
    }
  }
  return out;
}

}  // namespace ticketd::routing
