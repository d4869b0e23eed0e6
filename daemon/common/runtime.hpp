// Everything derived from one loaded configuration, immutable once built: requests take one
// snapshot and use it throughout, and a reload swaps the whole snapshot atomically.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "daemon/common/tokens.hpp"
#include "routing/functions.hpp"
#include "routing/keyspace.hpp"
#include "routing/planner.hpp"
#include "routing/sla.hpp"

namespace ticketd::daemon {

struct runtime {
  explicit runtime(std::shared_ptr<const config::config> config);
  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  std::shared_ptr<const config::config> cfg;
  routing::keyspace keys;
  routing::call_settings settings;
  routing::sla_clock sla;
  routing::planner plan;
  std::vector<std::string> queue_names;
  token_index tokens;  // cfg's bearer tokens, by the secret a request presents
};

// Holds the current snapshot; any thread may read or replace it.
class runtime_holder {
 public:
  explicit runtime_holder(std::shared_ptr<const runtime> initial) : current_(std::move(initial)) {}
  std::shared_ptr<const runtime> get() const { return current_.load(std::memory_order_acquire); }
  void set(std::shared_ptr<const runtime> next) {
    current_.store(std::move(next), std::memory_order_release);
  }

 private:
  std::atomic<std::shared_ptr<const runtime>> current_;
};

}  // namespace ticketd::daemon
