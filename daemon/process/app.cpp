#include "daemon/process/app.hpp"

#include <csignal>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "config/changes.hpp"
#include "config/loader.hpp"
#include "daemon/common/log.hpp"
#include "daemon/common/runtime.hpp"
#include "daemon/metrics/metrics.hpp"
#include "daemon/process/embedded_redis.hpp"
#include "daemon/process/systemd_notifier.hpp"
#include "daemon/redis/redis_connection.hpp"
#include "daemon/redis/ticket_store.hpp"
#include "daemon/service/event_feed.hpp"
#include "daemon/service/service.hpp"
#include "daemon/service/timer_loop.hpp"
#include "daemon/transport/http_server.hpp"
#include "routing/lua_library.hpp"

namespace ticketd::daemon {

namespace asio = boost::asio;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

// An event loop whose pending handlers can be destroyed before any loop is: a handler on one
// worker may hold the last reference to an object with a socket on another (the HTTP server's
// acceptor lives on worker 0), which must go while that worker's socket service still exists.
struct worker_io : asio::io_context {
  using asio::io_context::io_context;
  void destroy_pending_handlers() { shutdown(); }
};

struct worker {
  worker_io io{1};
  std::vector<std::unique_ptr<redis_connection>> connections;
  std::unique_ptr<ticket_store> store;
};

class application {
 public:
  application(const app_options& options, std::shared_ptr<const config::config> cfg)
      : options_(options),
        runtime_(std::make_shared<const runtime>(cfg)),
        manual_clock_(options.manual_clock
                          ? std::make_unique<routing::manual_clock>(
                                options.clock_start_ms.value_or(system_clock_.now_ms()))
                          : nullptr),
        supervisor_(
            [this](std::string_view task, std::string_view what) { task_failed(task, what); },
            options.fault_injection) {
    const unsigned threads = std::max(1U, cfg->server.threads);
    for (unsigned i = 0; i < threads; ++i) workers_.push_back(std::make_unique<worker>());
  }

  ~application() {
    // Every worker's handlers go before any worker's services, and before the parts they use.
    for (auto& w : workers_) w->io.destroy_pending_handlers();
  }
  application(const application&) = delete;
  application& operator=(const application&) = delete;

  int run() {
    const auto cfg = runtime_.get()->cfg;
    config::redis_config redis = cfg->redis;
    if (redis.kind == config::redis_kind::embedded) {
      embedded_ = std::make_unique<embedded_redis>(workers_[0]->io, cfg->server.state_dir,
                                                   redis.server_binary);
      if (auto err = embedded_->start(); !err.empty()) {
        log_error("cannot start the embedded Redis: {}", err);
        return 1;
      }
      redis.kind = config::redis_kind::unix_socket;
      redis.socket = embedded_->socket_path();
      log_info("embedded Redis running on {}", redis.socket.string());
    }
    make_workers(redis);

    std::vector<asio::io_context*> ios;
    for (auto& w : workers_) ios.push_back(&w->io);
    api::service_hooks hooks;
    hooks.ready = [this] { return ready(); };
    hooks.reload = [this] { return reload(); };
    hooks.preview_reload = [this] { return preview_reload(); };
    hooks.requests_in_flight = [this] { return server_ ? server_->requests_in_handler() : 0; };
    hooks.manual_clock = manual_clock_.get();
    hooks.fire_due_timers = [this](std::size_t w) {
      return timer_loop::fire_due(*workers_[w]->store, runtime_, metrics_);
    };
    std::vector<ticket_store*> stores;
    for (auto& w : workers_) stores.push_back(w->store.get());
    service_ = std::make_unique<api::service>(stores, runtime_, metrics_, hub_, hooks);
    redis_connection_options tail_options;
    tail_options.endpoint = redis;
    tail_options.supervisor = &supervisor_;
    events_ = std::make_unique<event_tail>(workers_[0]->io, tail_options, runtime_, hub_, nullptr);
    events_->set_on_connect([this]() -> asio::awaitable<boost::system::error_code> {
      redis_is_back(nullptr);
      co_return boost::system::error_code{};
    });
    server_ = std::make_unique<http_server>(ios, cfg->server, *service_, &supervisor_);
    std::uint16_t port = 0;
    if (auto ec = server_->listen(cfg->server.listen, port)) {
      log_error("cannot listen on {}:{}: {} (is another process using the port?)",
                cfg->server.listen.host, cfg->server.listen.port, ec.message());
      stop_embedded();
      return 1;
    }
    if (manual_clock_) {
      log_warning("manual clock: time moves only through POST /v1/admin/clock (tests only)");
    }

    for (auto& w : workers_) {
      for (auto& c : w->connections) c->start();
    }
    events_->start();
    server_->start();
    timers_ = std::make_unique<timer_loop>(workers_[0]->io, *workers_[0]->store, runtime_, metrics_,
                                           &supervisor_);
    timers_->start();
    supervisor_.spawn(workers_[0]->io.get_executor(), "signal handler", handle_signals());
    log_info("listening on http://{}:{}", cfg->server.listen.host, port);
    listening_ = cfg->server.listen.host + ":" + std::to_string(port);
    notifier_ =
        std::make_unique<systemd_notifier>(workers_[0]->io, ios, [this] { return status_line(); });
    notifier_->start();
    notifier_->ready();

    std::vector<std::thread> threads;
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
    for (auto& w : workers_) guards.push_back(asio::make_work_guard(w->io));
    for (std::size_t i = 1; i < workers_.size(); ++i) {
      threads.emplace_back([this, i] { workers_[i]->io.run(); });
    }
    workers_[0]->io.run();
    for (auto& t : threads) t.join();
    stop_embedded();
    log_info("stopped");
    return exit_code_.load();
  }

