#include "daemon/service/service.hpp"

#include <charconv>
#include <chrono>
#include <random>

#include <boost/system/result.hpp>

#include "daemon/api/auth.hpp"
#include "daemon/api/cors.hpp"
#include "daemon/api/error_response.hpp"
#include "daemon/api/render.hpp"
#include "daemon/api/requests.hpp"
#include "daemon/common/log.hpp"
#include "daemon/console/console_files.hpp"
#include "daemon/service/streams.hpp"
#include "routing/ids.hpp"
#include "routing/time_format.hpp"

namespace ticketd::daemon::api {

using routing::errc;

namespace {

constexpr std::size_t default_queue_limit = 50;
constexpr std::size_t default_agent_limit = 100;
constexpr std::size_t max_list_limit = 1000;
constexpr std::chrono::milliseconds scrape_redis_deadline{250};
constexpr std::size_t scrape_refresh_max = 1000;

http_response json(int status, std::string body) {
  http_response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

http_response failure(const routing::error& e) {
  http_response r = json(http_status(e.code), error_body(e));
  if (const auto after = retry_after(e.code); !after.empty()) {
    r.headers.emplace_back("Retry-After", std::string{after});
  }
  return r;
}

routing::error not_found(std::string_view kind, std::string_view id) {
  routing::error e = routing::make_error(errc::not_found,
                                         "no " + std::string{kind} + " '" + std::string{id} + "'");
  e.details.emplace_back(std::string{kind}, std::string{id});
  return e;
}

std::optional<routing::error> check_id(std::string_view kind, std::string_view id) {
  if (routing::is_valid_id(id)) return std::nullopt;
  return invalid_argument(kind, std::string{kind} + " id must match [A-Za-z0-9._:@-]{1,128}");
}

// The `limit` query parameter of a list: `fallback` when absent, else 1 to max_list_limit.
boost::system::result<std::size_t, routing::error> list_limit(std::string_view query,
                                                              std::size_t fallback) {
  const auto text = query_param(query, "limit");
  if (!text) return fallback;
  std::size_t limit = 0;
  const auto r = std::from_chars(text->data(), text->data() + text->size(), limit);
  if (r.ec != std::errc{} || r.ptr != text->data() + text->size() || limit < 1 ||
      limit > max_list_limit) {
    return invalid_argument("limit", "limit must be an integer from 1 to 1000");
  }
  return limit;
}

// The request's If-Match: nullopt when absent, else the version it names.
boost::system::result<std::optional<std::int64_t>, routing::error> request_if_match(
    const http_request& r) {
  if (r.if_match.empty()) return std::optional<std::int64_t>{};
  const auto v = parse_if_match(r.if_match);
  if (!v) return invalid_argument("If-Match", "If-Match must be the ticket's version number");
  return std::optional<std::int64_t>{*v};
}

std::string_view method_name(http_method m) {
  switch (m) {
    case http_method::get:
      return "GET";
    case http_method::post:
      return "POST";
    case http_method::put:
      return "PUT";
    case http_method::patch:
      return "PATCH";
    case http_method::del:
      return "DELETE";
    case http_method::other:
      break;
  }
  return "OTHER";
}

// An id for a request that came without a usable X-Request-Id: 16 hex digits, random per
// process and counted, so ids from several daemons do not collide.
std::string make_request_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  thread_local std::uint64_t counter = rng();
  static constexpr char digits[] = "0123456789abcdef";
  const std::uint64_t v = ++counter;
  std::string out(16, '0');
  for (int i = 15, shift = 0; i >= 0; --i, shift += 4) out[i] = digits[(v >> shift) & 0xf];
  return out;
}

// A repeat answered from what an Idempotency-Key kept says so.
http_response replayed(http_response r, bool was_replayed) {
  if (was_replayed) r.headers.emplace_back("Idempotent-Replayed", "true");
  return r;
}

}  // namespace

struct service::call {
  const http_request& request;
  route_match route;
  target_parts target;
  // The main workspace's snapshot until the request's workspace is known, then that one's.
  std::shared_ptr<const runtime> rt;
  std::shared_ptr<workspace> ws;
  ticket_store& store;
  // Set when an agent token makes the request: the agent it is bound to.
  std::string_view as_agent = {};
  // The request's Idempotency-Key and fingerprint (a writing request that sent one).
  std::string fingerprint = {};
  routing::idempotency idem = {};
  std::int64_t started_ms = 0;  // steady clock
};

service::service(std::vector<ticket_store*> stores, workspace_set& workspaces, metrics& m,
                 service_hooks hooks)
    : stores_(std::move(stores)), workspaces_(workspaces), metrics_(m), hooks_(std::move(hooks)) {}

namespace {

routing::error unknown_workspace(std::string_view name) {
  auto e = routing::make_error(errc::not_found, "no workspace named '" + std::string{name} + "'");
  e.details.emplace_back("field", "workspace");
  return e;
}

}  // namespace

boost::asio::awaitable<http_response> service::handle(const http_request& request) {
  const auto started = std::chrono::steady_clock::now();
  std::string request_id = is_valid_header_token(request.request_id)
                               ? std::string{request.request_id}
                               : make_request_id();
  const auto target = split_target(request.target);
  auto route = match_route(request.method, target.path);
  if (!request.preflight_method.empty()) route.route = route_id::preflight;
  auto found = workspaces_.resolve(route.workspace);
  call c{request,
         route,
         target,
         found.main->snapshot(),
         std::move(found.named),
         *stores_.at(request.worker)};
  c.started_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(started.time_since_epoch()).count();
  http_response response;
  try {
    response = co_await dispatch(c);
  } catch (const std::exception& e) {
    // Nothing on the request path throws by design; if a library does, the client gets a 500
    // and the daemon lives on.
    log_error("request {} {} {} failed: {}", request_id, method_name(request.method),
              loggable_target(request.target), e.what());
    response = failure(routing::make_error(errc::internal, "internal error"));
  }
  const auto elapsed = std::chrono::steady_clock::now() - started;
  metrics_.http_request(c.route.route, response.status, elapsed);
  if (c.rt->cfg->server.access_log || response.status >= 500) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
    const auto line = format_message("request {} {} {} {} {}.{}ms", request_id,
                                     method_name(request.method), loggable_target(request.target),
                                     response.status, us / 1000, (us % 1000) / 100);
    write_log(response.status >= 500 ? log_level::warning : log_level::info, line);
  }
  response.headers.emplace_back("X-Request-Id", std::move(request_id));
  co_return response;
}

