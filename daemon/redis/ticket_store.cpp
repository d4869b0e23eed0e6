#include "daemon/redis/ticket_store.hpp"

#include <algorithm>
#include <array>

#include "daemon/redis/cluster.hpp"
#include "daemon/redis/redis_connection.hpp"

namespace ticketd::daemon {

using routing::errc;
using routing::resp_value;

namespace {

// Whether an error reply says Redis lacks the function called (FUNCTION FLUSH, a new node).
bool function_missing(const resp_value& error) {
  return error.str.find("Function not found") != std::string::npos;
}

// Whether Redis ran the command: not when it answered a cluster redirection or refusal, or
// found no function (a transport failure is judged by may_have_run).
bool ran(const resp_value& reply) {
  return !reply.is_error() ||
         (cluster_reply_of(reply).what == cluster_reply::kind::none && !function_missing(reply));
}

// Where a batch went (null: no primary known for its slot), and, when Redis ran none or only
// part of it for a reason a retry may clear (a slot migrating, no primary, the library
// missing), why.
struct batch_outcome {
  redis_connection* conn = nullptr;
  std::string refused;
};

// `batch` sent to the primary of `slot` (`may_write`: on the connection of the writes that wait
// for replicas), its replies in `replies`. A batch refused whole with MOVED goes again to the
// slot's new owner; one that found the library missing, again once it is loaded. ASK, TRYAGAIN
// and CLUSTERDOWN are never followed (a call must not run while its slot migrates).
boost::asio::awaitable<batch_outcome> exec_batch(
    node_pool& pool_, std::uint16_t slot, std::span<const routing::command> batch, bool may_write,
    std::vector<redis_result>& replies, std::optional<std::chrono::milliseconds> timeout = {}) {
  bool loaded = false;
  for (int moves = 0;; ++moves) {
    redis_connection* conn = may_write ? pool_.write_connection(slot) : nullptr;
    if (conn == nullptr) conn = pool_.connection(slot);
    if (conn == nullptr) {
      // A cluster with no primary known for the slot (down, or not read yet): nothing sent.
      replies.assign(batch.size(), make_error_code(redis_errc::unavailable));
      co_return batch_outcome{};
    }
    if (batch.size() == 1) {
      replies.clear();
      replies.push_back(co_await conn->exec(batch.front(), timeout));
    } else {
      replies = co_await conn->exec_all(batch);
    }
    // The replies' errors, looked at once: the usual batch has none.
    cluster_reply refusal;
    bool missing = false;
    bool all_moved = true;
    for (const auto& r : replies) {
      if (!r || !r->is_error()) {
        all_moved = false;
        continue;
      }
      const auto c = cluster_reply_of(*r);
      if (refusal.what == cluster_reply::kind::none) refusal = c;
      all_moved = all_moved && c.what == cluster_reply::kind::moved;
      missing = missing || function_missing(*r);
    }
    if (refusal.what == cluster_reply::kind::moved) {
      pool_.moved(refusal, *conn);
      // Refused whole by a node that no longer serves the slot: none ran; again, to the node
      // that does (a few times at most: the map may take a moment to agree).
      if (all_moved && moves < 3) continue;
    }
    if (refusal.what == cluster_reply::kind::down) pool_.refresh_soon();
    if (missing && !loaded) {
      // This primary lacks the library (flushed, or a node new to the cluster): load it, then
      // the batch again (the calls that found no function ran nothing).
      loaded = true;
      const auto load_cmd = library_load_command();
      auto load = co_await conn->exec(load_cmd);
      if (load && !load->is_error()) continue;
    }
    if (refusal.what != cluster_reply::kind::none)
      co_return batch_outcome{conn, refusal.describe()};
    if (missing) {
      co_return batch_outcome{
          conn, "the function library is missing on this Redis and could not be loaded"};
    }
    co_return batch_outcome{conn, {}};
  }
}

}  // namespace

boost::asio::awaitable<void> ticket_store::run(routing::operation& op, const runtime& rt,
                                               bool replicated) {
  const auto slot = rt.keys.slot();
  const bool waits = replicated && wait_.replicas > 0;
  // The connection on which a function call (FCALL; FCALL_RO only reads) answered without an
  // error: the WAIT must go there.
  redis_connection* wrote_on = nullptr;
  std::vector<redis_result> replies;
  while (!op.done()) {
    const auto batch = op.batch();
    const bool may_write =
        waits && std::any_of(batch.begin(), batch.end(),
                             [](const routing::command& c) { return c.name() == "FCALL"; });
    const auto sent = co_await exec_batch(pool_, slot, batch, may_write, replies);
    const auto is_call = [&](std::size_t i) { return batch[i].name() == "FCALL"; };
    if (!sent.refused.empty() ||
        std::any_of(replies.begin(), replies.end(), [](const auto& r) { return !r; })) {
      // One failure fails the batch. Whether a write may have run: a function call that Redis
      // ran, or that it may have run before the connection failed (reads write nothing).
      routing::transport_failure failed{sent.refused, false};
      for (std::size_t i = 0; i < replies.size(); ++i) {
        const auto& r = replies[i];
        if (!r && failed.message.empty()) failed.message = r.error().message();
        failed.written = failed.written || (is_call(i) && (r ? ran(*r) : may_have_run(r.error())));
      }
      op.fail(failed);
      continue;
    }
    std::vector<resp_value> values;
    values.reserve(replies.size());
    for (std::size_t i = 0; i < replies.size(); ++i) {
      auto& r = *replies[i];
      if (may_write && !r.is_error() && is_call(i)) wrote_on = sent.conn;
      values.push_back(std::move(r));
    }
    op.receive(std::move(values));
  }
  // With redis.wait_replicas, an operation that wrote counts as done once enough replicas have
  // its write: WAIT waits for everything its connection wrote, so it goes on the connection of
  // the write (a connection of its own per primary: WAIT holds it). A repeat answered from what
  // an earlier attempt kept (by a function that then wrote nothing, or by the read of the kept
  // answer) may come before that attempt's write reached the replicas: the kept answer's expiry
  // is first written again, unchanged (a write that is replicated, in a cluster too, unlike
  // PUBLISH), which moves the connection's offset to the primary's, so that the WAIT covers
  // everything the primary had.
  const bool replayed = op.result().replayed;
  if (waits && !op.failure() && (wrote_on != nullptr || replayed)) {
    redis_connection* conn = wrote_on != nullptr ? wrote_on : pool_.write_connection(slot);
    if (conn == nullptr) conn = pool_.connection(slot);
    static constexpr std::string_view touch_kept =
        "local at = redis.call('PEXPIRETIME', KEYS[1]) "
        "if at > 0 then return redis.call('PEXPIREAT', KEYS[1], at) end return 0";
    const std::array<routing::command, 2> confirm{
        std::move(routing::command{"EVAL"}
                      .arg(touch_kept)
                      .arg(std::int64_t{1})
                      .arg(rt.keys.key(routing::key_part::idempotency, op.idempotency_key()))),
        std::move(routing::command{"WAIT"}
                      .arg(static_cast<std::int64_t>(wait_.replicas))
                      .arg(static_cast<std::int64_t>(wait_.timeout.count())))};
    std::vector<redis_result> acks;
    if (conn == nullptr) {
      acks.emplace_back(make_error_code(redis_errc::unavailable));
    } else {
      acks =
          co_await conn->exec_all(replayed ? std::span<const routing::command>{confirm}
                                           : std::span<const routing::command>{confirm}.subspan(1));
    }
    // A repeat whose kept answer was not written again (refused: a slot migrating; or gone)
    // moved no offset: its WAIT proves nothing.
    const auto& marked = acks.front();
    if (acks.size() == 2 && (!marked || marked->is_error() || marked->integer != 1)) {
      acks.back() = !marked ? marked : make_error_code(redis_errc::unavailable);
    }
    const auto& acked = acks.back();
    if (!acked || acked->is_error() || acked->integer < static_cast<std::int64_t>(wait_.replicas)) {
      op.unconfirmed(!acked ? "WAIT failed: " + acked.error().message()
                     : acked->is_error()
                         ? "WAIT answered " + acked->str
                         : "the write reached " + std::to_string(acked->integer) + " of " +
                               std::to_string(wait_.replicas) + " replicas within " +
                               std::to_string(wait_.timeout.count()) + "ms (wait_replicas)");
    }
  }
}

ticket_store::result<routing::call_outcome> ticket_store::call(const runtime& rt,
                                                               routing::command cmd,
                                                               routing::idempotency idem,
                                                               bool replicated) {
  // Named, not a temporary in the co_await (GCC 12 coroutine pitfall: shared/TOOLCHAIN.md).
  auto op = routing::call_operation(rt.plan, std::move(cmd), now(), idem);
  co_await run(op, rt, replicated);
  if (op.failure()) co_return *op.failure();
  co_return std::move(op.result());
}

ticket_store::result<resp_value> ticket_store::send(
    std::uint16_t slot, const routing::command& cmd,
    std::optional<std::chrono::milliseconds> timeout) {
  std::vector<redis_result> replies;
  const auto sent = co_await exec_batch(pool_, slot, std::span<const routing::command>{&cmd, 1},
                                        false, replies, timeout);
  if (!sent.refused.empty()) co_return routing::unavailable({sent.refused}, false);
  auto& r = replies.front();
  if (!r) co_return routing::unavailable({r.error().message()}, false);
  co_return std::move(*r);
}

ticket_store::result<routing::create_result> ticket_store::create(const runtime& rt,
                                                                  const routing::create_request& r,
                                                                  routing::idempotency idem) {
  auto op = routing::create_operation(rt.plan, r, now(), idem);
  co_await run(op, rt);
  co_return routing::create_result_of(op);
}

ticket_store::result<routing::ticket> ticket_store::get(const runtime& rt, std::string_view id) {
  auto reply = co_await send(rt.keys.slot(), routing::ticket_get_command(rt.keys, id));
  if (!reply) co_return reply.error();
  co_return routing::decode_ticket_reply(id, *reply);
}

ticket_store::result<routing::action_result> ticket_store::remove(const runtime& rt,
                                                                  std::string_view id,
                                                                  routing::idempotency idem) {
  auto out = co_await call(rt, routing::delete_call(rt.plan.base(now(), idem), id), idem);
  if (!out) co_return out.error();
  auto done = routing::decode_action(out->reply);
  if (done) done->replayed = out->replayed;
  co_return done;
}

ticket_store::result<routing::ticket_result> ticket_store::act(
    const runtime& rt, routing::ticket_action a, std::string_view id,
    std::optional<std::int64_t> if_match, const routing::action_request& r,
    routing::idempotency idem, routing::action_view view) {
  auto op = routing::action_operation(rt.plan, a, id, if_match, r, now(), idem, view);
  co_await run(op, rt);
  co_return routing::ticket_result_of(op);
}

ticket_store::result<routing::ticket_result> ticket_store::patch(
    const runtime& rt, std::string_view id, std::optional<std::int64_t> if_match,
    const routing::patch_request& r, routing::idempotency idem) {
  auto op = routing::patch_operation(rt.plan, id, if_match, r, now(), idem);
  co_await run(op, rt);
  co_return routing::ticket_result_of(op);
}

ticket_store::result<routing::pulled> ticket_store::next(const runtime& rt, std::string_view agent,
                                                         routing::idempotency idem) {
  auto op = routing::next_operation(rt.plan, agent, now(), idem);
  co_await run(op, rt);
  co_return routing::next_result_of(op);
}

namespace {

routing::outcome<routing::agent_result> agent_result_of(
    std::string_view id, const routing::outcome<routing::call_outcome>& out) {
  if (!out) return out.error();
  auto a = routing::decode_agent_reply(id, out->reply);
  if (a) a->replayed = out->replayed;
  return a;
}

}  // namespace

ticket_store::result<routing::agent_result> ticket_store::put_agent(const runtime& rt,
                                                                    std::string_view id,
                                                                    const routing::agent_request& r,
                                                                    routing::idempotency idem) {
  auto cmd = rt.plan.put_agent(id, r, now(), idem);
  if (!cmd) co_return cmd.error();
  auto out = co_await call(rt, std::move(*cmd), idem);
  co_return agent_result_of(id, out);
}

ticket_store::result<routing::explanation> ticket_store::explain(const runtime& rt,
                                                                 std::string_view id,
                                                                 std::size_t limit) {
  auto out = co_await call(rt, routing::explain_call(rt.plan.base(now()), id, limit));
  if (!out) co_return out.error();
  co_return routing::decode_explain(id, out->reply);
}

ticket_store::result<routing::agent_result> ticket_store::get_agent(const runtime& rt,
                                                                    std::string_view id) {
  auto out = co_await call(rt, routing::agent_get_call(rt.plan.base(now()), id));
  co_return agent_result_of(id, out);
}

ticket_store::result<routing::agent_page> ticket_store::list_agents(
    const runtime& rt, const routing::agent_filter& f) {
  auto out = co_await call(rt, routing::agent_list_call(rt.plan.base(now()), f));
  if (!out) co_return out.error();
  co_return routing::decode_agent_list(out->reply);
}

ticket_store::result<routing::agent_result> ticket_store::set_agent_status(
    const runtime& rt, std::string_view id, routing::agent_status status, routing::idempotency idem,
    std::string_view channel) {
  auto out = co_await call(
      rt, routing::agent_status_call(rt.plan.base(now(), idem), id, status, channel), idem);
  co_return agent_result_of(id, out);
}

ticket_store::result<routing::agent_result> ticket_store::agent_ready(const runtime& rt,
                                                                      std::string_view id,
                                                                      routing::idempotency idem) {
  auto out = co_await call(rt, routing::agent_ready_call(rt.plan.base(now(), idem), id), idem);
  co_return agent_result_of(id, out);
}

ticket_store::result<routing::agent_result> ticket_store::agent_presence(
    const runtime& rt, std::string_view id, int connections,
    std::optional<routing::agent_status> status) {
  // A connection's count is no client's acknowledged write: no wait for replicas (a shortfall
  // would leave a +1 counted but taken as failed).
  auto out = co_await call(
      rt, routing::agent_presence_call(rt.plan.base(now()), id, connections, status), {}, false);
  co_return agent_result_of(id, out);
}

ticket_store::result<std::vector<stream_event>> ticket_store::events_after(const runtime& rt,
                                                                           std::string_view after,
                                                                           std::size_t count) {
  auto reply =
      co_await send(rt.keys.slot(), std::move(routing::command{"XRANGE"}
                                                  .arg(rt.keys.key(routing::key_part::events))
                                                  .arg("(" + std::string{after})
                                                  .arg("+")
                                                  .arg("COUNT")
                                                  .arg(count)));
  if (!reply) co_return reply.error();
  if (reply->is_error()) co_return routing::make_error(errc::internal, reply->str);
  co_return decode_entries(*reply);
}

ticket_store::result<std::string> ticket_store::last_event_id(const runtime& rt) {
  const auto query = newest_entry_query(rt.keys.key(routing::key_part::events));
  auto reply = co_await send(rt.keys.slot(), query);
  if (!reply) co_return reply.error();
  if (reply->is_error()) co_return routing::make_error(errc::internal, reply->str);
  co_return newest_stream_id(*reply);
}

ticket_store::result<bool> ticket_store::put_stream_token(const runtime& rt, std::string_view token,
                                                          std::string_view grant,
                                                          std::chrono::milliseconds ttl) {
  auto reply = co_await send(rt.keys.slot(),
                             std::move(routing::command{"SET"}
                                           .arg(rt.keys.key(routing::key_part::stream_token, token))
                                           .arg(grant)
                                           .arg("PX")
                                           .arg(static_cast<std::int64_t>(ttl.count()))
                                           .arg("NX")));
  if (!reply) co_return reply.error();
  if (reply->is_error()) co_return routing::make_error(errc::internal, reply->str);
  co_return !reply->is_nil();
}

ticket_store::result<std::string> ticket_store::take_stream_token(const runtime& rt,
                                                                  std::string_view token) {
  auto reply = co_await send(rt.keys.slot(), std::move(routing::command{"GETDEL"}.arg(rt.keys.key(
                                                 routing::key_part::stream_token, token))));
  if (!reply) co_return reply.error();
  if (reply->is_error()) co_return routing::make_error(errc::internal, reply->str);
  co_return reply->is_string() ? std::move(reply->str) : std::string{};
}

ticket_store::result<routing::queue_stats> ticket_store::queue_stats_of(
    const runtime& rt, const std::vector<std::string>& names) {
  auto out = co_await call(rt, routing::queue_stats_call(rt.plan.base(now()), names));
  if (!out) co_return out.error();
  co_return routing::decode_queue_stats(names, out->reply);
}

ticket_store::result<routing::queue_stats> ticket_store::queue_stats(
    const runtime& rt, std::optional<std::chrono::milliseconds> timeout) {
  if (!timeout) co_return co_await queue_stats_of(rt, rt.queue_names);
  // A scrape with its own deadline does not retry after a failure: it answers without the
  // gauges instead. Settings not stored yet (a workspace's first call) are stored first.
  const auto cmd = routing::queue_stats_call(rt.plan.base(now()), rt.queue_names);
  auto reply = co_await send(rt.keys.slot(), cmd, timeout);
  if (!reply) co_return reply.error();
  if (auto e = routing::reply_error(*reply); e && e->code == errc::unconfigured) {
    auto stored = co_await configure(rt);
    if (!stored) co_return stored.error();
    reply = co_await send(rt.keys.slot(), cmd, timeout);
    if (!reply) co_return reply.error();
  }
  co_return routing::decode_queue_stats(rt.queue_names, *reply);
}

ticket_store::result<routing::queue_head> ticket_store::queue_head(const runtime& rt,
                                                                   std::string_view queue,
                                                                   std::size_t limit) {
  auto out = co_await call(rt, routing::queue_head_call(rt.plan.base(now()), queue, limit));
  if (!out) co_return out.error();
  co_return routing::decode_queue_head(out->reply);
}

ticket_store::result<routing::verify_report> ticket_store::verify(const runtime& rt) {
  auto out = co_await call(rt, routing::verify_call(rt.plan.base(now()), rt.queue_names));
  if (!out) co_return out.error();
  co_return routing::decode_verify(out->reply);
}

ticket_store::result<routing::tick_result> ticket_store::tick(const runtime& rt,
                                                              std::size_t limit) {
  // Timers fired are no client's acknowledged write (a failover that lost them fires them
  // again): no wait for replicas.
  auto out = co_await call(rt, routing::tick_call(rt.plan.base(now()), limit), {}, false);
  if (!out) co_return out.error();
  co_return routing::decode_tick(out->reply);
}

ticket_store::result<std::int64_t> ticket_store::configure(const runtime& rt) {
  auto reply = co_await send(rt.keys.slot(), routing::configure_call(rt.plan.base(now())));
  if (!reply) co_return reply.error();
  if (auto e = routing::reply_error(*reply)) co_return std::move(*e);
  co_return reply->integer;
}

ticket_store::result<std::int64_t> ticket_store::purge_workspace(std::string_view name,
                                                                 std::size_t batch) {
  const routing::keyspace keys{std::string{name}};
  // Workspace names hold no glob characters (they are ids), so the prefix matches itself.
  const std::string pattern = keys.prefix() + "*";
  // SCAN names no key, so a node that no longer serves the slot would find nothing there: a
  // keyed command first leads to the slot's primary (MOVED followed; 503 while it migrates).
  auto probe = co_await send(
      keys.slot(),
      std::move(routing::command{"EXISTS"}.arg(keys.key(routing::key_part::settings))));
  if (!probe) co_return probe.error();
  std::string cursor = "0";
  std::int64_t deleted = 0;
  do {
    auto page = co_await send(
        keys.slot(),
        std::move(routing::command{"SCAN"}.arg(cursor).arg("MATCH").arg(pattern).arg("COUNT").arg(
            static_cast<std::int64_t>(batch))));
    if (!page) co_return page.error();
    if (page->is_error() || page->elements.size() != 2) {
      co_return routing::make_error(errc::internal, "SCAN answered " + page->str);
    }
    cursor = page->elements[0].str;
    const auto& found = page->elements[1].elements;
    if (found.empty()) continue;
    routing::command unlink{"UNLINK"};
    for (const auto& k : found) unlink.arg(k.str);
    auto r = co_await send(keys.slot(), unlink);
    if (!r) co_return r.error();
    if (r->is_error()) co_return routing::make_error(errc::internal, "UNLINK answered " + r->str);
    deleted += r->integer;
  } while (cursor != "0");
  co_return deleted;
}

}  // namespace ticketd::daemon
