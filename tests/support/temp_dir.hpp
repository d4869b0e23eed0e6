// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
#pragma once

#include <filesystem>
#include <string>

namespace ticketd::testing {

class temp_dir {
 public:
  explicit temp_dir(const std::string& stem = "ticketd-test");
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Waits until `condition` holds, checking every few milliseconds, for at most `limit`.
// Returns whether it held. The one way tests wait: on a condition, with a deadline.
template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds limit = std::chrono::seconds(10));

}  // namespace ticketd::testing

#include <chrono>
#include <thread>

template <class Condition>
bool ticketd::testing::eventually(Condition condition, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}