namespace {

// A browser's request the CORS settings decide before anything else (api/cors.hpp): its
// preflight, answered without a token (browsers send none with it), or a WebSocket upgrade or a
// change (any method but GET) from an origin neither listed nor ticketd's own, refused: a page
// elsewhere may not act through its visitor's browser. nullopt: served as any request.
std::optional<http_response> browser_answer(const http_request& request,
                                            const std::vector<std::string>& allowed) {
  if (!request.preflight_method.empty()) {
    if (!origin_listed(allowed, request.origin)) {
      return failure(routing::make_error(
          errc::forbidden,
          "origin '" + std::string{request.origin} + "' is not in server.cors.allowed_origins"));
    }
    http_response r = json(204, {});
    r.headers.emplace_back("Access-Control-Allow-Methods", std::string{cors_methods});
    r.headers.emplace_back("Access-Control-Allow-Headers", std::string{cors_request_headers});
    r.headers.emplace_back("Access-Control-Max-Age", std::string{cors_max_age});
    return r;
  }
  if ((request.websocket_upgrade || request.method != http_method::get) &&
      !origin_may_act(allowed, request.origin, request.host)) {
    return failure(routing::make_error(
        errc::forbidden, std::string{request.websocket_upgrade ? "a WebSocket" : "a change"} +
                             " from origin '" + std::string{request.origin} +
                             "' is refused: it is neither ticketd's own nor in "
                             "server.cors.allowed_origins"));
  }
  return std::nullopt;
}

// 401 with the challenge a client answers with a token.
http_response unauthenticated(std::string message) {
  http_response r = failure(routing::make_error(errc::unauthenticated, std::move(message)));
  r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

// GET /console and its files (daemon/console/): the page may run only its own script and talk
// only to ticketd, and is never cached across a daemon's upgrade.
http_response console_file(std::string_view name) {
  const auto* f = console::find(name);
  if (f == nullptr) {
    return failure(routing::make_error(errc::not_found, "no console file '" + std::string{name} +
                                                            "': the console is GET /console"));
  }
  http_response r;
  r.body = std::string{f->body};
  r.content_type = f->content_type;
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; style-src 'self'; script-src 'self'; "
                         "connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
                         "form-action 'none'; base-uri 'none'");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  return r;
}

// The streams a browser opens with a stream token in the URL (`?access_token=`), where it
// cannot set Authorization.
bool takes_stream_token(route_id r) { return r == route_id::agent_stream || r == route_id::events; }

}  // namespace

