// The HTTP API of API.md: validates each request, runs it through the worker's ticket_store
// and renders the result or the error. Runs on the worker thread that owns the connection.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "config/changes.hpp"
#include "daemon/common/runtime.hpp"
#include "daemon/metrics/metrics.hpp"
#include "daemon/redis/ticket_store.hpp"
#include "daemon/service/event_feed.hpp"
#include "daemon/service/workspaces.hpp"
#include "daemon/transport/http_types.hpp"
#include "routing/clock.hpp"

namespace ticketd::daemon::api {

struct reload_result {
  bool ok = false;
  std::vector<std::string> errors;                // the file's errors when refused
  std::vector<std::string> restart;               // changed settings that need a restart to apply
  std::optional<config::config_changes> changes;  // a preview: what a reload would change
};

struct service_hooks {
  // Redis reachable and the functions loaded on every connection; with a slot, on those to the
  // primary of that Redis Cluster slot (the same without a cluster).
  std::function<bool(std::optional<std::uint16_t> slot)> ready;
  // HTTP requests read and not yet answered (for the metrics).
  std::function<std::size_t()> requests_in_flight;
  // Loads the configuration file again and applies it when valid.
  std::function<reload_result()> reload;
  // Reads the configuration files and says what a reload would change, applying nothing: the
  // queues of the workspace named, and the workspaces added and removed.
  std::function<reload_result(const std::string& workspace)> preview_reload;
  // Non-null only with --manual-clock: POST /v1/admin/clock moves it.
  routing::manual_clock* manual_clock = nullptr;
  // Fires every timer due now (after the manual clock moved).
  std::function<boost::asio::awaitable<void>(std::size_t worker)> fire_due_timers;
  // An agent stream or event feed is about to watch the workspace's events (its tail starts).
  std::function<void(workspace&)> watching;
};

class service final : public http_handler {
 public:
  service(std::vector<ticket_store*> stores, workspace_set& workspaces, metrics& m,
          service_hooks hooks);

  boost::asio::awaitable<http_response> handle(const http_request& request) override;

 private:
  using reply = boost::asio::awaitable<http_response>;
  struct call;  // one request in progress

  reply dispatch(call& c);
  reply create_ticket(call& c);
  reply get_ticket(call& c);
  reply explain_ticket(call& c);
  reply delete_ticket(call& c);
  reply ticket_action(call& c);
  reply patch_ticket(call& c);
  reply put_agent(call& c);
  reply get_agent(call& c);
  reply list_agents(call& c);
  reply agent_status(call& c);
  // The answer to a change of an agent (its profile, its status), counting what it pushed.
  http_response agent_changed(call& c, const routing::outcome<routing::agent_result>& a);
  reply agent_next(call& c);
  reply agent_ready(call& c);
  reply agent_stream(call& c);
  reply issue_stream_token(call& c);
  reply events(call& c);
  reply list_queues(call& c);
  reply get_queue(call& c);
  reply verify(call& c);
  reply metrics_text(call& c);
  reply move_clock(call& c);
  http_response list_workspaces();
  reply purge_workspace(call& c);
  reply reload(call& c);
  http_response reload_refused(const reload_result& r);

  std::vector<ticket_store*> stores_;
  workspace_set& workspaces_;
  metrics& metrics_;
  service_hooks hooks_;
};

}  // namespace ticketd::daemon::api
