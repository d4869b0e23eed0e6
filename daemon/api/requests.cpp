#include "daemon/api/requests.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include <boost/container/small_vector.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "config/units.hpp"
#include "daemon/api/json_writer.hpp"
#include "routing/ids.hpp"
#include "routing/time_format.hpp"

namespace ticketd::daemon::api {
namespace json = boost::json;
using routing::action_request;
using routing::agent_request;
using routing::create_request;
using routing::errc;
using routing::error;
using routing::patch_request;

namespace {

constexpr std::size_t max_list_items = 64;
constexpr std::size_t max_reason_length = 256;
constexpr std::size_t max_attributes = 64;
constexpr std::size_t max_attribute_value = 1024;

// Walks one JSON object, consuming known fields and reporting the first problem.
class fields {
 public:
  explicit fields(const json::object& obj) : obj_(obj) {}

  // The first field the caller never asked for, if any.
  std::optional<std::string_view> unknown() const {
    for (const auto& kv : obj_) {
      if (std::find(seen_.begin(), seen_.end(), kv.key()) == seen_.end()) return kv.key();
    }
    return std::nullopt;
  }

  // Whether the body names the field, null included (PATCH: null removes).
  bool named(std::string_view name) {
    seen_.push_back(name);
    return obj_.contains(name);
  }

  const json::value* find(std::string_view name) {
    seen_.push_back(name);
    const auto* v = obj_.if_contains(name);
    return v == nullptr || v->is_null() ? nullptr : v;
  }