service::reply service::dispatch(call& c) {
  if (!c.request.origin.empty()) {
    if (auto answer = browser_answer(c.request, c.rt->cfg->server.cors_origins)) {
      co_return std::move(*answer);
    }
  }
  const auto& auth = c.rt->cfg->auth;
  const std::string_view workspace =
      c.route.workspace.empty() ? std::string_view{c.rt->cfg->workspace} : c.route.workspace;
  std::string_view caller;
  // A stream token in place of Authorization, redeemed once the workspace is known.
  std::optional<std::string_view> stream_token;
  const bool token_needed = needs_token(auth, c.route.route);
  if (token_needed && c.request.authorization.empty() && takes_stream_token(c.route.route)) {
    stream_token = query_param(c.target.query, "access_token");
  }
  if (stream_token) {
    if (!is_valid_header_token(*stream_token)) {
      co_return unauthenticated("access_token is not a stream token");
    }
    if (c.rt->tokens.find("Bearer " + std::string{*stream_token}) != nullptr) {
      log_warning("a configured token was sent in a URL ({} {}) and refused: rotate it",
                  method_name(c.request.method), c.target.path);
      co_return unauthenticated(
          "a long-lived token is never accepted in a URL: ask POST "
          "/v1/agents/{id}/stream-token or POST /v1/stream-token for a single-use one");
    }
  } else if (token_needed) {
    const auto* token = c.rt->tokens.find(c.request.authorization);
    if (token == nullptr) {
      co_return unauthenticated(c.request.authorization.empty()
                                    ? "send Authorization: Bearer <token>"
                                    : "the bearer token is not one this server knows");
    }
    caller = token->name;
    if (!token->workspace.empty() && is_daemon_wide(c.route.route)) {
      co_return failure(routing::make_error(
          errc::forbidden, "token '" + token->name + "' is bound to workspace '" +
                               token->workspace + "': " + std::string{route_label(c.route.route)} +
                               " acts on every workspace and needs a token bound to none"));
    }
    if (!token->workspace.empty() && token->workspace != workspace) {
      co_return failure(routing::make_error(
          errc::forbidden,
          "token '" + token->name + "' is bound to workspace '" + token->workspace + "'"));
    }
    switch (authorize(*token, c.route.route, c.route.id, c.route.action)) {
      case access::allowed:
        break;
      case access::as_agent:
        c.as_agent = token->agent;
        break;
      case access::forbidden:
        co_return failure(routing::make_error(
            errc::forbidden,
            "token '" + token->name + "' may not use " + std::string{route_label(c.route.route)}));
    }
  }
  if (!c.ws) co_return failure(unknown_workspace(workspace));
  if (c.ws->name() != c.rt->cfg->workspace) c.rt = c.ws->snapshot();
  if (stream_token) {
    auto grant = co_await c.store.take_stream_token(*c.rt, *stream_token);
    if (!grant) co_return failure(grant.error());
    if (grant->empty()) {
      co_return unauthenticated(
          "the stream token is unknown, used or expired: ask for a new one (each opens one "
          "stream, within " +
          std::to_string(stream_token_lifetime_s) + " s)");
    }
    switch (check_grant(*grant, c.route.route, c.route.id, c.store.now())) {
      case grant_check::opens:
        break;
      case grant_check::expired:
        co_return unauthenticated("the stream token expired: ask for a new one");
      case grant_check::elsewhere:
        co_return failure(
            routing::make_error(errc::forbidden, "the stream token opens another stream"));
    }
  }
  // A change may set a timer: the workspace's timers are looked at every second for a while
  // (reads, operations and admin routes set none).
  if (c.request.method != http_method::get && !is_daemon_wide(c.route.route)) {
    c.ws->touch(c.started_ms);
  }
  // A writing request's Idempotency-Key, checked once its caller is known (it is part of the
  // fingerprint): a caller without a token learns that first.
  if (!c.request.idempotency_key.empty() &&
      (c.request.method == http_method::post || c.request.method == http_method::put ||
       c.request.method == http_method::patch || c.request.method == http_method::del)) {
    if (!is_valid_header_token(c.request.idempotency_key)) {
      co_return failure(invalid_argument("Idempotency-Key",
                                         "Idempotency-Key must be 1 to 128 visible characters"));
    }
    c.fingerprint = request_fingerprint(method_name(c.request.method), c.request.target,
                                        c.request.body, caller);
    c.idem = {c.request.idempotency_key, c.fingerprint};
  }
  switch (c.route.route) {
    case route_id::healthz:
      co_return json(200, R"({"status":"ok"})");
    case route_id::console:
      co_return console_file(c.route.id);
    case route_id::readyz:
      // One workspace's readiness (its Redis answers), or every one's; a name not served is
      // 404.
      {
        std::optional<std::uint16_t> slot;
        if (auto ws = query_param(c.target.query, "workspace")) {
          const auto found = workspaces_.find(*ws);
          if (!found) co_return failure(unknown_workspace(*ws));
          slot = found->snapshot()->keys.slot();
        }
        if (hooks_.ready && hooks_.ready(slot)) co_return json(200, R"({"ready":true})");
      }
      co_return failure(routing::make_error(
          errc::unavailable, "Redis is unreachable or the functions are not loaded"));
    case route_id::metrics:
      co_return co_await metrics_text(c);
    case route_id::ticket_create:
      co_return co_await create_ticket(c);
    case route_id::ticket_get:
      co_return co_await get_ticket(c);
    case route_id::ticket_delete:
      co_return co_await delete_ticket(c);
    case route_id::ticket_action:
      co_return co_await ticket_action(c);
    case route_id::ticket_explain:
      co_return co_await explain_ticket(c);
    case route_id::ticket_patch:
      co_return co_await patch_ticket(c);
    case route_id::agent_put:
      co_return co_await put_agent(c);
    case route_id::agent_get:
      co_return co_await get_agent(c);
    case route_id::agents_list:
      co_return co_await list_agents(c);
    case route_id::agent_status:
      co_return co_await agent_status(c);
    case route_id::agent_next:
      co_return co_await agent_next(c);
    case route_id::agent_ready:
      co_return co_await agent_ready(c);
    case route_id::queues_list:
      co_return co_await list_queues(c);
    case route_id::queue_get:
      co_return co_await get_queue(c);
    case route_id::admin_verify:
      co_return co_await verify(c);
    case route_id::admin_reload:
      co_return co_await reload(c);
    case route_id::admin_clock:
      co_return co_await move_clock(c);
    case route_id::admin_workspaces:
      co_return list_workspaces();
    case route_id::admin_purge:
      co_return co_await purge_workspace(c);
    case route_id::method_not_allowed: {
      http_response r = json(405, error_body(routing::make_error(
                                      errc::invalid_argument,
                                      "method not allowed; use " + std::string{c.route.allow})));
      r.headers.emplace_back("Allow", std::string{c.route.allow});
      co_return r;
    }
    case route_id::agent_stream:
      co_return co_await agent_stream(c);
    case route_id::agent_stream_token:
    case route_id::stream_token:
      co_return co_await issue_stream_token(c);
    case route_id::events:
      co_return co_await events(c);
    case route_id::preflight:  // answered by browser_answer()
    case route_id::not_found:
      break;
  }
  co_return failure(
      routing::make_error(errc::not_found, "no such path: " + std::string{c.target.path}));
}