 private:
  const routing::clock& clock() const {
    return manual_clock_ ? static_cast<const routing::clock&>(*manual_clock_) : system_clock_;
  }

  // Redis answers again: one connection (`from`, or the event tail's when null) reached it, so
  // the others stop waiting out their reconnect backoff, and the event tail its read backoff
  // (also when its own connection is the one back: it retries its read at once).
  void redis_is_back(const redis_connection* from) {
    for (auto& w : workers_) {
      for (auto& c : w->connections) {
        if (c.get() != from) c->retry_now();
      }
    }
    if (events_) events_->retry_now();
  }

  void make_workers(const config::redis_config& redis) {
    const unsigned per_worker =
        std::max<unsigned>(1, (redis.connections + static_cast<unsigned>(workers_.size()) - 1) /
                                  static_cast<unsigned>(workers_.size()));
    for (auto& w : workers_) {
      std::vector<redis_connection*> conns;
      for (unsigned i = 0; i < per_worker; ++i) {
        redis_connection_options opts;
        opts.endpoint = redis;
        opts.function_library = std::string{routing::lua::library_source()};
        opts.supervisor = &supervisor_;
        auto conn = std::make_unique<redis_connection>(w->io.get_executor(), opts, &metrics_);
        redis_connection* raw = conn.get();
        // Every (re)connect stores the configuration's settings (a restarted Redis may have
        // lost them) before the connection serves anyone.
        conn->set_on_connect([this, raw]() -> asio::awaitable<boost::system::error_code> {
          const auto rt = runtime_.get();
          auto reply = co_await raw->exec_during_handshake(
              routing::configure_call(rt->plan.base(clock().now_ms())));
          if (!reply) co_return reply.error();
          if (reply->is_error()) {
            log_error("storing the configuration in Redis failed: {}", reply->str);
            co_return make_error_code(redis_errc::protocol);
          }
          redis_is_back(raw);
          co_return boost::system::error_code{};
        });
        conns.push_back(raw);
        w->connections.push_back(std::move(conn));
      }
      w->store = std::make_unique<ticket_store>(conns, clock());
    }
  }

  std::pair<std::size_t, std::size_t> connections_ready() const {
    std::size_t up = 0;
    std::size_t all = 0;
    for (const auto& w : workers_) {
      for (const auto& c : w->connections) {
        ++all;
        if (c->ready()) ++up;
      }
    }
    return {up, all};
  }

