#include "ctl/render.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "ctl/workload_export.hpp"

namespace ticketd::ctl {
namespace {

namespace json = boost::json;
using fields = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view service_status = "systemctl status ticketd";

// The URL of `path` (`/v1/...`) in `workspace` (empty: the main one's, `/v1/...` itself).
std::string target(const invocation& inv, std::string_view path, std::string_view workspace) {
  if (!workspace.empty() && path.starts_with("/v1/")) {
    return inv.url.prefix + "/v1/w/" + std::string{workspace} + std::string{path.substr(3)};
  }
  return inv.url.prefix + std::string{path};
}

// The URL of `path` in the workspace of --workspace.
std::string target(const invocation& inv, std::string_view path) {
  return target(inv, path, inv.workspace);
}

std::string with_newline(std::string s) {
  if (s.empty() || s.back() != '\n') s.push_back('\n');
  return s;
}

std::string format_timeout(std::chrono::milliseconds t) {
  if (t.count() % 1000 == 0) return std::to_string(t.count() / 1000) + "s";
  return std::to_string(t.count()) + "ms";
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += sep;
    out += i;
  }
  return out;
}

std::optional<json::value> parse_json(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return std::nullopt;
  return v;
}

const json::object* member_object(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr ? v->if_object() : nullptr;
}

// A JSON value as an operator reads it: "-" for null or absent, lists comma-separated.
std::string text(const json::value* v) {
  if (v == nullptr || v->is_null()) return "-";
  if (const auto* s = v->if_string()) return std::string{*s};
  if (const auto* i = v->if_int64()) return std::to_string(*i);
  if (const auto* u = v->if_uint64()) return std::to_string(*u);
  if (v->is_double()) return json::serialize(*v);
  if (const auto* b = v->if_bool()) return *b ? "yes" : "no";
  if (const auto* a = v->if_array()) {
    if (a->empty()) return "-";
    std::vector<std::string> items;
    for (const auto& item : *a) items.push_back(text(&item));
    return join(items, ", ");
  }
  return json::serialize(*v);
}

std::string text(const json::object& o, std::string_view key) { return text(o.if_contains(key)); }

// An agent's skills as an operator reads them: "billing 3, spanish 8" (name and level).
std::string skills_text(const json::value* v) {
  const auto* skills = v != nullptr ? v->if_object() : nullptr;
  if (skills == nullptr) return text(v);
  std::vector<std::string> items;
  for (const auto& kv : *skills) items.push_back(std::string{kv.key()} + " " + text(&kv.value()));
  return items.empty() ? "-" : join(items, ", ");
}

std::optional<long long> integer(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return std::nullopt;
  if (const auto* i = v->if_int64()) return *i;
  if (const auto* u = v->if_uint64()) return static_cast<long long>(*u);
  if (const auto* d = v->if_double()) return static_cast<long long>(*d);
  return std::nullopt;
}

std::string wait_text(const json::object& o, std::string_view key) {
  const auto s = integer(o, key);
  return s ? format_seconds(*s) : "-";
}

std::string format_fields(const fields& rows) {
  std::size_t width = 0;
  for (const auto& [k, v] : rows) width = std::max(width, k.size());
  std::string out;
  for (const auto& [k, v] : rows) {
    out += k;
    out.append(width - k.size() + 2, ' ');
    out += v;
    out += '\n';
  }
  return out;
}

std::string request_line(const request_spec& r) { return r.method + " " + r.target; }

// The answer came from something that is not ticketd, or ticketd sent what this ticketctl does
// not understand.
report not_ticketd(const invocation& inv, const request_spec& req, const http_answer& a,
                   std::string_view why) {
  std::string snippet = a.body.substr(0, std::min<std::size_t>(a.body.find('\n'), 120));
  report r;
  r.status = exit_status::unreachable;
  r.err = "ticketctl: the answer to " + request_line(req) + " from " + inv.url.text +
          " is not ticketd's (HTTP " + std::to_string(a.status) + ", " + std::string{why} + ")" +
          (snippet.empty() ? std::string{} : ": " + snippet) + "\n";
  r.err +=
      "hint: check --url or TICKETD_URL: it must be ticketd's own address (server.listen); a "
      "proxy in front of it may be failing, and ticketctl must match ticketd's release\n";
  return r;
}

std::string not_found_hint(const invocation& inv) {
  switch (inv.what) {
    case command::ticket:
    case command::explain:
      return "no such ticket; check the id (ids are case-sensitive)";
    case command::agent:
      return "no such agent; an agent exists once the helpdesk has created it with PUT "
             "/v1/agents/ID (`ticketctl agents` lists them)";
    case command::queue:
      return "no such queue; `ticketctl queues` lists the configured queues";
    default:
      return "no such ticket/agent/queue";
  }
}

std::string hint_for(const invocation& inv, const request_spec& req, const http_answer& a,
                     std::string_view code, std::string_view message) {
  const bool wrong_path =
      (a.status == 404 && message.starts_with("no such path")) || a.status == 405;
  if (wrong_path) {
    return inv.url.text + " does not serve " + request_line(req) +
           "; check --url or TICKETD_URL (ticketd's own address; a path only when a proxy "
           "adds one) and that ticketctl matches ticketd's release";
  }
  switch (a.status) {
    case 401:
      if (inv.origin == token_origin::none) {
        return "pass a token with --token/--token-file or TICKETD_TOKEN/TICKETD_TOKEN_FILE";
      }
      return "ticketd does not know the token from " + describe_origin(inv) +
             "; use one listed in auth.tokens of ticketd's configuration";
    case 403:
      if (inv.what == command::verify || inv.what == command::reload) {
        return "this token's role may not do that; use an admin token";
      }
      return "this token's role may not do that; use an admin or backend token";
    case 404:
      return not_found_hint(inv);
    case 503: {
      const std::string after =
          a.retry_after.empty() ? std::string{"shortly"} : "after " + a.retry_after + " s";
      return "Redis is unreachable from ticketd; check that Redis runs and matches redis.url in "
             "ticketd's configuration (`ticketctl status` shows readiness), then retry " +
             after;
    }
    case 500:
      return "ticketd failed to answer; its log says why (`journalctl -u ticketd`)";
    default:
      break;
  }
  if (code == "invalid_argument" || a.status == 413) {
    return "ticketd refused what ticketctl sent; ticketctl must match ticketd's release";
  }
  return "see the message above; `ticketctl status` shows whether ticketd is ready";
}

// A non-2xx answer: the error line, what to do, and the JSON body with --json.
report api_failure(const invocation& inv, const request_spec& req, const http_answer& a) {
  const auto v = parse_json(a.body);
  const json::object* error = nullptr;
  if (v && v->is_object()) error = member_object(v->as_object(), "error");
  const auto* code = error != nullptr ? error->if_contains("code") : nullptr;
  if (code == nullptr || !code->is_string()) return not_ticketd(inv, req, a, "no error code");
  const std::string code_text{code->as_string()};
  const std::string message = text(*error, "message");
  report r;
  r.status = exit_status::api_error;
  r.err = "ticketctl: " + std::to_string(a.status) + " " + code_text + ": " + message + "\n";
  if (const auto* list = error->if_contains("errors"); list != nullptr && list->is_array()) {
    for (const auto& e : list->as_array()) r.err += "  " + text(&e) + "\n";
  }
  if (inv.what == command::reload && a.status == 400) {
    r.err +=
        "hint: fix the file and run `ticketctl reload` again; `ticketd --check-config FILE` "
        "checks a file without touching the daemon\n";
  } else {
    r.err += "hint: " + hint_for(inv, req, a, code_text, message) + "\n";
  }
  if (inv.json) r.out = with_newline(a.body);
  return r;
}

bool ok_status(int status) { return status >= 200 && status < 300; }

// The JSON object of a 2xx answer, or a report saying why there is none.
struct object_or_report {
  std::optional<json::value> value;
  report failure;
  const json::object& object() const { return value->as_object(); }
};

object_or_report expect_object(const invocation& inv, const request_spec& req,
                               const http_answer& a) {
  object_or_report out;
  if (!ok_status(a.status)) {
    out.failure = api_failure(inv, req, a);
    return out;
  }
  auto v = parse_json(a.body);
  if (!v || !v->is_object()) {
    out.failure = not_ticketd(inv, req, a, "not a JSON object");
    return out;
  }
  out.value = std::move(v);
  return out;
}

// What a text rendering of `got` is spared: the failure when there is no object, or with --json
// the body as it came. Nothing when the object is to be rendered.
std::optional<report> failure_or_raw(const invocation& inv, const object_or_report& got,
                                     const http_answer& a) {
  if (!got.value) return got.failure;
  if (!inv.json) return std::nullopt;
  report r;
  r.out = with_newline(a.body);
  return r;
}

report render_status(const invocation& inv, const std::vector<request_spec>& reqs,
                     std::span<const http_answer> answers) {
  const auto& health = answers[0];
  const auto& ready = answers[1];
  if (health.status != 200) return api_failure(inv, reqs[0], health);
  if (ready.status != 200 && ready.status != 503) return api_failure(inv, reqs[1], ready);
  report r;
  if (ready.status == 503) r = api_failure(inv, reqs[1], ready);
  if (inv.json) {
    const auto h = parse_json(health.body);
    const auto y = parse_json(ready.body);
    if (!h) return not_ticketd(inv, reqs[0], health, "not JSON");
    if (!y) return not_ticketd(inv, reqs[1], ready, "not JSON");
    json::object both;
    both["healthz"] = *h;
    both["readyz"] = *y;
    r.out = json::serialize(both) + "\n";
    return r;
  }
  r.out =
      format_fields({{"healthz", "ok"}, {"readyz", ready.status == 200 ? "ready" : "not ready"}});
  return r;
}

std::vector<std::vector<std::string>> queue_rows(const json::array& queues, bool modes) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& item : queues) {
    const auto* q = item.if_object();
    if (q == nullptr) continue;
    if (modes) {
      rows.push_back({text(*q, "name"), text(*q, "mode"), text(*q, "depth"),
                      wait_text(*q, "oldest_wait_s"), text(*q, "agents_online"),
                      text(*q, "agents_available")});
    } else {
      rows.push_back({text(*q, "name"), text(*q, "mode"), text(*q, "agents_online"),
                      text(*q, "agents_available")});
    }
  }
  return rows;
}