 private:
  const json::object& obj_;
  // The names asked for: a body has a dozen at most, kept without an allocation.
  boost::container::small_vector<std::string_view, 16> seen_;
};

std::optional<error> read_string(fields& f, std::string_view name, std::string& out,
                                 bool required = false) {
  const auto* v = f.find(name);
  if (v == nullptr) {
    if (required) return invalid_argument(name, std::string{name} + " is required");
    return std::nullopt;
  }
  if (!v->is_string()) return invalid_argument(name, std::string{name} + " must be a string");
  out = v->get_string();
  return std::nullopt;
}

std::optional<error> read_id(fields& f, std::string_view name, std::string& out,
                             bool required = false) {
  if (auto e = read_string(f, name, out, required)) return e;
  if (!out.empty() || f.find(name) != nullptr) {
    if (!routing::is_valid_id(out)) {
      return invalid_argument(name, std::string{name} + " must match [A-Za-z0-9._:@-]{1,128}");
    }
  }
  return std::nullopt;
}

std::optional<error> read_reason(fields& f, std::string& out) {
  if (auto e = read_string(f, "reason", out)) return e;
  if (out.size() > max_reason_length) {
    return invalid_argument("reason", "reason must be at most 256 characters");
  }
  return std::nullopt;
}

std::optional<error> read_id_list(fields& f, std::string_view name, std::vector<std::string>& out) {
  const auto* v = f.find(name);
  if (v == nullptr) return std::nullopt;
  if (!v->is_array()) return invalid_argument(name, std::string{name} + " must be an array of ids");
  const auto& arr = v->get_array();
  if (arr.size() > max_list_items) {
    return invalid_argument(name, std::string{name} + " has more than 64 items");
  }
  for (const auto& item : arr) {
    if (!item.is_string() || !routing::is_valid_id(item.get_string())) {
      return invalid_argument(name, std::string{name} + " must be an array of ids");
    }
    out.emplace_back(item.get_string());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return std::nullopt;
}

// A whole number from `min` to `max`, if `v` is one.
std::optional<std::int64_t> whole(const json::value& v, std::int64_t min, std::int64_t max) {
  std::int64_t n = 0;
  if (v.is_int64()) {
    n = v.get_int64();
  } else if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(max)) {
    n = static_cast<std::int64_t>(v.get_uint64());
  } else if (v.is_double() && v.get_double() == std::floor(v.get_double()) &&
             v.get_double() >= static_cast<double>(min) &&
             v.get_double() <= static_cast<double>(max)) {
    n = static_cast<std::int64_t>(v.get_double());
  } else {
    return std::nullopt;
  }
  if (n < min || n > max) return std::nullopt;
  return n;
}

// An agent's `skills`: a list of names (level 1 each) or an object of name -> level 1..10.
std::optional<error> read_skill_levels(fields& f, std::vector<routing::skill_level>& out) {
  const auto* v = f.find("skills");
  if (v == nullptr) return std::nullopt;
  constexpr std::string_view shape =
      "skills must be a list of skill names or an object of name -> level (1 to 10)";
  std::vector<routing::skill_level> skills;
  if (v->is_array()) {
    std::vector<std::string> names;
    if (auto e = read_id_list(f, "skills", names)) return e;
    for (auto& n : names) skills.push_back({std::move(n), 1});
  } else if (v->is_object()) {
    if (v->get_object().size() > max_list_items) {
      return invalid_argument("skills", "skills has more than 64 items");
    }
    for (const auto& kv : v->get_object()) {
      if (!routing::is_valid_id(kv.key())) return invalid_argument("skills", std::string{shape});
      const auto level = whole(kv.value(), routing::min_skill_level, routing::max_skill_level);
      if (!level) {
        return invalid_argument("skills." + std::string{kv.key()},
                                "a skill's level is a whole number from 1 to 10");
      }
      skills.push_back({std::string{kv.key()}, static_cast<unsigned>(*level)});
    }
  } else {
    return invalid_argument("skills", std::string{shape});
  }
  out = routing::normalized(std::move(skills));
  return std::nullopt;
}

// A ticket's `requires`: [{"skill", "level" (1..10, default 1), "relax_after" (seconds)}].
constexpr std::int64_t max_relax_after_s = 365LL * 24 * 3600;
std::optional<error> read_requirements(fields& f, std::vector<config::requirement>& out) {
  const auto* v = f.find("requires");
  if (v == nullptr) return std::nullopt;
  if (!v->is_array()) {
    return invalid_argument("requires",
                            "requires must be a list of {\"skill\", \"level\", \"relax_after\"}");
  }
  if (v->get_array().size() > max_list_items) {
    return invalid_argument("requires", "requires has more than 64 items");
  }
  for (const auto& item : v->get_array()) {
    if (!item.is_object()) {
      return invalid_argument("requires", "each requirement is an object with a \"skill\"");
    }
    fields rf(item.get_object());
    config::requirement r;
    if (auto e = read_id(rf, "skill", r.skill, true))
      return invalid_argument("requires", e->message);
    if (const auto* level = rf.find("level")) {
      const auto n = whole(*level, routing::min_skill_level, routing::max_skill_level);
      if (!n) return invalid_argument("requires", "level must be a whole number from 1 to 10");
      r.level = static_cast<unsigned>(*n);
    }
    if (const auto* relax = rf.find("relax_after")) {
      const auto s = whole(*relax, 1, max_relax_after_s);
      if (!s) {
        return invalid_argument("requires",
                                "relax_after is a whole number of seconds from 1 to 31536000");
      }
      r.relax_after = config::millis{*s * 1000};
    }
    if (auto u = rf.unknown()) {
      return invalid_argument("requires",
                              "unknown field '" + std::string{*u} + "' in a requirement");
    }
    for (const auto& have : out) {
      if (have.skill == r.skill) {
        return invalid_argument("requires", "skill '" + r.skill + "' is required twice");
      }
    }
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.skill < b.skill; });
  return std::nullopt;
}

// `preferred_agents`: {"agents": [ids, 1 to 64], "for": seconds, 1 to 7 days}.
constexpr std::int64_t max_preference_s = 7LL * 24 * 3600;
std::optional<error> read_preference(const json::value& v,
                                     std::optional<routing::preference>& out) {
  constexpr std::string_view field = "preferred_agents";
  if (!v.is_object()) {
    return invalid_argument(field,
                            "preferred_agents must be {\"agents\": [...], \"for\": seconds}");
  }
  fields pf(v.get_object());
  routing::preference p;
  const auto* agents = pf.find("agents");
  if (agents == nullptr) return invalid_argument(field, "preferred_agents.agents is required");
  if (auto e = read_id_list(pf, "agents", p.agents)) return invalid_argument(field, e->message);
  if (p.agents.empty()) return invalid_argument(field, "preferred_agents.agents names no agent");
  const auto* for_s = pf.find("for");
  const auto s = for_s != nullptr ? whole(*for_s, 1, max_preference_s) : std::nullopt;
  if (!s) {
    return invalid_argument(field,
                            "preferred_agents.for is required: whole seconds from 1 to 604800 "
                            "(7 days)");
  }
  p.for_ms = *s * 1000;
  if (auto u = pf.unknown()) {
    return invalid_argument(field, "unknown field '" + std::string{*u} + "' in preferred_agents");
  }
  out = std::move(p);
  return std::nullopt;
}

std::optional<error> read_time(fields& f, std::string_view name, std::optional<std::int64_t>& out,
                               bool required = false) {
  std::string text;
  if (auto e = read_string(f, name, text, required)) return e;
  if (f.find(name) == nullptr) return std::nullopt;
  out = routing::parse_rfc3339(text);
  if (!out) {
    return invalid_argument(
        name, std::string{name} + " must be an RFC 3339 time such as 2026-11-22T10:00:00Z");
  }
  return std::nullopt;
}

// Parses the body as one JSON object (an empty body is an empty object).
routing::outcome<json::value> parse_object(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return json::value(json::object{});
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return invalid_argument("body", "the body is not valid JSON: " + ec.message());
  if (!v.is_object()) return invalid_argument("body", "the body must be a JSON object");
  return v;
}

std::optional<error> check_unknown(const fields& f) {
  if (auto u = f.unknown()) {
    return invalid_argument(*u, "unknown field '" + std::string{*u} + "'");
  }
  return std::nullopt;
}

// The attributes as scalar texts by name (`attributes`) and their canonical JSON (`text`,
// empty when there are none).
std::optional<error> read_attributes(fields& f,
                                     std::vector<std::pair<std::string, std::string>>& attributes,
                                     std::string& text_out) {
  const auto* v = f.find("attributes");
  if (v == nullptr) return std::nullopt;
  if (!v->is_object()) return invalid_argument("attributes", "attributes must be an object");
  const auto& obj = v->get_object();
  if (obj.size() > max_attributes) {
    return invalid_argument("attributes", "attributes has more than 64 entries");
  }
  for (const auto& kv : obj) {
    const std::string name{kv.key()};
    if (name.empty() || name.size() > 128) {
      return invalid_argument("attributes", "attribute names are 1 to 128 characters");
    }
    const auto& val = kv.value();
    std::string text;
    if (val.is_string()) {
      text = val.get_string();
    } else if (val.is_bool()) {
      text = val.get_bool() ? "true" : "false";
    } else if (val.is_int64()) {
      text = std::to_string(val.get_int64());
    } else if (val.is_uint64()) {
      text = std::to_string(val.get_uint64());
    } else if (val.is_double()) {
      // Boost.JSON reads 1e400 as infinity, which has no JSON text to store.
      if (!std::isfinite(val.get_double())) {
        return invalid_argument("attributes." + name, "attribute numbers must be finite");
      }
      // Shortest round-trip text (1.5, not Boost.JSON's 1.5E0), as YAML rules write numbers.
      char buf[32];
      const auto r = std::to_chars(buf, buf + sizeof buf, val.get_double());
      text.assign(buf, r.ptr);
    } else {
      return invalid_argument("attributes." + name,
                              "attribute values must be strings, numbers or booleans");
    }
    if (text.size() > max_attribute_value) {
      return invalid_argument("attributes." + name, "attribute values are at most 1024 characters");
    }
    attributes.emplace_back(name, std::move(text));
  }
  std::sort(attributes.begin(), attributes.end());
  if (attributes.empty()) return std::nullopt;
  // Canonical text: sorted keys, values as given (strings stay strings, numbers numbers).
  json_writer w(text_out);
  w.begin_object();
  for (const auto& [name, text] : attributes) {
    w.key(name);
    const auto& val = obj.at(name);
    if (val.is_string()) {
      w.string(text);
    } else {
      w.raw(text);
    }
  }
  w.end_object();
  return std::nullopt;
}

// FNV-1a over the canonical payload, kept to 53 bits so Redis stores it as a small integer.
std::string fingerprint_of(const create_request& r) {
  std::uint64_t h = 14695981039346656037ULL;
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    h ^= 0xff;  // field separator
    h *= 1099511628211ULL;
  };
  mix(r.id);
  mix(r.queue);
  mix(r.priority);
  mix(r.channel);
  for (const auto& s : r.skills) mix(s);
  mix("|");
  mix(r.attributes_json);
  mix(r.created_at ? std::to_string(*r.created_at) : std::string{});
  // Mixed in only when given, so the fingerprints of tickets without requirements stay as they
  // were before requirements existed.
  if (!r.requirements.empty()) mix(routing::format_requirements(r.requirements));
  if (!r.customer.empty()) mix("customer=" + r.customer);
  if (r.preferred)
    mix("preferred=" + routing::format_preference(r.preferred->for_ms, r.preferred->agents));
  return std::to_string(h >> 11);
}

}  // namespace

