// The daemon's Prometheus metrics (prefix ticketd_): counters and histograms of this process,
// gauges of shared state refreshed from Redis at scrape time. Label values are bounded: routes,
// configured queue names, statuses, actions; never ticket or agent ids. Thread-safe.
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

class metrics final : public redis_observer {
 public:
  metrics();
  ~metrics() override;

  void http_request(api::route_id route, int status, std::chrono::nanoseconds elapsed);
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
  void config_reload(bool ok);
  // A long-lived task failed (its name: a bounded set, see async/supervisor.hpp).
  void task_failed(std::string_view task);

  void requests_in_flight(std::size_t n);

  // The gauges of shared state: set from a scrape's read of Redis (queues no longer configured
  // disappear), or cleared when that read failed.
  void update_shared_state(const routing::queue_stats& stats, std::int64_t now_ms);
  void clear_shared_state();

  // Text exposition format.
  std::string render();

  // redis_observer
  void round_trip(std::chrono::nanoseconds elapsed) override;
  void failed(redis_errc why) override;
  void connection_state(bool up) override;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// Counts what push routing did in one call: offers made or push assignments, and each ticket's
// wait from its queue to the agent.
void record_pushes(metrics& m, std::span<const routing::assignment> pushed, std::int64_t now_ms);

// Counts where a ticket ended up after a call: enqueued in a shared queue, or assigned (as
// `when_assigned`).
void record_ticket(metrics& m, const routing::ticket& t, assignment_mode when_assigned);

// Counts one ticket action however it arrived (HTTP or an agent's stream): the transition,
// where the ticket went, offers accepted or rejected, escalations, and the pushes it caused.
void record_action(metrics& m, routing::ticket_action a, const routing::ticket_result& r,
                   std::int64_t now_ms);

}  // namespace ticketd::daemon
