// Maps a method and path to one of the API's routes and its path parameters. Sans-io; the
// route is also the bounded `route` label of the HTTP metrics.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ticketd::daemon::api {

enum class http_method { get, post, put, patch, del, other };

enum class route_id {
  healthz,
  readyz,
  metrics,
  ticket_create,
  ticket_get,
  ticket_delete,
  ticket_patch,
  ticket_action,
  ticket_explain,
  agent_put,
  agent_get,
  agents_list,
  agent_status,
  agent_next,
  agent_ready,
  agent_stream,
  agent_stream_token,  // POST /v1/agents/{id}/stream-token: a single-use token for its stream
  queues_list,
  queue_get,
  events,
  stream_token,  // POST /v1/stream-token: a single-use token for GET /v1/events
  admin_reload,
  admin_verify,
  admin_clock,
  admin_workspaces,    // GET /v1/admin/workspaces: the workspaces served
  admin_purge,         // DELETE /v1/admin/workspaces/{name}: a workspace no longer served
  console,             // GET /console and its files (/console/{name})
  preflight,           // OPTIONS from a browser asking what it may send (api/cors.hpp)
  not_found,           // no such path
  method_not_allowed,  // the path exists, with other methods
};
inline constexpr std::size_t route_count =
    static_cast<std::size_t>(route_id::method_not_allowed) + 1;

std::string_view route_label(route_id r);

struct route_match {
  route_id route = route_id::not_found;
  std::string_view id;              // ticket, agent or queue id from the path
  std::string_view action;          // ticket action segment
  std::string_view allow;           // methods allowed, for 405
  std::string_view workspace = {};  // /v1/w/{workspace}/...; empty for plain /v1/...
};

route_match match_route(http_method method, std::string_view path);

// The stream a stream token opens: an agent's (GET /v1/agents/{id}/stream) or the event feed.
enum class stream_scope { agent, events };

// Splits a request target into path and query (without the '?').
struct target_parts {
  std::string_view path;
  std::string_view query;
};
target_parts split_target(std::string_view target);

// The raw value of `name` in a query string, if present.
std::optional<std::string_view> query_param(std::string_view query, std::string_view name);

// A request target as the log shows it: the value of an `access_token` parameter (a stream
// token: single-use, but a secret until used) replaced by `***`.
std::string loggable_target(std::string_view target);

}  // namespace ticketd::daemon::api
