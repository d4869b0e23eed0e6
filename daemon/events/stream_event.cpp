#include "daemon/events/stream_event.hpp"

#include <algorithm>
#include <charconv>

#include "daemon/api/json_writer.hpp"

namespace ticketd::daemon {

namespace {

// Fields holding epoch milliseconds, rendered as RFC 3339.
bool is_time_field(std::string_view name) {
  return name == "at" || name == "until" || name == "expires" || name == "due";
}

// Fields holding counts, rendered as numbers.
bool is_count_field(std::string_view name) { return name == "attempt" || name == "of"; }

// Fields holding JSON the daemon wrote compact (a new ticket's create body), rendered as is.
bool is_json_field(std::string_view name) { return name == "request"; }

std::optional<std::int64_t> to_int(std::string_view text) {
  std::int64_t v = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc{} || r.ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

// An entry of one field (routing/lua/include/events.lua, emit): named by the event's type, its
// value the subject's id, the time and the pairs, separated by 0x1f. The subject is the agent
// for the `agent.*` types, else the ticket. Fills e as the entry of separate fields would. A
// value short of parts (which the library does not write) still makes an event, with what it
// holds: a reader moves past every entry, and one it skipped could look like the stream's end.
void unpack(std::string_view type, std::string_view packed, stream_event& e) {
  constexpr char sep = '\x1f';
  e.type = type;
  e.fields.reserve(6);
  std::size_t n = 0;
  std::string_view name;
  for (std::size_t start = 0;; ++n) {
    const auto end = packed.find(sep, start);
    const auto part = packed.substr(start, end - start);
    if (n == 0) {
      e.fields.emplace_back(type.starts_with("agent.") ? "agent" : "ticket", part);
    } else if (n == 1) {
      e.fields.emplace_back("at", part);
    } else if (n % 2 == 0) {
      name = part;
    } else {
      e.fields.emplace_back(name, part);
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  if (n >= 2 && n % 2 == 0) e.fields.emplace_back(name, "");  // a name without its value
}

}  // namespace

std::string_view stream_event::field(std::string_view name) const {
  for (const auto& [k, v] : fields) {
    if (k == name) return v;
  }
  return {};
}

std::vector<stream_event> decode_entries(const routing::resp_value& entries) {
  std::vector<stream_event> out;
  if (!entries.is_array()) return out;
  out.reserve(entries.elements.size());
  for (const auto& entry : entries.elements) {
    if (!entry.is_array() || entry.elements.size() != 2 || !entry.elements[1].is_array()) continue;
    stream_event e;
    e.id = entry.elements[0].str;
    const auto& kv = entry.elements[1].elements;
    if (kv.size() == 2 && kv[0].str != "type") {
      unpack(kv[0].str, kv[1].str, e);
    } else {
      for (std::size_t i = 0; i + 1 < kv.size(); i += 2) {
        if (kv[i].str == "type") {
          e.type = kv[i + 1].str;
        } else {
          e.fields.emplace_back(kv[i].str, kv[i + 1].str);
        }
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<stream_event> decode_xread(const routing::resp_value& reply) {
  if (!reply.is_array() || reply.elements.empty()) return {};
  const auto& stream = reply.elements[0];
  if (!stream.is_array() || stream.elements.size() != 2) return {};
  return decode_entries(stream.elements[1]);
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_stream_id(std::string_view id) {
  const auto dash = id.find('-');
  const auto ms_text = id.substr(0, dash);
  std::uint64_t ms = 0, seq = 0;
  auto r = std::from_chars(ms_text.data(), ms_text.data() + ms_text.size(), ms);
  if (ms_text.empty() || r.ec != std::errc{} || r.ptr != ms_text.data() + ms_text.size()) {
    return std::nullopt;
  }
  if (dash != std::string_view::npos) {
    const auto seq_text = id.substr(dash + 1);
    r = std::from_chars(seq_text.data(), seq_text.data() + seq_text.size(), seq);
    if (seq_text.empty() || r.ec != std::errc{} || r.ptr != seq_text.data() + seq_text.size()) {
      return std::nullopt;
    }
  }
  return std::pair{ms, seq};
}

routing::command newest_entry_query(std::string_view key) {
  return std::move(routing::command{"XREVRANGE"}.arg(key).arg("+").arg("-").arg("COUNT").arg(1));
}

std::string newest_stream_id(const routing::resp_value& xrevrange_reply) {
  const auto newest = decode_entries(xrevrange_reply);
  return newest.empty() ? std::string{"0-0"} : newest.front().id;
}

std::vector<std::string_view> agents_of(const stream_event& e) {
  std::vector<std::string_view> out;
  auto add = [&](std::string_view a) {
    if (!a.empty() && std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  };
  add(e.field("agent"));
  add(e.field("holder"));
  if (e.type == "ticket.assigned") add(e.field("from"));  // a reassignment names the agent
  return out;
}

std::string event_data_json(const stream_event& e, bool with_header) {
  std::string out;
  out.reserve(64 + e.fields.size() * 24);
  api::json_writer w(out);
  w.begin_object();
  if (with_header) {
    w.field("type", e.type);
    w.field("id", e.id);
  }
  for (const auto& [name, value] : e.fields) {
    if (value.empty()) continue;  // the functions write '' for "none"
    w.key(name);
    if (is_time_field(name)) {
      if (auto ms = to_int(value)) {
        w.timestamp(*ms);
        continue;
      }
    } else if (is_count_field(name)) {
      if (auto n = to_int(value)) {
        w.number(*n);
        continue;
      }
    } else if (is_json_field(name)) {
      w.raw(value);
      continue;
    }
    w.string(value);
  }
  w.end_object();
  return out;
}

std::string sse_record(const stream_event& e) {
  std::string out;
  out.reserve(96 + e.fields.size() * 24);
  out.append("id: ").append(e.id).append("\nevent: ").append(e.type).append("\ndata: ");
  out.append(event_data_json(e, false)).append("\n\n");
  return out;
}

}  // namespace ticketd::daemon