  bool ready() const {
    const auto [up, all] = connections_ready();
    return up == all;
  }

  // systemd's STATUS= line (`systemctl status ticketd`): what serves, and what to check when
  // Redis does not answer.
  std::string status_line() const {
    const auto [up, all] = connections_ready();
    const std::string counts = std::to_string(up) + "/" + std::to_string(all);
    if (up == all) return "serving on " + listening_ + "; Redis ready (" + counts + " connections)";
    const auto cfg = runtime_.get()->cfg;
    const std::string where = embedded_
                                  ? "the embedded redis-server in " + cfg->server.state_dir.string()
                                  : "redis.url " + cfg->redis.url;
    return "Redis not answering (" + counts + " connections ready): requests get 503; check " +
           where;
  }

  // SIGHUP and POST /v1/admin/reload, one at a time: told to systemd (RELOADING=1, then
  // READY=1) and counted in ticketd_config_reloads_total{result}.
  api::reload_result reload() {
    const std::lock_guard lock(reload_mutex_);
    notifier_->reloading();
    auto result = load_for_reload();
    metrics_.config_reload(result.ok);
    notifier_->ready();
    return result;
  }

  // The file as a reload would read it, or its errors in `result`.
  std::shared_ptr<const config::config> read_for_reload(api::reload_result& result) {
    if (options_.config_file.empty()) {
      result.errors.emplace_back("ticketd runs on built-in defaults; there is no file to reload");
      return nullptr;
    }
    auto loaded = config::load_config_file(options_.config_file);
    if (!loaded.errors.empty()) {
      for (const auto& e : loaded.errors) result.errors.push_back(e.to_string());
      return nullptr;
    }
    return std::move(loaded.value);
  }

  // POST /v1/admin/reload?dry_run=true: what a reload would change; nothing is applied.
  api::reload_result preview_reload() {
    api::reload_result result;
    const auto loaded = read_for_reload(result);
    if (!loaded) return result;
    result.changes = config::changes_between(*runtime_.get()->cfg, *loaded);
    result.restart = result.changes->restart_required;
    result.ok = true;
    return result;
  }

  api::reload_result load_for_reload() {
    api::reload_result result;
    const auto loaded = read_for_reload(result);
    if (!loaded) {
      log_error("reload refused: {} error(s) in {}; the running configuration stays",
                result.errors.size(), options_.config_file.string());
      for (const auto& e : result.errors) log_error("{}", e);
      return result;
    }
    const auto current = runtime_.get()->cfg;
    result.restart = config::changes_between(*current, *loaded).restart_required;
    auto next = std::make_shared<config::config>(*loaded);
    // What needs a restart keeps its running value until then.
    next->workspace = current->workspace;
    next->server = current->server;
    next->server.access_log = loaded->server.access_log;
    next->redis = current->redis;
    runtime_.set(std::make_shared<const runtime>(std::move(next)));
    for (const auto& name : result.restart) {
      log_warning("reload: {} changed; it applies after a restart", name);
    }
    log_info("configuration reloaded from {}", options_.config_file.string());
    result.ok = true;
    supervisor_.spawn(workers_[0]->io.get_executor(), "configuration store", store_configuration());
    return result;
  }

  asio::awaitable<void> store_configuration() {
    auto r = co_await workers_[0]->store->configure(*runtime_.get());
    if (!r) log_error("storing the reloaded configuration failed: {}", r.error().message);
    if (r && *r > 0) log_info("counted statuses changed: recounted {} agents' load", *r);
  }

  asio::awaitable<void> handle_signals() {
    asio::signal_set signals(workers_[0]->io, SIGINT, SIGTERM, SIGHUP);
    for (;;) {
      auto [ec, sig] = co_await signals.async_wait(use_tuple);
      if (ec) co_return;
      const char* name = sig == SIGHUP ? "SIGHUP" : sig == SIGTERM ? "SIGTERM" : "SIGINT";
      if (stopping_) {
        // Stopping already: a repeated signal must not end the graceful stop with the default
        // action, and a reload has nothing left to serve.
        log_info("{} received: already finishing requests in flight", name);
        continue;
      }
      if (sig == SIGHUP) {
        reload();
        continue;
      }
      log_info("{} received: finishing requests in flight", name);
      begin_stop("stopping: finishing requests in flight");
    }
  }

