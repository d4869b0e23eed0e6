#include "simulate/workload.hpp"

#include <charconv>
#include <cmath>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "daemon/api/requests.hpp"
#include "routing/ids.hpp"
#include "routing/time_format.hpp"

namespace ticketd::simulate {

namespace {

namespace json = boost::json;

constexpr std::size_t max_errors = 20;
// A handling time beyond this is a typo (milliseconds for seconds), not a slow agent.
constexpr double max_handling_s = 30.0 * 24 * 3600;

// Seconds (a JSON number) as milliseconds, or nullopt when it is not one in range.
std::optional<std::int64_t> seconds_of(const json::value* v) {
  if (v == nullptr || !v->is_number()) return std::nullopt;
  const double s = v->to_number<double>();
  if (!std::isfinite(s) || s < 0 || s > max_handling_s) return std::nullopt;
  return static_cast<std::int64_t>(std::llround(s * 1000));
}

// The "reply_after"/"resolve_after" members of `o`, and "spread" when `spread` (a ticket's own
// handle is exact: it says what happened).
std::optional<std::string> read_handling(const json::object& o, handling& out, bool spread) {
  auto reply = seconds_of(o.if_contains("reply_after"));
  auto resolve = seconds_of(o.if_contains("resolve_after"));
  if (!reply || !resolve) {
    return "reply_after and resolve_after must be numbers of seconds from 0 to 2592000";
  }
  out.reply_after_ms = *reply;
  out.resolve_after_ms = *resolve;
  if (const auto* s = o.if_contains("spread"); s != nullptr && spread) {
    if (!s->is_number() || s->to_number<double>() < 0 || s->to_number<double>() > 1) {
      return "spread must be a number from 0 to 1";
    }
    out.spread = s->to_number<double>();
  }
  for (const auto& kv : o) {
    const auto k = kv.key();
    if (k != "reply_after" && k != "resolve_after" && (k != "spread" || !spread) &&
        k != "channel" && k != "at" && k != "op") {
      return "unknown field '" + std::string{k} + "' in handling";
    }
  }
  return std::nullopt;
}

std::string text_of(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  return v != nullptr && v->is_string() ? std::string{v->get_string()} : std::string{};
}

// What the API parser says, as one line.
std::string api_message(const routing::error& e) {
  std::string out = e.message;
  for (const auto& [k, v] : e.details) {
    if (k == "field") out += " (field " + v + ")";
  }
  return out;
}

// One line's operation, or the reason it is not one.
std::variant<workload_op, std::string> parse_line(std::string_view line) {
  json::error_code ec;
  auto v = json::parse(line, ec);
  if (ec || !v.is_object()) return std::string{"not a JSON object"};
  auto& o = v.get_object();
  workload_op op;
  const auto at = routing::parse_rfc3339(text_of(o, "at"));
  if (!at) return std::string{"at must be an RFC 3339 time"};
  op.at = *at;
  const std::string kind = text_of(o, "op");
  o.erase("at");
  o.erase("op");
  if (kind == "agent") {
    agent_op a;
    a.id = text_of(o, "id");
    if (!routing::is_valid_id(a.id)) return std::string{"id must be an agent id"};
    o.erase("id");
    const bool has_status = o.contains("status");
    auto r = daemon::api::parse_agent(json::serialize(o));
    if (!r) return api_message(r.error());
    a.request = std::move(*r);
    if (!has_status) a.request.status = routing::agent_status::online;  // a shift starts
    if (a.request.name.empty()) a.request.name = a.id;
    op.what = std::move(a);
  } else if (kind == "status") {
    status_op s;
    s.agent = text_of(o, "agent");
    if (!routing::is_valid_id(s.agent)) return std::string{"agent must be an agent id"};
    o.erase("agent");
    auto r = daemon::api::parse_status(json::serialize(o));
    if (!r) return api_message(r.error());
    s.request = std::move(*r);
    op.what = std::move(s);
  } else if (kind == "create") {
    create_op c;
    if (const auto* h = o.if_contains("handle")) {
      if (!h->is_object()) return std::string{"handle must be an object"};
      handling value;
      if (auto e = read_handling(h->get_object(), value, false)) return *e;
      c.handle = value;
      o.erase("handle");
    }
    auto r = daemon::api::parse_create(json::serialize(o));
    if (!r) return api_message(r.error());
    c.request = std::move(*r);
    op.what = std::move(c);
  } else if (kind == "customer-reply") {
    customer_reply_op r{text_of(o, "ticket")};
    if (!routing::is_valid_id(r.ticket)) return std::string{"ticket must be a ticket id"};
    op.what = std::move(r);
  } else if (kind == "handling") {
    handling_op h;
    h.channel = text_of(o, "channel");
    if (h.channel.empty()) return std::string{"channel must be a channel name or default"};
    if (auto e = read_handling(o, h.value, true)) return *e;
    op.what = std::move(h);
  } else {
    return "op must be agent, status, create, customer-reply or handling, not '" + kind + "'";
  }
  return op;
}

std::optional<double> number_of(std::string_view text) {
  double v = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || r.ec != std::errc{} || r.ptr != text.data() + text.size()) {
    return std::nullopt;
  }
  return v;
}

}  // namespace

parsed_workload parse_workload(std::istream& in) {
  parsed_workload out;
  std::string line;
  std::int64_t last = 0;
  for (std::size_t n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto parsed = parse_line(line);
    std::string problem;
    if (auto* op = std::get_if<workload_op>(&parsed)) {
      if (op->at < last) {
        problem = "at goes back in time (lines must be in time order)";
      } else {
        last = op->at;
        op->line = n;
        out.value.ops.push_back(std::move(*op));
        continue;
      }
    } else {
      problem = std::get<std::string>(parsed);
    }
    if (out.errors.size() < max_errors) out.errors.push_back({n, std::move(problem)});
  }
  return out;
}

std::optional<std::pair<std::string, handling>> parse_handle_option(std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) return std::nullopt;
  std::vector<double> values;
  std::string_view rest = text.substr(eq + 1);
  while (!rest.empty() || values.empty()) {
    const auto comma = rest.find(',');
    auto v = number_of(rest.substr(0, comma));
    if (!v || *v < 0 || *v > max_handling_s) return std::nullopt;
    values.push_back(*v);
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  if (values.size() < 2 || values.size() > 3 || (values.size() == 3 && values[2] > 1)) {
    return std::nullopt;
  }
  handling h;
  h.reply_after_ms = static_cast<std::int64_t>(std::llround(values[0] * 1000));
  h.resolve_after_ms = static_cast<std::int64_t>(std::llround(values[1] * 1000));
  if (values.size() == 3) h.spread = values[2];
  return std::pair{std::string{text.substr(0, eq)}, h};
}

}  // namespace ticketd::simulate
