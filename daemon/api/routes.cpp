#include "daemon/api/routes.hpp"

#include <array>

namespace ticketd::daemon::api {
namespace {

constexpr std::array<std::string_view, route_count> labels{"healthz",
                                                           "readyz",
                                                           "metrics",
                                                           "ticket_create",
                                                           "ticket_get",
                                                           "ticket_delete",
                                                           "ticket_patch",
                                                           "ticket_action",
                                                           "ticket_explain",
                                                           "agent_put",
                                                           "agent_get",
                                                           "agents_list",
                                                           "agent_status",
                                                           "agent_next",
                                                           "agent_ready",
                                                           "agent_stream",
                                                           "agent_stream_token",
                                                           "queues_list",
                                                           "queue_get",
                                                           "events",
                                                           "stream_token",
                                                           "admin_reload",
                                                           "admin_verify",
                                                           "admin_clock",
                                                           "admin_workspaces",
                                                           "admin_purge",
                                                           "console",
                                                           "preflight",
                                                           "not_found",
                                                           "method_not_allowed"};

// Splits "/a/b/c" into at most 5 segments; returns the count, or 6 when there are more.
std::size_t segments(std::string_view path, std::array<std::string_view, 5>& out) {
  std::size_t n = 0;
  if (path.empty() || path.front() != '/') return 0;
  path.remove_prefix(1);
  while (!path.empty()) {
    const auto slash = path.find('/');
    if (n == out.size()) return out.size() + 1;
    out[n++] = path.substr(0, slash);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return n;
}

route_match only(http_method method, http_method wanted, route_id r, std::string_view allow,
                 std::string_view id = {}, std::string_view action = {}) {
  if (method != wanted) return {route_id::method_not_allowed, id, action, allow};
  return {r, id, action, allow};
}

}  // namespace

std::string_view route_label(route_id r) { return labels[static_cast<std::size_t>(r)]; }

target_parts split_target(std::string_view target) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

std::optional<std::string_view> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::string loggable_target(std::string_view target) {
  constexpr std::string_view name = "access_token=";
  const auto query_at = target.find('?');
  if (query_at == std::string_view::npos || target.find(name) == std::string_view::npos) {
    return std::string{target};
  }
  std::string out{target.substr(0, query_at + 1)};
  auto query = target.substr(query_at + 1);
  // Every such parameter: a client may send it twice.
  for (;;) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    if (pair.starts_with(name) && pair.size() > name.size()) {
      out.append(name).append("***");
    } else {
      out.append(pair);
    }
    if (amp == std::string_view::npos) break;
    out.push_back('&');
    query.remove_prefix(amp + 1);
  }
  return out;
}

// The /v1 routes, from `path` after its "/v1" (`s[0]` is "v1" below, as in the path).
route_match match_v1(http_method m, std::string_view rest) {
  using enum http_method;
  std::array<std::string_view, 5> inner;
  const std::size_t k = segments(rest, inner);
  if (k == 0 || k > 4) return {};
  std::array<std::string_view, 5> s{"v1"};
  for (std::size_t i = 0; i < k; ++i) s[i + 1] = inner[i];
  const std::size_t n = k + 1;
  const std::string_view area = s[1];
  if (area == "tickets") {
    if (n == 2) return only(m, post, route_id::ticket_create, "POST");
    if (n == 3) {
      constexpr std::string_view allow = "GET, PATCH, DELETE";
      if (m == get) return {route_id::ticket_get, s[2], {}, allow};
      if (m == patch) return {route_id::ticket_patch, s[2], {}, allow};
      if (m == del) return {route_id::ticket_delete, s[2], {}, allow};
      return {route_id::method_not_allowed, s[2], {}, allow};
    }
    if (n == 4 && s[3] == "explain") {
      return only(m, get, route_id::ticket_explain, "GET", s[2]);
    }
    if (n == 4) return only(m, post, route_id::ticket_action, "POST", s[2], s[3]);
    return {};
  }
  if (area == "agents") {
    if (n == 2) return only(m, get, route_id::agents_list, "GET");
    if (n == 3) {
      if (m == get) return {route_id::agent_get, s[2], {}, "GET, PUT"};
      if (m == put) return {route_id::agent_put, s[2], {}, "GET, PUT"};
      return {route_id::method_not_allowed, s[2], {}, "GET, PUT"};
    }
    if (n == 4) {
      if (s[3] == "status") return only(m, post, route_id::agent_status, "POST", s[2]);
      if (s[3] == "next") return only(m, post, route_id::agent_next, "POST", s[2]);
      if (s[3] == "ready") return only(m, post, route_id::agent_ready, "POST", s[2]);
      if (s[3] == "stream") return only(m, get, route_id::agent_stream, "GET", s[2]);
      if (s[3] == "stream-token") {
        return only(m, post, route_id::agent_stream_token, "POST", s[2]);
      }
    }
    return {};
  }
  if (area == "queues") {
    if (n == 2) return only(m, get, route_id::queues_list, "GET");
    if (n == 3) return only(m, get, route_id::queue_get, "GET", s[2]);
    return {};
  }
  if (area == "events" && n == 2) return only(m, get, route_id::events, "GET");
  if (area == "stream-token" && n == 2) return only(m, post, route_id::stream_token, "POST");
  if (area == "admin" && n == 3) {
    if (s[2] == "reload") return only(m, post, route_id::admin_reload, "POST");
    if (s[2] == "verify") return only(m, get, route_id::admin_verify, "GET");
    if (s[2] == "clock") return only(m, post, route_id::admin_clock, "POST");
    if (s[2] == "workspaces") return only(m, get, route_id::admin_workspaces, "GET");
  }
  if (area == "admin" && n == 4 && s[2] == "workspaces") {
    return only(m, del, route_id::admin_purge, "DELETE", s[3]);
  }
  return {};
}

route_match match_route(http_method m, std::string_view path) {
  using enum http_method;
  std::array<std::string_view, 5> s;
  const std::size_t n = segments(path, s);
  if (n == 1) {
    if (s[0] == "healthz") return only(m, get, route_id::healthz, "GET");
    if (s[0] == "readyz") return only(m, get, route_id::readyz, "GET");
    if (s[0] == "metrics") return only(m, get, route_id::metrics, "GET");
    if (s[0] == "console") return only(m, get, route_id::console, "GET");
    return {};
  }
  if (n == 2 && s[0] == "console") return only(m, get, route_id::console, "GET", s[1]);
  constexpr std::string_view scoped = "/v1/w/";
  if (path.starts_with(scoped)) {
    // /v1/w/{workspace}/...: the same routes, in one workspace.
    const auto rest = path.substr(scoped.size());
    const auto slash = rest.find('/');
    if (slash == 0 || slash == std::string_view::npos) return {};
    auto r = match_v1(m, rest.substr(slash));
    r.workspace = rest.substr(0, slash);
    return r;
  }
  if (!path.starts_with("/v1/")) return {};
  return match_v1(m, path.substr(3));
}

}  // namespace ticketd::daemon::api