error invalid_argument(std::string_view field, std::string message) {
  error e{errc::invalid_argument, std::move(message), {}};
  e.details.emplace_back("field", std::string{field});
  return e;
}

routing::outcome<create_request> parse_create(std::string_view body) {
  auto parsed = parse_object(body);
  if (!parsed) return parsed.error();
  fields f(parsed->get_object());
  create_request r;
  if (auto e = read_id(f, "id", r.id, true)) return *e;
  if (auto e = read_id(f, "queue", r.queue)) return *e;
  if (auto e = read_id(f, "priority", r.priority)) return *e;
  if (auto e = read_id(f, "channel", r.channel)) return *e;
  if (auto e = read_id_list(f, "skills", r.skills)) return *e;
  if (auto e = read_attributes(f, r.attributes, r.attributes_json)) return *e;
  if (auto e = read_time(f, "created_at", r.created_at)) return *e;
  if (auto e = read_requirements(f, r.requirements)) return *e;
  if (auto e = read_id(f, "customer", r.customer)) return *e;
  if (const auto* v = f.find("preferred_agents")) {
    if (auto e = read_preference(*v, r.preferred)) return *e;
  }
  if (auto e = check_unknown(f)) return *e;
  r.fingerprint = fingerprint_of(r);
  // What ticket.queued carries for a replay: the body but its id (the event's `ticket`), its
  // members in the order sent, written straight from the parsed object (no copy of it).
  for (const auto& kv : parsed->get_object()) {
    if (kv.key() == "id") continue;
    r.body += r.body.empty() ? '{' : ',';
    r.body += json::serialize(kv.key());
    r.body += ':';
    r.body += json::serialize(kv.value());
  }
  if (!r.body.empty()) r.body += '}';
  return r;
}