const json::array* queues_array(const json::object& o) {
  const auto* v = o.if_contains("queues");
  return v != nullptr ? v->if_array() : nullptr;
}

report render_queues(const invocation& inv, const request_spec& req, const http_answer& a) {
  auto got = expect_object(inv, req, a);
  if (!got.value) return got.failure;
  const auto* queues = queues_array(got.object());
  if (queues == nullptr) return not_ticketd(inv, req, a, "no queues list");
  report r;
  if (inv.json) {
    r.out = with_newline(a.body);
  } else if (queues->empty()) {
    r.out = "no queues configured\n";
  } else {
    r.out = format_table({"QUEUE", "MODE", "DEPTH", "OLDEST WAIT", "ONLINE", "AVAILABLE"},
                         queue_rows(*queues, true), {false, false, true, true, true, true});
  }
  return r;
}

report render_queue(const invocation& inv, const request_spec& req, const http_answer& a) {
  auto got = expect_object(inv, req, a);
  if (!got.value) return got.failure;
  const auto& q = got.object();
  const auto* tickets_value = q.if_contains("tickets");
  const auto* tickets = tickets_value != nullptr ? tickets_value->if_array() : nullptr;
  if (tickets == nullptr) return not_ticketd(inv, req, a, "no tickets list");
  report r;
  if (inv.json) {
    r.out = with_newline(a.body);
    return r;
  }
  const long long depth = integer(q, "depth").value_or(0);
  if (depth == 0) {
    r.out = "queue " + text(q, "name") + ": nothing waiting\n";
    return r;
  }
  r.out = "queue " + text(q, "name") + ": " + std::to_string(depth) + " waiting, the oldest for " +
          wait_text(q, "oldest_wait_s") + "\n";
  std::vector<std::vector<std::string>> rows;
  std::size_t position = 0;
  for (const auto& item : *tickets) {
    const auto* t = item.if_object();
    if (t == nullptr) continue;
    const auto* sla = member_object(*t, "sla");
    rows.push_back({std::to_string(++position), text(*t, "id"), text(*t, "priority"),
                    text(*t, "channel"), text(*t, "queued_at"),
                    sla != nullptr ? text(*sla, "first_reply_due") : "-"});
  }
  r.out += format_table({"#", "TICKET", "PRIORITY", "CHANNEL", "QUEUED AT", "FIRST REPLY DUE"},
                        rows, {true, false, false, false, false, false});
  if (static_cast<long long>(rows.size()) < depth) {
    r.out += "showing " + std::to_string(rows.size()) + " of " + std::to_string(depth) +
             "; --limit N shows up to 1000\n";
  }
  return r;
}

