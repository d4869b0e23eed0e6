// The one source of time for the engine and the daemon: wall clock in production, a manual
// clock in tests (and behind `ticketd --manual-clock`), so days of lifecycle run in milliseconds.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace ticketd::routing {

class clock {
 public:
  virtual ~clock() = default;
  // Epoch milliseconds.
  virtual std::int64_t now_ms() const = 0;
};

class system_clock final : public clock {
 public:
  std::int64_t now_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// Thread-safe: tests and the daemon's clock endpoint move it while requests read it.
class manual_clock final : public clock {
 public:
  explicit manual_clock(std::int64_t start_ms) : now_(start_ms) {}
  std::int64_t now_ms() const override { return now_.load(std::memory_order_acquire); }
  void set(std::int64_t ms) { now_.store(ms, std::memory_order_release); }
  void advance(std::chrono::milliseconds by) {
    now_.fetch_add(by.count(), std::memory_order_acq_rel);
  }

 private:
  std::atomic<std::int64_t> now_;
};

}  // namespace ticketd::routing