routing::outcome<patch_request> parse_patch(std::string_view body) {
  auto parsed = parse_object(body);
  if (!parsed) return parsed.error();
  fields f(parsed->get_object());
  patch_request r;
  if (f.named("priority")) {
    std::string priority;
    if (auto e = read_id(f, "priority", priority, true)) return *e;
    r.priority = std::move(priority);
  }
  if (f.named("channel")) {
    std::string channel;
    if (auto e = read_id(f, "channel", channel)) return *e;
    r.channel = std::move(channel);
  }
  if (f.named("skills")) {
    std::vector<std::string> skills;
    if (auto e = read_id_list(f, "skills", skills)) return *e;
    r.skills = std::move(skills);
  }
  if (f.named("attributes")) {
    std::vector<std::pair<std::string, std::string>> attributes;
    std::string text;
    if (auto e = read_attributes(f, attributes, text)) return *e;
    r.attributes_json = std::move(text);
  }
  if (f.named("requires")) {
    std::vector<config::requirement> requirements;
    if (auto e = read_requirements(f, requirements)) return *e;
    r.requirements = std::move(requirements);
  }
  if (f.named("preferred_agents")) {
    std::optional<routing::preference> preferred;
    if (const auto* v = f.find("preferred_agents")) {
      if (auto e = read_preference(*v, preferred)) return *e;
    }
    r.preferred = std::move(preferred);
  }
  if (auto e = check_unknown(f)) return *e;
  if (!r.priority && !r.channel && !r.skills && !r.attributes_json && !r.requirements &&
      !r.preferred) {
    return invalid_argument("body",
                            "name at least one field to change: priority, channel, skills, "
                            "attributes, requires, preferred_agents");
  }
  return r;
}

routing::outcome<agent_frame> parse_agent_frame(std::string_view text) {
  auto parsed = parse_object(text);
  if (!parsed) return parsed.error();
  fields f(parsed->get_object());
  agent_frame out;
  std::string action;
  if (auto e = read_string(f, "action", action, true)) return *e;
  if (action == "accept") {
    out.action = routing::ticket_action::accept;
  } else if (action == "reject") {
    out.action = routing::ticket_action::reject;
    if (auto e = read_reason(f, out.request.reason)) return *e;
  } else {
    return invalid_argument("action", "action must be accept or reject");
  }
  if (auto e = read_id(f, "ticket", out.ticket, true)) return *e;
  if (auto e = read_string(f, "token", out.request.token)) return *e;
  if (auto e = check_unknown(f)) return *e;
  return out;
}

