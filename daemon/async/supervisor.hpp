// The daemon's long-lived tasks (the timers loop, each Redis connection's loops, the event
// tail, the accept loop, the signal handler) run as coroutines that must never end by an
// exception unseen: spawned through a supervisor, one that fails is logged, counted and reported
// to whoever stops the process (process/app.cpp: exit code 70, so the service manager restarts
// ticketd), instead of vanishing while /readyz says ready. Thread-safe; spawn() on any thread.
#pragma once

#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>

#include "daemon/common/log.hpp"

namespace ticketd::daemon {

// What an exception says: its what(), or that it was no std::exception.
inline std::string what_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
  }
  return "an unknown exception";
}

class task_supervisor {
 public:
  // `failed` runs on the failing task's thread with the task's name and what it threw.
  using failed_fn = std::function<void(std::string_view task, std::string_view what)>;

  // `fault`: a task name whose next spawn throws at once instead of running (the tests' way to
  // make one fail: TICKETD_FAULT_INJECTION); empty: none.
  explicit task_supervisor(failed_fn failed, std::string fault = {})
      : failed_(std::move(failed)), fault_(std::move(fault)) {}

  // Spawns `task` on `ex` under the name `name` (a bounded set: it labels a metric).
  void spawn(const boost::asio::any_io_executor& ex, std::string_view name,
             boost::asio::awaitable<void> task) {
    auto done = [this, name = std::string{name}](std::exception_ptr e) {
      if (e) failed(name, e);
    };
    // Not `task = injected_fault()`: Asio's awaitable move assignment drops the frame it held
    // without destroying it. The task is destroyed unstarted when this returns.
    if (!fault_.empty() && name == fault_) {
      boost::asio::co_spawn(ex, injected_fault(), std::move(done));
      return;
    }
    boost::asio::co_spawn(ex, std::move(task), std::move(done));
  }

  void failed(std::string_view task, const std::exception_ptr& e) const {
    if (failed_) failed_(task, what_of(e));
  }

 private:
  static boost::asio::awaitable<void> injected_fault() {
    throw std::runtime_error("fault injected by TICKETD_FAULT_INJECTION");
    co_return;
  }

  failed_fn failed_;
  std::string fault_;
};

// Spawns a long-lived task under `supervisor`; without one (a part run alone, in its own tests)
// a failure is logged.
inline void spawn_task(task_supervisor* supervisor, const boost::asio::any_io_executor& ex,
                       std::string_view name, boost::asio::awaitable<void> task) {
  if (supervisor != nullptr) {
    supervisor->spawn(ex, name, std::move(task));
    return;
  }
  boost::asio::co_spawn(ex, std::move(task), [name = std::string{name}](std::exception_ptr e) {
    if (e) log_error("{} failed: {}", name, what_of(e));
  });
}

}  // namespace ticketd::daemon
