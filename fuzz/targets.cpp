#include "fuzz/targets.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

#include "config/loader.hpp"
#include "config/units.hpp"
#include "daemon/api/json_writer.hpp"
#include "daemon/api/requests.hpp"
#include "daemon/api/routes.hpp"
#include "daemon/events/stream_event.hpp"
#include "routing/ids.hpp"
#include "routing/transitions.hpp"

namespace ticketd::fuzz {
namespace {

using daemon::api::http_method;
using daemon::api::json_writer;
using daemon::api::route_id;
using routing::ticket_action;

void require(bool ok, const char* what, std::string_view written = {}) {
  if (ok) return;
  std::string message = what;
  if (!written.empty()) message.append(": ").append(written);
  throw property_violation(message);
}

// A view inside `whole` (or empty): parsers hand out views of their input, never of a copy.
bool within(std::string_view part, std::string_view whole) {
  if (part.empty()) return true;
  const auto* begin = whole.data();
  return std::less_equal<>{}(begin, part.data()) &&
         std::less_equal<>{}(part.data() + part.size(), begin + whole.size());
}

template <class T>
void check_error(const routing::outcome<T>& r) {
  if (r) return;
  const auto& e = r.error();
  require(e.code == routing::errc::invalid_argument, "a request error is invalid_argument");
  require(!e.message.empty(), "a request error has a message");
  require(e.detail("field").has_value(), "a request error names its field");
}

bool valid_id_list(const std::vector<std::string>& ids) {
  return ids.size() <= 64 && std::is_sorted(ids.begin(), ids.end()) &&
         std::adjacent_find(ids.begin(), ids.end()) == ids.end() &&
         std::all_of(ids.begin(), ids.end(),
                     [](const auto& id) { return routing::is_valid_id(id); });
}

// Boost.JSON 1.81 reads decimals to within a few units in the last place, not always to the
// nearest double (boostorg/json#599; precise parsing came in 1.83), so a number attribute written
// back with its shortest text may return a step or two away.
bool same_attribute(const std::pair<std::string, std::string>& a,
                    const std::pair<std::string, std::string>& b) {
  if (a == b) return true;
  if (a.first != b.first) return false;
  const auto number = [](const std::string& text) -> std::optional<double> {
    double v = 0;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (r.ec != std::errc{} || r.ptr != text.data() + text.size()) return std::nullopt;
    return v;
  };
  const auto x = number(a.second);
  const auto y = number(b.second);
  if (!x || !y) return false;
  const double scale = std::max({std::abs(*x), std::abs(*y), std::numeric_limits<double>::min()});
  return std::abs(*x - *y) <= 4 * std::numeric_limits<double>::epsilon() * scale;
}

// Each parsed request is written back as JSON with the daemon's own writer and parsed again:
// the result must be the same value, so nothing the parser accepts is lost or changed on the way.

void check_create(std::string_view body) {
  const auto r = daemon::api::parse_create(body);
  check_error(r);
  if (!r) return;
  require(routing::is_valid_id(r->id), "create: the id is valid");
  for (const auto* s : {&r->queue, &r->priority, &r->channel}) {
    require(s->empty() || routing::is_valid_id(*s), "create: queue, priority, channel are ids");
  }
  require(valid_id_list(r->skills), "create: skills are sorted, unique, valid ids");
  require(r->attributes.size() <= 64 && std::is_sorted(r->attributes.begin(), r->attributes.end()),
          "create: attributes are sorted and at most 64");
  require(r->attributes.empty() == r->attributes_json.empty(),
          "create: attributes_json is set exactly when there are attributes");
  require(!r->fingerprint.empty(), "create: a fingerprint");

  std::string again;
  json_writer w(again);
  w.begin_object().field("id", r->id);
  if (!r->queue.empty()) w.field("queue", r->queue);
  if (!r->priority.empty()) w.field("priority", r->priority);
  if (!r->channel.empty()) w.field("channel", r->channel);
  if (!r->skills.empty()) w.key("skills").strings(r->skills);
  if (!r->attributes_json.empty()) w.key("attributes").raw(r->attributes_json);
  if (r->created_at) w.key("created_at").timestamp(*r->created_at);
  if (!r->customer.empty()) w.field("customer", r->customer);
  if (r->preferred) {
    w.key("preferred_agents").begin_object();
    w.key("agents").strings(r->preferred->agents);
    w.field("for", r->preferred->for_ms / 1000);
    w.end_object();
  }
  if (!r->requirements.empty()) {
    w.key("requires").begin_array();
    for (const auto& q : r->requirements) {
      w.begin_object().field("skill", q.skill).field("level", q.level);
      if (q.relax_after)
        w.field("relax_after", static_cast<std::int64_t>(q.relax_after->count() / 1000));
      w.end_object();
    }
    w.end_array();
  }
  w.end_object();
  const auto back = daemon::api::parse_create(again);
  require(back.has_value(), "create: the re-serialized request parses", again);
  require(std::tie(back->id, back->queue, back->priority, back->channel, back->skills,
                   back->created_at, back->requirements, back->customer, back->preferred) ==
              std::tie(r->id, r->queue, r->priority, r->channel, r->skills, r->created_at,
                       r->requirements, r->customer, r->preferred),
          "create: the re-serialized request parses to the same value", again);
  require(std::equal(r->attributes.begin(), r->attributes.end(), back->attributes.begin(),
                     back->attributes.end(), same_attribute),
          "create: the re-serialized attributes parse to the same values", again);
  if (back->attributes == r->attributes) {
    require(back->attributes_json == r->attributes_json && back->fingerprint == r->fingerprint,
            "create: the same request has the same canonical form and fingerprint", again);
  }
}

void check_action(ticket_action action, std::string_view body) {
  const auto r = daemon::api::parse_action(action, body);
  check_error(r);
  if (!r) return;
  for (const auto* s : {&r->agent, &r->queue, &r->priority}) {
    require(s->empty() || routing::is_valid_id(*s), "action: agent, queue, priority are ids");
  }
  require(r->reason.size() <= 256, "action: a reason of at most 256 characters");

  std::string again;
  json_writer w(again);
  w.begin_object();
  if (!r->agent.empty()) w.field("agent", r->agent);
  if (!r->token.empty()) w.field("token", r->token);
  if (!r->reason.empty()) w.field("reason", r->reason);
  if (!r->queue.empty()) w.field("queue", r->queue);
  if (!r->priority.empty()) w.field("priority", r->priority);
  if (r->until) w.key("until").timestamp(*r->until);
  if (r->force) w.field("force", true);
  w.end_object();
  const auto back = daemon::api::parse_action(action, again);
  require(back.has_value(), "action: the re-serialized request parses", again);
  require(std::tie(back->agent, back->token, back->reason, back->queue, back->priority, back->until,
                   back->force) ==
              std::tie(r->agent, r->token, r->reason, r->queue, r->priority, r->until, r->force),
          "action: the re-serialized request parses to the same value", again);
}

// PATCH /v1/tickets/{id}: names at least one field, each valid; requirements and a
// preference within their bounds.
void check_patch(std::string_view body) {
  const auto r = daemon::api::parse_patch(body);
  check_error(r);
  if (!r) return;
  require(r->priority || r->channel || r->skills || r->attributes_json || r->requirements ||
              r->preferred,
          "patch: names at least one field");
  require(!r->priority || routing::is_valid_id(*r->priority), "patch: the priority is an id");
  require(!r->channel || r->channel->empty() || routing::is_valid_id(*r->channel),
          "patch: the channel is an id or none");
  require(!r->skills || valid_id_list(*r->skills), "patch: skills are sorted, unique, valid ids");
  if (r->requirements) {
    for (const auto& q : *r->requirements) {
      require(routing::is_valid_id(q.skill) && q.level >= routing::min_skill_level &&
                  q.level <= routing::max_skill_level &&
                  (!q.relax_after || q.relax_after->count() > 0),
              "patch: each requirement names a skill at a level 1-10, relaxing after > 0");
    }
  }
  if (r->preferred && *r->preferred) {
    const auto& p = **r->preferred;
    require(!p.agents.empty() && valid_id_list(p.agents) && p.for_ms >= 1000 &&
                p.for_ms <= 7LL * 24 * 3600 * 1000,
            "patch: preferred agents are ids, for 1 s to 7 days");
  }
}

void check_agent(std::string_view body) {
  const auto r = daemon::api::parse_agent(body);
  check_error(r);
  if (!r) return;
  const auto names = routing::skill_names(r->skills);
  require(valid_id_list(r->queues) && valid_id_list(names),
          "agent: queues and skills are sorted, unique, valid ids");
  require(std::all_of(r->skills.begin(), r->skills.end(),
                      [](const auto& s) {
                        return s.level >= routing::min_skill_level &&
                               s.level <= routing::max_skill_level;
                      }),
          "agent: skill levels from 1 to 10");
  require(!r->max_concurrent || (*r->max_concurrent >= 1 && *r->max_concurrent <= 10000),
          "agent: max_concurrent from 1 to 10000");

  std::string again;
  json_writer w(again);
  w.begin_object();
  if (!r->name.empty()) w.field("name", r->name);
  if (!r->queues.empty()) w.key("queues").strings(r->queues);
  if (!r->skills.empty()) {
    w.key("skills").begin_object();
    for (const auto& s : r->skills) w.field(s.name, s.level);
    w.end_object();
  }
  if (r->max_concurrent) w.field("max_concurrent", *r->max_concurrent);
  if (r->status) w.field("status", routing::to_string(*r->status));
  if (r->capacity) w.field("capacity", *r->capacity);
  if (!r->channels.empty()) {
    w.key("channels").begin_object();
    for (const auto& [name, status] : r->channels) w.field(name, routing::to_string(status));
    w.end_object();
  }
  w.end_object();
  const auto back = daemon::api::parse_agent(again);
  require(back.has_value(), "agent: the re-serialized request parses", again);
  require(std::tie(back->name, back->queues, back->skills, back->max_concurrent, back->status,
                   back->capacity, back->channels) == std::tie(r->name, r->queues, r->skills,
                                                               r->max_concurrent, r->status,
                                                               r->capacity, r->channels),
          "agent: the re-serialized request parses to the same value", again);
}

void check_status(std::string_view body) {
  const auto r = daemon::api::parse_status(body);
  check_error(r);
  if (!r) return;
  std::string again;
  json_writer w(again);
  w.begin_object().field("status", routing::to_string(r->status));
  if (!r->channel.empty()) w.field("channel", r->channel);
  w.end_object();
  const auto back = daemon::api::parse_status(again);
  require(back.has_value() && *back == *r, "status: the re-serialized request parses the same",
          again);
}

void check_clock(std::string_view body) {
  const auto r = daemon::api::parse_clock(body);
  check_error(r);
  if (!r) return;
  require(r->set_ms.has_value() != r->advance_ms.has_value(), "clock: exactly one of now, advance");
  require(!r->advance_ms || *r->advance_ms >= 0, "clock: advance is not negative");

  std::string again;
  json_writer w(again);
  w.begin_object();
  if (r->set_ms) w.key("now").timestamp(*r->set_ms);
  if (r->advance_ms) {
    w.field("advance", config::format_span(config::span{config::millis{*r->advance_ms}}));
  }
  w.end_object();
  const auto back = daemon::api::parse_clock(again);
  require(back.has_value(), "clock: the re-serialized request parses", again);
  require(back->set_ms == r->set_ms && back->advance_ms == r->advance_ms,
          "clock: the re-serialized request parses to the same value", again);
}

void check_frame(std::string_view text) {
  const auto r = daemon::api::parse_agent_frame(text);
  check_error(r);
  if (!r) return;
  require(r->action == ticket_action::accept || r->action == ticket_action::reject,
          "frame: accept or reject");
  require(routing::is_valid_id(r->ticket), "frame: the ticket is an id");
  require(r->request.agent.empty(), "frame: no agent (the stream's own)");

  std::string again;
  json_writer w(again);
  w.begin_object().field("action", routing::to_string(r->action)).field("ticket", r->ticket);
  if (!r->request.token.empty()) w.field("token", r->request.token);
  if (!r->request.reason.empty()) w.field("reason", r->request.reason);
  w.end_object();
  const auto back = daemon::api::parse_agent_frame(again);
  require(back.has_value(), "frame: the re-serialized frame parses", again);
  require(std::tie(back->action, back->ticket, back->request.token, back->request.reason) ==
              std::tie(r->action, r->ticket, r->request.token, r->request.reason),
          "frame: the re-serialized frame parses to the same value", again);
}

void check_if_match(std::string_view header) {
  const auto v = daemon::api::parse_if_match(header);
  if (!v) return;
  require(*v >= 0, "If-Match: a version is not negative");
  const auto text = std::to_string(*v);
  for (const auto& form : {text, '"' + text + '"', "W/\"" + text + '"'}) {
    require(daemon::api::parse_if_match(form) == v, "If-Match: 3, \"3\" and W/\"3\" read alike");
  }
}

constexpr std::array<std::pair<std::string_view, http_method>, 5> method_names{{
    {"GET", http_method::get},
    {"POST", http_method::post},
    {"PUT", http_method::put},
    {"PATCH", http_method::patch},
    {"DELETE", http_method::del},
}};

http_method method_of(std::string_view name) {
  for (const auto& [text, m] : method_names) {
    if (text == name) return m;
  }
  return http_method::other;
}

// Whether `allow` ("GET, DELETE") names the method.
bool allows(std::string_view allow, std::string_view method) {
  while (!allow.empty()) {
    const auto comma = allow.find(", ");
    if (allow.substr(0, comma) == method) return true;
    if (comma == std::string_view::npos) break;
    allow.remove_prefix(comma + 2);
  }
  return false;
}

// Whether a path exists does not depend on the method, and the methods a 405 lists are exactly
// those that reach the route.
void check_routes(std::string_view path) {
  const auto any = daemon::api::match_route(http_method::other, path);
  require(any.route == route_id::not_found || any.route == route_id::method_not_allowed,
          "routes: no route takes an unknown method");
  for (const auto& [name, m] : method_names) {
    const auto match = daemon::api::match_route(m, path);
    require(!daemon::api::route_label(match.route).empty(), "routes: every route has a label");
    require(within(match.id, path) && within(match.action, path),
            "routes: id and action are parts of the path");
    require((match.route == route_id::not_found) == (any.route == route_id::not_found),
            "routes: a path exists for every method or for none");
    if (match.route == route_id::not_found) continue;
    require(allows(match.allow, name) == (match.route != route_id::method_not_allowed),
            "routes: 405 exactly for the methods Allow does not list");
  }
}

// `METHOD TARGET\nIF-MATCH\nBODY`, handled the way the service does before any I/O.
void check_http(std::string_view rest) {
  const auto line_end = rest.find('\n');
  const auto request_line = rest.substr(0, line_end);
  std::string_view if_match;
  std::string_view body;
  if (line_end != std::string_view::npos) {
    const auto headers = rest.substr(line_end + 1);
    const auto header_end = headers.find('\n');
    if_match = headers.substr(0, header_end);
    if (header_end != std::string_view::npos) body = headers.substr(header_end + 1);
  }
  const auto space = request_line.find(' ');
  const auto method = method_of(request_line.substr(0, space));
  const auto target =
      space == std::string_view::npos ? std::string_view{} : request_line.substr(space + 1);

  const auto parts = daemon::api::split_target(target);
  require(within(parts.path, target) && within(parts.query, target),
          "target: path and query are parts of the target");
  for (const auto name : {"limit", "after", ""}) {
    const auto value = daemon::api::query_param(parts.query, name);
    require(!value || within(*value, parts.query), "query: a value is part of the query");
  }
  check_routes(parts.path);
  check_if_match(if_match);

  const auto match = daemon::api::match_route(method, parts.path);
  switch (match.route) {
    case route_id::ticket_create:
      check_create(body);
      break;
    case route_id::ticket_action:
      if (const auto action = routing::parse_ticket_action(match.action)) {
        require(routing::to_string(*action) == match.action, "actions: names round-trip");
        check_action(*action, body);
      }
      break;
    case route_id::agent_put:
      check_agent(body);
      break;
    case route_id::ticket_patch:
      check_patch(body);
      break;
    case route_id::agent_status:
      check_status(body);
      break;
    case route_id::admin_clock:
      check_clock(body);
      break;
    case route_id::events:
      if (const auto after = daemon::api::query_param(parts.query, "after")) {
        if (const auto id = daemon::parse_stream_id(*after)) {
          const auto text = std::to_string(id->first) + "-" + std::to_string(id->second);
          require(daemon::parse_stream_id(text) == id, "events: stream ids read back", text);
        }
      }
      break;
    default:
      break;
  }
}

// The parsers a request input can pick: the twelve ticket actions, then these.
constexpr std::array<std::string_view, 7> other_kinds{"create", "agent", "status", "clock",
                                                      "frame",  "http",  "patch"};
constexpr std::size_t action_count = std::size(routing::all_ticket_actions);
constexpr std::size_t kind_count = action_count + other_kinds.size();

std::optional<std::size_t> kind_named(std::string_view name) {
  if (const auto action = routing::parse_ticket_action(name)) {
    for (std::size_t i = 0; i < action_count; ++i) {
      if (routing::all_ticket_actions[i] == *action) return i;
    }
  }
  for (std::size_t i = 0; i < other_kinds.size(); ++i) {
    if (other_kinds[i] == name) return action_count + i;
  }
  return std::nullopt;
}

void check_request(std::size_t kind, std::string_view body) {
  if (kind < action_count) return check_action(routing::all_ticket_actions[kind], body);
  switch (kind - action_count) {
    case 0:
      return check_create(body);
    case 1:
      return check_agent(body);
    case 2:
      return check_status(body);
    case 3:
      return check_clock(body);
    case 4:
      return check_frame(body);
    case 5:
      return check_http(body);
    default:
      return check_patch(body);
  }
}

// Tokens named by the file resolve to distinct secrets long enough to be accepted; no other
// variable is set, so the load does not depend on the machine's environment.
std::optional<std::string> fake_environment(const std::string& name) {
  if (!name.starts_with("TICKETD_")) return std::nullopt;
  return "fuzz-secret-of-" + name;
}

bool valid_intervals(const std::vector<config::time_of_day_interval>& day) {
  for (std::size_t i = 0; i < day.size(); ++i) {
    if (day[i].begin_minute < 0 || day[i].begin_minute >= day[i].end_minute ||
        day[i].end_minute > 24 * 60) {
      return false;
    }
    if (i > 0 && day[i - 1].end_minute >= day[i].begin_minute) return false;
  }
  return true;
}

// What a configuration the loader accepts promises the rest of the daemon.
void check_config(const config::config& c) {
  require(!c.queues.empty() && c.find_queue(c.defaults.queue) != nullptr,
          "config: the default queue exists");
  require(!c.priorities.empty() && c.find_priority(c.defaults.priority) != nullptr,
          "config: the default priority exists");
  require(routing::is_valid_id(c.workspace), "config: the workspace is a name");
  for (const auto& q : c.queues) {
    require(routing::is_valid_id(q.name), "config: queue names are names");
    require(!q.escalate_to || (*q.escalate_to != q.name && c.find_queue(*q.escalate_to)),
            "config: escalate_to names another queue");
    for (std::size_t i = 0; i < q.overflow.size(); ++i) {
      require(q.overflow[i].to != q.name && c.find_queue(q.overflow[i].to) != nullptr,
              "config: overflow goes to another queue");
      require(i == 0 || q.overflow[i - 1].after < q.overflow[i].after,
              "config: overflow steps grow");
    }
    require(q.wait_weight >= 0 && q.wait_weight <= 1000, "config: wait_weight from 0 to 1000");
  }
  for (const auto& p : c.priorities) {
    require(routing::is_valid_id(p.name), "config: priority names are names");
    for (const auto* s : {&p.first_reply, &p.next_reply, &p.resolution}) {
      require(s->length > config::millis{0}, "config: priority spans are positive");
    }
  }
  for (const auto& cal : c.calendars) {
    require(routing::is_valid_id(cal.name) && !cal.timezone.empty(),
            "config: a calendar has a name and a time zone");
    require(std::all_of(cal.hours.begin(), cal.hours.end(), valid_intervals),
            "config: working hours are sorted and disjoint within a day");
    require(std::is_sorted(cal.holidays.begin(), cal.holidays.end()) &&
                std::adjacent_find(cal.holidays.begin(), cal.holidays.end()) == cal.holidays.end(),
            "config: holidays are sorted and unique");
  }
  require(!c.sla.calendar || c.find_calendar(*c.sla.calendar) != nullptr,
          "config: sla.calendar names a calendar");
  for (const auto& rule : c.routing) {
    require(rule.queue || rule.priority, "config: a rule sets a queue or a priority");
    require(!rule.queue || c.find_queue(*rule.queue) != nullptr, "config: rules name queues");
    require(!rule.priority || c.find_priority(*rule.priority) != nullptr,
            "config: rules name priorities");
  }
  const auto& f = c.lifecycle.followups;
  for (std::size_t i = 1; i < f.size(); ++i) {
    require(f[i - 1].basis == f[i].basis && f[i - 1].length < f[i].length,
            "config: followups grow");
  }
  require(!c.agents.counted_statuses.empty(), "config: some statuses count");
  std::vector<std::string> secrets;
  for (const auto& t : c.auth.tokens) {
    require(t.secret.size() >= 16, "config: tokens are at least 16 characters");
    require(std::find(secrets.begin(), secrets.end(), t.secret) == secrets.end(),
            "config: every token has its own secret");
    secrets.push_back(t.secret);
  }
}

}  // namespace

int fuzz_request(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (input.empty()) return 0;
  const auto newline = input.find('\n');
  const auto named =
      newline == std::string_view::npos ? std::nullopt : kind_named(input.substr(0, newline));
  if (named) {
    check_request(*named, input.substr(newline + 1));
  } else {
    check_request(static_cast<std::uint8_t>(input.front()) % kind_count, input.substr(1));
  }
  return 0;
}

int fuzz_config(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string file = "fuzz.yaml";
  const auto r = config::load_config_text(text, file, fake_environment);
  require(r.errors.empty() == (r.value != nullptr), "config: a value exactly when no errors");
  for (const auto& e : r.errors) {
    require(!e.message.empty(), "config: an error has a message");
    require(e.file == file, "config: an error names the file");
    require(e.line >= 0 && e.column >= 0 && (e.line > 0 || e.column == 0),
            "config: an error has a position or none");
    require(e.to_string().starts_with(file + ":"), "config: errors print as FILE:LINE:COL");
    // The loader's last resorts, for exceptions other than yaml-cpp's syntax errors.
    require(!e.message.starts_with("internal error") && !e.message.starts_with("cannot parse:"),
            "config: no exception besides a syntax error", e.message);
  }
  require(std::is_sorted(r.errors.begin(), r.errors.end(),
                         [](const auto& a, const auto& b) {
                           return std::tie(a.line, a.column) < std::tie(b.line, b.column);
                         }),
          "config: errors in file order");
  for (const auto& w : r.warnings) require(!w.empty(), "config: a warning says something");
  if (r.value) check_config(*r.value);
  return 0;
}

}  // namespace ticketd::fuzz