// GET /v1/agents (one page) and GET /v1/queues: the agents listed, and per queue how many are
// online and have room.
report render_agents(const invocation& inv, const std::vector<request_spec>& reqs,
                     std::span<const http_answer> answers) {
  auto listed = expect_object(inv, reqs[0], answers[0]);
  if (!listed.value) return listed.failure;
  const auto* agents = listed.object().if_contains("agents");
  if (agents == nullptr || !agents->is_array()) {
    return not_ticketd(inv, reqs[0], answers[0], "no agents list");
  }
  const auto* next = listed.object().if_contains("next");
  auto got = expect_object(inv, reqs[1], answers[1]);
  if (!got.value) return got.failure;
  const auto* queues = queues_array(got.object());
  if (queues == nullptr) return not_ticketd(inv, reqs[1], answers[1], "no queues list");

  report r;
  if (inv.json) {
    json::object out;
    out["agents"] = *agents;
    out["next"] = next != nullptr ? *next : json::value{};
    out["queues"] = *queues;
    r.out = json::serialize(out) + "\n";
    return r;
  }
  constexpr std::array<std::string_view, 3> statuses{"online", "away", "offline"};
  std::array<std::size_t, 3> counts{};
  std::vector<std::vector<std::string>> rows;
  for (const auto& item : agents->as_array()) {
    const auto* a = item.if_object();
    if (a == nullptr) continue;
    const std::string status = text(*a, "status");
    for (std::size_t i = 0; i < statuses.size(); ++i) counts[i] += status == statuses[i];
    rows.push_back({text(*a, "id"), text(*a, "name"), status,
                    text(*a, "load") + " of " + text(*a, "max_concurrent"),
                    text(*a, "effective_queues")});
  }
  r.out = "agents: ";
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    if (i > 0) r.out += ", ";
    r.out += std::to_string(counts[i]) + " " + std::string{statuses[i]};
  }
  r.out += "\n";
  if (!rows.empty()) {
    r.out += format_table({"AGENT", "NAME", "STATUS", "LOAD", "QUEUES"}, rows,
                          {false, false, false, false, false});
  }
  if (next != nullptr && next->is_string()) {
    r.out += "more agents follow: ticketctl agents --after " + std::string{next->as_string()} +
             " shows the next " + std::to_string(inv.limit.value_or(100)) + "\n";
  }
  if (!queues->empty()) {
    r.out += format_table({"QUEUE", "MODE", "ONLINE", "AVAILABLE"}, queue_rows(*queues, false),
                          {false, false, true, true});
  }
  return r;
}

