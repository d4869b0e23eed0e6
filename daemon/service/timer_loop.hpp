// Fires the workspace's due timers: wakes at the earliest due time and at least every second,
// and pops due timers in bounded batches (one atomic function call each), yielding to requests
// between batches. Any number of daemons may run it: each timer fires once. Runs on one
// worker's io_context.
#pragma once

#include <chrono>
#include <memory>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "daemon/async/supervisor.hpp"
#include "daemon/common/runtime.hpp"
#include "daemon/metrics/metrics.hpp"
#include "daemon/redis/ticket_store.hpp"

namespace ticketd::daemon {

class timer_loop {
 public:
  static constexpr std::size_t batch = 50;

  // `supervisor`: where the loop reports an unexpected failure (nullptr: logged only).
  timer_loop(boost::asio::io_context& ioc, ticket_store& store, runtime_holder& runtime, metrics& m,
             task_supervisor* supervisor = nullptr);
  ~timer_loop();

  void start();
  void stop();

  // Fires everything due now through `store`; returns when nothing due is left (or Redis
  // fails). Usable from any worker with that worker's store.
  static boost::asio::awaitable<void> fire_due(ticket_store& store, runtime_holder& runtime,
                                               metrics& m);

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace ticketd::daemon
