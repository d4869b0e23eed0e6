// A child process started by a test, with its stdout and stderr in a log file; stopped with
// SIGTERM (or killed) and reaped on destruction.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ticketd::testing {

class process {
 public:
  process(std::vector<std::string> argv, std::filesystem::path log_file,
          std::vector<std::string> extra_env = {});
  ~process();
  process(const process&) = delete;
  process& operator=(const process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  // SIGTERM, then waits; the exit status (nullopt when it had to be killed).
  std::optional<int> terminate(std::chrono::milliseconds wait = std::chrono::seconds(20));
  void kill9();
  void signal(int sig);
  // The exit code once it has exited (waits up to `wait`).
  std::optional<int> wait_exit(std::chrono::milliseconds wait);

  std::string log() const;
  const std::filesystem::path& log_file() const { return log_file_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::filesystem::path log_file_;
};

}  // namespace ticketd::testing