report render_agent(const invocation& inv, const request_spec& req, const http_answer& a) {
  auto got = expect_object(inv, req, a);
  if (auto done = failure_or_raw(inv, got, a)) return *done;
  report r;
  const auto& o = got.object();
  fields rows{{"agent", text(o, "id")},
              {"name", text(o, "name")},
              {"status", text(o, "status") + " since " + text(o, "status_since")},
              {"load", text(o, "load") + " of " + text(o, "max_concurrent")}};
  // With channels configured: units, presence on each channel, the running wrap-up.
  const auto* channels = o.if_contains("channels");
  if (channels != nullptr && channels->is_object() && !channels->as_object().empty()) {
    rows.emplace_back("units", text(o, "used") + " of " + text(o, "capacity"));
    std::vector<std::string> presence;
    for (const auto& kv : channels->as_object()) {
      presence.push_back(std::string{kv.key()} + " " + text(&kv.value()));
    }
    rows.emplace_back("channels", join(presence, ", "));
    if (text(o, "wrap_up_until") != "-")
      rows.emplace_back("wrap-up until", text(o, "wrap_up_until"));
  }
  if (text(o, "missed_offers") != "-" && text(o, "missed_offers") != "0") {
    rows.emplace_back("missed offers", text(o, "missed_offers"));
  }
  rows.emplace_back("tickets", text(o, "tickets"));
  rows.emplace_back("queues", text(o, "queues"));
  if (text(o, "effective_queues") != text(o, "queues")) {
    rows.emplace_back("effective queues", text(o, "effective_queues"));
  }
  rows.emplace_back("skills", skills_text(o.if_contains("skills")));
  rows.emplace_back("connections", text(o, "connections"));
  rows.emplace_back("last assigned", text(o, "last_assigned_at"));
  r.out = format_fields(rows);
  return r;
}

// GET /v1/tickets/{id}/explain: where the ticket stands, then one line per agent.
report render_explain(const invocation& inv, const request_spec& req, const http_answer& a) {
  auto got = expect_object(inv, req, a);
  if (auto done = failure_or_raw(inv, got, a)) return *done;
  report r;
  const auto& x = got.object();
  fields rows{{"ticket", text(x, "ticket")}, {"status", text(x, "status")}};
  if (const auto* rank = member_object(x, "rank")) {
    rows.emplace_back("rank", text(*rank, "value") + " (" + text(*rank, "target") + " due " +
                                  text(*rank, "due") + ", waiting since " +
                                  text(*rank, "enqueued_at") + ")");
  }
  std::vector<std::string> places;
  if (const auto* queues = x.if_contains("queues"); queues != nullptr && queues->is_array()) {
    for (const auto& q : queues->as_array()) {
      if (!q.is_object()) continue;
      places.push_back(text(q.as_object(), "name") + ": " + text(q.as_object(), "position") +
                       " ahead");
    }
  }
  rows.emplace_back("waiting in", places.empty() ? "-" : join(places, ", "));
  std::vector<std::string> needs;
  if (const auto* reqs = x.if_contains("requires"); reqs != nullptr && reqs->is_array()) {
    for (const auto& q : reqs->as_array()) {
      if (!q.is_object()) continue;
      const auto& o = q.as_object();
      std::string item = text(o, "skill") + " " + text(o, "level");
      const auto* in_force = o.if_contains("in_force");
      if (in_force != nullptr && in_force->is_bool() && !in_force->as_bool()) {
        item += " (relaxed)";
      } else if (text(o, "relaxes_at") != "-") {
        item += " (until " + text(o, "relaxes_at") + ")";
      }
      needs.push_back(item);
    }
  }
  rows.emplace_back("requires", needs.empty() ? "-" : join(needs, ", "));
  // How its holder got it, the last time it was handed out.
  if (const auto* d = member_object(x, "decision")) {
    std::string how = text(*d, "mode") + " to " + text(*d, "agent") + " at " + text(*d, "at");
    if (text(*d, "strategy") != "-") {
      how += " (" + text(*d, "strategy") + ", score " + text(*d, "score") + ", " +
             text(*d, "candidates") + " candidates)";
    }
    rows.emplace_back("last hand-out", how);
  }
  r.out = format_fields(rows);
  std::vector<std::vector<std::string>> table;
  if (const auto* agents = x.if_contains("agents"); agents != nullptr && agents->is_array()) {
    for (const auto& item : agents->as_array()) {
      if (!item.is_object()) continue;
      const auto& o = item.as_object();
      const auto* pull = o.if_contains("pull_eligible");
      std::string load = text(o, "load") + "/" + text(o, "max_concurrent");
      if (o.contains("capacity")) load += ", " + text(o, "used") + "/" + text(o, "capacity") + " u";
      const auto* eligible = o.if_contains("eligible");
      const bool yes = eligible != nullptr && eligible->is_bool() && eligible->as_bool();
      table.push_back({text(o, "agent"), yes ? "yes" : "no", pull != nullptr ? text(pull) : "-",
                       load, yes ? "-" : text(o, "reasons")});
    }
  }
  if (table.empty()) {
    r.out += "no agent serves its queues\n";
  } else {
    r.out += "\n" + format_table({"AGENT", "PUSH", "PULL", "LOAD", "WHY NOT"}, table, {});
  }
  return r;
}

