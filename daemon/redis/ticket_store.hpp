// The engine's operations as awaitable calls on one worker thread: plans each request
// (routing::planner), runs the function on that thread's Redis connection and decodes the
// reply. Redis failures become errc::unavailable; a plan made from a snapshot that went stale
// is re-planned from a fresh read (bounded retries).
#pragma once

#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "daemon/common/runtime.hpp"
#include "daemon/events/stream_event.hpp"
#include "routing/clock.hpp"
#include "routing/functions.hpp"
#include "routing/requests.hpp"

namespace ticketd::daemon {

class redis_connection;

class ticket_store {
 public:
  // `redis`: this worker's connections (at least one), used in turn.
  ticket_store(std::vector<redis_connection*> redis, const routing::clock& clock)
      : redis_(std::move(redis)), clock_(clock) {}

  template <class T>
  using result = boost::asio::awaitable<routing::outcome<T>>;

  result<routing::create_result> create(const runtime& rt, const routing::create_request& r);
  result<routing::ticket> get(const runtime& rt, std::string_view id);
  result<std::vector<routing::assignment>> remove(const runtime& rt, std::string_view id);
  result<routing::ticket_result> act(const runtime& rt, routing::ticket_action a,
                                     std::string_view id, std::optional<std::int64_t> if_match,
                                     const routing::action_request& r);
  // The assigned ticket, or nullopt when nothing waits for the agent.
  result<std::optional<routing::ticket_result>> next(const runtime& rt, std::string_view agent);

  result<routing::agent_result> put_agent(const runtime& rt, std::string_view id,
                                          const routing::agent_request& r);
  result<routing::agent_result> get_agent(const runtime& rt, std::string_view id);
  result<routing::agent_result> set_agent_status(const runtime& rt, std::string_view id,
                                                 routing::agent_status status);

  // A stream of the agent opened (+1) or closed (-1); see routing::agent_presence_call.
  result<routing::agent_result> agent_presence(const runtime& rt, std::string_view id,
                                               int connections,
                                               std::optional<routing::agent_status> status);

  // Up to `count` events of the workspace stream after stream id `after`, oldest first.
  result<std::vector<stream_event>> events_after(const runtime& rt, std::string_view after,
                                                 std::size_t count);
  // The id of the newest event ("0-0" when the stream is empty).
  result<std::string> last_event_id(const runtime& rt);

  // `timeout`: a deadline shorter than the connection's (the metrics scrape uses one).
  result<routing::queue_stats> queue_stats(const runtime& rt,
                                           std::optional<std::chrono::milliseconds> timeout = {});
  result<routing::queue_head> queue_head(const runtime& rt, std::string_view queue,
                                         std::size_t limit);
  result<routing::verify_report> verify(const runtime& rt);
  result<routing::tick_result> tick(const runtime& rt, std::size_t limit);
  // Stores this configuration's settings in Redis (on connect, after reload, after a flush).
  result<std::int64_t> configure(const runtime& rt);

  std::int64_t now() const { return clock_.now_ms(); }

 private:
  // Runs a function call; when Redis answers that it lost the configuration's settings (a
  // flush), stores them again and runs the call once more. `read_after`: a ticket whose
  // HGETALL rides behind the call in the same write (its reply goes to `read`).
  result<routing::resp_value> call(const runtime& rt, const routing::command& cmd,
                                   std::string_view read_after = {},
                                   routing::resp_value* read = nullptr,
                                   std::optional<std::chrono::milliseconds> timeout = {});
  result<routing::resp_value> send(const routing::command& cmd,
                                   std::optional<std::chrono::milliseconds> timeout = {});

  std::vector<redis_connection*> redis_;
  std::size_t next_ = 0;
  const routing::clock& clock_;
};

}  // namespace ticketd::daemon
