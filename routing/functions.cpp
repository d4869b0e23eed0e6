#include "routing/functions.hpp"

#include "routing/resp_fields.hpp"

namespace ticketd::routing {
namespace {

void opt_arg(command& cmd, const std::optional<std::int64_t>& v) {
  if (v) {
    cmd.arg(*v);
  } else {
    cmd.arg(std::string_view{});
  }
}

command ticket_call(const lua::function_info& fn, const call_base& b, const ticket_ref& t) {
  command cmd = begin_call(fn, b);
  cmd.arg(t.id);
  opt_arg(cmd, t.if_match);
  opt_arg(cmd, t.expect);
  return cmd;
}

void return_args_into(command& cmd, const return_args& r) {
  opt_arg(cmd, r.first_reply_due);
  opt_arg(cmd, r.next_reply_due);
  opt_arg(cmd, r.resolution_due);
  cmd.arg(r.rank).arg(r.affinity_until);
}

error bad_reply(std::string_view what) {
  return make_error(errc::internal, "unexpected reply from Redis: " + std::string{what});
}

bool is_array_of(const resp_value& v, std::size_t n) {
  return v.is_array() && v.elements.size() == n;
}

std::optional<std::int64_t> non_negative(const resp_value& v) {
  const auto n = to_int(v);
  return n < 0 ? std::nullopt : std::optional<std::int64_t>{n};
}

std::vector<std::string> strings_of(const resp_value& v) {
  std::vector<std::string> out;
  for (const auto& e : v.elements) out.push_back(e.str);
  return out;
}

}  // namespace

command begin_call(const lua::function_info& fn, const call_base& b) {
  command cmd{fn.read_only ? "FCALL_RO" : "FCALL"};
  cmd.arg(fn.name).arg(1).arg(b.keys.prefix());
  cmd.arg(b.now_ms).arg(b.settings.epoch).arg(b.idem.key).arg(b.idem.fingerprint);
  return cmd;
}

command create_call(const call_base& b, const create_args& a) {
  command cmd = begin_call(lua::fn::create, b);
  cmd.arg(a.id).arg(a.fingerprint).arg(a.queue).arg(a.priority).arg(a.channel).arg(a.skills);
  cmd.arg(a.attributes).arg(a.created_at).arg(a.first_reply_due).arg(a.resolution_due);
  cmd.arg(a.rank).arg(a.sla_timer).arg(a.requirements).arg(a.customer).arg(a.preference);
  cmd.arg(a.request);
  return cmd;
}

command next_call(const call_base& b, std::string_view agent) {
  return std::move(begin_call(lua::fn::next, b).arg(agent));
}

command accept_call(const call_base& b, const ticket_ref& t, std::string_view agent,
                    std::string_view token) {
  return std::move(ticket_call(lua::fn::accept, b, t).arg(agent).arg(token));
}

command reject_call(const call_base& b, const ticket_ref& t, std::string_view agent,
                    std::string_view reason, std::string_view token) {
  return std::move(ticket_call(lua::fn::reject, b, t).arg(agent).arg(reason).arg(token));
}

command reply_call(const call_base& b, const ticket_ref& t, std::string_view agent,
                   std::string_view cadence) {
  return std::move(ticket_call(lua::fn::reply, b, t).arg(agent).arg(cadence));
}

std::string format_cadence(const cadence& c) {
  if (c.followups.empty() && !c.resolve_at) return {};
  std::string out;
  for (std::size_t i = 0; i < c.followups.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append(std::to_string(c.followups[i]));
  }
  out.push_back(';');
  if (c.resolve_at) {
    out.append(std::to_string(*c.resolve_at)).push_back(';');
    out.append(std::to_string(c.reopen_until)).push_back(';');
    out.append(std::to_string(c.close_at));
  } else {
    out.append(";;");
  }
  return out;
}

command customer_reply_call(const call_base& b, const ticket_ref& t, const return_args& r) {
  command cmd = ticket_call(lua::fn::customer_reply, b, t);
  return_args_into(cmd, r);
  return cmd;
}

command postpone_call(const call_base& b, const ticket_ref& t, std::int64_t until,
                      std::int64_t wake_rank,
                      const std::array<std::optional<std::int64_t>, 2>& wake_dues) {
  command cmd = ticket_call(lua::fn::postpone, b, t);
  cmd.arg(until).arg(wake_rank);
  opt_arg(cmd, wake_dues[0]);
  opt_arg(cmd, wake_dues[1]);
  return cmd;
}

command release_call(const call_base& b, const ticket_ref& t, std::string_view agent,
                     std::int64_t rank) {
  return std::move(ticket_call(lua::fn::release, b, t).arg(agent).arg(rank));
}

command resolve_call(const call_base& b, const ticket_ref& t, std::string_view reason,
                     std::int64_t reopen_until, std::int64_t close_at) {
  return std::move(ticket_call(lua::fn::resolve, b, t).arg(reason).arg(reopen_until).arg(close_at));
}

command reopen_call(const call_base& b, const ticket_ref& t, const return_args& r) {
  command cmd = ticket_call(lua::fn::reopen, b, t);
  return_args_into(cmd, r);
  return cmd;
}

command close_call(const call_base& b, const ticket_ref& t) {
  return ticket_call(lua::fn::close, b, t);
}

command transfer_call(const call_base& b, const ticket_ref& t, std::string_view queue,
                      std::int64_t rank) {
  return std::move(ticket_call(lua::fn::transfer, b, t).arg(queue).arg(rank));
}

command escalate_call(const call_base& b, const ticket_ref& t, const escalate_args& e) {
  command cmd = ticket_call(lua::fn::escalate, b, t);
  cmd.arg(e.queue).arg(e.priority).arg(e.rank);
  opt_arg(cmd, e.first_reply_due);
  opt_arg(cmd, e.next_reply_due);
  opt_arg(cmd, e.resolution_due);
  cmd.arg(e.reason);
  return cmd;
}

command patch_call(const call_base& b, const ticket_ref& t, const patch_args& p) {
  command cmd = ticket_call(lua::fn::patch, b, t);
  cmd.arg(p.priority);
  opt_arg(cmd, p.rank);
  for (const auto& d : p.dues) opt_arg(cmd, d);
  for (const auto& d : p.paused) opt_arg(cmd, d);
  for (const auto& d : p.wake) opt_arg(cmd, d);
  opt_arg(cmd, p.wake_rank);
  // Which of channel, skills and attributes change ('ch,sk,at' in part), then their values.
  std::string named;
  for (const auto& [field, value] :
       {std::pair{"ch", p.channel}, std::pair{"sk", p.skills}, std::pair{"at", p.attributes},
        std::pair{"rq", p.requirements}, std::pair{"pf", p.preference}}) {
    if (!value) continue;
    if (!named.empty()) named.push_back(',');
    named.append(field);
  }
  cmd.arg(named);
  cmd.arg(p.channel.value_or(std::string_view{}));
  cmd.arg(p.skills.value_or(std::string_view{}));
  cmd.arg(p.attributes.value_or(std::string_view{}));
  cmd.arg(p.requirements.value_or(std::string_view{}));
  cmd.arg(p.preference.value_or(std::string_view{}));
  return cmd;
}

command reassign_call(const call_base& b, const ticket_ref& t, std::string_view agent,
                      force_mode force, const std::array<std::optional<std::int64_t>, 2>& resumed) {
  command cmd = ticket_call(lua::fn::reassign, b, t);
  cmd.arg(agent).arg(force == force_mode::force ? "1" : "");
  opt_arg(cmd, resumed[0]);
  opt_arg(cmd, resumed[1]);
  return cmd;
}

command delete_call(const call_base& b, std::string_view id) {
  return std::move(begin_call(lua::fn::delete_ticket, b).arg(id));
}

command agent_put_call(const call_base& b, const agent_put_args& a) {
  command cmd = begin_call(lua::fn::agent_put, b);
  cmd.arg(a.id).arg(a.name).arg(a.queues).arg(a.skills).arg(a.effective_queues);
  if (a.max_concurrent) {
    cmd.arg(*a.max_concurrent);
  } else {
    cmd.arg(std::string_view{});
  }
  cmd.arg(a.status);
  if (a.capacity) {
    cmd.arg(*a.capacity);
  } else {
    cmd.arg(std::string_view{});
  }
  cmd.arg(a.channels);
  return cmd;
}

command agent_status_call(const call_base& b, std::string_view agent, agent_status status,
                          std::string_view channel) {
  command cmd = begin_call(lua::fn::agent_status, b);
  cmd.arg(agent).arg(to_string(status)).arg("").arg(channel);
  return cmd;
}

command agent_ready_call(const call_base& b, std::string_view agent) {
  return std::move(begin_call(lua::fn::agent_ready, b).arg(agent));
}

command agent_presence_call(const call_base& b, std::string_view agent, int connections,
                            std::optional<agent_status> status) {
  command cmd = begin_call(lua::fn::agent_status, b);
  cmd.arg(agent).arg(status ? to_string(*status) : std::string_view{});
  cmd.arg(connections > 0 ? "1" : "-1").arg("");
  return cmd;
}

command agent_get_call(const call_base& b, std::string_view agent) {
  return std::move(begin_call(lua::fn::agent_get, b).arg(agent));
}

command explain_call(const call_base& b, std::string_view ticket, std::size_t limit) {
  return std::move(begin_call(lua::fn::explain, b).arg(ticket).arg(std::to_string(limit)));
}

command agent_list_call(const call_base& b, const agent_filter& f) {
  return std::move(begin_call(lua::fn::agent_list, b)
                       .arg(f.after)
                       .arg(std::to_string(f.limit))
                       .arg(f.queue)
                       .arg(f.status)
                       .arg(f.skill));
}

command queue_stats_call(const call_base& b, const std::vector<std::string>& queues) {
  command cmd = begin_call(lua::fn::queue_stats, b);
  for (const auto& q : queues) cmd.arg(q);
  return cmd;
}

command queue_head_call(const call_base& b, std::string_view queue, std::size_t limit) {
  return std::move(begin_call(lua::fn::queue_head, b).arg(queue).arg(limit));
}

command tick_call(const call_base& b, std::size_t limit) {
  return std::move(begin_call(lua::fn::tick, b).arg(limit));
}

command verify_call(const call_base& b, const std::vector<std::string>& queues) {
  command cmd = begin_call(lua::fn::verify, b);
  for (const auto& q : queues) cmd.arg(q);
  return cmd;
}

command configure_call(const call_base& b) {
  command cmd = begin_call(lua::fn::configure, b);
  for (const auto& [name, value] : b.settings.fields) cmd.arg(name).arg(value);
  return cmd;
}

command kept_call(const call_base& b) { return begin_call(lua::fn::kept, b); }

command ticket_get_command(const keyspace& keys, std::string_view id) {
  return std::move(command{"HGETALL"}.arg(keys.key(key_part::ticket, id)));
}

std::optional<error> reply_error(const resp_value& reply) {
  if (!reply.is_error()) return std::nullopt;
  return from_function_error(reply.str);
}

std::vector<assignment> decode_assignments(const resp_value& reply, std::size_t first) {
  std::vector<assignment> out;
  for (std::size_t i = first; i < reply.elements.size(); ++i) {
    const auto& e = reply.elements[i];
    if (!is_array_of(e, 6)) continue;
    assignment a;
    a.ticket = e.elements[0].str;
    a.agent = e.elements[1].str;
    a.status = parse_ticket_status(e.elements[2].str).value_or(ticket_status::assigned);
    a.token = e.elements[3].str;
    if (!e.elements[4].str.empty()) a.expires_at = to_int(e.elements[4]);
    if (!e.elements[5].str.empty()) a.queued_at = to_int(e.elements[5]);
    out.push_back(std::move(a));
  }
  return out;
}

const resp_value* reply_result(const resp_value& reply) {
  if (!reply.is_array()) return &reply;
  return reply.elements.empty() ? nullptr : &reply.elements[0];
}

bool apply_handed(ticket& planned, const resp_value& reply, std::int64_t now) {
  const auto& e = reply.elements;
  if (!reply.is_array() || e.size() < 4 || !e[0].is_string() || e[0].str != "handed" ||
      !e[2].is_string()) {
    return false;
  }
  std::int64_t version = 0;
  const std::string_view v = e[1].str;
  if (std::from_chars(v.data(), v.data() + v.size(), version).ptr != v.data() + v.size() ||
      version <= 0) {
    return false;
  }
  auto decision = parse_decision(e[2].str);
  if (!decision) return false;
  for (std::size_t i = 3; i < e.size(); ++i) {
    // {ticket, agent, status, token, expires, queued_at}: decode_assignments' form, whose
    // status must be one a hand-out gives.
    if (!is_array_of(e[i], 6) || e[i].elements[0].str != planned.id) continue;
    const auto status = parse_ticket_status(e[i].elements[2].str);
    if (status != ticket_status::offered && status != ticket_status::assigned) return false;
    planned.status = *status;
    planned.last_agent = e[i].elements[1].str;
    planned.assignee = e[i].elements[1].str;
    planned.version = version;
    planned.updated_at = now;
    planned.decision = std::move(*decision);
    return true;
  }
  return false;
}

outcome<create_result> decode_create(const resp_value& reply) {
  // Every return names `out`: GCC elides the copy of a named result only then, and a result
  // holds a ticket, whose moves add up.
  outcome<create_result> out;
  const resp_value* word = reply_result(reply);
  if (auto e = reply_error(reply)) {
    out = std::move(*e);
  } else if (!word || !word->is_string() ||
             (word->str != "created" && word->str != "routed" && word->str != "handed" &&
              word->str != "existing")) {
    out = bad_reply("bad create reply");
  } else {
    out->created = word->str != "existing";
    out->assignments = decode_assignments(reply);
  }
  return out;
}

outcome<action_result> decode_action(const resp_value& reply) {
  if (auto e = reply_error(reply)) return std::move(*e);
  const resp_value* first = reply_result(reply);
  if (!first || (!first->is_string() && first->type != resp_value::kind::integer)) {
    return bad_reply("bad action reply");
  }
  return action_result{to_int(*first), decode_assignments(reply)};
}

outcome<next_result> decode_next(const resp_value& reply) {
  if (auto e = reply_error(reply)) return std::move(*e);
  const resp_value* first = reply_result(reply);
  if (!first) return bad_reply("bad next reply");
  next_result r;
  if (!first->is_nil()) {
    if (!first->is_string() || first->str.empty()) return bad_reply("bad next reply");
    r.id = first->str;
  }
  r.assignments = decode_assignments(reply);
  return r;
}

outcome<ticket> decode_ticket_reply(std::string_view id, const resp_value& reply) {
  outcome<ticket> t;  // the one return value: see decode_create
  if (auto e = decode_ticket_reply_into(*t, id, reply)) t = std::move(*e);
  return t;
}

std::optional<error> decode_ticket_reply_into(ticket& t, std::string_view id,
                                              const resp_value& reply) {
  if (auto e = reply_error(reply)) return e;
  if (reply.is_array() && reply.elements.empty()) {
    error e = make_error(errc::not_found, "no ticket '" + std::string{id} + "'");
    e.details.emplace_back("ticket", std::string{id});
    return e;
  }
  if (!decode_ticket_into(t, id, reply)) return bad_reply("bad ticket reply");
  return std::nullopt;
}

outcome<agent_result> decode_agent_reply(std::string_view id, const resp_value& reply) {
  if (auto e = reply_error(reply)) return std::move(*e);
  if (!reply.is_array() || reply.elements.size() < 2) return bad_reply("bad agent reply");
  resp_value head;
  head.type = resp_value::kind::array;
  head.elements.assign(reply.elements.begin(), reply.elements.begin() + 2);
  auto a = decode_agent(id, head);
  if (!a) return bad_reply("bad agent reply");
  return agent_result{std::move(*a), decode_assignments(reply, 2)};
}

outcome<agent_page> decode_agent_list(const resp_value& reply) {
  if (auto e = reply_error(reply)) return std::move(*e);
  const auto& items = reply.elements;
  if (!reply.is_array() || items.empty() || items.size() % 2 != 1) {
    return bad_reply("bad agent_list reply");
  }
  agent_page out;
  if (items[0].type == resp_value::kind::string) out.next = items[0].str;
  out.agents.reserve(items.size() / 2);
  for (std::size_t i = 1; i < items.size(); i += 2) {
    if (items[i].type != resp_value::kind::string) return bad_reply("bad agent_list id");
    auto a = decode_agent(items[i].str, items[i + 1]);
    if (!a) return bad_reply("bad agent_list agent");
    out.agents.push_back(std::move(*a));
  }
  return out;
}

outcome<queue_stats> decode_queue_stats(const std::vector<std::string>& names,
                                        const resp_value& reply) {
  if (auto e = reply_error(reply)) return std::move(*e);
  if (!is_array_of(reply, 3) || !is_array_of(reply.elements[0], names.size()) ||
      !is_array_of(reply.elements[1], 3)) {
    return bad_reply("bad queue_stats reply");
  }
  queue_stats out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto& row = reply.elements[0].elements[i];
    if (!is_array_of(row, 9)) return bad_reply("bad queue row");
    queue_stat s;
    s.name = names[i];
    s.depth = to_int(row.elements[0]);
    s.oldest_enqueued_s = non_negative(row.elements[1]);
    if (!row.elements[2].str.empty()) s.head_score = to_double(row.elements[2]);
    s.agents_online = to_int(row.elements[3]);
    s.agents_available = to_int(row.elements[4]);
    s.units_used = to_int(row.elements[5]);
    s.units_capacity = to_int(row.elements[6]);
    s.at_risk = to_int(row.elements[7]);
    s.expected_wait_s = non_negative(row.elements[8]);
    out.queues.push_back(std::move(s));
  }
  if (!reply.elements[2].is_array()) return bad_reply("bad queue_stats channels");
  for (const auto& row : reply.elements[2].elements) {
    if (!is_array_of(row, 5)) return bad_reply("bad channel row");
    out.channels.push_back({row.elements[0].str, to_int(row.elements[1]), to_int(row.elements[2]),
                            to_int(row.elements[3]), to_int(row.elements[4])});
  }
  const auto& by_status = reply.elements[1].elements;
  out.agents_online = to_int(by_status[0]);
  out.agents_away = to_int(by_status[1]);
  out.agents_offline = to_int(by_status[2]);
  return out;
}

