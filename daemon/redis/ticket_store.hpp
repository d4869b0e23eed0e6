// The engine's operations as awaitable calls on one worker thread: drives each operation
// (routing/operation.hpp: the plan, its function call, the reads around it) on that thread's
// Redis connections and decodes the result. Redis failures become errc::unavailable with
// `maybe_applied` saying whether a write may have run.
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
#include "routing/operation.hpp"
#include "routing/requests.hpp"

namespace ticketd::daemon {

class node_pool;
class redis_connection;

// What a write waits for before it counts as done (redis.wait_replicas): none by default.
struct write_replication {
  unsigned replicas = 0;
  std::chrono::milliseconds timeout{1000};
};

class ticket_store {
 public:
  // `pool`: this worker's connections (to the one Redis, or to each primary of the cluster).
  ticket_store(node_pool& pool, const routing::clock& clock, write_replication wait = {})
      : pool_(pool), clock_(clock), wait_(wait) {}

  template <class T>
  using result = boost::asio::awaitable<routing::outcome<T>>;

  // `idem`: the request's Idempotency-Key, for the writing operations (empty: none).
  result<routing::create_result> create(const runtime& rt, const routing::create_request& r,
                                        routing::idempotency idem = {});
  result<routing::ticket> get(const runtime& rt, std::string_view id);
  result<routing::explanation> explain(const runtime& rt, std::string_view id, std::size_t limit);
  result<routing::action_result> remove(const runtime& rt, std::string_view id,
                                        routing::idempotency idem = {});
  result<routing::ticket_result> act(const runtime& rt, routing::ticket_action a,
                                     std::string_view id, std::optional<std::int64_t> if_match,
                                     const routing::action_request& r,
                                     routing::idempotency idem = {},
                                     routing::action_view view = routing::action_view::full);
  result<routing::ticket_result> patch(const runtime& rt, std::string_view id,
                                       std::optional<std::int64_t> if_match,
                                       const routing::patch_request& r,
                                       routing::idempotency idem = {});
  result<routing::pulled> next(const runtime& rt, std::string_view agent,
                               routing::idempotency idem = {});

  result<routing::agent_result> put_agent(const runtime& rt, std::string_view id,
                                          const routing::agent_request& r,
                                          routing::idempotency idem = {});
  result<routing::agent_result> get_agent(const runtime& rt, std::string_view id);
  result<routing::agent_page> list_agents(const runtime& rt, const routing::agent_filter& f);
  // `channel` given: that channel's presence for the agent.
  result<routing::agent_result> set_agent_status(const runtime& rt, std::string_view id,
                                                 routing::agent_status status,
                                                 routing::idempotency idem = {},
                                                 std::string_view channel = {});
  // POST /v1/agents/{id}/ready: its wrap-ups end now.
  result<routing::agent_result> agent_ready(const runtime& rt, std::string_view id,
                                            routing::idempotency idem = {});

  // A stream of the agent opened (+1) or closed (-1); see routing::agent_presence_call.
  result<routing::agent_result> agent_presence(const runtime& rt, std::string_view id,
                                               int connections,
                                               std::optional<routing::agent_status> status);

  // Up to `count` events of the workspace stream after stream id `after`, oldest first.
  result<std::vector<stream_event>> events_after(const runtime& rt, std::string_view after,
                                                 std::size_t count);
  // The id of the newest event ("0-0" when the stream is empty).
  result<std::string> last_event_id(const runtime& rt);

  // A single-use stream token (API.md "Stream tokens"): `grant` (what it opens) kept under the
  // token for `ttl`, in the workspace's keyspace. False when the token was already there.
  result<bool> put_stream_token(const runtime& rt, std::string_view token, std::string_view grant,
                                std::chrono::milliseconds ttl);
  // Takes a stream token out (GETDEL: it opens one stream over every daemon): its grant, or ""
  // when the workspace holds no such token (unknown, used, or past Redis's expiry).
  result<std::string> take_stream_token(const runtime& rt, std::string_view token);

  // `timeout`: a deadline shorter than the connection's (the metrics scrape uses one).
  // The same figures for the queues `names` (configured or not: a removed queue's data stays).
  result<routing::queue_stats> queue_stats_of(const runtime& rt,
                                              const std::vector<std::string>& names);
  result<routing::queue_stats> queue_stats(const runtime& rt,
                                           std::optional<std::chrono::milliseconds> timeout = {});
  result<routing::queue_head> queue_head(const runtime& rt, std::string_view queue,
                                         std::size_t limit);
  result<routing::verify_report> verify(const runtime& rt);
  result<routing::tick_result> tick(const runtime& rt, std::size_t limit);
  // Deletes every key of workspace `name` (one no longer served), `batch` keys at a time (a SCAN
  // step and an UNLINK each, so Redis is never held for long); the number deleted.
  result<std::int64_t> purge_workspace(std::string_view name, std::size_t batch = 500);
  // Stores this configuration's settings in Redis (on connect, after reload, after a flush).
  result<std::int64_t> configure(const runtime& rt);

  std::int64_t now() const { return clock_.now_ms(); }

 private:
  // Runs an operation to its end, each batch on a connection to the primary of the workspace's
  // slot (the next one in turn). With write_replication and `replicated`, a batch whose function
  // call wrote is answered once enough replicas have it (a WAIT on its connection after the call's
  // reply).
  boost::asio::awaitable<void> run(routing::operation& op, const runtime& rt,
                                   bool replicated = true);
  // A function call that shows no ticket (agents, queues, tick, verify, delete).
  result<routing::call_outcome> call(const runtime& rt, routing::command cmd,
                                     routing::idempotency idem = {}, bool replicated = true);
  // One command to the primary of `slot`, no retries (reads that need no function).
  result<routing::resp_value> send(std::uint16_t slot, const routing::command& cmd,
                                   std::optional<std::chrono::milliseconds> timeout = {});
  node_pool& pool_;
  const routing::clock& clock_;
  write_replication wait_;
};

}  // namespace ticketd::daemon