report render_ticket(const invocation& inv, const request_spec& req, const http_answer& a) {
  auto got = expect_object(inv, req, a);
  if (auto done = failure_or_raw(inv, got, a)) return *done;
  report r;
  const auto& t = got.object();
  const std::string status = text(t, "status");
  fields rows{{"ticket", text(t, "id")}, {"status", status}};
  if (status == "postponed") rows.back().second += " until " + text(t, "postponed_until");
  if (status == "resolved" || status == "closed") {
    if (const auto reason = text(t, "resolution_reason"); reason != "-") {
      rows.back().second += " (" + reason + ")";
    }
  }
  rows.emplace_back("queue", text(t, "queue"));
  if (text(t, "queues") != text(t, "queue")) rows.emplace_back("queues", text(t, "queues"));
  rows.emplace_back("priority", text(t, "priority"));
  rows.emplace_back("channel", text(t, "channel"));
  rows.emplace_back("holder", text(t, "assignee"));
  rows.emplace_back("last agent", text(t, "last_agent"));
  if (const auto rank = text(t, "rank"); rank != "-") rows.emplace_back("rank", rank);
  if (const auto* sla = member_object(t, "sla")) {
    rows.emplace_back("first reply due", text(*sla, "first_reply_due"));
    rows.emplace_back("next reply due", text(*sla, "next_reply_due"));
    rows.emplace_back("resolution due", text(*sla, "resolution_due"));
    rows.emplace_back("sla breached", text(*sla, "breached"));
    if (const auto paused = text(*sla, "paused"); paused != "-")
      rows.emplace_back("sla paused", paused);
  }
  // Without configured follow-ups there is no cadence to show.
  if (const auto* f = member_object(t, "followup"); f != nullptr && text(*f, "of") != "0") {
    rows.emplace_back("followup", text(*f, "attempt") + " of " + text(*f, "of"));
  }
  rows.emplace_back("reopens", text(t, "reopens"));
  rows.emplace_back("escalated", text(t, "escalated"));
  rows.emplace_back("version", text(t, "version"));
  rows.emplace_back("created", text(t, "created_at"));
  rows.emplace_back("updated", text(t, "updated_at"));
  rows.emplace_back("queued at", text(t, "queued_at"));
  if (const auto at = text(t, "resolved_at"); at != "-") rows.emplace_back("resolved at", at);
  if (const auto until = text(t, "reopen_until"); until != "-")
    rows.emplace_back("reopen until", until);
  r.out = format_fields(rows);
  return r;
}

std::string counted(const json::object& o, std::string_view key, std::string_view noun) {
  const std::string n = text(o, key);
  return n + " " + std::string{noun} + (n == "1" ? "" : "s");
}

std::string checked(const json::object& o) {
  return counted(o, "tickets_checked", "ticket") + " and " + counted(o, "agents_checked", "agent");
}

report render_verify(const invocation& inv, const request_spec& req, const http_answer& a) {
  // 500 with {"ok": false, "violations": [...]} is the report, not an error.
  std::optional<json::value> v;
  if (a.status == 200 || a.status == 500) v = parse_json(a.body);
  const json::object* o = v && v->is_object() ? &v->as_object() : nullptr;
  const auto* ok = o != nullptr ? o->if_contains("ok") : nullptr;
  if (ok == nullptr || !ok->is_bool()) {
    if (a.status == 200) return not_ticketd(inv, req, a, "no ok field");
    return api_failure(inv, req, a);
  }
  const auto* violations_value = o->if_contains("violations");
  const auto* violations = violations_value != nullptr ? violations_value->if_array() : nullptr;
  const auto* forced_value = o->if_contains("forced");
  const auto* forced = forced_value != nullptr ? forced_value->if_array() : nullptr;
  report r;
  if (ok->as_bool()) {
    if (inv.json) {
      r.out = with_newline(a.body);
      return r;
    }
    r.out = "ok: no violations in " + checked(*o) + "\n";
    if (forced != nullptr && !forced->empty()) {
      r.out += "over capacity by a forced reassign (allowed):\n";
      for (const auto& f : *forced) r.out += "  " + text(&f) + "\n";
    }
    return r;
  }
  const std::size_t n = violations != nullptr ? violations->size() : 0;
  r.status = exit_status::api_error;
  const std::string count = std::to_string(n) + (n == 1 ? " violation" : " violations");
  if (inv.json) {
    r.out = with_newline(a.body);
  } else {
    r.out = count + " in " + checked(*o) + ":\n";
    if (violations != nullptr) {
      for (const auto& item : *violations) r.out += "  " + text(&item) + "\n";
    }
  }
  r.err = "ticketctl: verify found " + count +
          "\nhint: `ticketctl ticket ID` and `ticketctl agent ID` show the tickets and agents "
          "named; ticketd's log (`journalctl -u ticketd`) may say how they came about\n";
  return r;
}

}  // namespace

