#include "daemon/process/app.hpp"

#include <atomic>
#include <csignal>
#include <mutex>
#include <thread>
#include <unordered_map>
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
#include "daemon/redis/cluster.hpp"
#include "daemon/redis/redis_connection.hpp"
#include "daemon/redis/ticket_store.hpp"
#include "daemon/service/event_feed.hpp"
#include "daemon/service/service.hpp"
#include "daemon/service/timer_loop.hpp"
#include "daemon/service/workspaces.hpp"
#include "daemon/transport/http_server.hpp"

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
  std::unique_ptr<node_pool> pool;
  std::unique_ptr<ticket_store> store;
};

class application {
 public:
  application(const app_options& options, std::shared_ptr<const config::config> cfg)
      : options_(options),
        manual_clock_(options.manual_clock
                          ? std::make_unique<routing::manual_clock>(
                                options.clock_start_ms.value_or(system_clock_.now_ms()))
                          : nullptr),
        supervisor_(
            [this](std::string_view task, std::string_view what) { task_failed(task, what); },
            options.fault_injection),
        workspaces_(served_workspaces(*cfg, {})) {
    const unsigned threads = std::max(1U, cfg->server.threads);
    for (unsigned i = 0; i < threads; ++i) workers_.push_back(std::make_unique<worker>());
  }

  ~application() {
    // Every worker's handlers go before any worker's services, and before the parts they use;
    // the event tails (on worker 0) before the workers.
    for (auto& w : workers_) w->io.destroy_pending_handlers();
    for (const auto& ws : *workspaces_.all()) ws->release_tail();
    for (const auto& ws : retired_) ws->release_tail();
  }
  application(const application&) = delete;
  application& operator=(const application&) = delete;

  int run() {
    const auto cfg = main_config();
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
    hooks.ready = [this](std::optional<std::uint16_t> slot) { return ready(slot); };
    hooks.reload = [this] { return reload(); };
    hooks.preview_reload = [this](const std::string& ws) { return preview_reload(ws); };
    hooks.requests_in_flight = [this] { return server_ ? server_->requests_in_handler() : 0; };
    hooks.manual_clock = manual_clock_.get();
    hooks.fire_due_timers = [this](std::size_t w) {
      return timer_loop::fire_due(*workers_[w]->store, workspaces_);
    };
    hooks.watching = [this](workspace& ws) { start_tail(ws.name()); };
    std::vector<ticket_store*> stores;
    for (auto& w : workers_) stores.push_back(w->store.get());
    service_ = std::make_unique<api::service>(stores, workspaces_, metrics_, hooks);
    tail_endpoint_ = redis;
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

    for (auto& w : workers_) w->pool->start();
    // The main workspace's tail connects at once (its connection also tells the others when
    // Redis is back); another workspace's starts with its first watcher here.
    start_tail(workspaces_.main()->name());
    server_->start();
    timers_ = std::make_unique<timer_loop>(workers_[0]->io, *workers_[0]->store, workspaces_,
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
      w->pool->for_each([from](redis_connection& c) {
        if (&c != from) c.retry_now();
      });
    }
    for (const auto& ws : *workspaces_.all()) ws->retry_tail();
  }

  std::shared_ptr<const config::config> main_config() const {
    return workspaces_.main()->snapshot()->cfg;
  }

