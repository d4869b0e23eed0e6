#include "simulate/report.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "daemon/api/json_writer.hpp"
#include "routing/time_format.hpp"

namespace ticketd::simulate {

namespace {

namespace json = boost::json;

constexpr const char* targets[] = {"first_reply", "next_reply", "resolution"};

std::int64_t to_ms(std::string_view text) {
  std::int64_t v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

double ratio(std::int64_t part, std::int64_t whole) {
  return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

// Rounded to 4 decimals, so reports compare equal as text when the runs were equal.
double rounded(double v) { return std::round(v * 10000) / 10000; }

std::optional<double> attainment(const target_report& t) {
  if (t.measured == 0) return std::nullopt;
  return rounded(1.0 - ratio(t.breached, t.measured));
}

// All queues as one (the `totals` line).
queue_report merged(const report& r) {
  queue_report all;
  for (const auto& [name, q] : r.queues) {
    all.arrived += q.arrived;
    all.waits.insert(all.waits.end(), q.waits.begin(), q.waits.end());
    for (const auto& [t, v] : q.sla) {
      all.sla[t].measured += v.measured;
      all.sla[t].breached += v.breached;
    }
    all.warnings += q.warnings;
    all.breaches += q.breaches;
    for (const auto& [via, n] : q.assignments) all.assignments[via] += n;
    all.offers += q.offers;
    all.offer_timeouts += q.offer_timeouts;
    all.resolved += q.resolved;
  }
  std::sort(all.waits.begin(), all.waits.end());
  return all;
}

double seconds(std::int64_t ms) { return rounded(static_cast<double>(ms) / 1000.0); }

json::object queue_json(const queue_report& q) {
  json::object o;
  o["arrived"] = q.arrived;
  o["assigned"] = q.assigned();
  o["never_assigned"] = q.arrived - q.assigned();
  o["wait_seconds"] = json::object{{"p50", seconds(percentile(q.waits, 0.50))},
                                   {"p90", seconds(percentile(q.waits, 0.90))},
                                   {"p99", seconds(percentile(q.waits, 0.99))},
                                   {"max", seconds(q.waits.empty() ? 0 : q.waits.back())}};
  json::object sla;
  for (const char* t : targets) {
    const auto it = q.sla.find(t);
    if (it == q.sla.end() || it->second.measured == 0) continue;
    sla[t] = json::object{{"measured", it->second.measured},
                          {"breached", it->second.breached},
                          {"attainment", *attainment(it->second)}};
  }
  o["sla"] = std::move(sla);
  o["warnings"] = q.warnings;
  o["breaches"] = q.breaches;
  json::object by_mode;
  for (const auto& [via, n] : q.assignments) by_mode[via] = n;
  o["assignments"] = std::move(by_mode);
  o["offers"] = q.offers;
  o["offer_timeouts"] = q.offer_timeouts;
  o["resolved"] = q.resolved;
  return o;
}

double occupancy(const agent_report& a) { return rounded(ratio(a.busy_ms, a.online_ms)); }
double utilisation(const agent_report& a) {
  return rounded(ratio(a.load_ms, a.online_ms * static_cast<std::int64_t>(a.max_concurrent)));
}

json::object report_object(const report& r) {
  json::object o;
  o["started"] = routing::format_rfc3339(r.started);
  o["ended"] = routing::format_rfc3339(r.ended);
  json::object queues;
  for (const auto& [name, q] : r.queues) queues[name] = queue_json(q);
  o["queues"] = std::move(queues);
  o["totals"] = queue_json(merged(r));
  json::object agents;
  for (const auto& [name, a] : r.agents) {
    agents[name] = json::object{{"assigned", a.assigned},
                                {"resolved", a.resolved},
                                {"online_seconds", seconds(a.online_ms)},
                                {"occupancy", occupancy(a)},
                                {"utilisation", utilisation(a)}};
  }
  o["agents"] = std::move(agents);
  json::object refused;
  for (const auto& [code, n] : r.refused) refused[code] = n;
  o["refused"] = std::move(refused);
  return o;
}

// JSON as people read it: boost::json writes every double with an exponent (0E0).
void write_json(std::string& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out += ',';
        first = false;
        daemon::api::append_json_string(out, kv.key());
        out += ':';
        write_json(out, kv.value());
      }
      out += '}';
      break;
    }
    case json::kind::double_: {
      char buf[32];
      const auto r = std::to_chars(buf, buf + sizeof buf, v.get_double());
      out.append(buf, r.ptr);
      break;
    }
    case json::kind::string:
      daemon::api::append_json_string(out, v.get_string());
      break;
    default:
      out += json::serialize(v);
  }
}

// candidate - baseline for every number the two share (objects recursively).
json::value difference(const json::value& c, const json::value& b) {
  if (c.is_object() && b.is_object()) {
    json::object out;
    for (const auto& kv : c.get_object()) {
      if (const auto* other = b.get_object().if_contains(kv.key())) {
        auto d = difference(kv.value(), *other);
        if (!d.is_null()) out[kv.key()] = std::move(d);
      }
    }
    return out;
  }
  if (c.is_number() && b.is_number()) {
    if (c.is_double() || b.is_double()) {
      return rounded(c.to_number<double>() - b.to_number<double>());
    }
    return c.to_number<std::int64_t>() - b.to_number<std::int64_t>();
  }
  return nullptr;
}

// 45s, 3m05s, 2h10m.
std::string duration_text(std::int64_t ms) {
  const std::int64_t s = (ms + 500) / 1000;
  char buf[32];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(s));
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>((s % 3600) / 60));
  }
  return buf;
}

