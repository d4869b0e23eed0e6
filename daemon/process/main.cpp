// ticketd: command line, configuration, then the daemon (daemon/process/app.cpp).
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "config/loader.hpp"
#include "daemon/common/build_info.hpp"
#include "daemon/common/log.hpp"
#include "daemon/process/app.hpp"
#include "routing/time_format.hpp"
#include "simulate/cli.hpp"

namespace {

constexpr std::string_view usage =
    R"(usage: ticketd [--config FILE] [--manual-clock [--clock-start TIME]]
       ticketd --check-config FILE
       ticketd --version
       ticketd simulate --config FILE --workload FILE [...]   (ticketd simulate --help)

  --config FILE        the YAML configuration (without it: built-in defaults, embedded Redis)
  --check-config FILE  validate FILE; print every error as FILE:LINE:COL: key: message;
                       exit 0 when valid, 2 when not
  --manual-clock       tests only: time stands still and moves with POST /v1/admin/clock
  --clock-start TIME   with --manual-clock, the starting time (RFC 3339)
)";

ticketd::config::load_result load(const std::string& path) {
  if (path.empty()) return ticketd::config::load_config_text("", "<built-in defaults>");
  return ticketd::config::load_config_file(path);
}

int report(const ticketd::config::load_result& r) {
  for (const auto& w : r.warnings) std::cerr << "warning: " << w << "\n";
  for (const auto& e : r.errors) std::cerr << e.to_string() << "\n";
  return r.errors.empty() ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view{argv[1]} == "simulate") {
    std::vector<std::string_view> args(argv + 2, argv + argc);
    return ticketd::simulate::main(args);
  }
  std::string config_file;
  std::string check_file;
  bool checking = false;
  ticketd::daemon::app_options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) {
        std::cerr << arg << " needs a value\n" << usage;
        std::exit(2);
      }
      out = argv[++i];
    };
    if (arg == "--config") {
      value(config_file);
    } else if (arg == "--check-config") {
      value(check_file);
      checking = true;
    } else if (arg == "--manual-clock") {
      options.manual_clock = true;
    } else if (arg == "--clock-start") {
      std::string text;
      value(text);
      options.clock_start_ms = ticketd::routing::parse_rfc3339(text);
      if (!options.clock_start_ms) {
        std::cerr << "--clock-start: not an RFC 3339 time: " << text << "\n";
        return 2;
      }
    } else if (arg == "--version") {
      std::cout << "ticketd " << ticketd::daemon::build_version << " ("
                << ticketd::daemon::build_revision << ")\n";
      return 0;
    } else if (arg == "--help" || arg == "-h") {
      std::cout << usage;
      return 0;
    } else {
      std::cerr << "unknown argument: " << arg << "\n" << usage;
      return 2;
    }
  }
  if (checking) {
    const auto checked = load(check_file);
    const int rc = report(checked);
    if (rc == 0) {
      std::cout << check_file << ": ok";
      if (const auto n = checked.value->workspaces.size(); n > 0) {
        std::cout << " (and " << n << " workspace file" << (n == 1 ? "" : "s") << ")";
      }
      std::cout << "\n";
    }
    return rc;
  }
  auto loaded = load(config_file);
  if (report(loaded) != 0) {
    std::cerr << "ticketd: the configuration has errors; nothing started\n";
    return 2;
  }
  options.config_file = config_file;
  if (const char* fault = std::getenv("TICKETD_FAULT_INJECTION"); fault != nullptr) {
    options.fault_injection = fault;
  }
  return ticketd::daemon::run(options, std::move(loaded.value));
}