  // The workspaces `main` configures (its own, then its workspace files'), keeping the objects
  // of `running` by name (their runtime swapped) so that their streams and timers go on.
  workspace_set::list served_workspaces(const config::config& main,
                                        const workspace_set::list& running) {
    workspace_set::list out;
    std::unordered_map<std::string_view, std::shared_ptr<workspace>> by_name;
    for (const auto& w : running) by_name.emplace(w->name(), w);
    const auto add = [&](std::shared_ptr<const config::config> cfg) {
      auto rt = std::make_shared<const runtime>(std::move(cfg));
      if (const auto kept = by_name.find(rt->cfg->workspace); kept != by_name.end()) {
        kept->second->holder().set(std::move(rt));
        out.push_back(kept->second);
        return;
      }
      auto m = metrics_.workspace(rt->cfg->workspace);
      // Few workspaces: every series from the start; many: a series with its first count, so
      // that idle workspaces stay out of the scrape.
      if (main.workspaces.size() < eager_series_below) m->create_series();
      out.push_back(std::make_shared<workspace>(std::move(rt), std::move(m)));
    };
    // The main workspace's configuration holds the others' as they are served (not the files'
    // as loaded, which go): one copy of each.
    auto own = std::make_shared<config::config>(main);
    own->workspaces.clear();
    std::vector<std::shared_ptr<const config::config>> files;
    for (const auto& file : main.workspaces) files.push_back(served_config(main, *file));
    own->workspaces = files;
    add(std::move(own));
    for (auto& file : files) add(std::move(file));
    return out;
  }

  // Starts the event tail of workspace `name` if it has none yet (on worker 0).
  void start_tail(const std::string& name) {
    asio::post(workers_[0]->io, [this, name] {
      const auto ws = workspaces_.find(name);
      if (!ws) return;
      const bool main = ws == workspaces_.main();
      ws->ensure_tail([this, main](workspace& w) {
        redis_connection_options options;
        options.endpoint = tail_endpoint_;
        options.supervisor = &supervisor_;
        // In a cluster, the tail follows its workspace's slot to whichever primary serves it.
        options.cluster = cluster_;
        options.slot = w.snapshot()->keys.slot();
        // Another workspace's tail may sit parked for hours, by the thousand: a heartbeat a
        // minute (a silent Redis still found), and only the main one's reconnect tells the
        // others that Redis is back (all of them would retry every one).
        if (!main) options.heartbeat = std::chrono::minutes(1);
        auto tail =
            std::make_unique<event_tail>(workers_[0]->io, options, w.holder(), w.hub(), nullptr);
        if (main) {
          tail->set_on_connect([this]() -> asio::awaitable<boost::system::error_code> {
            redis_is_back(nullptr);
            co_return boost::system::error_code{};
          });
        }
        return tail;
      });
    });
  }

  void make_workers(const config::redis_config& redis) {
    const unsigned per_worker =
        std::max<unsigned>(1, (redis.connections + static_cast<unsigned>(workers_.size()) - 1) /
                                  static_cast<unsigned>(workers_.size()));
    const bool clustered = redis.kind == config::redis_kind::cluster;
    if (clustered) cluster_ = std::make_shared<cluster_map>(redis);
    for (auto& w : workers_) {
      const auto make = [this, w = w.get(), clustered](const config::redis_config& node,
                                                       bool writes) {
        redis_connection_options opts;
        opts.endpoint = node;
        opts.load_library = true;
        opts.supervisor = &supervisor_;
        if (writes) opts.client_name = "ticketd-writes";
        auto conn = std::make_unique<redis_connection>(w->io.get_executor(), opts, &metrics_);
        if (writes) return conn;
        redis_connection* raw = conn.get();
        // Every (re)connect stores the configuration's settings (a restarted Redis may have
        // lost them) before the connection serves anyone. In a cluster the main workspace
        // lives on one primary only: there, as for every other workspace, the first call stores
        // them.
        conn->set_on_connect(
            [this, raw, clustered]() -> asio::awaitable<boost::system::error_code> {
              // A cluster node back says nothing of the others (each reconnects on its own).
              if (clustered) co_return boost::system::error_code{};
              const auto rt = workspaces_.main()->snapshot();
              auto reply = co_await raw->exec_during_handshake(
                  routing::configure_call(rt->plan.base(clock().now_ms())));
              // A primary short of replicas refuses writes: serve reads; the settings are stored
              // by the first write that can be made.
              if (!reply && reply.error() != redis_errc::no_replicas) co_return reply.error();
              if (reply && reply->is_error()) {
                log_error("storing the configuration in Redis failed: {}", reply->str);
                co_return make_error_code(redis_errc::protocol);
              }
              redis_is_back(raw);
              co_return boost::system::error_code{};
            });
        return conn;
      };
      // With redis.wait_replicas, writes that wait go on a connection of their own per node:
      // Redis answers nothing else of a connection while its WAIT waits.
      w->pool = std::make_unique<node_pool>(w->io.get_executor(), redis, cluster_, per_worker,
                                            redis.wait_replicas > 0, make);
      w->store = std::make_unique<ticket_store>(
          *w->pool, clock(), write_replication{redis.wait_replicas, redis.wait_timeout});
    }
  }

