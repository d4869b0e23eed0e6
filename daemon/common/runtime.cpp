#include "daemon/common/runtime.hpp"

namespace ticketd::daemon {

runtime::runtime(std::shared_ptr<const config::config> config)
    : cfg(std::move(config)),
      keys(cfg->workspace),
      settings(routing::make_call_settings(*cfg)),
      sla(*cfg),
      plan(*cfg, sla, keys, settings),
      tokens(cfg->auth) {
  for (const auto& q : cfg->queues) queue_names.push_back(q.name);
}

}  // namespace ticketd::daemon
