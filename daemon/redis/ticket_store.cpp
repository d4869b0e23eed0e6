#include "daemon/redis/ticket_store.hpp"

#include <array>

#include "daemon/redis/redis_connection.hpp"

namespace ticketd::daemon {

using routing::errc;
using routing::outcome;
using routing::resp_value;

namespace {

// Another writer moving the same ticket between our read and our call is rare; a few rounds
// settle it, and a ticket that keeps moving gets a conflict the client can retry.
constexpr int max_stale_rounds = 5;

routing::error unavailable(const boost::system::error_code& ec) {
  return routing::make_error(errc::unavailable, "Redis is unavailable: " + ec.message());
}

bool lost_configuration(const resp_value& reply) {
  const auto e = routing::reply_error(reply);
  return e && e->code == errc::unconfigured;
}

}  // namespace

ticket_store::result<resp_value> ticket_store::send(
    const routing::command& cmd, std::optional<std::chrono::milliseconds> timeout) {
  redis_connection& redis = *redis_[next_++ % redis_.size()];
  auto r = co_await redis.exec(cmd, timeout);
  if (!r) co_return unavailable(r.error());
  co_return std::move(*r);
}

ticket_store::result<resp_value> ticket_store::call(
    const runtime& rt, const routing::command& cmd, std::string_view read_after, resp_value* read,
    std::optional<std::chrono::milliseconds> timeout) {
  for (int attempt = 0;; ++attempt) {
    resp_value reply;
    if (read_after.empty()) {
      auto r = co_await send(cmd, timeout);
      if (!r) co_return r.error();
      reply = std::move(*r);
    } else {
      const std::array<routing::command, 2> both{cmd,
                                                 routing::ticket_get_command(rt.keys, read_after)};
      redis_connection& redis = *redis_[next_++ % redis_.size()];
      auto replies = co_await redis.exec_all(both);
      for (auto& r : replies) {
        if (!r) co_return unavailable(r.error());
      }
      reply = std::move(*replies[0]);
      *read = std::move(*replies[1]);
    }
    if (attempt > 0 || !lost_configuration(reply)) co_return reply;
    auto stored = co_await configure(rt);
    if (!stored) co_return stored.error();
  }
}

ticket_store::result<routing::create_result> ticket_store::create(
    const runtime& rt, const routing::create_request& r) {
  auto plan = rt.plan.create(r, now());
  if (!plan) co_return plan.error();
  auto reply = co_await call(rt, plan->call);
  if (!reply) co_return reply.error();
  auto created = routing::decode_create(*reply);
  if (!created) co_return created.error();
  if (created->created) {
    created->value = std::move(plan->value);
    co_return std::move(*created);
  }
  // The same request again: answer with the ticket as it is now.
  auto current = co_await get(rt, r.id);
  if (!current) co_return current.error();
  created->value = std::move(*current);
  co_return std::move(*created);
}

ticket_store::result<routing::ticket> ticket_store::get(const runtime& rt, std::string_view id) {
  auto reply = co_await send(routing::ticket_get_command(rt.keys, id));
  if (!reply) co_return reply.error();
  co_return routing::decode_ticket_reply(id, *reply);
}

ticket_store::result<std::vector<routing::assignment>> ticket_store::remove(const runtime& rt,
                                                                            std::string_view id) {
  auto reply = co_await call(rt, routing::delete_call(rt.plan.base(now()), id));
  if (!reply) co_return reply.error();
  auto done = routing::decode_action(*reply);
  if (!done) co_return done.error();
  co_return std::move(done->assignments);
}

ticket_store::result<routing::ticket_result> ticket_store::act(const runtime& rt,
                                                               routing::ticket_action a,
                                                               std::string_view id,
                                                               std::optional<std::int64_t> if_match,
                                                               const routing::action_request& r) {
  const bool needs_snapshot = routing::planner::needs_snapshot(a);
  for (int round = 0; round < max_stale_rounds; ++round) {
    std::optional<routing::ticket> snapshot;
    if (needs_snapshot) {
      auto current = co_await get(rt, id);
      if (!current) co_return current.error();
      if (if_match && *if_match != current->version) {
        routing::error e = routing::make_error(errc::version_mismatch, {});
        e.details.emplace_back("version", std::to_string(current->version));
        co_return e;
      }
      snapshot = std::move(*current);
    }
    auto cmd = rt.plan.action(a, id, if_match, r, snapshot ? &*snapshot : nullptr, now());
    if (!cmd) co_return cmd.error();
    resp_value after;
    auto reply = co_await call(rt, *cmd, id, &after);
    if (!reply) co_return reply.error();
    auto done = routing::decode_action(*reply);
    if (done) {
      auto t = routing::decode_ticket_reply(id, after);
      if (!t) co_return t.error();
      co_return routing::ticket_result{std::move(*t), std::move(done->assignments)};
    }
    if (done.error().code != errc::stale) co_return done.error();
  }
  co_return routing::make_error(errc::stale, {});
}

ticket_store::result<std::optional<routing::ticket_result>> ticket_store::next(
    const runtime& rt, std::string_view agent) {
  auto reply = co_await call(rt, routing::next_call(rt.plan.base(now()), agent));
  if (!reply) co_return reply.error();
  auto picked = routing::decode_next(*reply);
  if (!picked) co_return picked.error();
  if (!picked->id) co_return std::optional<routing::ticket_result>{};
  // The function chose the ticket, so its id is only known now: one more round trip, which
  // costs Redis less than passing the hash through Lua.
  auto t = co_await get(rt, *picked->id);
  if (!t) co_return t.error();
  co_return std::optional<routing::ticket_result>{
      routing::ticket_result{std::move(*t), std::move(picked->assignments)}};
}

ticket_store::result<routing::agent_result> ticket_store::put_agent(
    const runtime& rt, std::string_view id, const routing::agent_request& r) {
  auto cmd = rt.plan.put_agent(id, r, now());
  if (!cmd) co_return cmd.error();
  auto reply = co_await call(rt, *cmd);
  if (!reply) co_return reply.error();
  co_return routing::decode_agent_reply(id, *reply);
}

ticket_store::result<routing::agent_result> ticket_store::get_agent(const runtime& rt,
                                                                    std::string_view id) {
  auto reply = co_await call(rt, routing::agent_get_call(rt.plan.base(now()), id));
  if (!reply) co_return reply.error();
  co_return routing::decode_agent_reply(id, *reply);
}

ticket_store::result<routing::agent_result> ticket_store::set_agent_status(
    const runtime& rt, std::string_view id, routing::agent_status status) {
  auto reply = co_await call(rt, routing::agent_status_call(rt.plan.base(now()), id, status));
  if (!reply) co_return reply.error();
  co_return routing::decode_agent_reply(id, *reply);
}

ticket_store::result<routing::agent_result> ticket_store::agent_presence(
    const runtime& rt, std::string_view id, int connections,
    std::optional<routing::agent_status> status) {
  auto reply =
      co_await call(rt, routing::agent_presence_call(rt.plan.base(now()), id, connections, status));
  if (!reply) co_return reply.error();
  co_return routing::decode_agent_reply(id, *reply);
}

ticket_store::result<std::vector<stream_event>> ticket_store::events_after(const runtime& rt,
                                                                           std::string_view after,
                                                                           std::size_t count) {
  auto reply = co_await send(std::move(routing::command{"XRANGE"}
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
  auto reply = co_await send(query);
  if (!reply) co_return reply.error();
  if (reply->is_error()) co_return routing::make_error(errc::internal, reply->str);
  co_return newest_stream_id(*reply);
}

ticket_store::result<routing::queue_stats> ticket_store::queue_stats(
    const runtime& rt, std::optional<std::chrono::milliseconds> timeout) {
  auto reply = co_await call(rt, routing::queue_stats_call(rt.plan.base(now()), rt.queue_names), {},
                             nullptr, timeout);
  if (!reply) co_return reply.error();
  co_return routing::decode_queue_stats(rt.queue_names, *reply);
}

ticket_store::result<routing::queue_head> ticket_store::queue_head(const runtime& rt,
                                                                   std::string_view queue,
                                                                   std::size_t limit) {
  auto reply = co_await call(rt, routing::queue_head_call(rt.plan.base(now()), queue, limit));
  if (!reply) co_return reply.error();
  co_return routing::decode_queue_head(*reply);
}

ticket_store::result<routing::verify_report> ticket_store::verify(const runtime& rt) {
  auto reply = co_await call(rt, routing::verify_call(rt.plan.base(now()), rt.queue_names));
  if (!reply) co_return reply.error();
  co_return routing::decode_verify(*reply);
}

ticket_store::result<routing::tick_result> ticket_store::tick(const runtime& rt,
                                                              std::size_t limit) {
  auto reply = co_await call(rt, routing::tick_call(rt.plan.base(now()), limit));
  if (!reply) co_return reply.error();
  co_return routing::decode_tick(*reply);
}

ticket_store::result<std::int64_t> ticket_store::configure(const runtime& rt) {
  auto reply = co_await send(routing::configure_call(rt.plan.base(now())));
  if (!reply) co_return reply.error();
  if (auto e = routing::reply_error(*reply)) co_return std::move(*e);
  co_return reply->integer;
}

}  // namespace ticketd::daemon
