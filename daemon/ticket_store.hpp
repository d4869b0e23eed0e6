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

#include "daemon/runtime.hpp"
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
  result<bool> remove(const runtime& rt, std::string_view id);
  result<routing::ticket> act(const runtime& rt, routing::ticket_action a, std::string_view id,
                              std::optional<std::int64_t> if_match,
                              const routing::action_request& r);
  result<std::optional<routing::ticket>> next(const runtime& rt, std::string_view agent);

  result<routing::agent> put_agent(const runtime& rt, std::string_view id,
                                   const routing::agent_request& r);
  result<routing::agent> get_agent(const runtime& rt, std::string_view id);
  result<routing::agent> set_agent_status(const runtime& rt, std::string_view id,
                                          routing::agent_status status);

  // `timeout`: a deadline shorter than the connection's (the metrics scrape uses one).
  result<routing::queue_stats> queue_stats(
      const runtime& rt, std::optional<std::chrono::milliseconds> timeout = {});
  result<routing::queue_head> queue_head(const runtime& rt, std::string_view queue,
                                         std::size_t limit);
  result<routing::verify_report> verify(const runtime& rt);
  result<routing::tick_result> tick(const runtime& rt, std::size_t limit);
  result<std::int64_t> sync_settings(const runtime& rt);

  std::int64_t now() const { return clock_.now_ms(); }

 private:
  // Runs `cmd` with an HGETALL of ticket `id` pipelined behind it (one write, no round trip in
  // between); `out` gets the ticket when the call did not fail. Answers the call's reply.
  result<routing::resp_value> call_then_read(const routing::command& cmd, const runtime& rt,
                                             std::string_view id, routing::ticket& out);
  result<routing::resp_value> call(const routing::command& cmd,
                                   std::optional<std::chrono::milliseconds> timeout = {});

  std::vector<redis_connection*> redis_;
  std::size_t next_ = 0;
  const routing::clock& clock_;
};

}  // namespace ticketd::daemon
