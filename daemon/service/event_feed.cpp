#include "daemon/service/event_feed.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "daemon/common/log.hpp"

namespace ticketd::daemon {

namespace asio = boost::asio;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::function<void()> event_hub::watched_locked() {
  if (tail_ != tail_state::parked) return {};
  tail_ = tail_state::waking;
  return wake_;
}

std::uint64_t event_hub::watch_agent(const std::string& agent, asio::any_io_executor ex,
                                     agent_listener fn) {
  std::function<void()> wake;
  std::uint64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    id = next_id_++;
    agents_.emplace(id, agent_watch{agent, std::move(ex), std::move(fn)});
    by_agent_.emplace(agent, id);
    wake = watched_locked();
  }
  if (wake) wake();
  return id;
}

std::uint64_t event_hub::watch_all(asio::any_io_executor ex, wake_listener fn) {
  std::function<void()> wake;
  std::uint64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    id = next_id_++;
    wakers_.emplace(id, wake_watch{std::move(ex), std::move(fn)});
    wake = watched_locked();
  }
  if (wake) wake();
  return id;
}

asio::awaitable<bool> event_hub::until_live(std::chrono::milliseconds limit) {
  auto ex = co_await asio::this_coro::executor;
  auto timer = std::make_shared<asio::steady_timer>(ex, limit);
  std::uint64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    if (tail_ == tail_state::live) co_return true;
    id = next_id_++;
    live_waiters_.emplace(id, [ex, timer] { asio::post(ex, [timer] { timer->cancel(); }); });
  }
  co_await timer->async_wait(use_tuple);
  // Still listed when the limit passed first; released (and so live) otherwise.
  std::lock_guard lock(mutex_);
  co_return live_waiters_.erase(id) == 0;
}

void event_hub::set_wake(std::function<void()> fn) {
  std::lock_guard lock(mutex_);
  wake_ = std::move(fn);
}

bool event_hub::park_if_unwatched() {
  std::lock_guard lock(mutex_);
  if (!agents_.empty() || !wakers_.empty()) return false;
  tail_ = tail_state::parked;
  return true;
}

void event_hub::mark_live() {
  std::lock_guard lock(mutex_);
  tail_ = tail_state::live;
  for (auto& [id, release] : live_waiters_) release();
  live_waiters_.clear();
}

void event_hub::unwatch(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  if (auto it = agents_.find(id); it != agents_.end()) {
    auto [first, last] = by_agent_.equal_range(it->second.agent);
    for (auto i = first; i != last; ++i) {
      if (i->second == id) {
        by_agent_.erase(i);
        break;
      }
    }
    agents_.erase(it);
  }
  wakers_.erase(id);
}

void event_hub::publish(event_list batch) {
  if (batch.empty()) return;
  std::lock_guard lock(mutex_);
  for (const auto& [id, w] : wakers_) asio::post(w.ex, w.fn);
  if (agents_.empty()) return;
  // Per watched agent, the batch's events that concern it, in order.
  std::unordered_map<std::string_view, std::shared_ptr<event_list>> per_agent;
  for (const auto& e : batch) {
    for (auto agent : agents_of(e)) {
      if (!by_agent_.contains(std::string{agent})) continue;
      auto& list = per_agent[agent];
      if (!list) list = std::make_shared<event_list>();
      list->push_back(e);
    }
  }
  for (const auto& [agent, list] : per_agent) {
    std::shared_ptr<const event_list> shared = list;
    auto [first, last] = by_agent_.equal_range(std::string{agent});
    for (auto i = first; i != last; ++i) {
      const auto& w = agents_.at(i->second);
      asio::post(w.ex, [fn = w.fn, shared] { fn(shared); });
    }
  }
}

struct event_tail::impl : std::enable_shared_from_this<impl> {
  impl(asio::io_context& io, redis_connection_options options, runtime_holder& rt, event_hub& h,
       redis_observer* observer)
      : supervisor(options.supervisor),
        redis(io.get_executor(), std::move(options), observer),
        runtime(rt),
        hub(h),
        pause(io) {}

  task_supervisor* supervisor;
  redis_connection redis;
  runtime_holder& runtime;
  event_hub& hub;
  asio::steady_timer pause;
  std::atomic<bool> stopping{false};
  int failures = 0;              // consecutive failed reads
  bool warned = false;           // a warning about them was logged
  bool retry_requested = false;  // retry_now(): skip the next wait (or end the one under way)
  // The id of the last event read; empty while parked (the next start takes the newest).
  std::string last;

  asio::awaitable<void> wait(std::chrono::milliseconds d) {
    if (std::exchange(retry_requested, false)) co_return;
    pause.expires_after(d);
    co_await pause.async_wait(use_tuple);
    retry_requested = false;
  }

