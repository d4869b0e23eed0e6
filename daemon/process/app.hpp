// The ticketd process: wires configuration, the embedded Redis, worker threads (one
// io_context, Redis connection(s) and ticket_store each), the HTTP server, the timers loop,
// signals (SIGTERM/SIGINT drain and exit 0, SIGHUP reloads) and systemd notifications.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>

#include "config/config.hpp"

namespace ticketd::daemon {

struct app_options {
  std::filesystem::path config_file;  // empty: built-in defaults (reload re-reads nothing)
  bool manual_clock = false;          // tests: time moves only through POST /v1/admin/clock
  std::optional<std::int64_t> clock_start_ms;
  // Tests only: the long-lived task of this name throws when it starts (TICKETD_FAULT_INJECTION),
  // to see the daemon stop loudly.
  std::string fault_injection;
};

// Runs until SIGTERM/SIGINT; returns the process exit code.
int run(const app_options& options, std::shared_ptr<const config::config> cfg);

}  // namespace ticketd::daemon
