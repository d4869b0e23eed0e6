#include "daemon/service/timer_loop.hpp"

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

// Fires batches until fewer than a batch were due; returns the next due time if known.
asio::awaitable<std::optional<std::int64_t>> fire_batches(ticket_store& store,
                                                          runtime_holder& runtime, metrics& m) {
  for (;;) {
    const auto rt = runtime.get();
    auto r = co_await store.tick(*rt, timer_loop::batch);
    if (!r) {
      if (r.error().code != routing::errc::unavailable) {
        log_error("timer tick failed: {}", r.error().message);
      }
      co_return std::nullopt;
    }
    if (r->fired > 0) m.timers_fired(r->fired);
    if (r->offer_timeouts > 0) m.offer(offer_outcome::timeout, r->offer_timeouts);
    if (r->overflows > 0) m.overflowed(r->overflows);
    for (const auto& note : r->notes) m.timer_fired(note);
    record_pushes(m, r->assignments, store.now());
    if (r->fired < static_cast<std::int64_t>(timer_loop::batch)) co_return r->next_due;
    // Let requests waiting on this thread run before the next batch.
    co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
  }
}

}  // namespace

struct timer_loop::impl : std::enable_shared_from_this<impl> {
  impl(asio::io_context& ioc, ticket_store& s, runtime_holder& r, metrics& mm, task_supervisor* sup)
      : store(s), runtime(r), m(mm), supervisor(sup), sleeper(ioc) {}

  ticket_store& store;
  runtime_holder& runtime;
  metrics& m;
  task_supervisor* supervisor;
  asio::steady_timer sleeper;
  bool stopped = false;

  asio::awaitable<void> run() {
    auto self = shared_from_this();
    while (!stopped) {
      const auto next_due = co_await fire_batches(store, runtime, m);
      auto wait = max_sleep;
      if (next_due) {
        const auto until = std::chrono::milliseconds{*next_due - store.now()};
        wait = std::clamp(until, std::chrono::milliseconds{0}, max_sleep);
      }
      if (stopped) break;
      sleeper.expires_after(wait);
      co_await sleeper.async_wait(use_tuple);
    }
  }
};

timer_loop::timer_loop(asio::io_context& ioc, ticket_store& store, runtime_holder& runtime,
                       metrics& m, task_supervisor* supervisor)
    : impl_(std::make_shared<impl>(ioc, store, runtime, m, supervisor)) {}

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

asio::awaitable<void> timer_loop::fire_due(ticket_store& store, runtime_holder& runtime,
                                           metrics& m) {
  co_await fire_batches(store, runtime, m);
}

}  // namespace ticketd::daemon