service::reply service::create_ticket(call& c) {
  auto req = parse_create(c.request.body);
  if (!req) co_return failure(req.error());
  auto result = co_await c.store.create(*c.rt, *req, c.idem);
  if (!result) co_return failure(result.error());
  if (result->created && !result->replayed) {
    c.ws->metrics().transition("create");
    record_ticket(c.ws->metrics(), result->value, assignment_mode::push);
  }
  if (!result->replayed) record_pushes(c.ws->metrics(), result->assignments, c.store.now());
  co_return replayed(
      json(result->created ? 201 : 200,
           ticket_json(result->value, *c.rt->cfg, c.store.now(), result->assignments)),
      result->replayed);
}

service::reply service::get_ticket(call& c) {
  if (auto e = check_id("ticket", c.route.id)) co_return failure(*e);
  auto t = co_await c.store.get(*c.rt, c.route.id);
  if (!t) co_return failure(t.error());
  if (!c.as_agent.empty() && t->assignee != c.as_agent) {
    co_return failure(routing::make_error(errc::forbidden,
                                          "an agent token reads only the tickets its agent holds"));
  }
  co_return json(200, ticket_json(*t, *c.rt->cfg, c.store.now()));
}

service::reply service::delete_ticket(call& c) {
  if (auto e = check_id("ticket", c.route.id)) co_return failure(*e);
  auto done = co_await c.store.remove(*c.rt, c.route.id, c.idem);
  if (!done) co_return failure(done.error());
  if (!done->replayed) {
    c.ws->metrics().transition("delete");
    record_pushes(c.ws->metrics(), done->assignments, c.store.now());
  }
  std::string body;
  json_writer w(body);
  w.begin_object().field("id", c.route.id).field("deleted", true).end_object();
  co_return replayed(json(200, std::move(body)), done->replayed);
}

