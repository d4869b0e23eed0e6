// The daemon's Prometheus metrics (prefix ticketd_): counters and histograms of this process,
// per workspace (label `workspace`) for what concerns one, and gauges of each workspace's shared
// state read from Redis (refreshed in turn by the scrape). Label values are bounded: routes,
// configured workspace and queue names, statuses, actions; never ticket or agent ids.
// Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "daemon/api/routes.hpp"
#include "daemon/redis/redis_observer.hpp"
#include "routing/functions.hpp"
#include "routing/transitions.hpp"

namespace ticketd::daemon {

enum class assignment_mode { pull, push, returned, reassign, accepted };
enum class offer_outcome { made, accepted, rejected, timeout, withdrawn };

class workspace_metrics;

// The process's metrics and the families the workspaces' metrics are children of.
class metrics final : public redis_observer {
 public:
  metrics();
  ~metrics() override;

  // The metrics of workspace `name` (label `workspace`): the same object for the same name, for
  // the daemon's life (a workspace a reload removed and added again counts on).
  std::shared_ptr<workspace_metrics> workspace(const std::string& name);
  // A workspace a reload removed: its shared-state gauges go (its counters stay).
  void workspace_removed(const std::string& name);

  void http_request(api::route_id route, int status, std::chrono::nanoseconds elapsed);
  void config_reload(bool ok);
  // A long-lived task failed (its name: a bounded set, see async/supervisor.hpp).
  void task_failed(std::string_view task);

  void requests_in_flight(std::size_t n);
  // Whether this scrape read every workspace's shared state it tried to (ticketd_scrape_redis_ok).
  void scrape_read(bool ok);

  // Text exposition format.
  std::string render();

  // redis_observer
  void round_trip(std::chrono::nanoseconds elapsed) override;
  void failed(redis_errc why) override;
  void connection_state(bool up) override;

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

// What one workspace's tickets, agents and timers did through this daemon, and the gauges of its
// shared state. Every series carries its `workspace` label; a counter's series appears with its
// first increment, so an idle workspace adds no series but its gauges. Thread-safe.
class workspace_metrics {
 public:
  workspace_metrics(metrics::impl& families, std::string name);
  ~workspace_metrics();
  workspace_metrics(const workspace_metrics&) = delete;
  workspace_metrics& operator=(const workspace_metrics&) = delete;

  // Makes every series of a fixed label set at zero now (a daemon with few workspaces shows them
  // from the start, so that increase() sees the first one).
  void create_series();

  void transition(std::string_view action);  // create, next, reply, ... (bounded set)
  void enqueued(std::string_view queue);
  void assigned(assignment_mode mode);
  void timers_fired(std::int64_t count);
  void offer(offer_outcome outcome, std::int64_t count = 1);
  void overflowed(std::int64_t count);
  void escalated();
  // One thing a timer did: SLA warnings and breaches by queue and target, follow-ups due,
  // auto-resolves by reason, auto-closes.
  void timer_fired(const routing::timer_note& note);
  // Time from a ticket entering its queue to an agent getting it (pull, push or offer).
  void waited(std::int64_t queued_at_ms, std::int64_t now_ms);
  void agents_connected(std::int64_t delta);
  void event_delivered(bool dropped);

  // The gauges of shared state: set from a read of Redis (queues no longer configured
  // disappear), or cleared when they are not known.
  void update_shared_state(const routing::queue_stats& stats, std::int64_t now_ms);
  void clear_shared_state();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// Counts what push routing did in one call: offers made or push assignments, and each ticket's
// wait from its queue to the agent.
void record_pushes(workspace_metrics& m, std::span<const routing::assignment> pushed,
                   std::int64_t now_ms);

// Counts where a ticket ended up after a call: enqueued in a shared queue, or assigned (as
// `when_assigned`).
void record_ticket(workspace_metrics& m, const routing::ticket& t, assignment_mode when_assigned);

// Counts one ticket action however it arrived (HTTP or an agent's stream): the transition,
// where the ticket went, offers accepted or rejected, escalations, and the pushes it caused.
void record_action(workspace_metrics& m, routing::ticket_action a, const routing::ticket_result& r,
                   std::int64_t now_ms);

}  // namespace ticketd::daemon
