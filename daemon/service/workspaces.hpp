// The workspaces one daemon serves: the main file's and one per file of workspaces_dir. Each has
// its own configuration snapshot (runtime), event hub and tail, metrics and timer schedule; a
// reload swaps the set (a workspace whose file changed gets a new snapshot, one whose file went
// leaves the set and its data stays in Redis).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "daemon/common/runtime.hpp"
#include "daemon/metrics/metrics.hpp"
#include "daemon/service/event_feed.hpp"

namespace ticketd::daemon {

// The steady clock in milliseconds: what a workspace's activity and schedule are kept in.
inline std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The configuration workspace `file` runs with: its file's routing keys and the main file's
// server, redis and events settings (not its tokens: requests are authenticated with the main
// file's).
std::shared_ptr<const config::config> served_config(const config::config& main,
                                                    const config::config& file);

// When a workspace's timers are looked at next (timer_loop's, on its thread only): at the due
// time the last tick reported, at least every second while the workspace is active (a request
// here lately, or timers fired), and otherwise once per sweep, for timers other daemons set.
struct timer_schedule {
  std::optional<std::int64_t> due_at;  // clock ms: the earliest timer the last tick saw
  std::int64_t next_look = 0;          // steady ms: the next tick, whatever is due
  std::int64_t last_tick = 0;          // steady ms
  std::int64_t active_until = 0;       // steady ms: timers fired until then are "active"
  bool more = false;                   // the last tick fired a full batch
  bool looked = false;                 // a tick succeeded once
};

class workspace {
 public:
  workspace(std::shared_ptr<const runtime> rt, std::shared_ptr<workspace_metrics> m);
  ~workspace();
  workspace(const workspace&) = delete;
  workspace& operator=(const workspace&) = delete;

  const std::string& name() const { return name_; }
  runtime_holder& holder() { return runtime_; }
  std::shared_ptr<const runtime> snapshot() const { return runtime_.get(); }
  event_hub& hub() { return hub_; }
  workspace_metrics& metrics() { return *metrics_; }

  // A request for this workspace arrived (any thread): its timers are looked at every second
  // for a while, as another daemon's idle sweep would find them late.
  void touch(std::int64_t at_ms) { last_request_.store(at_ms, std::memory_order_relaxed); }
  std::int64_t last_request() const { return last_request_.load(std::memory_order_relaxed); }
  timer_schedule& schedule() { return schedule_; }
  // When the scrape last read its shared-state gauges (steady ms; 0: never).
  std::int64_t gauges_read_at() const { return gauges_read_at_.load(std::memory_order_relaxed); }
  void gauges_read(std::int64_t at_ms) { gauges_read_at_.store(at_ms, std::memory_order_relaxed); }

  // A reload removed the workspace: its open streams take no more actions, and its tail stops.
  void retire();
  bool retired() const { return retired_.load(std::memory_order_acquire); }

  // The tail of this workspace's event stream, made and started by `make` on the first call
  // (the first watcher here), stopped with stop_tail().
  void ensure_tail(const std::function<std::unique_ptr<event_tail>(workspace&)>& make);
  bool has_tail();
  // Redis answers again: the tail (if any) reads now.
  void retry_tail();
  void stop_tail();
  // Drops the tail without a word to its event loop (the daemon's end, once every handler of
  // that loop is gone).
  void release_tail();

 private:
  std::string name_;
  runtime_holder runtime_;
  event_hub hub_;
  std::shared_ptr<workspace_metrics> metrics_;
  std::atomic<std::int64_t> last_request_{0};
  std::atomic<std::int64_t> gauges_read_at_{0};
  std::atomic<bool> retired_{false};
  timer_schedule schedule_;
  std::mutex tail_mutex_;
  std::unique_ptr<event_tail> tail_;
  bool tail_stopped_ = false;
};

// The set served now; any thread may read it, a reload replaces it.
class workspace_set {
 public:
  using list = std::vector<std::shared_ptr<workspace>>;

  // `all`: the main workspace first.
  explicit workspace_set(list all);

  std::shared_ptr<workspace> main() const;
  // The main workspace and the one named (the main one for an empty name; null when not
  // served), from one look at the set.
  struct resolved {
    std::shared_ptr<workspace> main;
    std::shared_ptr<workspace> named;
  };
  resolved resolve(std::string_view name) const;
  // Null when no workspace of that name is served.
  std::shared_ptr<workspace> find(std::string_view name) const;
  std::shared_ptr<const list> all() const;
  std::size_t size() const;
  void set(list all);

 private:
  struct state {
    list all;
    std::unordered_map<std::string_view, std::shared_ptr<workspace>> by_name;
  };
  static std::shared_ptr<const state> make_state(list all);
  std::atomic<std::shared_ptr<const state>> state_;
};

}  // namespace ticketd::daemon
