// Fires the due timers of every workspace served: pops them in bounded batches (one atomic
// function call each), one batch per workspace in turn, so a burst in one workspace delays
// another's by one batch at most, yielding to requests between batches. A workspace is looked
// at when its earliest timer (learned from its last tick) is due, every second while it is
// active (changed through this daemon in the last minute, or timers fired), and otherwise once per
// sweep (timers other daemons set): 5 s, or longer with many workspaces so that the sweeps of all
// cost Redis at most `sweep_rate` calls a second. Any number of daemons may run it: each
// timer fires once. Runs on one worker's io_context.
#pragma once

#include <chrono>
#include <memory>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "daemon/async/supervisor.hpp"
#include "daemon/common/runtime.hpp"
#include "daemon/metrics/metrics.hpp"
#include "daemon/redis/ticket_store.hpp"
#include "daemon/service/workspaces.hpp"

namespace ticketd::daemon {

class timer_loop {
 public:
  static constexpr std::size_t batch = 50;
  static constexpr std::int64_t active_period_ms = 1000;
  static constexpr std::int64_t active_for_ms = 60'000;
  static constexpr std::int64_t min_sweep_ms = 5000;
  static constexpr std::int64_t sweep_rate = 250;

  // The sweep period for `workspaces` workspaces.
  static std::int64_t sweep_period_ms(std::size_t workspaces);

  // `supervisor`: where the loop reports an unexpected failure (nullptr: logged only).
  timer_loop(boost::asio::io_context& ioc, ticket_store& store, workspace_set& workspaces,
             task_supervisor* supervisor = nullptr);
  ~timer_loop();

  void start();
  void stop();

  // Fires everything due now in every workspace through `store`; returns when nothing due is
  // left (or Redis fails). Usable from any worker with that worker's store.
  static boost::asio::awaitable<void> fire_due(ticket_store& store, workspace_set& workspaces);

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace ticketd::daemon