std::vector<std::string> workspace_names(const http_answer& a) {
  std::vector<std::string> out;
  const auto v = a.status == 200 ? parse_json(a.body) : std::nullopt;
  const auto* o = v && v->is_object() ? &v->as_object() : nullptr;
  const auto* list = o != nullptr ? o->if_contains("workspaces") : nullptr;
  if (list == nullptr || !list->is_array()) return out;
  for (const auto& w : list->as_array()) {
    const auto* name = w.is_object() ? w.as_object().if_contains("name") : nullptr;
    if (name != nullptr && name->is_string()) out.emplace_back(name->as_string());
  }
  return out;
}

namespace {

report render_workspaces(const invocation& inv, const request_spec& req, const http_answer& a) {
  if (a.status != 200) return api_failure(inv, req, a);
  const auto names = workspace_names(a);
  if (names.empty()) return not_ticketd(inv, req, a, "no workspaces");
  report r;
  if (inv.json) {
    r.out = with_newline(a.body);
    return r;
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    r.out += names[i] + (i == 0 ? "  (main)\n" : "\n");
  }
  return r;
}

report render_purge(const invocation& inv, const request_spec& req, const http_answer& a) {
  if (a.status != 200) return api_failure(inv, req, a);
  const auto v = parse_json(a.body);
  const auto* o = v && v->is_object() ? &v->as_object() : nullptr;
  const auto* deleted = o != nullptr ? o->if_contains("deleted_keys") : nullptr;
  if (deleted == nullptr || !deleted->is_int64())
    return not_ticketd(inv, req, a, "no deleted_keys");
  report r;
  r.out = inv.json ? with_newline(a.body)
                   : "workspace " + inv.argument +
                         " purged: " + std::to_string(deleted->as_int64()) + " keys deleted\n";
  return r;
}

}  // namespace

request_spec workspace_verify_request(const invocation& inv, std::string_view workspace) {
  return {"GET", target(inv, "/v1/admin/verify", workspace)};
}

report render_verify_all(const invocation& inv, std::span<const request_spec> reqs,
                         std::span<const http_answer> answers) {
  // answers[0]: the workspaces; then one verify per workspace, in that order.
  const auto names = workspace_names(answers[0]);
  if (answers[0].status != 200) return api_failure(inv, reqs[0], answers[0]);
  report out;
  std::size_t failing = 0;
  if (inv.json) out.out = "{\"workspaces\":{";
  for (std::size_t i = 0; i < names.size() && i + 1 < answers.size(); ++i) {
    auto one = render_verify(inv, reqs[i + 1], answers[i + 1]);
    if (one.status != exit_status::ok) ++failing;
    if (one.status != exit_status::ok && one.status != exit_status::api_error) return one;
    if (inv.json) {
      std::string body = answers[i + 1].body;
      while (!body.empty() && (body.back() == '\n' || body.back() == ' ')) body.pop_back();
      out.out += (i == 0 ? "\"" : ",\"") + names[i] + "\":" + body;
    } else {
      out.out += names[i] + ": " + one.out;
    }
  }
  if (inv.json) out.out += "}}\n";
  if (failing > 0) {
    out.status = exit_status::api_error;
    out.err = "ticketctl: verify found violations in " + std::to_string(failing) + " of " +
              std::to_string(names.size()) + " workspaces\n";
  }
  return out;
}