std::string percent_text(std::optional<double> v) {
  if (!v) return "-";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f%%", *v * 100);
  return buf;
}

std::string pad(std::string s, std::size_t width, bool left = false) {
  if (s.size() >= width) return s + " ";
  const std::string fill(width - s.size(), ' ');
  return left ? s + fill : fill + s;
}

std::optional<double> attainment_of(const queue_report& q, const char* target) {
  const auto it = q.sla.find(target);
  return it == q.sla.end() ? std::nullopt : attainment(it->second);
}

void queue_row(std::string& out, const std::string& label, const queue_report& q) {
  out += pad(label, 22, true) + pad(std::to_string(q.arrived), 8) +
         pad(std::to_string(q.assigned()), 9) + pad(duration_text(percentile(q.waits, 0.5)), 9) +
         pad(duration_text(percentile(q.waits, 0.9)), 9) +
         pad(duration_text(percentile(q.waits, 0.99)), 9);
  for (const char* t : targets) out += pad(percent_text(attainment_of(q, t)), 12);
  out += pad(std::to_string(q.breaches), 9) + pad(std::to_string(q.offer_timeouts), 10) + "\n";
}

// +1.5, -2, 0: a value that rounds to zero in `format` is shown without a sign.
std::string signed_text(double v, const char* format) {
  char buf[32];
  std::snprintf(buf, sizeof buf, format, v < 0 ? -v : v);
  std::string text{buf};
  if (text.find_first_not_of("0.") == std::string::npos) return text;
  return (v > 0 ? "+" : "-") + text;
}

std::string signed_duration(std::int64_t ms) {
  const std::string text = duration_text(ms > 0 ? ms : -ms);
  if (text == "0s") return text;
  return (ms > 0 ? "+" : "-") + text;
}

void difference_row(std::string& out, const queue_report& c, const queue_report& b) {
  out += pad("  difference", 22, true) +
         pad(signed_text(double(c.arrived - b.arrived), "%.0f"), 8) +
         pad(signed_text(double(c.assigned() - b.assigned()), "%.0f"), 9);
  for (double q : {0.5, 0.9, 0.99}) {
    out += pad(signed_duration(percentile(c.waits, q) - percentile(b.waits, q)), 9);
  }
  for (const char* t : targets) {
    const auto x = attainment_of(c, t);
    const auto y = attainment_of(b, t);
    out += pad(x && y ? signed_text((*x - *y) * 100, "%.1f") + "pt" : "-", 12);
  }
  out += pad(signed_text(double(c.breaches - b.breaches), "%.0f"), 9) +
         pad(signed_text(double(c.offer_timeouts - b.offer_timeouts), "%.0f"), 10) + "\n";
}