service::reply service::ticket_action(call& c) {
  if (auto e = check_id("ticket", c.route.id)) co_return failure(*e);
  const auto action = routing::parse_ticket_action(c.route.action);
  if (!action) {
    co_return failure(routing::make_error(
        errc::not_found, "no ticket action '" + std::string{c.route.action} + "'"));
  }
  const auto if_match = request_if_match(c.request);
  if (!if_match) co_return failure(if_match.error());
  auto req = parse_action(*action, c.request.body);
  if (!req) co_return failure(req.error());
  if (!c.as_agent.empty()) {
    // An agent acts as itself: the functions then check it holds (or was offered) the ticket.
    if (req->agent.empty()) req->agent = std::string{c.as_agent};
    if (req->agent != c.as_agent) {
      co_return failure(
          routing::make_error(errc::forbidden, "an agent token acts only for its own agent"));
    }
  }
  if (req->agent.empty() &&
      (*action == routing::ticket_action::accept || *action == routing::ticket_action::reject)) {
    co_return failure(invalid_argument("agent",
                                       "agent is required: the agent the ticket is "
                                       "offered to"));
  }
  auto t = co_await c.store.act(*c.rt, *action, c.route.id, *if_match, *req, c.idem);
  if (!t) co_return failure(t.error());
  if (!t->replayed) record_action(c.ws->metrics(), *action, *t, c.store.now());
  co_return replayed(json(200, ticket_json(t->value, *c.rt->cfg, c.store.now(), t->assignments)),
                     t->replayed);
}

service::reply service::patch_ticket(call& c) {
  if (auto e = check_id("ticket", c.route.id)) co_return failure(*e);
  const auto if_match = request_if_match(c.request);
  if (!if_match) co_return failure(if_match.error());
  auto req = parse_patch(c.request.body);
  if (!req) co_return failure(req.error());
  auto t = co_await c.store.patch(*c.rt, c.route.id, *if_match, *req, c.idem);
  if (!t) co_return failure(t.error());
  co_return replayed(json(200, ticket_json(t->value, *c.rt->cfg, c.store.now(), t->assignments)),
                     t->replayed);
}

service::reply service::put_agent(call& c) {
  if (auto e = check_id("agent", c.route.id)) co_return failure(*e);
  auto req = parse_agent(c.request.body);
  if (!req) co_return failure(req.error());
  auto a = co_await c.store.put_agent(*c.rt, c.route.id, *req, c.idem);
  co_return agent_changed(c, a);
}

http_response service::agent_changed(call& c, const routing::outcome<routing::agent_result>& a) {
  if (!a) return failure(a.error());
  if (!a->replayed) record_pushes(c.ws->metrics(), a->assignments, c.store.now());
  return replayed(json(200, agent_json(a->value, *c.rt->cfg, a->assignments)), a->replayed);
}

service::reply service::get_agent(call& c) {
  if (auto e = check_id("agent", c.route.id)) co_return failure(*e);
  auto a = co_await c.store.get_agent(*c.rt, c.route.id);
  if (!a) co_return failure(a.error());
  co_return json(200, agent_json(a->value, *c.rt->cfg));
}

service::reply service::explain_ticket(call& c) {
  if (auto e = check_id("ticket", c.route.id)) co_return failure(*e);
  const auto limit = list_limit(c.target.query, 50);
  if (!limit) co_return failure(limit.error());
  auto x = co_await c.store.explain(*c.rt, c.route.id, *limit);
  if (!x) co_return failure(x.error());
  co_return json(200, explain_json(*x, *c.rt->cfg, c.store.now()));
}

