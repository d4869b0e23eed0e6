#include "tests/support/daemon_process.hpp"

#include <cstdlib>

#include <fstream>
#include <regex>
#include <stdexcept>

namespace ticketd::testing {

std::string ticketd_binary() {
  // Another build's binary, to run these tests against it (an earlier build, to see a new test
  // fail there): TICKETD_TEST_BINARY=/path/to/ticketd.
  if (const char* other = std::getenv("TICKETD_TEST_BINARY"); other != nullptr && *other != '\0') {
    return other;
  }
  return TICKETD_BINARY;
}

daemon_process::daemon_process(daemon_options options) : options_(std::move(options)) {
  config_file_ = dir_.path() / "ticketd.yaml";
  std::ofstream(config_file_) << options_.config;
  launch();
}

daemon_process::~daemon_process() {
  if (process_ && process_->running()) process_->terminate();
}

void daemon_process::launch() {
  std::vector<std::string> argv{ticketd_binary(), "--config", config_file_.string()};
  if (options_.manual_clock) {
    argv.emplace_back("--manual-clock");
    if (!options_.clock_start.empty()) {
      argv.emplace_back("--clock-start");
      argv.push_back(options_.clock_start);
    }
  }
  const auto log = dir_.path() / ("ticketd-" + std::to_string(++launches_) + ".log");
  process_ = std::make_unique<process>(argv, log, options_.env);
  const std::regex listening(R"(listening on http://[^ \n]+:(\d+))");
  std::smatch m;
  const bool up = eventually(
      [&] {
        const std::string text = process_->log();
        if (std::regex_search(text, m, listening)) {
          port_ = static_cast<std::uint16_t>(std::stoi(m[1].str()));
          return true;
        }
        return !process_->running();
      },
      std::chrono::seconds(20));
  if (!up || port_ == 0) {
    throw std::runtime_error("ticketd did not start: " + process_->log());
  }
  if (options_.wait_ready) {
    http_client probe(port_);
    if (!eventually([&] { return probe.get("/readyz").status == 200; }, std::chrono::seconds(20))) {
      throw std::runtime_error("ticketd did not become ready: " + process_->log());
    }
  }
}

void daemon_process::restart() {
  if (process_ && process_->running()) process_->terminate();
  port_ = 0;
  launch();
}

}  // namespace ticketd::testing