routing::outcome<action_request> parse_action(routing::ticket_action action,
                                              std::string_view body) {
  using routing::ticket_action;
  auto parsed = parse_object(body);
  if (!parsed) return parsed.error();
  fields f(parsed->get_object());
  action_request r;
  std::optional<error> e;
  switch (action) {
    // The agent is required of a backend; an agent's own token names it (service.cpp).
    case ticket_action::accept:
      if (!e) e = read_id(f, "agent", r.agent);
      if (!e) e = read_string(f, "token", r.token);
      break;
    case ticket_action::reject:
      if (!e) e = read_id(f, "agent", r.agent);
      if (!e) e = read_reason(f, r.reason);
      if (!e) e = read_string(f, "token", r.token);
      break;
    case ticket_action::reply:
    case ticket_action::release:
      e = read_id(f, "agent", r.agent);
      break;
    case ticket_action::postpone:
      e = read_time(f, "until", r.until, true);
      break;
    case ticket_action::resolve:
      e = read_reason(f, r.reason);
      break;
    case ticket_action::transfer:
      e = read_id(f, "queue", r.queue, true);
      break;
    case ticket_action::escalate:
      if (!e) e = read_id(f, "queue", r.queue);
      if (!e) e = read_id(f, "priority", r.priority);
      if (!e) e = read_reason(f, r.reason);
      break;
    case ticket_action::reassign:
      e = read_id(f, "agent", r.agent, true);
      if (!e) {
        if (const auto* v = f.find("force")) {
          if (!v->is_bool()) {
            e = invalid_argument("force", "force must be true or false");
          } else {
            r.force = v->get_bool();
          }
        }
      }
      break;
    case ticket_action::customer_reply:
    case ticket_action::reopen:
    case ticket_action::close:
      break;
  }
  if (e) return *e;
  if (auto u = check_unknown(f)) return *u;
  return r;
}

routing::outcome<agent_request> parse_agent(std::string_view body) {
  auto parsed = parse_object(body);
  if (!parsed) return parsed.error();
  fields f(parsed->get_object());
  agent_request r;
  if (auto e = read_string(f, "name", r.name)) return *e;
  if (r.name.size() > 256) return invalid_argument("name", "name must be at most 256 characters");
  if (auto e = read_id_list(f, "queues", r.queues)) return *e;
  if (auto e = read_skill_levels(f, r.skills)) return *e;
  if (const auto* v = f.find("max_concurrent")) {
    const auto n = v->is_int64()    ? v->get_int64()
                   : v->is_uint64() ? static_cast<std::int64_t>(v->get_uint64())
                                    : -1;
    if (n < 1 || n > 10000) {
      return invalid_argument("max_concurrent",
                              "max_concurrent must be an integer from 1 to 10000");
    }
    r.max_concurrent = static_cast<unsigned>(n);
  }
  std::string status;
  if (auto e = read_string(f, "status", status)) return *e;
  if (f.find("status") != nullptr) {
    r.status = routing::parse_agent_status(status);
    if (!r.status) return invalid_argument("status", "status must be online, away or offline");
  }
  if (const auto* v = f.find("capacity")) {
    const auto n = v->is_int64()    ? v->get_int64()
                   : v->is_uint64() ? static_cast<std::int64_t>(v->get_uint64())
                                    : -1;
    if (n < 1 || n > 100000) {
      return invalid_argument("capacity", "capacity must be an integer from 1 to 100000 (units)");
    }
    r.capacity = static_cast<unsigned>(n);
  }
  if (const auto* v = f.find("channels")) {
    constexpr std::string_view shape =
        "channels must be an object of channel -> online, away or offline";
    if (!v->is_object() || v->get_object().size() > 64) {
      return invalid_argument("channels", std::string{shape});
    }
    for (const auto& kv : v->get_object()) {
      const auto s = kv.value().is_string()
                         ? routing::parse_agent_status(std::string_view{kv.value().get_string()})
                         : std::nullopt;
      if (!routing::is_valid_id(kv.key()) || !s) {
        return invalid_argument("channels", std::string{shape});
      }
      // Online follows the agent: only the others are kept.
      if (*s != routing::agent_status::online) r.channels.emplace_back(std::string{kv.key()}, *s);
    }
    std::sort(r.channels.begin(), r.channels.end());
    r.channels_named = true;
  }
  if (auto e = check_unknown(f)) return *e;
  return r;
}