service::reply service::list_agents(call& c) {
  const auto& q = c.target.query;
  routing::agent_filter f;
  const auto limit = list_limit(q, default_agent_limit);
  if (!limit) co_return failure(limit.error());
  f.limit = *limit;
  if (auto after = query_param(q, "after")) {
    if (auto e = check_id("after", *after)) co_return failure(*e);
    f.after = *after;
  }
  if (auto status = query_param(q, "status")) {
    if (!routing::parse_agent_status(*status)) {
      co_return failure(invalid_argument("status", "status must be online, away or offline"));
    }
    f.status = *status;
  }
  if (auto queue = query_param(q, "queue")) {
    if (c.rt->cfg->find_queue(*queue) == nullptr) {
      co_return failure(
          invalid_argument("queue", "no queue '" + std::string{*queue} + "' is configured"));
    }
    f.queue = *queue;
  }
  if (auto skill = query_param(q, "skill")) {
    if (auto e = check_id("skill", *skill)) co_return failure(*e);
    f.skill = *skill;
  }
  auto page = co_await c.store.list_agents(*c.rt, f);
  if (!page) co_return failure(page.error());
  co_return json(200, agent_list_json(*page, *c.rt->cfg));
}

service::reply service::agent_status(call& c) {
  if (auto e = check_id("agent", c.route.id)) co_return failure(*e);
  auto status = parse_status(c.request.body);
  if (!status) co_return failure(status.error());
  if (!status->channel.empty()) {
    if (auto e = c.rt->plan.check_channel(status->channel, "channel")) co_return failure(*e);
  }
  auto a =
      co_await c.store.set_agent_status(*c.rt, c.route.id, status->status, c.idem, status->channel);
  co_return agent_changed(c, a);
}

service::reply service::agent_ready(call& c) {
  if (auto e = check_id("agent", c.route.id)) co_return failure(*e);
  auto a = co_await c.store.agent_ready(*c.rt, c.route.id, c.idem);
  co_return agent_changed(c, a);
}

service::reply service::agent_next(call& c) {
  if (auto e = check_id("agent", c.route.id)) co_return failure(*e);
  auto pulled = co_await c.store.next(*c.rt, c.route.id, c.idem);
  if (!pulled) co_return failure(pulled.error());
  if (!pulled->ticket) co_return replayed(json(204, {}), pulled->replayed);
  const auto& t = *pulled->ticket;
  if (!pulled->replayed) {
    auto& m = c.ws->metrics();
    m.transition("next");
    m.assigned(assignment_mode::pull);
    m.waited(t.value.queued_at, c.store.now());
    record_pushes(m, t.assignments, c.store.now());
  }
  co_return replayed(json(200, next_json(t.value, *c.rt->cfg, c.store.now())), pulled->replayed);
}

service::reply service::agent_stream(call& c) {
  if (auto e = check_id("agent", c.route.id)) co_return failure(*e);
  if (!c.request.websocket_upgrade) {
    http_response r = failure(invalid_argument(
        "Upgrade", "this path is a WebSocket: send an Upgrade: websocket handshake"));
    r.status = 426;
    r.headers.emplace_back("Upgrade", "websocket");
    co_return r;
  }
  // Unknown agents are refused before the handshake (the profile comes from PUT first).
  auto a = co_await c.store.get_agent(*c.rt, c.route.id);
  if (!a) co_return failure(a.error());
  http_response r;
  if (hooks_.watching) hooks_.watching(*c.ws);
  r.websocket = make_agent_channel(std::string{c.route.id}, c.store, c.ws);
  co_return r;
}

service::reply service::issue_stream_token(call& c) {
  const auto scope =
      c.route.route == route_id::stream_token ? stream_scope::events : stream_scope::agent;
  if (scope == stream_scope::agent) {
    if (auto e = check_id("agent", c.route.id)) co_return failure(*e);
  }
  if (auto e = check_stream_token_body(c.request.body, scope)) co_return failure(*e);
  // Never kept for an Idempotency-Key: a replay would hand out a token that may be used.
  auto token = new_stream_token();
  if (!token) co_return failure(token.error());
  const auto lifetime = std::chrono::seconds(stream_token_lifetime_s);
  const auto grant =
      stream_grant(scope, c.route.id, c.store.now() + stream_token_lifetime_s * 1000);
  auto kept = co_await c.store.put_stream_token(*c.rt, *token, grant, lifetime);
  if (!kept) co_return failure(kept.error());
  if (!*kept) {
    co_return failure(
        routing::make_error(errc::internal, "a new stream token was taken; ask again"));
  }
  http_response r = json(200, R"({"token":")" + *token + R"(","expires_in":)" +
                                  std::to_string(stream_token_lifetime_s) + "}");
  r.headers.emplace_back("Cache-Control", "no-store");
  co_return r;
}

