// The workspace event stream, live, inside one daemon. The tail reads the Redis stream on its
// own connection (XREAD BLOCK: it never holds up the pipelined request connections) and hands
// each batch to the hub, which passes every local agent stream the events that concern its agent
// and wakes the Server-Sent Events feeds (they read the stream themselves, from their own
// position, so a slow reader only falls behind). Events decided by any daemon reach the agents
// connected to every daemon this way.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>

#include "daemon/events/stream_event.hpp"
#include "daemon/redis_connection.hpp"
#include "daemon/runtime.hpp"

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
  mutable std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  std::unordered_map<std::uint64_t, agent_watch> agents_;
  std::unordered_multimap<std::string, std::uint64_t> by_agent_;
  std::unordered_map<std::uint64_t, wake_watch> wakers_;
};

class event_tail {
 public:
  event_tail(boost::asio::io_context& io, redis_connection_options options,
             runtime_holder& runtime, event_hub& hub, redis_observer* observer);
  ~event_tail();
  void start();
  void stop();
  // Redis answers again (another connection reached it): reconnect and read now, from any
  // thread, instead of waiting out the backoff.
  void retry_now();
  // Run each time the tail's own connection reaches Redis (before it reads).
  void set_on_connect(redis_connection::on_connect_fn fn);

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace ticketd::daemon