namespace {

// POST /v1/admin/reload?dry_run=true: what a reload would change.
report render_reload_preview(const json::object& o) {
  report r;
  const auto* changes = o.if_contains("changes");
  const auto* c = changes != nullptr ? changes->if_object() : nullptr;
  if (c == nullptr) {
    r.out = "no changes reported\n";
    return r;
  }
  const auto* queues = c->if_contains("queues");
  const json::object empty;
  const auto& q = queues != nullptr && queues->is_object() ? queues->as_object() : empty;
  fields rows{{"queues added", text(q, "added")}};
  std::string removed = text(q, "removed");
  const auto* waiting = c->if_contains("waiting_in_removed");
  if (waiting != nullptr && waiting->is_object() && !waiting->as_object().empty()) {
    std::vector<std::string> items;
    for (const auto& kv : waiting->as_object()) {
      items.push_back(std::string{kv.key()} + " (" + text(&kv.value()) + " waiting)");
    }
    removed = join(items, ", ");
  }
  rows.emplace_back("queues removed", removed);
  std::vector<std::string> changed;
  if (const auto* list = q.if_contains("changed"); list != nullptr && list->is_array()) {
    for (const auto& item : list->as_array()) {
      if (!item.is_object()) continue;
      changed.push_back(text(item.as_object(), "name") + ": " + text(item.as_object(), "keys"));
    }
  }
  rows.emplace_back("queues changed", changed.empty() ? "-" : join(changed, "; "));
  rows.emplace_back("needs a restart", text(*c, "restart_required"));
  if (const auto* ws = c->if_contains("workspaces"); ws != nullptr && ws->is_object()) {
    rows.emplace_back("workspaces added", text(ws->as_object(), "added"));
    rows.emplace_back("workspaces removed", text(ws->as_object(), "removed"));
  }
  r.out = "dry run: nothing was applied\n" + format_fields(rows);
  if (waiting != nullptr && waiting->is_object() && !waiting->as_object().empty()) {
    r.out +=
        "hint: tickets waiting in a removed queue stay in Redis and are handed out again only "
        "when a queue of that name comes back; transfer them first\n";
  }
  return r;
}

report render_reload(const invocation& inv, const request_spec& req, const http_answer& a) {
  auto got = expect_object(inv, req, a);
  if (auto done = failure_or_raw(inv, got, a)) return *done;
  if (inv.dry_run) return render_reload_preview(got.object());
  report r;
  r.out = "reloaded\n";
  const auto* restart = got.object().if_contains("needs_restart");
  if (restart != nullptr && restart->is_array() && !restart->as_array().empty()) {
    r.out += "changed settings that apply only after a restart: " + text(restart) +
             "\n  restart ticketd to apply them: systemctl restart ticketd\n";
  }
  return r;
}

}  // namespace

std::string format_seconds(long long seconds) {
  if (seconds < 0) seconds = 0;
  const auto two = [](long long n) { return (n < 10 ? "0" : "") + std::to_string(n); };
  if (seconds < 60) return std::to_string(seconds) + "s";
  if (seconds < 3600) return std::to_string(seconds / 60) + "m" + two(seconds % 60) + "s";
  if (seconds < 86400) return std::to_string(seconds / 3600) + "h" + two(seconds % 3600 / 60) + "m";
  return std::to_string(seconds / 86400) + "d" + two(seconds % 86400 / 3600) + "h";
}

std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows,
                         const std::vector<bool>& numeric) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size() && c < width.size(); ++c) {
      width[c] = std::max(width[c], row[c].size());
    }
  }
  std::string out;
  const auto line = [&](const std::vector<std::string>& cells) {
    std::string l;
    for (std::size_t c = 0; c < width.size(); ++c) {
      const std::string cell = c < cells.size() ? cells[c] : std::string{};
      const std::size_t pad = width[c] - cell.size();
      if (c > 0) l += "  ";
      if (c < numeric.size() && numeric[c]) {
        l.append(pad, ' ');
        l += cell;
      } else {
        l += cell;
        if (c + 1 < width.size()) l.append(pad, ' ');
      }
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l + "\n";
  };
  line(header);
  for (const auto& row : rows) line(row);
  return out;
}

request_spec agent_page_request(const invocation& inv, std::string_view after) {
  std::string t = target(inv, "/v1/agents?limit=1000");
  if (!after.empty()) t += "&after=" + std::string{after};
  return {"GET", t};
}

std::optional<std::string> next_agent_page(const http_answer& a) {
  if (!ok_status(a.status)) return std::nullopt;
  const auto v = parse_json(a.body);
  if (!v || !v->is_object()) return std::nullopt;
  const auto* next = v->as_object().if_contains("next");
  if (next == nullptr || !next->is_string()) return std::nullopt;
  return std::string{next->as_string()};
}

request_spec events_request(const invocation& inv, std::int64_t since_ms) {
  // Stream ids are epoch ms: the events from since_ms on, up to the newest, then the answer ends.
  return {"GET", target(inv, "/v1/events?after=" + std::to_string(since_ms - 1) +
                                 "-18446744073709551615&follow=false")};
}

report render_export(const invocation& inv, std::span<const request_spec> reqs,
                     std::span<const http_answer> answers, std::int64_t since_ms) {
  for (std::size_t i = 0; i < answers.size(); ++i) {
    if (!ok_status(answers[i].status)) return api_failure(inv, reqs[i], answers[i]);
  }
  std::vector<std::string> pages;
  for (std::size_t i = 0; i + 1 < answers.size(); ++i) pages.push_back(answers[i].body);
  const auto w = export_workload(pages, answers.back().body, since_ms);
  if (!w.problem.empty()) return not_ticketd(inv, reqs.front(), answers.front(), w.problem);
  report r;
  r.out = w.lines;
  r.err = "exported " + std::to_string(w.agents) + " agents, " + std::to_string(w.arrivals) +
          " arrivals (" + std::to_string(w.with_handling) + " with their handling times), " +
          std::to_string(w.customer_replies) + " customer replies, " +
          std::to_string(w.status_changes) + " status changes\n";
  if (w.arrivals == 0) {
    r.err +=
        "hint: no arrival since then in the event stream; events.max_len bounds how far "
        "back it reaches\n";
  }
  return r;
}

