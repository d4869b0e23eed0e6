#include "config/changes.hpp"

#include <algorithm>
#include <iterator>

namespace ticketd::config {
namespace {

// Collects the names of the settings that differ, in the order they are checked.
struct differences {
  std::vector<std::string> names;
  void operator()(bool differs, const char* name) {
    if (differs) names.emplace_back(name);
  }
};

std::vector<std::string> queue_keys_changed(const queue_config& a, const queue_config& b) {
  differences changed;
  changed(a.mode != b.mode, "mode");
  changed(a.strategy != b.strategy, "strategy");
  changed(a.wait_weight != b.wait_weight, "wait_weight");
  changed(a.rank_offset != b.rank_offset, "rank_offset");
  changed(a.accept_timeout != b.accept_timeout, "accept_timeout");
  changed(a.reject_cooldown != b.reject_cooldown, "reject_cooldown");
  changed(a.away_on_timeout != b.away_on_timeout, "away_on_timeout");
  bool overflow = a.overflow.size() != b.overflow.size();
  for (std::size_t i = 0; !overflow && i < a.overflow.size(); ++i) {
    overflow = a.overflow[i].after != b.overflow[i].after || a.overflow[i].to != b.overflow[i].to;
  }
  changed(overflow, "overflow");
  changed(a.escalate_to != b.escalate_to, "escalate_to");
  return std::move(changed.names);
}

// Settings a reload cannot apply to a running process.
std::vector<std::string> restart_only_changes(const config& now, const config& next) {
  differences changed;
  const auto& a = now.server;
  const auto& b = next.server;
  changed(now.workspace != next.workspace, "workspace");
  changed(a.listen.host != b.listen.host || a.listen.port != b.listen.port, "server.listen");
  changed(a.threads != b.threads, "server.threads");
  changed(a.body_limit != b.body_limit, "server.body_limit");
  changed(a.header_limit != b.header_limit, "server.header_limit");
  changed(a.read_timeout != b.read_timeout, "server.read_timeout");
  changed(a.idle_timeout != b.idle_timeout, "server.idle_timeout");
  changed(a.max_connections != b.max_connections, "server.max_connections");
  changed(a.state_dir != b.state_dir, "server.state_dir");
  changed(a.shutdown_grace != b.shutdown_grace, "server.shutdown_grace");
  changed(a.cors_origins != b.cors_origins, "server.cors");
  const auto& r = now.redis;
  const auto& q = next.redis;
  changed(r.url != q.url || r.connections != q.connections || r.timeout != q.timeout ||
              r.max_pending != q.max_pending || r.server_binary != q.server_binary ||
              r.wait_replicas != q.wait_replicas || r.wait_timeout != q.wait_timeout,
          "redis");
  return std::move(changed.names);
}

}  // namespace

config_changes changes_between(const config& running, const config& next) {
  config_changes out;
  for (const auto& q : next.queues) {
    const auto* was = running.find_queue(q.name);
    if (was == nullptr) {
      out.queues_added.push_back(q.name);
    } else if (auto keys = queue_keys_changed(*was, q); !keys.empty()) {
      out.queues_changed.push_back({q.name, std::move(keys)});
    }
  }
  for (const auto& q : running.queues) {
    if (next.find_queue(q.name) == nullptr) out.queues_removed.push_back(q.name);
  }
  out.restart_required = restart_only_changes(running, next);
  // The names of both sorted, then one pass each (thousands of workspaces: no scan per name).
  const auto names = [](const config& main) {
    std::vector<std::string> out;
    for (const auto& w : main.workspaces) out.push_back(w->workspace);
    std::sort(out.begin(), out.end());
    return out;
  };
  const auto now = names(running);
  const auto then = names(next);
  std::set_difference(then.begin(), then.end(), now.begin(), now.end(),
                      std::back_inserter(out.workspaces_added));
  std::set_difference(now.begin(), now.end(), then.begin(), then.end(),
                      std::back_inserter(out.workspaces_removed));
  return out;
}

}  // namespace ticketd::config