std::string header_line() {
  std::string out = pad("queue", 22, true) + pad("arrived", 8) + pad("assigned", 9) +
                    pad("wait p50", 9) + pad("p90", 9) + pad("p99", 9);
  for (const char* t : targets) out += pad(t, 12);
  return out + pad("breaches", 9) + pad("offer t/o", 10) + "\n";
}

}  // namespace

std::string_view event_view::field(std::string_view name) const {
  for (const auto& [k, v] : fields) {
    if (k == name) return v;
  }
  return {};
}

std::int64_t percentile(const std::vector<std::int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

recorder::recorder(std::int64_t start, bool pending_counts, bool postponed_counts)
    : pending_counts_(pending_counts), postponed_counts_(postponed_counts) {
  report_.started = start;
}

void recorder::arrived(const std::string& ticket, const std::string& queue, std::int64_t at,
                       bool first_reply, bool resolution) {
  auto& q = report_.queues[queue];
  ++q.arrived;
  if (first_reply) ++q.sla["first_reply"].measured;
  if (resolution) ++q.sla["resolution"].measured;
  auto& t = tickets_[ticket];
  t.queue = queue;
  t.arrived = at;
}

void recorder::customer_replied(const std::string& ticket, bool next_reply) {
  if (!next_reply) return;
  if (auto* q = queue_of(ticket)) ++q->sla["next_reply"].measured;
}

void recorder::agent_defined(const std::string& agent, unsigned max_concurrent) {
  report_.agents[agent].max_concurrent = std::max(1u, max_concurrent);
}

queue_report* recorder::queue_of(std::string_view ticket) {
  const auto it = tickets_.find(ticket);
  if (it == tickets_.end()) return nullptr;
  return &report_.queues[it->second.queue];
}

void recorder::accrue(const std::string& agent, std::int64_t now) {
  if (agents_closed_) now = std::min(now, *agents_closed_);
  auto& s = agents_[agent];
  const std::int64_t dt = std::max<std::int64_t>(0, now - s.since);
  if (s.online) {
    auto& a = report_.agents[agent];
    a.online_ms += dt;
    if (s.held > 0) a.busy_ms += dt;
    a.load_ms += dt * s.held;
  }
  s.since = std::max(s.since, now);
}

void recorder::hold(const std::string& ticket, const std::string& agent, std::int64_t now) {
  auto& t = tickets_[ticket];
  if (t.holder == agent) return;
  let_go(ticket, now);
  accrue(agent, now);
  ++agents_[agent].held;
  t.holder = agent;
}

void recorder::let_go(const std::string& ticket, std::int64_t now) {
  const auto it = tickets_.find(ticket);
  if (it == tickets_.end() || it->second.holder.empty()) return;
  const std::string agent = std::move(it->second.holder);
  it->second.holder.clear();
  accrue(agent, now);
  --agents_[agent].held;
}

void recorder::event(const event_view& e) {
  const std::int64_t at = to_ms(e.field("at"));
  const std::string ticket{e.field("ticket")};
  const std::string_view type = e.type;
  auto* q = ticket.empty() ? nullptr : queue_of(ticket);
  if (type == "ticket.assigned") {
    const std::string agent{e.field("agent")};
    if (q != nullptr) {
      ++q->assignments[std::string{e.field("via")}];
      auto& t = tickets_[ticket];
      if (!t.assigned_once) {
        t.assigned_once = true;
        q->waits.push_back(at - t.arrived);
      }
    }
    ++report_.agents[agent].assigned;
    hold(ticket, agent, at);
  } else if (type == "ticket.offered") {
    if (q != nullptr) ++q->offers;
  } else if (type == "offer.timeout") {
    if (q != nullptr) ++q->offer_timeouts;
  } else if (type == "ticket.resolved") {
    if (q != nullptr) ++q->resolved;
    if (auto agent = e.field("agent"); !agent.empty())
      ++report_.agents[std::string{agent}].resolved;
    let_go(ticket, at);
  } else if ((type == "ticket.pending" && !pending_counts_) ||
             (type == "ticket.postponed" && !postponed_counts_)) {
    let_go(ticket, at);  // still the agent's, but no longer taking one of its places
  } else if (type == "ticket.closed" || type == "ticket.transferred" ||
             type == "ticket.escalated" || type == "ticket.returned" || type == "ticket.deleted" ||
             type == "ticket.queued") {
    let_go(ticket, at);
  } else if (type == "sla.warning") {
    if (q != nullptr) ++q->warnings;
  } else if (type == "sla.breached") {
    if (q != nullptr) {
      ++q->breaches;
      ++q->sla[std::string{e.field("target")}].breached;
    }
  } else if (type == "agent.status" && e.field("channel").empty()) {
    const std::string agent{e.field("agent")};
    accrue(agent, at);
    agents_[agent].online = e.field("status") == "online";
    report_.agents[agent];  // listed even when it never works
  }
}

void recorder::close_agents(std::int64_t at) {
  for (auto& [agent, s] : agents_) accrue(agent, at);
  agents_closed_ = at;
}

report recorder::finish(std::int64_t end) {
  for (auto& [agent, s] : agents_) accrue(agent, end);
  for (auto& [name, q] : report_.queues) std::sort(q.waits.begin(), q.waits.end());
  report_.ended = end;
  return report_;
}

std::string report_json(const report& candidate, const report* baseline) {
  json::object out;
  auto c = report_object(candidate);
  if (baseline != nullptr) {
    auto b = report_object(*baseline);
    out["difference"] = difference(c, b);
    out["baseline"] = std::move(b);
  }
  out["candidate"] = std::move(c);
  std::string text;
  write_json(text, out);
  return text + "\n";
}

std::string report_text(const report& candidate, const report* baseline) {
  std::string out = "simulated " + routing::format_rfc3339(candidate.started) + " to " +
                    routing::format_rfc3339(candidate.ended) + "\n\n" + header_line();
  auto rows = [&](const std::string& name, const queue_report& c, const queue_report* b) {
    if (b == nullptr) {
      queue_row(out, name, c);
      return;
    }
    out += name + "\n";
    queue_row(out, "  candidate", c);
    queue_row(out, "  baseline", *b);
    difference_row(out, c, *b);
  };
  // Every queue of either run: one the candidate removed shows beside empty figures.
  static const queue_report none;
  std::map<std::string, std::pair<const queue_report*, const queue_report*>> queues;
  for (const auto& [name, q] : candidate.queues) queues[name] = {&q, &none};
  if (baseline != nullptr) {
    for (const auto& [name, q] : baseline->queues) {
      if (!queues.contains(name)) queues[name].first = &none;
      queues[name].second = &q;
    }
  }
  for (const auto& [name, pair] : queues) {
    rows(name, *pair.first, baseline != nullptr ? pair.second : nullptr);
  }
  const auto all = merged(candidate);
  const auto base_all = baseline != nullptr ? merged(*baseline) : queue_report{};
  rows("(all queues)", all, baseline != nullptr ? &base_all : nullptr);
  out += "\nassignments:";
  for (const auto& [via, n] : all.assignments) out += " " + via + " " + std::to_string(n);
  out += "\n\n" + pad("agent", 22, true) + pad("assigned", 9) + pad("resolved", 9) +
         pad("online", 9) + pad("occupancy", 10) + pad("utilisation", 12) +
         (baseline != nullptr ? pad("(baseline)", 12) : std::string{}) + "\n";
  for (const auto& [name, a] : candidate.agents) {
    out += pad(name, 22, true) + pad(std::to_string(a.assigned), 9) +
           pad(std::to_string(a.resolved), 9) + pad(duration_text(a.online_ms), 9) +
           pad(percent_text(occupancy(a)), 10) + pad(percent_text(utilisation(a)), 12);
    if (baseline != nullptr) {
      const auto it = baseline->agents.find(name);
      out += pad(it == baseline->agents.end() ? "-" : percent_text(utilisation(it->second)), 12);
    }
    out += "\n";
  }
  if (!candidate.refused.empty()) {
    out += "\nrefused by the API:";
    for (const auto& [code, n] : candidate.refused) out += " " + code + " " + std::to_string(n);
    out += "\n";
  }
  return out;
}

}  // namespace ticketd::simulate
