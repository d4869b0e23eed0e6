#include "daemon/common/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "routing/time_format.hpp"

namespace ticketd::daemon {
namespace {

std::atomic<int> threshold{static_cast<int>(log_level::info)};
std::mutex write_mutex;

std::string_view level_name(log_level level) {
  switch (level) {
    case log_level::debug:
      return "debug";
    case log_level::info:
      return "info";
    case log_level::warning:
      return "warning";
    case log_level::error:
      return "error";
  }
  return "info";
}

bool under_journal() {
  static const bool journal = std::getenv("JOURNAL_STREAM") != nullptr;
  return journal;
}

}  // namespace

void set_log_threshold(log_level most_verbose) {
  threshold.store(static_cast<int>(most_verbose), std::memory_order_relaxed);
}

void write_log(log_level level, std::string_view message) {
  if (static_cast<int>(level) > threshold.load(std::memory_order_relaxed)) return;
  std::string line;
  if (under_journal()) {
    line.append("<").append(std::to_string(static_cast<int>(level))).append(">");
  } else {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    routing::append_rfc3339(line, now.count());
    line.append(" ").append(level_name(level)).append(": ");
  }
  line.append(message).push_back('\n');
  std::lock_guard lock(write_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace ticketd::daemon