service::reply service::events(call& c) {
  std::string_view after = c.request.last_event_id;
  if (auto q = query_param(c.target.query, "after")) after = *q;
  if (!after.empty() && !parse_stream_id(after)) {
    co_return failure(invalid_argument("after",
                                       "Last-Event-ID and after must be an event id such as "
                                       "1795424400000-0, or 0 for every event held"));
  }
  bool follow = true;
  if (auto f = query_param(c.target.query, "follow")) {
    if (*f != "true" && *f != "false") {
      co_return failure(invalid_argument("follow", "follow must be true or false"));
    }
    follow = *f == "true";
  }
  // Fail now rather than after the head when Redis is away.
  if (hooks_.ready && !hooks_.ready(c.rt->keys.slot())) {
    co_return failure(routing::make_error(errc::unavailable, "Redis is unreachable"));
  }
  // "From now" is fixed before the response head goes out: a client that has the head sees
  // every event written after it.
  std::string start{after};
  if (start.empty()) {
    auto newest = co_await c.store.last_event_id(*c.rt);
    if (!newest) co_return failure(newest.error());
    start = std::move(*newest);
  }
  http_response r;
  if (hooks_.watching) hooks_.watching(*c.ws);
  r.sse = make_event_stream(std::move(start), follow, c.store, c.ws);
  co_return r;
}

service::reply service::list_queues(call& c) {
  auto stats = co_await c.store.queue_stats(*c.rt);
  if (!stats) co_return failure(stats.error());
  co_return json(200, queues_json(*stats, *c.rt->cfg, c.store.now()));
}

service::reply service::get_queue(call& c) {
  if (auto e = check_id("queue", c.route.id)) co_return failure(*e);
  if (c.rt->cfg->find_queue(c.route.id) == nullptr)
    co_return failure(not_found("queue", c.route.id));
  const auto limit = list_limit(c.target.query, default_queue_limit);
  if (!limit) co_return failure(limit.error());
  auto head = co_await c.store.queue_head(*c.rt, c.route.id, *limit);
  if (!head) co_return failure(head.error());
  co_return json(200, queue_json(c.route.id, *head, *c.rt->cfg, c.store.now()));
}

service::reply service::verify(call& c) {
  auto report = co_await c.store.verify(*c.rt);
  if (!report) co_return failure(report.error());
  co_return json(report->violations.empty() ? 200 : 500, verify_json(*report));
}

service::reply service::metrics_text(call& c) {
  // Shared gauges come from Redis, read workspace by workspace (those read longest ago first)
  // until the scrape's deadline or scrape_refresh_max reads: with many workspaces they are
  // refreshed in turn over several scrapes. When Redis is down or slow the scrape still answers
  // at once with what this process knows, without them (no stale values;
  // ticketd_redis_connections_up and the redis errors say why).
  const auto started = std::chrono::steady_clock::now();
  auto list = *workspaces_.all();
  std::sort(list.begin(), list.end(),
            [](const auto& a, const auto& b) { return a->gauges_read_at() < b->gauges_read_at(); });
  if (list.size() > scrape_refresh_max) list.resize(scrape_refresh_max);
  // When the first read fails (Redis down or slow), no gauge of shared state is shown; a later
  // one (the deadline reached) ends the refresh, and the rest keep their last values.
  bool ok = true;
  bool first = true;
  for (const auto& ws : list) {
    const auto left = scrape_redis_deadline - std::chrono::duration_cast<std::chrono::milliseconds>(
                                                  std::chrono::steady_clock::now() - started);
    if (left <= std::chrono::milliseconds{0}) break;
    if (ws->retired()) continue;
    auto stats = co_await c.store.queue_stats(*ws->snapshot(), left);
    if (!stats) {
      ok = !first;
      break;
    }
    first = false;
    ws->metrics().update_shared_state(*stats, c.store.now());
    ws->gauges_read(steady_ms());
    // A reload that removed it meanwhile cleared its gauges: they stay cleared.
    if (ws->retired()) ws->metrics().clear_shared_state();
  }
  if (!ok) {
    for (const auto& ws : *workspaces_.all()) ws->metrics().clear_shared_state();
  }
  metrics_.scrape_read(ok);
  if (hooks_.requests_in_flight) metrics_.requests_in_flight(hooks_.requests_in_flight());
  http_response r = json(200, metrics_.render());
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  co_return r;
}

http_response service::list_workspaces() {
  const auto all = workspaces_.all();
  std::string body;
  json_writer w(body);
  w.begin_object().key("workspaces").begin_array();
  for (const auto& ws : *all) {
    w.begin_object().field("name", ws->name()).field("main", ws == all->front()).end_object();
  }
  w.end_array().end_object();
  return json(200, std::move(body));
}

