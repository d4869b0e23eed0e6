// systemd's notification protocol for the process (no-ops without NOTIFY_SOCKET): READY=1,
// RELOADING=1, STOPPING=1, STATUS= lines when the state changes, and WATCHDOG=1 pings sent only
// while every worker's event loop still runs handlers. Runs on worker 0's io_context: check(),
// stopping() and stop() are called there (or after the workers stopped), so its state needs no
// lock.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace ticketd::daemon {

class systemd_notifier {
 public:
  // `status` renders the STATUS= line; it is asked again at every check and sent when it changed.
  systemd_notifier(boost::asio::io_context& home, std::vector<boost::asio::io_context*> workers,
                   std::function<std::string()> status);
  ~systemd_notifier();
  systemd_notifier(const systemd_notifier&) = delete;
  systemd_notifier& operator=(const systemd_notifier&) = delete;

  // Starts the status and watchdog checks (every half watchdog period, at most every second).
  void start();
  void stop();

  // Any thread.
  void ready();
  void reloading();
  // Worker 0: `status` stays the status line until the process exits (pings go on).
  void stopping(const std::string& status);

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace ticketd::daemon