outcome<explanation> decode_explain(std::string_view id, const resp_value& reply) {
  if (auto e = reply_error(reply)) return std::move(*e);
  if (!is_array_of(reply, 3) || !reply.elements[1].is_array() || !reply.elements[2].is_array()) {
    return bad_reply("bad explain reply");
  }
  auto t = decode_ticket(id, reply.elements[0]);
  if (!t) return bad_reply("bad explain ticket");
  explanation out{std::move(*t), {}, {}};
  for (const auto& row : reply.elements[1].elements) {
    if (!is_array_of(row, 2)) return bad_reply("bad explain position");
    out.positions.push_back({row.elements[0].str, to_int(row.elements[1])});
  }
  for (const auto& row : reply.elements[2].elements) {
    if (!is_array_of(row, 7)) return bad_reply("bad explain agent");
    agent_explained a;
    a.agent = row.elements[0].str;
    a.reasons = split_list(row.elements[1].str);
    const auto pull = to_int(row.elements[2]);
    if (pull >= 0) a.pull = pull == 1;
    a.load = to_int(row.elements[3]);
    a.max_concurrent = to_int(row.elements[4]);
    a.used = to_int(row.elements[5]);
    a.capacity = to_int(row.elements[6]);
    out.agents.push_back(std::move(a));
  }
  return out;
}

