#include "ctl/workload_export.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "routing/time_format.hpp"

namespace ticketd::ctl {

namespace {

namespace json = boost::json;

struct sse_event {
  std::string type;
  json::object data;
};

// The records of a text/event-stream body: `event:` and `data:` lines, a blank line ending each.
std::vector<sse_event> parse_sse(std::string_view body) {
  std::vector<sse_event> out;
  sse_event current;
  std::string data;
  auto flush = [&] {
    if (!current.type.empty() && !data.empty()) {
      json::error_code ec;
      auto v = json::parse(data, ec);
      if (!ec && v.is_object()) {
        current.data = std::move(v.get_object());
        out.push_back(std::move(current));
      }
    }
    current = {};
    data.clear();
  };
  while (!body.empty()) {
    const auto nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    body = nl == std::string_view::npos ? std::string_view{} : body.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      flush();
    } else if (line.starts_with("event: ")) {
      current.type = std::string{line.substr(7)};
    } else if (line.starts_with("data: ")) {
      data += line.substr(6);
    }
  }
  flush();
  return out;
}

std::string text(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  return v != nullptr && v->is_string() ? std::string{v->get_string()} : std::string{};
}

std::optional<std::int64_t> time_of(const json::object& o) {
  return routing::parse_rfc3339(text(o, "at"));
}

// One workload line: {"at": ..., then `fields` in order}.
std::string line_of(std::int64_t at, const json::object& fields) {
  std::string out = R"({"at":")" + routing::format_rfc3339(at) + "\"";
  for (const auto& kv : fields) {
    out += ",";
    out += json::serialize(json::string_view{kv.key()});
    out += ":";
    out += json::serialize(kv.value());
  }
  return out + "}\n";
}

// What the stream shows of a ticket's first round with an agent: assigned, replied, resolved.
struct round {
  std::size_t line = 0;  // its create line
  std::optional<std::int64_t> assigned, replied, resolved;
  bool interrupted = false;  // the customer wrote before it was resolved: not one round
};

// The value most agents have for `field`: taken for the live configuration's default and left
// out, so the candidate configuration's default applies (an agent's own value stays).
std::optional<std::int64_t> common_value(const std::vector<json::object>& agents,
                                         std::string_view field) {
  std::map<std::int64_t, std::size_t> counts;
  for (const auto& a : agents) {
    if (const auto* v = a.if_contains(field); v != nullptr && v->is_int64())
      ++counts[v->as_int64()];
  }
  if (counts.empty()) return std::nullopt;
  return std::max_element(counts.begin(), counts.end(),
                          [](const auto& x, const auto& y) { return x.second < y.second; })
      ->first;
}

// Seconds from `from` to `to` as a JSON number: 12, 0.25.
std::string seconds_between(std::int64_t from, std::int64_t to) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, static_cast<double>(to - from) / 1000.0);
  return std::string(buf, r.ptr);
}

}  // namespace