service::reply service::purge_workspace(call& c) {
  if (!routing::is_valid_workspace(c.route.id)) {
    co_return failure(
        invalid_argument("workspace", "a workspace name must match [A-Za-z0-9._:@-]{1,64}"));
  }
  if (workspaces_.find(c.route.id)) {
    auto e = routing::make_error(errc::conflict,
                                 "workspace '" + std::string{c.route.id} +
                                     "' is served: remove its file from workspaces_dir and reload "
                                     "every daemon before purging it");
    e.details.emplace_back("field", "workspace");
    co_return failure(std::move(e));
  }
  auto deleted = co_await c.store.purge_workspace(c.route.id);
  if (!deleted) co_return failure(deleted.error());
  log_info("workspace '{}' purged: {} keys deleted", c.route.id, *deleted);
  std::string body;
  json_writer w(body);
  w.begin_object().field("workspace", c.route.id).field("deleted_keys", *deleted).end_object();
  co_return json(200, std::move(body));
}

service::reply service::move_clock(call& c) {
  if (hooks_.manual_clock == nullptr) {
    co_return failure(routing::make_error(
        errc::not_found, "the clock can only be moved when ticketd runs with --manual-clock"));
  }
  auto req = parse_clock(c.request.body);
  if (!req) co_return failure(req.error());
  if (req->set_ms) {
    if (*req->set_ms < hooks_.manual_clock->now_ms()) {
      co_return failure(invalid_argument("now", "the clock only moves forward"));
    }
    hooks_.manual_clock->set(*req->set_ms);
  } else {
    hooks_.manual_clock->advance(std::chrono::milliseconds{*req->advance_ms});
  }
  if (hooks_.fire_due_timers) co_await hooks_.fire_due_timers(c.request.worker);
  std::string body;
  json_writer w(body);
  w.begin_object().key("now").timestamp(hooks_.manual_clock->now_ms()).end_object();
  co_return json(200, std::move(body));
}

http_response service::reload_refused(const reload_result& r) {
  std::string body;
  json_writer w(body);
  w.begin_object().key("error").begin_object();
  w.field("code", "invalid_argument");
  w.field("message", "the configuration has errors; the running configuration stays");
  w.key("errors").strings(r.errors);
  w.end_object().end_object();
  return json(400, std::move(body));
}

service::reply service::reload(call& c) {
  bool dry_run = false;
  if (auto given = query_param(c.target.query, "dry_run")) {
    if (*given != "true" && *given != "false") {
      co_return failure(invalid_argument("dry_run", "dry_run must be true or false"));
    }
    dry_run = *given == "true";
  }
  if (!hooks_.preview_reload || !hooks_.reload) {
    co_return failure(routing::make_error(errc::internal, "reload is not available"));
  }
  const reload_result r = dry_run ? hooks_.preview_reload(c.ws->name()) : hooks_.reload();
  if (!r.ok) co_return reload_refused(r);
  std::string body;
  json_writer w(body);
  if (!dry_run || !r.changes) {
    w.begin_object().field("reloaded", true);
    w.key("needs_restart").strings(r.restart);
    w.end_object();
    co_return json(200, std::move(body));
  }
  // The preview: the tickets waiting in each queue the file removes (their data stays, and
  // nothing hands them out until a queue of that name comes back).
  const auto& ch = *r.changes;
  routing::queue_stats waiting;
  if (!ch.queues_removed.empty()) {
    auto stats = co_await c.store.queue_stats_of(*c.rt, ch.queues_removed);
    if (!stats) co_return failure(stats.error());
    waiting = std::move(*stats);
  }
  w.begin_object().field("ok", true).key("changes").begin_object();
  w.key("queues").begin_object();
  w.key("added").strings(ch.queues_added);
  w.key("removed").strings(ch.queues_removed);
  w.key("changed").begin_array();
  for (const auto& q : ch.queues_changed) {
    w.begin_object().field("name", q.name).key("keys").strings(q.keys).end_object();
  }
  w.end_array().end_object();
  w.key("waiting_in_removed").begin_object();
  for (const auto& q : waiting.queues) w.field(q.name, q.depth);
  w.end_object();
  w.key("restart_required").strings(ch.restart_required);
  w.key("workspaces").begin_object();
  w.key("added").strings(ch.workspaces_added);
  w.key("removed").strings(ch.workspaces_removed);
  w.end_object();
  w.end_object().end_object();
  co_return json(200, std::move(body));
}

}  // namespace ticketd::daemon::api