  // Worker 0: the graceful stop, once.
  void begin_stop(const std::string& status) {
    if (stopping_) return;
    stopping_ = true;
    notifier_->stopping(status);
    supervisor_.spawn(workers_[0]->io.get_executor(), "shutdown", shutdown());
  }

  // A long-lived task failed unexpectedly: a daemon whose timers loop, accept loop or Redis
  // connection died cannot be trusted to do its job while it still says ready, so it stops with
  // exit code 70 (EX_SOFTWARE) and the service manager starts it again. Any thread.
  void task_failed(std::string_view task, std::string_view what) {
    log_error("{} failed: {}; stopping with exit code {} so that ticketd is restarted", task, what,
              failure_exit_code);
    metrics_.task_failed(task);
    exit_code_.store(failure_exit_code);
    asio::post(workers_[0]->io, [this] {
      if (!stopping_) {
        begin_stop("stopping: an internal task failed (see the log)");
        return;
      }
      // The stop itself failed: end the event loops now.
      for (auto& w : workers_) w->io.stop();
    });
  }

  asio::awaitable<void> shutdown() {
    server_->stop();
    const auto grace = runtime_.get()->cfg->server.shutdown_grace;
    const auto deadline = std::chrono::steady_clock::now() + grace;
    asio::steady_timer poll(workers_[0]->io);
    // Requests finish; streams (closed by stop()) uncount their agents in Redis.
    const auto busy = [this] { return server_->requests_in_flight() + server_->streams_open(); };
    while (busy() > 0 && std::chrono::steady_clock::now() < deadline) {
      poll.expires_after(std::chrono::milliseconds(10));
      co_await poll.async_wait(use_tuple);
    }
    if (busy() > 0) {
      log_warning("{} request(s) and {} stream(s) still open after the grace period; closing them",
                  server_->requests_in_flight(), server_->streams_open());
    }
    // Every response is written: what is left (idle keep-alive reads, Redis readers, timers)
    // can simply stop with the io_contexts.
    timers_->stop();
    events_->stop();
    notifier_->stop();
    for (auto& w : workers_) {
      auto* wp = w.get();
      asio::post(w->io, [wp] {
        for (auto& c : wp->connections) c->stop();
        wp->io.stop();
      });
    }
  }

  void stop_embedded() {
    if (embedded_) embedded_->stop();
  }

  app_options options_;
  std::mutex reload_mutex_;  // one reload at a time (SIGHUP on worker 0, HTTP on any worker)
  bool stopping_ = false;    // touched on worker 0 only
  static constexpr int failure_exit_code = 70;
  std::atomic<int> exit_code_{0};
  runtime_holder runtime_;
  routing::system_clock system_clock_;
  std::unique_ptr<routing::manual_clock> manual_clock_;
  // Before everything that spawns tasks under it, so it outlives them.
  task_supervisor supervisor_;
  metrics metrics_;
  // Before the workers: sessions still suspended in their io_contexts unwatch it when the
  // io_contexts destroy them.
  event_hub hub_;
  std::vector<std::unique_ptr<worker>> workers_;
  std::unique_ptr<embedded_redis> embedded_;
  std::unique_ptr<api::service> service_;
  std::unique_ptr<http_server> server_;
  std::unique_ptr<timer_loop> timers_;
  std::unique_ptr<event_tail> events_;
  std::unique_ptr<systemd_notifier> notifier_;
  std::string listening_;
};

}  // namespace

int run(const app_options& options, std::shared_ptr<const config::config> cfg) {
  // A client that disconnects mid-write must not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  application app(options, std::move(cfg));
  return app.run();
}

}  // namespace ticketd::daemon
