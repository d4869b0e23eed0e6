#include <charconv>

#include "routing/functions.hpp"
#include "routing/status.hpp"

namespace ticketd::routing {
namespace {

// config::status_kind lists the statuses in ticket_status's order (checked below).
std::string_view status_name(config::status_kind s) {
  static_assert(static_cast<int>(config::status_kind::closed) ==
                static_cast<int>(ticket_status::closed));
  return to_string(static_cast<ticket_status>(s));
}

std::string_view strategy_name(config::push_strategy s) {
  switch (s) {
    case config::push_strategy::least_loaded:
      return "least_loaded";
    case config::push_strategy::longest_idle:
      return "longest_idle";
    case config::push_strategy::round_robin:
      return "round_robin";
  }
  return "least_loaded";
}

// mode;strategy;accept_ms;cooldown_ms;away;after_ms>queue,...
std::string queue_policy(const config::queue_config& q) {
  std::string out = q.mode == config::queue_mode::push ? "push" : "pull";
  out.append(";").append(strategy_name(q.strategy));
  out.append(";").append(std::to_string(q.accept_timeout ? q.accept_timeout->count() : 0));
  out.append(";").append(std::to_string(q.reject_cooldown.count()));
  out.append(";").append(q.away_on_timeout ? "1" : "0").append(";");
  for (std::size_t i = 0; i < q.overflow.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append(std::to_string(q.overflow[i].after.count())).append(">").append(q.overflow[i].to);
  }
  return out;
}

std::string digest(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::uint64_t h = 14695981039346656037ULL;
  for (const auto& [name, value] : fields) {
    for (const auto& part : {std::string_view{name}, std::string_view{value}}) {
      for (unsigned char ch : part) {
        h ^= ch;
        h *= 1099511628211ULL;
      }
      h ^= 0xff;
      h *= 1099511628211ULL;
    }
  }
  char buf[17];
  const auto r = std::to_chars(buf, buf + sizeof buf, h, 16);
  return std::string(buf, r.ptr);
}

}  // namespace

call_settings make_call_settings(const config::config& cfg) {
  call_settings s;
  std::string counted;
  for (auto st : cfg.agents.counted_statuses) {
    if (!counted.empty()) counted.push_back(',');
    counted.append(status_name(st));
  }
  bool any_push = false;
  for (const auto& q : cfg.queues) any_push = any_push || q.mode == config::queue_mode::push;
  s.fields = {
      {"counted", counted},
      {"max", std::to_string(cfg.agents.max_concurrent)},
      {"maxlen", std::to_string(cfg.events.max_len)},
      {"retention", std::to_string(cfg.lifecycle.closed_retention.count())},
      {"affinity", std::to_string(cfg.lifecycle.affinity_wait.length.count())},
      {"customer", std::to_string(cfg.lifecycle.customer_affinity.count())},
      {"customer_wait", std::to_string(cfg.lifecycle.customer_affinity_wait.count())},
      {"push", any_push ? "1" : "0"},
      {"warn", std::to_string(cfg.sla.warn_before.count())},
      // The library's caches are per Redis server (all its databases share one library).
      {"db", std::to_string(cfg.redis.db)},
  };
  for (const auto& q : cfg.queues) s.fields.emplace_back("q:" + q.name, queue_policy(q));
  // A positive rank offset puts a ticket's rank after its due time: the at-risk count
  // (queue_stats) reads that much further.
  for (const auto& q : cfg.queues) {
    if (q.rank_offset.count() > 0) {
      s.fields.emplace_back("ro:" + q.name, std::to_string(q.rank_offset.count()));
    }
  }
  // Channels: capacity in units (include/configuration.lua). Absent: version 1 counting.
  if (!cfg.channels.empty()) {
    s.fields.emplace_back("capacity", std::to_string(cfg.agents.capacity));
    for (const auto& ch : cfg.channels) {
      s.fields.emplace_back("ch:" + ch.name, std::to_string(ch.cost) + ";" +
                                                 std::to_string(ch.wrap_up.count()) + ";" +
                                                 std::to_string(ch.max_per_agent));
    }
  }
  if (cfg.agents.missed_offers_away > 0) {
    s.fields.emplace_back("missed", std::to_string(cfg.agents.missed_offers_away));
  }
  if (cfg.agents.offline_return_after.count() > 0) {
    s.fields.emplace_back("offline_return",
                          std::to_string(cfg.agents.offline_return_after.count()));
  }
  if (cfg.lifecycle.assigned_return_after.count() > 0) {
    s.fields.emplace_back("no_reply", std::to_string(cfg.lifecycle.assigned_return_after.count()));
  }
  s.epoch = digest(s.fields);
  return s;
}

}  // namespace ticketd::routing
