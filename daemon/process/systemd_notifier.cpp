#include "daemon/process/systemd_notifier.hpp"

#include <systemd/sd-daemon.h>

#include <atomic>
#include <cstdint>
#include <ctime>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "daemon/common/log.hpp"

namespace ticketd::daemon {

namespace asio = boost::asio;

namespace {

void notify(const std::string& message) {
  if (const int rc = sd_notify(0, message.c_str()); rc < 0) {
    log_warning("systemd notification failed ({}): {}", message, -rc);
  }
}

std::uint64_t monotonic_usec() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000U +
         static_cast<std::uint64_t>(ts.tv_nsec) / 1'000U;
}

}  // namespace

struct systemd_notifier::impl : std::enable_shared_from_this<impl> {
  impl(asio::io_context& home, std::vector<asio::io_context*> workers,
       std::function<std::string()> status)
      : timer(home),
        workers(std::move(workers)),
        status(std::move(status)),
        answered(this->workers.size()) {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0) watchdog = std::chrono::microseconds(usec);
  }

  void check() {
    send_status();
    if (watchdog.count() > 0) {
      // A probe posted to every worker at the last check: all answered means every event loop
      // turned since then, so the process is alive, not just this thread.
      bool all = true;
      for (const auto& a : answered) all = all && a.load(std::memory_order_acquire) == probe;
      if (all) {
        notify("WATCHDOG=1");
      } else if (!late_reported) {
        log_warning("watchdog: a worker's event loop did not run for {} ms; no ping sent",
                    std::chrono::duration_cast<std::chrono::milliseconds>(interval()).count());
        late_reported = true;
      }
      if (all) late_reported = false;
      ++probe;
      for (std::size_t i = 0; i < workers.size(); ++i) {
        asio::post(*workers[i], [self = shared_from_this(), i, p = probe] {
          self->answered[i].store(p, std::memory_order_release);
        });
      }
    }
    if (stopped) return;
    timer.expires_after(interval());
    timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec && !self->stopped) self->check();
    });
  }

  std::chrono::microseconds interval() const {
    const std::chrono::microseconds second = std::chrono::seconds(1);
    if (watchdog.count() == 0) return second;
    return std::min(second, watchdog / 2);
  }

  void send_status() {
    if (stopping) return;  // the stopping line stays until the process exits
    std::string text = status();
    if (text == last_status) return;
    last_status = text;
    notify("STATUS=" + text);
  }

  asio::steady_timer timer;
  std::vector<asio::io_context*> workers;
  std::function<std::string()> status;
  std::vector<std::atomic<std::uint64_t>> answered;
  std::uint64_t probe = 0;
  std::chrono::microseconds watchdog{0};
  std::string last_status;
  bool late_reported = false;
  bool stopping = false;
  bool stopped = false;
};

systemd_notifier::systemd_notifier(asio::io_context& home, std::vector<asio::io_context*> workers,
                                   std::function<std::string()> status)
    : impl_(std::make_shared<impl>(home, std::move(workers), std::move(status))) {}

systemd_notifier::~systemd_notifier() { stop(); }

void systemd_notifier::start() {
  if (impl_->watchdog.count() > 0) {
    log_info("systemd watchdog: pinging every {} ms",
             std::chrono::duration_cast<std::chrono::milliseconds>(impl_->interval()).count());
  }
  asio::post(impl_->timer.get_executor(), [self = impl_] { self->check(); });
}

void systemd_notifier::stop() {
  impl_->stopped = true;
  impl_->timer.cancel();
}

void systemd_notifier::ready() { notify("READY=1"); }

void systemd_notifier::reloading() {
  notify("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic_usec()));
}

void systemd_notifier::stopping(const std::string& status) {
  impl_->stopping = true;
  notify("STOPPING=1\nSTATUS=" + status);
}

}  // namespace ticketd::daemon
