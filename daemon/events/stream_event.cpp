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
    for (std::size_t i = 0; i + 1 < kv.size(); i += 2) {
      if (kv[i].str == "type") {
        e.type = kv[i + 1].str;
      } else {
        e.fields.emplace_back(kv[i].str, kv[i + 1].str);
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
