// One pipelined Redis connection, owned by and used from a single io_context thread.
//
// Design (after Boost.Redis): every caller on the thread shares the connection. exec() queues
// the framed command and waits; a writer sends everything queued since its last write in one
// syscall, a reader feeds hiredis's RESP parser and completes requests in FIFO order.
// Invariants: replies match requests one to one, in order; a request whose deadline passes
// before the writer takes it is never sent (`expired`); one that passes its deadline after it
// was written returns `timeout` (Redis may still run it) and its late reply is discarded; while
// disconnected, or stalled (a written request unanswered past redis.timeout: Redis hangs), every
// request fails at once with `unavailable`; at most max_pending requests are in flight. On any
// I/O error the written requests fail with `dropped` (they may have run), the others with
// `unavailable`, and the connection reconnects with jittered exponential backoff, then runs the
// handshake (AUTH, SELECT, FUNCTION LOAD REPLACE, on_connect) before serving again. A quiet
// connection PINGs once a second, so a silent Redis shows as not ready within redis.timeout
// plus a second.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include "config/config.hpp"
#include "daemon/async/supervisor.hpp"
#include "daemon/redis/redis_observer.hpp"
#include "routing/resp.hpp"

namespace ticketd::daemon {

using redis_result = boost::system::result<routing::resp_value>;

class cluster_map;

// Sends `cmds` to `at` on a connection of its own and returns their replies, all within
// `timeout` (nullopt: no answer): the questions asked before a connection serves (SENTINEL,
// CLUSTER SLOTS).
boost::asio::awaitable<std::optional<std::vector<routing::resp_value>>> ask_once(
    boost::asio::any_io_executor ex, const config::redis_address& at,
    std::span<const routing::command> cmds, std::chrono::milliseconds timeout);

// FUNCTION LOAD REPLACE of ticketd's function library.
routing::command library_load_command();

struct redis_connection_options {
  config::redis_config endpoint;
  bool load_library = false;  // ticketd's function library, loaded at every (re)connect
  std::chrono::milliseconds connect_backoff_min{50};
  std::chrono::milliseconds connect_backoff_max{2000};
  std::string client_name = "ticketd";
  // Where the connection's loops report an unexpected failure (nullptr: logged only).
  task_supervisor* supervisor = nullptr;
  // A written request unanswered this long drops the connection (0: three redis.timeout, at
  // least 3 s).
  std::chrono::milliseconds stall_limit{0};
  // A PING after this long without traffic, so that a silent Redis is noticed (and a connection
  // stalled past the stall limit dropped); longer for connections that may sit idle for hours
  // by the thousand (parked event tails).
  std::chrono::milliseconds heartbeat{1000};
  // Redis Cluster, for a connection that follows one slot (an event tail): each connect goes to
  // the primary the map names for `slot`, and a MOVED reconnects there. Connections of a
  // node_pool are made to one node instead (endpoint tcp) and leave redirections to their caller.
  std::shared_ptr<cluster_map> cluster;
  std::uint16_t slot = 0;
};

class redis_connection {
 public:
  // Runs after the library is loaded and before the connection serves callers; a failure
  // drops the connection and retries. May call exec_during_handshake.
  using on_connect_fn = std::function<boost::asio::awaitable<boost::system::error_code>()>;

  redis_connection(boost::asio::any_io_executor ex, redis_connection_options options,
                   redis_observer* observer);
  ~redis_connection();
  redis_connection(const redis_connection&) = delete;
  redis_connection& operator=(const redis_connection&) = delete;

  void set_on_connect(on_connect_fn fn);

  // Starts connecting; returns at once. The connection keeps itself up until stop().
  void start();
  // Fails every request in flight with `unavailable` and closes; idempotent.
  void stop();

  // `timeout`: this request's deadline when shorter than the connection's.
  boost::asio::awaitable<redis_result> exec(const routing::command& cmd,
                                            std::optional<std::chrono::milliseconds> timeout = {});
  // Sends every command in one write and returns their replies in order: no round trip between
  // them, and nothing else of this connection runs in between (other clients of Redis may).
  boost::asio::awaitable<std::vector<redis_result>> exec_all(
      std::span<const routing::command> cmds);

  // Like exec, but allowed while the handshake runs (on_connect only).
  boost::asio::awaitable<redis_result> exec_during_handshake(const routing::command& cmd);

  // Ends a reconnect backoff at once, from any thread: another connection just reached Redis,
  // so this one need not wait out its backoff (up to connect_backoff_max) serving 503s. Asked
  // during a connect attempt, it skips the wait that attempt's failure would start.
  void retry_now();

  // Connected, handshake done, and Redis answering (not stalled). Any thread.
  bool ready() const;
  // The host it connects to (for a connection that follows a Sentinel primary or a cluster
  // slot: the one found last). Its own thread.
  std::string host() const;
  const boost::asio::any_io_executor& executor() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace ticketd::daemon
