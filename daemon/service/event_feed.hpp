// The workspace event stream, live, inside one daemon. The tail reads the Redis stream on its
// own connection (XREAD BLOCK: it never holds up the pipelined request connections) and hands
// each batch to the hub, which passes every local agent stream the events that concern its agent
// and wakes the Server-Sent Events feeds (they read the stream themselves, from their own
// position, so a slow reader only falls behind). Events decided by any daemon reach the agents
// connected to every daemon this way.
//
// The tail reads only while something here watches: a daemon serving only HTTP (pull agents,
// backends) costs Redis no stream reads, however many events the functions write. The first
// watcher wakes it; the tail then starts at the stream's newest entry, and the watcher waits for
// that (until_live) before it reads any state, so nothing that happens after its read is missed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "daemon/common/runtime.hpp"
#include "daemon/events/stream_event.hpp"
#include "daemon/redis/redis_connection.hpp"

namespace ticketd::daemon {

using event_list = std::vector<stream_event>;

class event_hub {
 public:
  // Runs on the executor given with it, with the events of one batch that concern the agent.
  using agent_listener = std::function<void(std::shared_ptr<const event_list>)>;
  using wake_listener = std::function<void()>;

  std::uint64_t watch_agent(const std::string& agent, boost::asio::any_io_executor ex,
                            agent_listener fn);
  std::uint64_t watch_all(boost::asio::any_io_executor ex, wake_listener fn);
  void unwatch(std::uint64_t id);

  // After watching: resumes once the tail reads the stream from a position taken before the
  // caller's next read of Redis, so that every event after that read comes through the watch
  // (true); or after `limit` (false: the tail cannot reach Redis; it retries as soon as any of
  // this daemon's connections reaches Redis again).
  boost::asio::awaitable<bool> until_live(std::chrono::milliseconds limit);

  // The tail's side. `fn` wakes a parked tail, from any thread.
  void set_wake(std::function<void()> fn);
  // Nobody watches: the tail parks (stops reading) until the next watcher wakes it.
  bool park_if_unwatched();
  // The tail has its position and reads on from it: the watchers waiting go on.
  void mark_live();
  // Called by the tail with each batch read, oldest first.
  void publish(event_list batch);

 private:
  struct agent_watch {
    std::string agent;
    boost::asio::any_io_executor ex;
    agent_listener fn;
  };
  struct wake_watch {
    boost::asio::any_io_executor ex;
    wake_listener fn;
  };
  enum class tail_state { parked, waking, live };
  // A watch began; the tail wakes if it was parked. Runs under the lock; returns the call to make
  // once unlocked.
  std::function<void()> watched_locked();

  mutable std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  tail_state tail_ = tail_state::parked;
  std::function<void()> wake_;
  std::unordered_map<std::uint64_t, std::function<void()>> live_waiters_;
  std::unordered_map<std::uint64_t, agent_watch> agents_;
  std::unordered_multimap<std::string, std::uint64_t> by_agent_;
  std::unordered_map<std::uint64_t, wake_watch> wakers_;
};

class event_tail {
 public:
  event_tail(boost::asio::io_context& io, redis_connection_options options, runtime_holder& runtime,
             event_hub& hub, redis_observer* observer);
  ~event_tail();
  void start();
  void stop();
  // Redis answers again (one of the daemon's connections reached it, this one's included):
  // reconnect and read now, from any thread, instead of waiting out the backoff.
  void retry_now();
  // Run each time the tail's own connection reaches Redis (before it reads).
  void set_on_connect(redis_connection::on_connect_fn fn);

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace ticketd::daemon