  // Nobody watches (the hub has the tail parked): no reads until a watcher wakes it and is
  // still there, or the tail stops. A wake is posted to this executor, so it cannot come
  // between the hub's check and the wait.
  asio::awaitable<void> park() {
    last.clear();
    do {
      pause.expires_at(asio::steady_timer::time_point::max());
      co_await pause.async_wait(use_tuple);
    } while (!stopping.load() && hub.park_if_unwatched());
  }

  // A read failed: not connected (yet, or again: the connection reconnects by itself and says
  // so), or Redis answered with an error, logged once per run of failures (also after
  // disconnects). The position is kept, so nothing is skipped. A lasting failure backs off to
  // 2 s between tries.
  asio::awaitable<void> back_off(const redis_result& r) {
    const bool disconnected = !r && r.error() == make_error_code(redis_errc::unavailable);
    ++failures;
    if (!warned && !disconnected) {
      warned = true;
      log_warning("reading the event stream failed: {}; agents' pushes wait until it works again",
                  !r ? r.error().message() : r->str);
    }
    co_await wait(std::chrono::milliseconds(std::min(2000, 50 << std::min(failures - 1, 6))));
  }

  void read_again() {
    if (warned) log_info("reading the event stream again after {} failed tries", failures);
    failures = 0;
    warned = false;
    retry_requested = false;
  }

  // One command on the tail's connection: its reply, or none after a failure was backed off
  // from (or when stopping).
  asio::awaitable<std::optional<routing::resp_value>> exec_or_back_off(
      const routing::command& cmd) {
    auto r = co_await redis.exec(cmd);
    if (stopping.load()) co_return std::nullopt;
    if (!r || r->is_error()) {
      co_await back_off(r);
      co_return std::nullopt;
    }
    read_again();
    co_return std::move(*r);
  }

  asio::awaitable<void> run() {
    auto self = shared_from_this();
    const auto key = runtime.get()->keys.key(routing::key_part::events);
    while (!stopping.load()) {
      if (hub.park_if_unwatched()) {
        co_await park();
        continue;
      }
      if (last.empty()) {
        // Where to start: the newest entry. Watchers wait for this, so whatever they cause
        // comes after it.
        const auto newest = newest_entry_query(key);
        const auto r = co_await exec_or_back_off(newest);
        if (!r) continue;
        last = newest_stream_id(*r);
        hub.mark_live();
      }
      const auto read = std::move(routing::command{"XREAD"}
                                      .arg("COUNT")
                                      .arg(1000)
                                      .arg("BLOCK")
                                      .arg(1000)
                                      .arg("STREAMS")
                                      .arg(key)
                                      .arg(last));
      const auto r = co_await exec_or_back_off(read);
      if (!r) continue;
      auto batch = decode_xread(*r);
      if (batch.empty()) continue;
      last = batch.back().id;
      hub.publish(std::move(batch));
    }
  }
};

namespace {

redis_connection_options tail_options(redis_connection_options o) {
  o.load_library = false;
  o.client_name = "ticketd-events";
  // XREAD blocks up to 1 s; the deadline must leave room for it.
  o.endpoint.timeout = std::max(o.endpoint.timeout, std::chrono::milliseconds(3000));
  return o;
}

}  // namespace

event_tail::event_tail(asio::io_context& io, redis_connection_options options,
                       runtime_holder& runtime, event_hub& hub, redis_observer* observer)
    : impl_(std::make_shared<impl>(io, tail_options(std::move(options)), runtime, hub, observer)) {}

event_tail::~event_tail() = default;

void event_tail::start() {
  std::weak_ptr<impl> weak = impl_;
  impl_->hub.set_wake([weak] {
    auto self = weak.lock();
    if (!self) return;
    asio::post(self->redis.executor(), [self] { self->pause.cancel(); });
  });
  impl_->redis.start();
  spawn_task(impl_->supervisor, impl_->redis.executor(), "event tail", impl_->run());
}

void event_tail::set_on_connect(redis_connection::on_connect_fn fn) {
  impl_->redis.set_on_connect(std::move(fn));
}

void event_tail::retry_now() {
  impl_->redis.retry_now();
  auto self = impl_;
  asio::post(impl_->redis.executor(), [self] {
    self->retry_requested = true;
    self->pause.cancel();
  });
}

void event_tail::stop() {
  impl_->stopping.store(true);
  auto self = impl_;
  asio::post(impl_->redis.executor(), [self] {
    self->pause.cancel();
    self->redis.stop();
  });
}

}  // namespace ticketd::daemon