outcome<queue_head> decode_queue_head(const resp_value& reply) {
  if (auto e = reply_error(reply)) return std::move(*e);
  if (!is_array_of(reply, 3) || !reply.elements[2].is_array()) {
    return bad_reply("bad queue_head reply");
  }
  queue_head out;
  out.depth = to_int(reply.elements[0]);
  out.oldest_enqueued_s = non_negative(reply.elements[1]);
  for (const auto& entry : reply.elements[2].elements) {
    if (!is_array_of(entry, 2)) return bad_reply("bad queue entry");
    // A ticket deleted between ZRANGE and HGETALL cannot happen inside one function call;
    // an empty hash would mean a dangling queue entry, which verify reports.
    if (auto t = decode_ticket(entry.elements[0].str, entry.elements[1])) {
      out.tickets.push_back(std::move(*t));
    }
  }
  return out;
}

namespace {

// The tick's notes: 'sla.warning|<queue>|<target>', 'sla.breached|<queue>|<target>',
// 'followup', 'resolved|<reason>', 'closed', 'returned|<reason>', 'missed_offer',
// 'missed_offers_away'.
std::vector<timer_note> decode_notes(const resp_value& v) {
  using kind = timer_note::kind;
  std::vector<timer_note> out;
  for (const auto& text : strings_of(v)) {
    const std::string_view s = text;
    const auto bar = s.find('|');
    const std::string_view what = s.substr(0, bar);
    const std::string_view rest = bar == std::string_view::npos ? "" : s.substr(bar + 1);
    timer_note n;
    if (what == "sla.warning" || what == "sla.breached") {
      const auto bar2 = rest.find('|');
      if (bar2 == std::string_view::npos) continue;
      n.what = what == "sla.warning" ? kind::sla_warning : kind::sla_breached;
      n.queue = rest.substr(0, bar2);
      n.label = rest.substr(bar2 + 1);
    } else if (what == "resolved") {
      n.what = kind::resolved;
      n.label = rest;
    } else if (what == "followup") {
      n.what = kind::followup;
    } else if (what == "closed") {
      n.what = kind::closed;
    } else if (what == "returned") {
      n.what = kind::returned;
      n.label = rest;
    } else if (what == "missed_offer") {
      n.what = kind::missed_offer;
    } else if (what == "missed_offers_away") {
      n.what = kind::missed_offers_away;
    } else {
      continue;
    }
    out.push_back(std::move(n));
  }
  return out;
}

}  // namespace

outcome<tick_result> decode_tick(const resp_value& reply) {
  if (auto e = reply_error(reply)) return std::move(*e);
  if (!reply.is_array() || reply.elements.empty() || !is_array_of(reply.elements[0], 5)) {
    return bad_reply("bad tick reply");
  }
  const auto& counts = reply.elements[0].elements;
  return tick_result{to_int(counts[0]), non_negative(counts[1]), to_int(counts[2]),
                     to_int(counts[3]), decode_notes(counts[4]), decode_assignments(reply)};
}

outcome<verify_report> decode_verify(const resp_value& reply) {
  if (auto e = reply_error(reply)) return std::move(*e);
  if (!is_array_of(reply, 4)) return bad_reply("bad verify reply");
  verify_report r;
  r.violations = strings_of(reply.elements[0]);
  r.forced = strings_of(reply.elements[1]);
  r.tickets_checked = to_int(reply.elements[2]);
  r.agents_checked = to_int(reply.elements[3]);
  return r;
}

}  // namespace ticketd::routing
