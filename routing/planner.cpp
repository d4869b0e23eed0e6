#include "routing/planner.hpp"

#include <algorithm>

#include "routing/rank.hpp"
#include "routing/rules.hpp"

namespace ticketd::routing {
namespace {

// A created_at this far ahead of our clock is a client clock problem, not a future ticket.
constexpr std::int64_t max_clock_skew_ms = 5 * 60 * 1000;
// 2000-01-01T00:00:00Z: an earlier created_at is a client bug (a zero time, seconds for ms).
constexpr std::int64_t min_created_at_ms = 946'684'800'000;

error field_error(errc code, std::string_view field, std::string message) {
  error e{code, std::move(message), {}};
  e.details.emplace_back("field", std::string{field});
  return e;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out.push_back(',');
    out.append(item);
  }
  return out;
}

std::optional<std::int64_t> earliest(std::optional<std::int64_t> a, std::optional<std::int64_t> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

// A target due at `due` that paused at `paused_at` and runs again from `resumes_at`: due with
// the time it had left (nullopt when it was not running).
std::optional<std::int64_t> carried(const sla_clock& sla, std::optional<std::int64_t> due,
                                    std::optional<std::int64_t> paused_at, std::int64_t resumes_at,
                                    config::time_basis basis) {
  if (!due || !paused_at) return std::nullopt;
  return sla.resume(resumes_at, sla.remaining(*paused_at, *due, basis), basis);
}

// When the ticket's wait began: given back to a queue (release, transfer, escalation), it keeps
// waiting from there.
std::int64_t waiting_since(const ticket& t, std::int64_t now) {
  return t.queued_at > 0 ? t.queued_at : now;
}

// Target `target`'s due time `due`, counted at `at` (now; when it paused; when it wakes), moved
// from priority `from` to `to` with the time already spent counting. A priority a reload
// removed has no targets: the new one then counts from the target's start, `started`.
std::optional<std::int64_t> retargeted(const sla_clock& sla, const config::priority_config* from,
                                       const config::priority_config& to,
                                       std::optional<std::int64_t> due,
                                       config::span config::priority_config::*target,
                                       std::int64_t at, std::int64_t started) {
  if (!due) return std::nullopt;
  if (from != nullptr) return sla.retarget(at, *due, from->*target, to.*target);
  return sla.add(started, to.*target);
}

std::size_t priority_index(const config::config& cfg, std::string_view name) {
  for (std::size_t i = 0; i < cfg.priorities.size(); ++i) {
    if (cfg.priorities[i].name == name) return i;
  }
  return cfg.priorities.size();
}

}  // namespace

outcome<const config::queue_config*> planner::known_queue(std::string_view name,
                                                          std::string_view field) const {
  const auto* q = cfg_.find_queue(name);
  if (q == nullptr) {
    error e = field_error(errc::not_found, field, "no queue '" + std::string{name} + "'");
    e.details.emplace_back("queue", std::string{name});
    return e;
  }
  return q;
}

std::int64_t planner::rank_in(const config::queue_config& q, const ticket& t,
                              std::int64_t wait_start) const {
  const auto due = t.next_due().value_or(wait_start);
  return compute_rank(due, wait_start, q.wait_weight, q.rank_offset.count());
}

outcome<planner::planned_create> planner::create(const create_request& r, std::int64_t now,
                                                 idempotency idem) const {
  const ticket_facts facts{r.channel, r.skills, r.attributes};
  const route chosen = route_ticket(cfg_, facts, r.queue, r.priority);
  if (chosen.queue == nullptr) {
    auto q = known_queue(r.queue, "queue");
    return q.error();
  }
  if (chosen.priority == nullptr) {
    return field_error(errc::invalid_argument, "priority", "unknown priority '" + r.priority + "'");
  }
  const std::int64_t created = r.created_at.value_or(now);
  if (created > now + max_clock_skew_ms) {
    return field_error(errc::invalid_argument, "created_at", "created_at is in the future");
  }
  if (created < min_created_at_ms) {
    return field_error(errc::invalid_argument, "created_at",
                       "created_at must be in the year 2000 or later");
  }
  const auto requirements = combined(chosen.require, r.requirements);
  for (const auto& req : requirements) {
    if (!cfg_.knows_skill(req.skill)) {
      return field_error(errc::invalid_argument, "requires",
                         "no skill named '" + req.skill + "' (skills: declares them)");
    }
  }
  const std::string requires_text = format_requirements(requirements);
  const auto dues = sla_.dues_for_new_ticket(*chosen.priority, created);
  const auto due = std::min(dues.first_reply, dues.resolution);
  const std::string skills = join(r.skills);
  create_args a;
  a.id = r.id;
  a.fingerprint = r.fingerprint;
  a.queue = chosen.queue->name;
  a.priority = chosen.priority->name;
  a.channel = r.channel;
  a.skills = skills;
  a.attributes = r.attributes_json;
  a.created_at = created;
  a.first_reply_due = dues.first_reply;
  a.resolution_due = dues.resolution;
  // The customer has waited since the ticket was created, not since ticketd heard of it.
  a.rank = compute_rank(due, created, chosen.queue->wait_weight, chosen.queue->rank_offset.count());
  // The first SLA firing: the earlier target's warning, or its breach when nothing warns.
  a.sla_timer = due - cfg_.sla.warn_before.count();
  a.requirements = requires_text;
  a.customer = r.customer;
  const std::string preference_text =
      r.preferred ? format_preference(r.preferred->for_ms, r.preferred->agents) : std::string{};
  a.preference = preference_text;
  a.request = r.body;
  // The ticket as create.lua writes it (tests/integration/engine_lifecycle_test.cpp holds the
  // two to the same rendering).
  planned_create out{create_call(base(now, idem), a), {}};
  // A preferred agent takes it or keeps it waiting. (A push queue with room hands it out in the
  // call, which the reply describes: apply_handed.)
  out.moves_on = r.preferred.has_value();
  ticket& t = out.value;
  t.id = r.id;
  t.status = ticket_status::queued;
  t.queue = chosen.queue->name;
  t.queues = {t.queue};
  t.priority = chosen.priority->name;
  t.channel = r.channel;
  t.skills = r.skills;
  t.attributes_json = r.attributes_json;
  t.requirements = requirements;
  t.customer = r.customer;
  t.preferred = r.preferred;
  t.score = score_of_rank(a.rank);
  t.first_reply_due = dues.first_reply;
  t.resolution_due = dues.resolution;
  t.version = 1;
  t.created_at = created;
  t.queued_at = created;
  t.updated_at = created;  // no change yet: updated when it began to wait
  t.fingerprint = r.fingerprint;
  return out;
}

bool planner::needs_snapshot(ticket_action a) {
  switch (a) {
    case ticket_action::customer_reply:
    case ticket_action::reopen:
    case ticket_action::postpone:
    case ticket_action::release:
    case ticket_action::transfer:
    case ticket_action::escalate:
    case ticket_action::reassign:
      return true;
    default:
      return false;
  }
}

outcome<return_args> planner::returning(const ticket& t, std::int64_t now) const {
  const auto* q = cfg_.find_queue(t.queue);
  const auto* p = cfg_.find_priority(t.priority);
  if (q == nullptr || p == nullptr) {
    // The configuration dropped the ticket's queue or priority since it was created.
    return make_error(errc::conflict, "the ticket's queue '" + t.queue + "' or priority '" +
                                          t.priority + "' is no longer configured; transfer it");
  }
  // Paused targets resume with the time they had left when they paused.
  const auto [first_reply, next_reply] = resumed_reply_targets(t, now);
  return_args r;
  r.first_reply_due = first_reply;
  r.next_reply_due = earliest(earliest(t.next_reply_due, next_reply), sla_.add(now, p->next_reply));
  r.resolution_due = carried(sla_, t.paused_resolution, t.paused_at, now, p->resolution.basis);
  ticket next = t;
  if (r.first_reply_due) next.first_reply_due = r.first_reply_due;
  next.next_reply_due = r.next_reply_due;
  if (r.resolution_due) next.resolution_due = r.resolution_due;
  r.rank = rank_in(*q, next, now);
  r.affinity_until = sla_.add(now, cfg_.lifecycle.affinity_wait);
  return r;
}

cadence planner::cadence_from(std::int64_t now) const {
  const auto& l = cfg_.lifecycle;
  cadence c;
  for (const auto& span : l.followups) c.followups.push_back(sla_.add(now, span));
  if (l.resolve_after) {
    c.resolve_at = sla_.add(now, *l.resolve_after);
    c.reopen_until = sla_.add(*c.resolve_at, l.reopen_window);
    c.close_at = sla_.add(*c.resolve_at, l.close_after);
  }
  return c;
}

outcome<command> planner::escalate(const call_base& b, const ticket_ref& ref,
                                   const action_request& r, const ticket& t) const {
  const std::int64_t now = b.now_ms;
  std::string_view target = r.queue;
  if (target.empty()) {
    const auto* current = cfg_.find_queue(t.queue);
    if (current == nullptr || !current->escalate_to) {
      return field_error(errc::invalid_argument, "queue",
                         "queue '" + t.queue + "' has no escalate_to; name the queue");
    }
    target = *current->escalate_to;
  }
  auto q = known_queue(target, "queue");
  if (!q) return q.error();
  escalate_args e;
  e.queue = (*q)->name;
  e.reason = r.reason;
  ticket next = t;
  if (!r.priority.empty()) {
    const auto* p = cfg_.find_priority(r.priority);
    if (p == nullptr) {
      return field_error(errc::invalid_argument, "priority",
                         "unknown priority '" + r.priority + "'");
    }
    if (priority_index(cfg_, p->name) > priority_index(cfg_, t.priority)) {
      return field_error(errc::invalid_argument, "priority",
                         "escalation cannot lower the priority from " + t.priority);
    }
    // Running targets move to the new priority's: the time already spent counts against the
    // new, shorter target (not from zero).
    e.priority = p->name;
    const auto* old = cfg_.find_priority(t.priority);
    const auto moved = [&](std::optional<std::int64_t> due,
                           config::span config::priority_config::*target,
                           std::optional<std::int64_t> started) {
      return retargeted(sla_, old, *p, due, target, now, started.value_or(t.created_at));
    };
    e.first_reply_due = next.first_reply_due =
        moved(t.first_reply_due, &config::priority_config::first_reply, t.created_at);
    e.next_reply_due = next.next_reply_due =
        moved(t.next_reply_due, &config::priority_config::next_reply, t.last_customer_reply_at);
    e.resolution_due = next.resolution_due =
        moved(t.resolution_due, &config::priority_config::resolution, t.created_at);
  }
  e.rank = rank_in(**q, next, waiting_since(t, now));
  return escalate_call(b, ref, e);
}

std::array<std::optional<std::int64_t>, 2> planner::resumed_reply_targets(const ticket& t,
                                                                          std::int64_t now) const {
  return {carried(sla_, t.paused_first_reply, t.paused_at, now,
                  basis_of(t.priority, &config::priority_config::first_reply)),
          carried(sla_, t.paused_next_reply, t.paused_at, now,
                  basis_of(t.priority, &config::priority_config::next_reply))};
}

config::time_basis planner::basis_of(std::string_view priority,
                                     config::span config::priority_config::*target) const {
  // A priority no longer configured counts wall time.
  const auto* p = cfg_.find_priority(priority);
  return p != nullptr ? (p->*target).basis : config::time_basis::wall;
}

outcome<command> planner::action(ticket_action a, std::string_view id,
                                 std::optional<std::int64_t> if_match, const action_request& r,
                                 const ticket* snapshot, std::int64_t now, idempotency idem) const {
  ticket_ref ref{id, if_match,
                 snapshot != nullptr ? std::optional{snapshot->version} : std::nullopt};
  const call_base b = base(now, idem);
  if (needs_snapshot(a) && snapshot == nullptr) {
    return make_error(errc::internal, "planner: action needs the ticket's snapshot");
  }
  switch (a) {
    case ticket_action::accept:
      return accept_call(b, ref, r.agent, r.token);
    case ticket_action::reject:
      return reject_call(b, ref, r.agent, r.reason, r.token);
    case ticket_action::reply:
      return reply_call(b, ref, r.agent, format_cadence(cadence_from(now)));
    case ticket_action::resolve:
      return resolve_call(b, ref, r.reason.empty() ? std::string_view{"agent"} : r.reason,
                          sla_.add(now, cfg_.lifecycle.reopen_window),
                          sla_.add(now, cfg_.lifecycle.close_after));
    case ticket_action::close:
      return close_call(b, ref);
    case ticket_action::reassign: {
      // Reassigning a postponed ticket ends its postponement: the reply targets run again from
      // now with the time they had left.
      std::array<std::optional<std::int64_t>, 2> resumed{};
      if (snapshot->status == ticket_status::postponed) {
        resumed = resumed_reply_targets(*snapshot, now);
      }
      return reassign_call(b, ref, r.agent,
                           r.force ? force_mode::force : force_mode::respect_capacity, resumed);
    }
    case ticket_action::customer_reply:
    case ticket_action::reopen: {
      auto ret = returning(*snapshot, now);
      if (!ret) return ret.error();
      return a == ticket_action::reopen ? reopen_call(b, ref, *ret)
                                        : customer_reply_call(b, ref, *ret);
    }
    case ticket_action::postpone: {
      if (!r.until) return field_error(errc::invalid_argument, "until", "until is required");
      if (*r.until <= now) {
        return field_error(errc::invalid_argument, "until", "until must be in the future");
      }
      // The reply targets pause until the wake-up, and resume with what they had left.
      ticket woken = *snapshot;
      woken.first_reply_due =
          carried(sla_, snapshot->first_reply_due, now, *r.until,
                  basis_of(snapshot->priority, &config::priority_config::first_reply));
      woken.next_reply_due =
          carried(sla_, snapshot->next_reply_due, now, *r.until,
                  basis_of(snapshot->priority, &config::priority_config::next_reply));
      const auto* q = cfg_.find_queue(snapshot->queue);
      // A queue a reload removed has no weights: the wake-up time is the rank, in rank range.
      const auto wake_rank = q != nullptr ? rank_in(*q, woken, *r.until) : clamp_rank(*r.until);
      return postpone_call(b, ref, *r.until, wake_rank,
                           {woken.first_reply_due, woken.next_reply_due});
    }
    case ticket_action::release: {
      auto q = known_queue(snapshot->queue, "queue");
      if (!q) return q.error();
      return release_call(b, ref, r.agent, rank_in(**q, *snapshot, waiting_since(*snapshot, now)));
    }
    case ticket_action::transfer: {
      auto q = known_queue(r.queue, "queue");
      if (!q) return q.error();
      return transfer_call(b, ref, (*q)->name,
                           rank_in(**q, *snapshot, waiting_since(*snapshot, now)));
    }
    case ticket_action::escalate:
      return escalate(b, ref, r, *snapshot);
  }
  return make_error(errc::internal, "planner: unknown action");
}

outcome<command> planner::patch(const ticket& t, std::optional<std::int64_t> if_match,
                                const patch_request& r, std::int64_t now, idempotency idem) const {
  if (t.status == ticket_status::closed) {
    error e = field_error(errc::conflict, "status", "a closed ticket does not change");
    e.details.emplace_back("status", "closed");
    return e;
  }
  patch_args p;
  const std::string skills = r.skills ? join(*r.skills) : std::string{};
  if (r.channel) p.channel = *r.channel;
  if (r.skills) p.skills = skills;
  if (r.attributes_json) p.attributes = *r.attributes_json;
  std::string requirements;
  if (r.requirements) {
    for (const auto& req : *r.requirements) {
      if (!cfg_.knows_skill(req.skill)) {
        return field_error(errc::invalid_argument, "requires",
                           "no skill named '" + req.skill + "' (skills: declares them)");
      }
    }
    requirements = format_requirements(*r.requirements);
    p.requirements = requirements;
  }
  std::string preference;
  if (r.preferred) {
    if (*r.preferred)
      preference = format_preference((*r.preferred)->for_ms, (*r.preferred)->agents);
    p.preference = preference;
  }
  if (r.priority && *r.priority != t.priority) {
    const auto* to = cfg_.find_priority(*r.priority);
    if (to == nullptr) {
      return field_error(errc::invalid_argument, "priority",
                         "unknown priority '" + *r.priority + "'");
    }
    p.priority = to->name;
    const auto* from = cfg_.find_priority(t.priority);
    using target_ptr = config::span config::priority_config::*;
    // Nullopt when a due time does not move, which keeps its warning and breach as they fired.
    const auto moved = [&](std::optional<std::int64_t> due, target_ptr target, std::int64_t at,
                           std::int64_t started) -> std::optional<std::int64_t> {
      const auto to_due = retargeted(sla_, from, *to, due, target, at, started);
      if (to_due == due) return std::nullopt;
      return to_due;
    };
    const std::array<target_ptr, 3> targets{&config::priority_config::first_reply,
                                            &config::priority_config::next_reply,
                                            &config::priority_config::resolution};
    const std::array<std::int64_t, 3> started{
        t.created_at, t.last_customer_reply_at.value_or(t.created_at), t.created_at};
    const std::array running{t.first_reply_due, t.next_reply_due, t.resolution_due};
    const std::array paused{t.paused_first_reply, t.paused_next_reply, t.paused_resolution};
    for (std::size_t n = 0; n < 3; ++n) {
      p.dues[n] = moved(running[n], targets[n], now, started[n]);
      if (t.paused_at) p.paused[n] = moved(paused[n], targets[n], *t.paused_at, started[n]);
    }
    ticket next = t;
    next.priority = to->name;
    next.first_reply_due = p.dues[0] ? p.dues[0] : t.first_reply_due;
    next.next_reply_due = p.dues[1] ? p.dues[1] : t.next_reply_due;
    next.resolution_due = p.dues[2] ? p.dues[2] : t.resolution_due;
    const auto* home = cfg_.find_queue(t.queue);
    if (home != nullptr &&
        (t.status == ticket_status::queued || t.status == ticket_status::offered)) {
      p.rank = rank_in(*home, next, waiting_since(t, now));
    }
    if (t.status == ticket_status::postponed && t.postponed_until) {
      const std::int64_t wake = *t.postponed_until;
      p.wake[0] = moved(t.wake_first_reply, targets[0], wake, started[0]);
      p.wake[1] = moved(t.wake_next_reply, targets[1], wake, started[1]);
      ticket woken = next;
      woken.first_reply_due = p.wake[0] ? p.wake[0] : t.wake_first_reply;
      woken.next_reply_due = p.wake[1] ? p.wake[1] : t.wake_next_reply;
      if (home != nullptr) p.wake_rank = rank_in(*home, woken, wake);
    }
  }
  const ticket_ref ref{t.id, if_match, t.version};
  return patch_call(base(now, idem), ref, p);
}

std::optional<error> planner::check_channel(std::string_view channel,
                                            std::string_view field) const {
  if (cfg_.channels.empty()) {
    return field_error(errc::invalid_argument, field,
                       "presence by channel needs `channels` in the configuration");
  }
  if (channel != "default" && cfg_.find_channel(channel) == nullptr) {
    std::string names;
    for (const auto& ch : cfg_.channels) names.append(names.empty() ? "" : ", ").append(ch.name);
    return field_error(errc::invalid_argument, field,
                       "no channel named '" + std::string{channel} + "' (channels: " + names + ")");
  }
  return std::nullopt;
}

outcome<command> planner::put_agent(std::string_view id, const agent_request& r, std::int64_t now,
                                    idempotency idem) const {
  std::string presence;
  if (r.channels_named && cfg_.channels.empty()) {
    if (auto e = check_channel("default", "channels")) return *e;
  }
  for (const auto& [channel, status] : r.channels) {
    if (auto e = check_channel(channel, "channels")) return *e;
    presence.append(presence.empty() ? "" : ",")
        .append(channel)
        .append("=")
        .append(to_string(status));
  }
  for (const auto& q : r.queues) {
    if (cfg_.find_queue(q) == nullptr) {
      error e = field_error(errc::not_found, "queues", "no queue '" + q + "'");
      e.details.emplace_back("queue", q);
      return e;
    }
  }
  for (const auto& s : r.skills) {
    if (!cfg_.knows_skill(s.name)) {
      return field_error(errc::invalid_argument, "skills",
                         "no skill named '" + s.name + "' (skills: declares them)");
    }
  }
  const std::string queues = join(r.queues);
  const std::string skills = format_skills(r.skills);
  const std::string effective = join(effective_queues(cfg_, r.queues, skill_names(r.skills)));
  agent_put_args a;
  a.id = id;
  a.name = r.name;
  a.queues = queues;
  a.skills = skills;
  a.effective_queues = effective;
  a.max_concurrent = r.max_concurrent;
  a.status = r.status ? to_string(*r.status) : std::string_view{};
  a.capacity = r.capacity;
  a.channels = presence;
  return agent_put_call(base(now, idem), a);
}

}  // namespace ticketd::routing