std::vector<request_spec> requests_for(const invocation& inv) {
  switch (inv.what) {
    case command::help:
    case command::export_workload:  // its requests follow the answers (ticketctl.cpp)
      return {};
    case command::status:
      return {{"GET", target(inv, "/healthz")}, {"GET", target(inv, "/readyz")}};
    case command::queues:
      return {{"GET", target(inv, "/v1/queues")}};
    case command::queue: {
      std::string t = target(inv, "/v1/queues/" + inv.argument);
      if (inv.limit) t += "?limit=" + std::to_string(*inv.limit);
      return {{"GET", t}};
    }
    case command::agents: {
      std::string t = target(inv, "/v1/agents");
      char sep = '?';
      if (inv.limit) {
        t += sep + std::string{"limit="} + std::to_string(*inv.limit);
        sep = '&';
      }
      if (!inv.after.empty()) t += sep + std::string{"after="} + inv.after;
      return {{"GET", t}, {"GET", target(inv, "/v1/queues")}};
    }
    case command::agent:
      return {{"GET", target(inv, "/v1/agents/" + inv.argument)}};
    case command::ticket:
      return {{"GET", target(inv, "/v1/tickets/" + inv.argument)}};
    case command::explain: {
      std::string t = target(inv, "/v1/tickets/" + inv.argument + "/explain");
      if (inv.limit) t += "?limit=" + std::to_string(*inv.limit);
      return {{"GET", t}};
    }
    case command::verify:
      if (inv.all) return {{"GET", target(inv, "/v1/admin/workspaces")}};
      return {{"GET", target(inv, "/v1/admin/verify")}};
    case command::workspaces:
      return {{"GET", target(inv, "/v1/admin/workspaces")}};
    case command::purge_workspace:
      return {{"DELETE", target(inv, "/v1/admin/workspaces/" + inv.argument)}};
    case command::reload:
      return {{"POST",
               target(inv, inv.dry_run ? "/v1/admin/reload?dry_run=true" : "/v1/admin/reload")}};
  }
  return {};
}

report render(const invocation& inv, std::span<const http_answer> answers) {
  const auto reqs = requests_for(inv);
  if (answers.size() != reqs.size()) {
    report r;
    r.status = exit_status::unreachable;
    r.err = "ticketctl: not every request was answered\n";
    return r;
  }
  switch (inv.what) {
    case command::help:
      return report{exit_status::ok, usage_text(), {}};
    case command::status:
      return render_status(inv, reqs, answers);
    case command::queues:
      return render_queues(inv, reqs[0], answers[0]);
    case command::queue:
      return render_queue(inv, reqs[0], answers[0]);
    case command::agents:
      return render_agents(inv, reqs, answers);
    case command::agent:
      return render_agent(inv, reqs[0], answers[0]);
    case command::ticket:
      return render_ticket(inv, reqs[0], answers[0]);
    case command::explain:
      return render_explain(inv, reqs[0], answers[0]);
    case command::verify:
      return render_verify(inv, reqs[0], answers[0]);
    case command::reload:
      return render_reload(inv, reqs[0], answers[0]);
    case command::export_workload:
      return {};  // render_export
    case command::workspaces:
      return render_workspaces(inv, reqs[0], answers[0]);
    case command::purge_workspace:
      return render_purge(inv, reqs[0], answers[0]);
  }
  return {};
}

report unreachable(const invocation& inv, const request_spec& request, failure_kind kind,
                   std::string_view what) {
  report r;
  r.status = exit_status::unreachable;
  const std::string where = inv.url.text;
  const std::string running = "is ticketd running and listening at " + where + "? see `" +
                              std::string{service_status} + "`";
  switch (kind) {
    case failure_kind::resolve:
      r.err =
          "ticketctl: cannot find ticketd's host " + inv.url.host + ": " + std::string{what} + "\n";
      r.err += "hint: check the host name in --url or TICKETD_URL (" + where + ")\n";
      break;
    case failure_kind::connect:
      r.err = "ticketctl: cannot reach ticketd at " + where + ": " + std::string{what} + "\n";
      r.err += "hint: " + running + "; --url or TICKETD_URL sets the address\n";
      break;
    case failure_kind::timeout:
      r.err = "ticketctl: ticketd at " + where + " did not answer " + request_line(request) +
              " within " + format_timeout(inv.timeout) + "\n";
      r.err += "hint: " + running + "; when it is only slow, a longer --timeout helps\n";
      break;
    case failure_kind::protocol:
      r.err = "ticketctl: " + where + " did not answer " + request_line(request) +
              " with HTTP: " + std::string{what} + "\n";
      r.err += "hint: " + running + "; --url or TICKETD_URL must be ticketd's own address\n";
      break;
  }
  return r;
}

report usage_failure(std::string_view message) {
  report r;
  r.status = exit_status::usage;
  r.err = "ticketctl: " + std::string{message} + "\n\n" + usage_text();
  return r;
}

report token_failure(std::string_view message) {
  report r;
  r.status = exit_status::usage;
  r.err = "ticketctl: " + std::string{message} + "\n";
  return r;
}

}  // namespace ticketd::ctl