  std::pair<std::size_t, std::size_t> connections_ready() const {
    std::size_t up = 0;
    std::size_t all = 0;
    for (const auto& w : workers_) {
      w->pool->for_each([&](redis_connection& c) {
        ++all;
        if (c.ready()) ++up;
      });
    }
    return {up, all};
  }

  // Without a cluster: every connection up. With one, for a slot: the connections to its
  // primary. For the daemon: every slot has a primary and every connection is up, or, once that
  // was so, the daemon still reaches the cluster: a primary down then makes its workspaces not
  // ready, not the daemon (a load balancer would drain every daemon, and with them the
  // workspaces of the other primaries), while a daemon starting takes no traffic before it
  // reaches every primary.
  bool ready(std::optional<std::uint16_t> slot = std::nullopt) const {
    if (cluster_ && slot) {
      return std::all_of(workers_.begin(), workers_.end(),
                         [&](const auto& w) { return w->pool->serves(*slot); });
    }
    const auto [up, all] = connections_ready();
    if (!cluster_) return up == all;
    if (up == all && all > 0 && cluster_->table()->covered()) {
      served_whole_cluster_.store(true);
      return true;
    }
    return served_whole_cluster_.load() &&
           std::all_of(workers_.begin(), workers_.end(),
                       [](const auto& w) { return w->pool->reaches_cluster(); });
  }

