#include "daemon/runtime.hpp"

namespace ticketd::daemon {
namespace {

routing::call_settings settings_of(const config::config& cfg) {
  routing::call_settings s;
  s.counted.clear();
  static constexpr std::string_view names[] = {"queued",    "offered",  "assigned", "pending",
                                               "postponed", "resolved", "closed"};
  for (auto st : cfg.agents.counted_statuses) {
    if (!s.counted.empty()) s.counted.push_back(',');
    s.counted.append(names[static_cast<std::size_t>(st)]);
  }
  s.max_concurrent_default = cfg.agents.max_concurrent;
  s.events_max_len = cfg.events.max_len;
  s.closed_retention_ms = cfg.lifecycle.closed_retention.count();
  return s;
}

}  // namespace

runtime::runtime(std::shared_ptr<const config::config> config)
    : cfg(std::move(config)),
      keys(cfg->workspace),
      settings(settings_of(*cfg)),
      sla(*cfg),
      plan(*cfg, sla, keys, settings),
      affinity_wait_ms(cfg->lifecycle.affinity_wait.length.count()) {
  for (const auto& q : cfg->queues) queue_names.push_back(q.name);
}

}  // namespace ticketd::daemon
