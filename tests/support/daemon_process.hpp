// The real ticketd binary as a test runs it: a config written to a temp dir, `listen` on port 0,
// the bound port read from its log, stopped with SIGTERM (exit code checked) or killed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace ticketd::testing {

struct daemon_options {
  std::string config;  // YAML
  bool manual_clock = false;
  std::string clock_start;  // RFC 3339, with manual_clock
  std::vector<std::string> env;
  // Wait for /readyz 200 after start (false: tests of a daemon started without Redis).
  bool wait_ready = true;
};

class daemon_process {
 public:
  explicit daemon_process(daemon_options options);
  ~daemon_process();

  std::uint16_t port() const { return port_; }
  http_client client() const { return http_client(port_); }
  std::optional<int> terminate() { return process_->terminate(); }
  // After a signal already sent: the exit code, or nullopt when killed or still running.
  std::optional<int> wait_exit(std::chrono::milliseconds wait = std::chrono::seconds(20)) {
    return process_->wait_exit(wait);
  }
  void kill9() { process_->kill9(); }
  void signal(int sig) { process_->signal(sig); }
  bool running() { return process_->running(); }
  std::string log() const { return process_->log(); }
  const std::filesystem::path& config_file() const { return config_file_; }
  // Restarts the binary with the same config (same state_dir), e.g. after kill9().
  void restart();

 private:
  void launch();

  daemon_options options_;
  temp_dir dir_{"ticketd-daemon"};
  std::filesystem::path config_file_;
  std::unique_ptr<process> process_;
  std::uint16_t port_ = 0;
  int launches_ = 0;
};

// The path of the ticketd binary under test (set by CMake).
std::string ticketd_binary();

}  // namespace ticketd::testing
