// What a reload of one configuration into another would change, for the reload preview
// (POST /v1/admin/reload?dry_run=true): queues added, removed and changed (with the YAML keys
// that differ), and the settings a running process cannot take (they apply after a restart).
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace ticketd::config {

struct queue_change {
  std::string name;
  std::vector<std::string> keys;  // the queue's YAML keys whose values differ, in YAML order
};

struct config_changes {
  std::vector<std::string> queues_added;    // in the new file's order
  std::vector<std::string> queues_removed;  // in the running configuration's order
  std::vector<queue_change> queues_changed;
  std::vector<std::string> restart_required;  // setting names, e.g. server.listen
  // Workspace files (workspaces_dir) that come or go, by name; compared on main files.
  std::vector<std::string> workspaces_added;
  std::vector<std::string> workspaces_removed;
};

config_changes changes_between(const config& running, const config& next);

}  // namespace ticketd::config