exported_workload export_workload(std::span<const std::string> agent_pages, std::string_view events,
                                  std::int64_t since_ms) {
  exported_workload out;
  std::vector<json::object> agents;
  for (const auto& page : agent_pages) {
    json::error_code ec;
    auto v = json::parse(page, ec);
    const auto* list = !ec && v.is_object() ? v.get_object().if_contains("agents") : nullptr;
    if (list == nullptr || !list->is_array()) {
      out.problem = "the agent list is not what ticketd answers";
      return out;
    }
    for (const auto& a : list->get_array()) {
      if (a.is_object()) agents.push_back(a.get_object());
    }
  }
  const auto stream = parse_sse(events);

  // Agents with a status change in the window started the window in another status; so did
  // their presence on a channel.
  std::map<std::string, std::string> first_status;
  std::map<std::pair<std::string, std::string>, std::string> first_channel_status;
  for (const auto& e : stream) {
    if (e.type != "agent.status") continue;
    if (const auto ch = text(e.data, "channel"); !ch.empty()) {
      first_channel_status.emplace(std::pair{text(e.data, "agent"), ch}, text(e.data, "status"));
    } else {
      first_status.emplace(text(e.data, "agent"), text(e.data, "status"));
    }
  }
  // The agents come first: at `since`, or at the first event when ticketd's clock runs behind
  // the stream's ids (a manual clock), so the lines stay in time order.
  std::int64_t agents_at = since_ms;
  for (const auto& e : stream) {
    if (const auto at = time_of(e.data)) {
      agents_at = std::min(agents_at, *at);
      break;
    }
  }
  const auto common_max = common_value(agents, "max_concurrent");
  const auto common_capacity = common_value(agents, "capacity");
  std::vector<std::string> lines;
  for (const auto& a : agents) {
    json::object fields;
    fields["op"] = "agent";
    fields["id"] = a.at("id");
    for (const char* key : {"name", "queues", "skills"}) {
      if (const auto* v = a.if_contains(key)) fields[key] = *v;
    }
    for (const auto& [key, common] :
         {std::pair{"max_concurrent", common_max}, std::pair{"capacity", common_capacity}}) {
      const auto* v = a.if_contains(key);
      if (v != nullptr && v->is_int64() && v->as_int64() != common) fields[key] = *v;
    }
    std::string status = text(a, "status");
    if (const auto it = first_status.find(text(a, "id")); it != first_status.end()) {
      status = it->second == "online" ? "offline" : "online";
    }
    fields["status"] = status;
    lines.push_back(line_of(agents_at, fields));
    ++out.agents;
    // Presence by channel, as status lines of their own: a candidate without those channels
    // refuses the line, not the agent.
    std::map<std::string, std::string> channels;
    if (const auto* ch = a.if_contains("channels"); ch != nullptr && ch->is_object()) {
      for (const auto& kv : ch->get_object()) {
        if (kv.value().is_string()) channels[kv.key()] = std::string{kv.value().get_string()};
      }
    }
    for (const auto& [key, first] : first_channel_status) {
      if (key.first == text(a, "id")) channels[key.second] = first == "online" ? "away" : "online";
    }
    for (const auto& [channel, presence] : channels) {
      if (presence == "online") continue;
      lines.push_back(line_of(agents_at, json::object{{"op", "status"},
                                                      {"agent", text(a, "id")},
                                                      {"status", presence},
                                                      {"channel", channel}}));
    }
  }

  std::map<std::string, round> rounds;
  // The daemons' clocks write `at`, the stream orders the events: several daemons (or one call
  // reading before it writes) can put an event a few ms before the one ahead of it. The
  // workload keeps the stream's order, so no line goes back in time.
  std::int64_t last_at = agents_at;
  auto write = [&](std::int64_t at, const json::object& fields) {
    last_at = std::max(at, last_at);
    lines.push_back(line_of(last_at, fields));
  };
  for (const auto& e : stream) {
    const auto at = time_of(e.data);
    if (!at) continue;
    const std::string ticket = text(e.data, "ticket");
    const std::string via = text(e.data, "via");
    if (e.type == "ticket.queued" && !e.data.contains("via")) {
      // An arrival: the create body is its `request` and its id (only the id when none).
      json::object fields;
      fields["op"] = "create";
      fields["id"] = ticket;
      if (const auto* request = e.data.if_contains("request"); request && request->is_object()) {
        for (const auto& kv : request->get_object()) fields[kv.key()] = kv.value();
      }
      rounds[ticket].line = lines.size();
      write(*at, fields);
      ++out.arrivals;
    } else if ((e.type == "ticket.assigned" || e.type == "ticket.queued") &&
               via == "customer_reply") {
      if (!rounds.contains(ticket)) continue;  // arrived before the window
      if (!rounds[ticket].resolved) rounds[ticket].interrupted = true;
      write(*at, json::object{{"op", "customer-reply"}, {"ticket", ticket}});
      ++out.customer_replies;
    } else if (e.type == "agent.status") {
      // Set by ticketd itself (missed offers, offer timeouts): the simulation does that too.
      if (e.data.contains("via") || e.data.contains("reason")) continue;
      json::object fields{
          {"op", "status"}, {"agent", text(e.data, "agent")}, {"status", text(e.data, "status")}};
      if (const auto ch = text(e.data, "channel"); !ch.empty()) fields["channel"] = ch;
      write(*at, fields);
      ++out.status_changes;
    }
    const auto it = rounds.find(ticket);
    if (it == rounds.end()) continue;
    auto& r = it->second;
    if (e.type == "ticket.assigned" && !r.assigned) {
      r.assigned = at;
    } else if (e.type == "ticket.pending" && r.assigned && !r.replied) {
      r.replied = at;
    } else if (e.type == "ticket.resolved" && r.replied && !r.resolved &&
               text(e.data, "reason") == "agent") {
      r.resolved = at;
    }
  }
  // A ticket's handle: its first round as it happened, when the stream shows all of it.
  for (const auto& [ticket, r] : rounds) {
    if (!r.assigned || !r.replied || !r.resolved || r.interrupted) continue;
    auto& text_line = lines[r.line];
    text_line.pop_back();  // "}\n"
    text_line.pop_back();
    text_line += R"(,"handle":{"reply_after":)" + seconds_between(*r.assigned, *r.replied) +
                 R"(,"resolve_after":)" + seconds_between(*r.replied, *r.resolved) + "}}\n";
    ++out.with_handling;
  }
  for (auto& l : lines) out.lines += l;
  return out;
}

}  // namespace ticketd::ctl
