#include "daemon/service/timer_loop.hpp"

#include <functional>
#include <string>

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
constexpr std::chrono::milliseconds max_sleep{1000};

namespace {

struct batch_result {
  bool ok = false;
  bool full = false;  // a whole batch fired: more may be due
  bool fired = false;
  std::optional<std::int64_t> next_due;
};

// Fires one batch of the workspace's due timers and counts what they did.
asio::awaitable<batch_result> fire_batch(ticket_store& store, workspace& ws) {
  const auto rt = ws.snapshot();
  auto r = co_await store.tick(*rt, timer_loop::batch);
  if (!r) {
    if (r.error().code != routing::errc::unavailable) {
      log_error("timer tick of workspace '{}' failed: {}", ws.name(), r.error().message);
    }
    co_return batch_result{};
  }
  auto& m = ws.metrics();
  if (r->fired > 0) m.timers_fired(r->fired);
  if (r->offer_timeouts > 0) m.offer(offer_outcome::timeout, r->offer_timeouts);
  if (r->overflows > 0) m.overflowed(r->overflows);
  for (const auto& note : r->notes) m.timer_fired(note);
  record_pushes(m, r->assignments, store.now());
  co_return batch_result{true, r->fired >= static_cast<std::int64_t>(timer_loop::batch),
                         r->fired > 0, r->next_due};
}

asio::awaitable<void> yield_to_requests() {
  co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
}

}  // namespace

std::int64_t timer_loop::sweep_period_ms(std::size_t workspaces) {
  return std::max(min_sweep_ms, static_cast<std::int64_t>(workspaces) * 1000 / sweep_rate);
}

struct timer_loop::impl : std::enable_shared_from_this<impl> {
  impl(asio::io_context& ioc, ticket_store& s, workspace_set& w, task_supervisor* sup)
      : store(s), workspaces(w), supervisor(sup), sleeper(ioc) {}

  ticket_store& store;
  workspace_set& workspaces;
  task_supervisor* supervisor;
  asio::steady_timer sleeper;
  bool stopped = false;

  static bool active(const workspace& ws, const timer_schedule& s, std::int64_t now) {
    return s.active_until > now || ws.last_request() + active_for_ms > now;
  }

  // When the workspace's timers are looked at next, in steady ms.
  std::int64_t next_look(const workspace& ws, const timer_schedule& s, std::int64_t now) const {
    if (s.more) return now;
    std::int64_t at = s.next_look;
    if (active(ws, s, now)) at = std::min(at, s.last_tick + active_period_ms);
    if (s.due_at) at = std::min(at, now + std::max<std::int64_t>(0, *s.due_at - store.now()));
    return at;
  }

  // The next sweep of a workspace: at its own phase of the sweep period (from its name), at
  // least half a period away, so that the sweeps of many workspaces stay spread evenly however
  // they were last looked at (all of them at the start).
  static std::int64_t next_sweep(const workspace& ws, std::int64_t now, std::int64_t sweep) {
    const auto phase = static_cast<std::int64_t>(std::hash<std::string>{}(ws.name()) %
                                                 static_cast<std::size_t>(sweep));
    std::int64_t at = now - now % sweep + phase;
    while (at < now + sweep / 2) at += sweep;
    return at;
  }

  asio::awaitable<void> look(workspace& ws, std::int64_t sweep) {
    auto& s = ws.schedule();
    const auto r = co_await fire_batch(store, ws);
    const auto now = steady_ms();
    s.last_tick = now;
    s.more = r.ok && r.full;
    s.due_at = r.ok ? r.next_due : std::nullopt;
    if (r.fired) s.active_until = now + active_for_ms;
    if (r.ok) s.looked = true;
    // A failed tick (Redis away) is tried again within a second when the workspace is busy or
    // was never looked at (the daemon's start), else at its next sweep (so that an outage does
    // not turn every sweep into a poll).
    s.next_look =
        active(ws, s, now) || !s.looked ? now + active_period_ms : next_sweep(ws, now, sweep);
  }

  asio::awaitable<void> run() {
    auto self = shared_from_this();
    while (!stopped) {
      const auto list = workspaces.all();
      const auto sweep = sweep_period_ms(list->size());
      auto now = steady_ms();
      std::int64_t wake = now + max_sleep.count();
      bool more = false;
      for (const auto& ws : *list) {
        if (stopped) co_return;
        if (ws->retired()) continue;  // a reload removed it since this pass began
        auto at = next_look(*ws, ws->schedule(), now);
        if (at <= now) {
          co_await look(*ws, sweep);
          // Let requests waiting on this thread run before the next workspace's batch.
          co_await yield_to_requests();
          now = steady_ms();
          at = next_look(*ws, ws->schedule(), now);
        }
        more = more || ws->schedule().more;
        wake = std::min(wake, at);
      }
      if (stopped) break;
      if (more) continue;
      // With many workspaces, looks that fall due close together are taken together.
      const std::int64_t floor = list->size() > 1000 ? 100 : 10;
      sleeper.expires_after(std::chrono::milliseconds(std::max(wake - steady_ms(), floor)));
      co_await sleeper.async_wait(use_tuple);
    }
  }
};

timer_loop::timer_loop(asio::io_context& ioc, ticket_store& store, workspace_set& workspaces,
                       task_supervisor* supervisor)
    : impl_(std::make_shared<impl>(ioc, store, workspaces, supervisor)) {}

timer_loop::~timer_loop() = default;

void timer_loop::start() {
  spawn_task(impl_->supervisor, impl_->sleeper.get_executor(), "timer loop", impl_->run());
}

void timer_loop::stop() {
  auto self = impl_;
  asio::post(impl_->sleeper.get_executor(), [self] {
    self->stopped = true;
    self->sleeper.cancel();
  });
}

asio::awaitable<void> timer_loop::fire_due(ticket_store& store, workspace_set& workspaces) {
  // A batch per workspace in turn, as the loop does, until none has more.
  auto pending = *workspaces.all();
  while (!pending.empty()) {
    std::vector<std::shared_ptr<workspace>> more;
    for (const auto& ws : pending) {
      if (ws->retired()) continue;
      if ((co_await fire_batch(store, *ws)).full) more.push_back(ws);
    }
    pending = std::move(more);
    if (!pending.empty()) co_await yield_to_requests();
  }
}

}  // namespace ticketd::daemon
