#include "daemon/api/render.hpp"

#include "routing/rank.hpp"

namespace ticketd::daemon::api {
namespace {

std::string_view mode_name(config::queue_mode m) {
  return m == config::queue_mode::push ? "push" : "pull";
}

std::optional<std::int64_t> wait_seconds(const std::optional<std::int64_t>& oldest_s,
                                         std::int64_t now_ms) {
  if (!oldest_s) return std::nullopt;
  return std::max<std::int64_t>(0, now_ms / 1000 - *oldest_s);
}

// A text that may be empty: null when it is.
void write_text_or_null(json_writer& w, std::string_view text) {
  if (text.empty()) {
    w.null();
  } else {
    w.string(text);
  }
}

void write_optional_number(json_writer& w, const std::optional<std::int64_t>& v) {
  if (v) {
    w.number(*v);
  } else {
    w.null();
  }
}

// "assignment" (the first) and "assignments" (when several) inside an open object.
void write_assignments(json_writer& w, std::span<const routing::assignment> assignments) {
  if (assignments.empty()) return;
  w.key("assignment");
  write_assignment(w, assignments.front());
  if (assignments.size() > 1) {
    w.key("assignments").begin_array();
    for (const auto& a : assignments) write_assignment(w, a);
    w.end_array();
  }
}

}  // namespace

void write_assignment(json_writer& w, const routing::assignment& a) {
  w.begin_object();
  w.field("ticket", a.ticket);
  w.field("agent", a.agent);
  w.field("status", routing::to_string(a.status));
  if (a.status == routing::ticket_status::offered) {
    w.field("token", a.token);
    w.key("expires_at").optional_timestamp(a.expires_at);
  }
  w.end_object();
}

// A ticket's requirements, each with whether it is still in force and when it relaxes.
void write_requirements(json_writer& w, const routing::ticket& t, std::int64_t now_ms) {
  w.key("requires").begin_array();
  for (const auto& r : t.requirements) {
    const auto relaxes = t.relaxes_at(r);
    w.begin_object();
    w.field("skill", r.skill);
    w.field("level", r.level);
    w.key("relax_after");
    if (r.relax_after) {
      w.number(static_cast<std::int64_t>(r.relax_after->count() / 1000));
    } else {
      w.null();
    }
    w.field("in_force", !relaxes || *relaxes > now_ms);
    w.key("relaxes_at").optional_timestamp(relaxes);
    w.end_object();
  }
  w.end_array();
}

void write_ticket(json_writer& w, const routing::ticket& t, const config::config& cfg,
                  std::int64_t now_ms, std::span<const routing::assignment> assignments) {
  using routing::ticket_status;
  w.begin_object();
  w.field("id", t.id);
  w.field("status", routing::to_string(t.status));
  w.field("queue", t.queue);
  w.key("queues").strings(t.queues);
  // One agent's personal queue (affinity); a ticket waiting for several preferred agents shows
  // them under preferred_agents.
  w.key("personal_queue");
  if (t.personal_queue.empty() || t.personal_queue.find(',') != std::string::npos) {
    w.null();
  } else {
    w.string(t.personal_queue);
  }
  w.field("priority", t.priority);
  w.key("channel");
  write_text_or_null(w, t.channel);
  w.key("skills").strings(t.skills);
  w.key("customer");
  write_text_or_null(w, t.customer);
  w.key("preferred_agents");
  if (!t.preferred) {
    w.null();
  } else {
    w.begin_object();
    w.key("agents").strings(t.preferred->agents);
    w.field("for", t.preferred->for_ms / 1000);
    w.key("until").timestamp(t.queued_at + t.preferred->for_ms);
    w.end_object();
  }
  write_requirements(w, t, now_ms);
  w.key("attributes");
  if (t.attributes_json.empty()) {
    w.raw("{}");
  } else {
    w.raw(t.attributes_json);
  }
  w.key("assignee").optional_string(t.assignee);
  w.key("last_agent").optional_string(t.last_agent);
  w.key("rank");
  if (t.status == ticket_status::queued) {
    w.number(t.rank());
  } else {
    w.null();
  }
  w.key("sla").begin_object();
  w.field("policy", t.priority);
  w.key("first_reply_due").optional_timestamp(t.first_reply_due);
  w.key("next_reply_due").optional_timestamp(t.next_reply_due);
  w.key("resolution_due").optional_timestamp(t.resolution_due);
  w.key("first_replied_at").optional_timestamp(t.first_replied_at);
  w.key("breached").strings(t.breached);
  w.key("paused").strings(t.paused());
  w.end_object();
  w.key("followup").begin_object();
  w.field("attempt", t.followup_attempt);
  w.field("of", cfg.lifecycle.followups.size());
  w.end_object();
  w.field("reopens", t.reopens);
  w.field("escalated", t.escalated);
  w.field("version", t.version);
  w.key("created_at").timestamp(t.created_at);
  w.key("updated_at").timestamp(t.updated_at);
  w.key("queued_at").timestamp(t.queued_at);
  w.key("postponed_until")
      .optional_timestamp(t.status == ticket_status::postponed ? t.postponed_until : std::nullopt);
  w.key("resolved_at").optional_timestamp(t.resolved_at);
  w.key("reopen_until").optional_timestamp(t.reopen_until);
  w.key("resolution_reason");
  write_text_or_null(w, t.resolve_reason);
  write_assignments(w, assignments);
  w.end_object();
}

std::string ticket_json(const routing::ticket& t, const config::config& cfg, std::int64_t now_ms,
                        std::span<const routing::assignment> assignments) {
  std::string out;
  out.reserve(900);
  json_writer w(out);
  write_ticket(w, t, cfg, now_ms, assignments);
  return out;
}

std::string explain_json(const routing::explanation& x, const config::config& cfg,
                         std::int64_t now_ms) {
  const auto& t = x.value;
  std::string out;
  json_writer w(out);
  w.begin_object();
  w.field("ticket", t.id);
  w.field("status", routing::to_string(t.status));
  // The rank the queue orders it by, and its parts: the due target it follows, the start of its
  // wait, and the queue's weighting of that wait and offset.
  const auto* q = cfg.find_queue(t.queue);
  const auto due = t.next_due();
  std::string_view target;
  if (due && due == t.first_reply_due) {
    target = "first_reply";
  } else if (due && due == t.next_reply_due) {
    target = "next_reply";
  } else if (due) {
    target = "resolution";
  }
  w.key("rank").begin_object();
  // The rank orders waiting tickets only; a ticket that does not wait has none.
  w.key("value");
  if (t.status == routing::ticket_status::queued) {
    w.number(t.rank());
  } else {
    w.null();
  }
  w.key("due").optional_timestamp(due);
  w.key("target");
  write_text_or_null(w, target);
  w.key("enqueued_at").timestamp(t.queued_at);
  w.field("wait_weight", q != nullptr ? q->wait_weight : 0.0);
  w.field("rank_offset_s",
          static_cast<std::int64_t>(q != nullptr ? q->rank_offset.count() / 1000 : 0));
  w.end_object();
  w.key("queues").begin_array();
  for (const auto& p : x.positions) {
    w.begin_object().field("name", p.queue).field("position", p.ahead).end_object();
  }
  w.end_array();
  write_requirements(w, t, now_ms);
  w.key("agents").begin_array();
  for (const auto& a : x.agents) {
    w.begin_object();
    w.field("agent", a.agent);
    w.field("eligible", a.reasons.empty());
    w.key("reasons").strings(a.reasons);
    if (a.pull) w.field("pull_eligible", *a.pull);
    w.field("load", a.load);
    w.field("max_concurrent", a.max_concurrent);
    if (!cfg.channels.empty()) {
      w.field("used", a.used);
      w.field("capacity", a.capacity);
    }
    w.end_object();
  }
  w.end_array();
  // How its holder got it, the last time it was handed out (runners-up are in the event).
  w.key("decision");
  if (t.decision && t.last_agent) {
    const auto& d = *t.decision;
    w.begin_object();
    w.key("at").timestamp(d.at);
    w.field("mode", d.mode);
    w.field("agent", *t.last_agent);
    w.key("strategy");
    write_text_or_null(w, d.strategy);
    w.key("score");
    write_text_or_null(w, d.score);
    w.field("candidates", d.candidates);
    w.end_object();
  } else {
    w.null();
  }
  w.end_object();
  return out;
}

std::string next_json(const routing::ticket& t, const config::config& cfg, std::int64_t now_ms) {
  std::string out;
  out.reserve(920);
  json_writer w(out);
  w.begin_object().key("ticket");
  write_ticket(w, t, cfg, now_ms);
  w.end_object();
  return out;
}

void write_agent(json_writer& w, const routing::agent& a, const config::config& cfg,
                 std::span<const routing::assignment> assignments) {
  w.begin_object();
  w.field("id", a.id);
  w.field("name", a.name);
  w.field("status", routing::to_string(a.status));
  w.key("queues").strings(a.queues);
  w.key("effective_queues").strings(a.effective_queues);
  w.key("skills").begin_object();
  for (const auto& s : a.skills) w.field(s.name, s.level);
  w.end_object();
  w.field("max_concurrent", a.max_concurrent.value_or(cfg.agents.max_concurrent));
  w.field("load", a.load);
  w.key("tickets").strings(a.tickets);
  w.key("last_assigned_at").optional_timestamp(a.last_assigned_at);
  w.key("status_since").timestamp(a.status_since);
  w.field("connections", a.connections);
  // Channels and capacity: units (a limit only with channels configured), the presence set on
  // each configured channel (online: it follows the agent's status), the running wrap-up.
  w.field("capacity", a.capacity.value_or(cfg.agents.capacity));
  w.field("used", a.units_used);
  w.key("channels").begin_object();
  for (const auto& ch : cfg.channels) {
    std::string_view status = "online";
    for (const auto& [name, s] : a.channel_presence) {
      if (name == ch.name) status = s;
    }
    w.field(ch.name, status);
  }
  w.end_object();
  w.key("wrap_up_until").optional_timestamp(a.wrap_up_until);
  w.field("missed_offers", a.missed_offers);
  write_assignments(w, assignments);
  w.end_object();
}

std::string agent_json(const routing::agent& a, const config::config& cfg,
                       std::span<const routing::assignment> assignments) {
  std::string out;
  json_writer w(out);
  write_agent(w, a, cfg, assignments);
  return out;
}

std::string agent_list_json(const routing::agent_page& page, const config::config& cfg) {
  std::string out;
  json_writer w(out);
  w.begin_object().key("agents").begin_array();
  for (const auto& a : page.agents) write_agent(w, a, cfg, {});
  w.end_array();
  w.key("next").optional_string(page.next);
  w.end_object();
  return out;
}

std::string queues_json(const routing::queue_stats& stats, const config::config& cfg,
                        std::int64_t now_ms) {
  std::string out;
  json_writer w(out);
  w.begin_object().key("queues").begin_array();
  for (const auto& q : stats.queues) {
    const auto* qc = cfg.find_queue(q.name);
    w.begin_object();
    w.field("name", q.name);
    w.field("depth", q.depth);
    w.key("oldest_wait_s");
    write_optional_number(w, wait_seconds(q.oldest_enqueued_s, now_ms));
    w.key("next_rank");
    write_optional_number(
        w, q.head_score ? std::optional<std::int64_t>{routing::rank_of_score(*q.head_score)}
                        : std::nullopt);
    w.field("agents_online", q.agents_online);
    w.field("agents_available", q.agents_available);
    w.field("at_risk", q.at_risk);
    w.field("mode", mode_name(qc != nullptr ? qc->mode : config::queue_mode::pull));
    w.end_object();
  }
  w.end_array().end_object();
  return out;
}

std::string queue_json(std::string_view name, const routing::queue_head& head,
                       const config::config& cfg, std::int64_t now_ms) {
  std::string out;
  json_writer w(out);
  w.begin_object();
  w.field("name", name);
  w.field("depth", head.depth);
  w.key("oldest_wait_s");
  write_optional_number(w, wait_seconds(head.oldest_enqueued_s, now_ms));
  w.key("tickets").begin_array();
  for (const auto& t : head.tickets) write_ticket(w, t, cfg, now_ms);
  w.end_array().end_object();
  return out;
}

std::string verify_json(const routing::verify_report& r) {
  std::string out;
  json_writer w(out);
  w.begin_object();
  w.field("ok", r.violations.empty());
  w.key("violations").strings(r.violations);
  w.key("forced").strings(r.forced);
  w.field("tickets_checked", r.tickets_checked);
  w.field("agents_checked", r.agents_checked);
  w.end_object();
  return out;
}

}  // namespace ticketd::daemon::api