routing::outcome<routing::status_request> parse_status(std::string_view body) {
  auto parsed = parse_object(body);
  if (!parsed) return parsed.error();
  fields f(parsed->get_object());
  std::string status;
  routing::status_request r;
  if (auto e = read_string(f, "status", status, true)) return *e;
  if (auto e = read_string(f, "channel", r.channel)) return *e;
  if (auto e = check_unknown(f)) return *e;
  const auto s = routing::parse_agent_status(status);
  if (!s) return invalid_argument("status", "status must be online, away or offline");
  if (f.find("channel") != nullptr && !routing::is_valid_id(r.channel)) {
    return invalid_argument("channel", "channel must be a channel name");
  }
  r.status = *s;
  return r;
}

routing::outcome<clock_request> parse_clock(std::string_view body) {
  auto parsed = parse_object(body);
  if (!parsed) return parsed.error();
  fields f(parsed->get_object());
  clock_request r;
  if (auto e = read_time(f, "now", r.set_ms)) return *e;
  std::string advance;
  if (auto e = read_string(f, "advance", advance)) return *e;
  if (f.find("advance") != nullptr) {
    auto span = config::parse_span(advance, config::sign_rule::positive_only,
                                   config::business_rule::wall_only);
    if (auto* failure = std::get_if<config::parse_failure>(&span)) {
      return invalid_argument("advance", failure->message);
    }
    r.advance_ms = std::get<config::span>(span).length.count();
  }
  if (auto e = check_unknown(f)) return *e;
  if (r.set_ms.has_value() == r.advance_ms.has_value()) {
    return invalid_argument("body", "give exactly one of now or advance");
  }
  return r;
}

std::optional<error> check_stream_token_body(std::string_view body, stream_scope scope) {
  const bool events = scope == stream_scope::events;
  auto parsed = parse_object(body);
  if (!parsed) return parsed.error();
  fields f(parsed->get_object());
  std::string given;
  if (auto e = read_string(f, "scope", given, events)) return *e;
  if (auto e = check_unknown(f)) return *e;
  const std::string_view wanted = events ? "events" : "agent";
  if (f.find("scope") != nullptr && given != wanted) {
    return invalid_argument("scope", events ? "scope must be events (an agent's stream has its "
                                              "own route: POST /v1/agents/{id}/stream-token)"
                                            : "scope must be agent, or left out");
  }
  return std::nullopt;
}

std::optional<std::int64_t> parse_if_match(std::string_view header) {
  if (header.substr(0, 2) == "W/") header.remove_prefix(2);
  if (header.size() >= 2 && header.front() == '"' && header.back() == '"') {
    header = header.substr(1, header.size() - 2);
  }
  std::int64_t v = 0;
  const auto r = std::from_chars(header.data(), header.data() + header.size(), v);
  if (r.ec != std::errc{} || r.ptr != header.data() + header.size() || v < 0) return std::nullopt;
  return v;
}

bool is_valid_header_token(std::string_view value) {
  if (value.empty() || value.size() > 128) return false;
  return std::all_of(value.begin(), value.end(), [](char ch) { return ch > 0x20 && ch < 0x7f; });
}

std::string request_fingerprint(std::string_view method, std::string_view target,
                                std::string_view body, std::string_view caller) {
  // FNV-1a, 64 bits: a client reusing its own key by mistake is what this tells apart, not an
  // adversary (the key is the client's, and so is the body).
  // The caller is written out, not hashed: two callers never share a fingerprint.
  std::uint64_t h = 14695981039346656037ULL;
  for (const unsigned char ch : body) {
    h ^= ch;
    h *= 1099511628211ULL;
  }
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(method.size() + target.size() + caller.size() + 19);
  out.append(method).push_back(' ');
  out.append(target).push_back(' ');
  out.append(caller).push_back(' ');
  for (int shift = 60; shift >= 0; shift -= 4) out.push_back(digits[(h >> shift) & 0xf]);
  return out;
}

}  // namespace ticketd::daemon::api