  // systemd's STATUS= line (`systemctl status ticketd`): what serves, and what to check when
  // Redis does not answer.
  std::string status_line() const {
    const auto [up, all] = connections_ready();
    const std::string counts = std::to_string(up) + "/" + std::to_string(all);
    if (ready()) return "serving on " + listening_ + "; Redis ready (" + counts + " connections)";
    const auto cfg = main_config();
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

  // POST /v1/admin/reload?dry_run=true: what a reload would change (the queues of workspace
  // `ws`, the workspaces that come or go); nothing is applied.
  api::reload_result preview_reload(const std::string& ws) {
    api::reload_result result;
    const auto loaded = read_for_reload(result);
    if (!loaded) return result;
    const auto current = main_config();
    result.changes = config::changes_between(*current, *loaded);
    result.restart = result.changes->restart_required;
    if (ws != current->workspace) {
      const auto running = workspaces_.find(ws);
      const auto next = std::find_if(loaded->workspaces.begin(), loaded->workspaces.end(),
                                     [&](const auto& w) { return w->workspace == ws; });
      result.changes->queues_added.clear();
      result.changes->queues_removed.clear();
      result.changes->queues_changed.clear();
      if (running && next != loaded->workspaces.end()) {
        auto per = config::changes_between(*running->snapshot()->cfg, **next);
        result.changes->queues_added = std::move(per.queues_added);
        result.changes->queues_removed = std::move(per.queues_removed);
        result.changes->queues_changed = std::move(per.queues_changed);
      } else if (running) {
        // The files remove the workspace: every queue of it goes (its tickets stay in Redis).
        result.changes->queues_removed = running->snapshot()->queue_names;
      }
    }
    result.ok = true;
    return result;
  }

  // Applies a valid file: every workspace's new snapshot at once (requests take one each), the
  // workspace files added and removed. A removed workspace's data stays in Redis, untouched:
  // its timers wait until it comes back.
  api::reload_result load_for_reload() {
    api::reload_result result;
    const auto loaded = read_for_reload(result);
    if (!loaded) {
      log_error("reload refused: {} error(s) in {}; the running configuration stays",
                result.errors.size(), options_.config_file.string());
      for (const auto& e : result.errors) log_error("{}", e);
      return result;
    }
    const auto current = main_config();
    const auto changes = config::changes_between(*current, *loaded);
    result.restart = changes.restart_required;
    auto next = std::make_shared<config::config>(*loaded);
    // What needs a restart keeps its running value until then.
    next->workspace = current->workspace;
    next->server = current->server;
    next->server.access_log = loaded->server.access_log;
    next->redis = current->redis;
    const auto running = workspaces_.all();
    std::vector<std::string> epochs;
    for (const auto& ws : *running) epochs.push_back(ws->snapshot()->settings.epoch);
    auto served = served_workspaces(*next, *running);
    workspaces_.set(served);
    for (const auto& ws : *running) {
      if (workspaces_.find(ws->name())) continue;
      ws->retire();
      metrics_.workspace_removed(ws->name());
      // Its tail's coroutine may still hold its hub: the workspace stays until the end.
      if (ws->has_tail()) retired_.push_back(ws);
      log_info("reload: workspace '{}' is no longer served; its data stays in Redis", ws->name());
    }
    for (const auto& name : changes.workspaces_added)
      log_info("reload: workspace '{}' added", name);
    for (const auto& name : result.restart) {
      log_warning("reload: {} changed; it applies after a restart", name);
    }
    log_info("configuration reloaded from {} ({} workspaces)", options_.config_file.string(),
             served.size());
    result.ok = true;
    // The settings the functions read are stored again where they changed (a workspace not
    // stored yet has them stored by its first call).
    std::vector<std::shared_ptr<workspace>> changed;
    for (std::size_t i = 0; i < running->size(); ++i) {
      const auto& ws = (*running)[i];
      if (workspaces_.find(ws->name()) && ws->snapshot()->settings.epoch != epochs[i]) {
        changed.push_back(ws);
      }
    }
    supervisor_.spawn(workers_[0]->io.get_executor(), "configuration store",
                      store_configuration(std::move(changed)));
    return result;
  }

  asio::awaitable<void> store_configuration(std::vector<std::shared_ptr<workspace>> changed) {
    for (const auto& ws : changed) {
      auto r = co_await workers_[0]->store->configure(*ws->snapshot());
      if (!r) {
        log_error("storing workspace '{}''s reloaded configuration failed: {}", ws->name(),
                  r.error().message);
      }
      if (r && *r > 0) {
        log_info("workspace '{}': counted statuses changed: recounted {} agents' load", ws->name(),
                 *r);
      }
    }
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
    const auto grace = main_config()->server.shutdown_grace;
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
    for (const auto& ws : *workspaces_.all()) ws->stop_tail();
    notifier_->stop();
    for (auto& w : workers_) {
      auto* wp = w.get();
      asio::post(w->io, [wp] {
        wp->pool->stop();
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
  static constexpr std::size_t eager_series_below = 100;
  std::atomic<int> exit_code_{0};
  routing::system_clock system_clock_;
  std::unique_ptr<routing::manual_clock> manual_clock_;
  // Before everything that spawns tasks under it, so it outlives them.
  task_supervisor supervisor_;
  metrics metrics_;
  // Before the workers: sessions still suspended in their io_contexts unwatch their workspace's
  // hub when the io_contexts destroy them.
  workspace_set workspaces_;
  // Workspaces a reload removed whose event tail had started (under reload_mutex_).
  std::vector<std::shared_ptr<workspace>> retired_;
  config::redis_config tail_endpoint_;    // where event tails connect
  std::shared_ptr<cluster_map> cluster_;  // redis+cluster://: the slot map every worker follows
  mutable std::atomic<bool> served_whole_cluster_{false};  // see ready()
  std::vector<std::unique_ptr<worker>> workers_;
  std::unique_ptr<embedded_redis> embedded_;
  std::unique_ptr<api::service> service_;
  std::unique_ptr<http_server> server_;
  std::unique_ptr<timer_loop> timers_;
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
