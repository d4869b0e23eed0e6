// The real daemon under systemd's notification protocol: a datagram socket stands in for systemd
// (NOTIFY_SOCKET, WATCHDOG_USEC) and receives READY/STATUS/WATCHDOG/RELOADING/STOPPING.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "daemon/process/systemd_notifier.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/redis_server.hpp"

namespace ticketd::testing {
namespace {

// What systemd would receive: every datagram sent to the socket, one message each.
class notify_socket {
 public:
  explicit notify_socket(std::filesystem::path path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("cannot bind " + path_.string());
    }
    timeval tv{0, 50'000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~notify_socket() { ::close(fd_); }

  // Receives until `done` holds for the messages so far, or `wait` passed.
  template <typename Done>
  bool wait_until(Done done, std::chrono::milliseconds wait = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (!done(messages_)) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      char buf[4096];
      const auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n > 0) messages_.emplace_back(buf, static_cast<std::size_t>(n));
    }
    return true;
  }

  // Waits for a message containing `text`, later than the first `after` messages; its index.
  std::optional<std::size_t> next(const std::string& text, std::size_t after = 0) {
    std::optional<std::size_t> found;
    wait_until([&](const std::vector<std::string>& m) {
      for (std::size_t i = after; i < m.size(); ++i) {
        if (m[i].find(text) != std::string::npos) {
          found = i;
          return true;
        }
      }
      return false;
    });
    return found;
  }

  const std::vector<std::string>& messages() const { return messages_; }
  std::string dump() const {
    std::string out;
    for (const auto& m : messages_) out += "[" + m + "] ";
    return out;
  }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::vector<std::string> messages_;
};

std::string config(const std::string& redis_url) {
  return "workspace: notify\n"
         "server: {listen: 127.0.0.1:0, threads: 2}\n"
         "redis: {url: " +
         redis_url +
         ", timeout: 500ms}\n"
         "queues: {general: {mode: pull}}\n"
         "defaults: {queue: general, priority: normal}\n";
}

class SystemdNotify : public ::testing::Test {
 protected:
  void start() {
    const std::vector<std::string> env{"NOTIFY_SOCKET=" + (dir_.path() / "notify.sock").string(),
                                       "WATCHDOG_USEC=200000"};
    daemon_ =
        std::make_unique<daemon_process>(daemon_options{config(redis_.url()), false, "", env});
  }

  temp_dir dir_{"ticketd-notify"};
  notify_socket systemd_{dir_.path() / "notify.sock"};
  redis_server redis_;
  std::unique_ptr<daemon_process> daemon_;
};

TEST_F(SystemdNotify, ReadyStatusAndWatchdogPingsFromEveryLoop) {
  start();
  const auto ready = systemd_.next("READY=1");
  ASSERT_TRUE(ready) << systemd_.dump();
  ASSERT_TRUE(systemd_.next("STATUS=serving on 127.0.0.1:" + std::to_string(daemon_->port()) +
                            "; Redis ready (2/2 connections)"))
      << systemd_.dump();
  // Pings every 100 ms (half of WATCHDOG_USEC), and they keep coming.
  ASSERT_TRUE(systemd_.wait_until([](const auto& m) {
    return std::count(m.begin(), m.end(), "WATCHDOG=1") >= 5;
  })) << systemd_.dump();
  EXPECT_NE(daemon_->log().find("systemd watchdog: pinging every 100 ms"), std::string::npos);
  EXPECT_EQ(daemon_->terminate(), 0);
}

TEST_F(SystemdNotify, StatusFollowsRedisAndNamesWhatToCheck) {
  start();
  ASSERT_TRUE(systemd_.next("Redis ready")) << systemd_.dump();
  redis_.stop();
  const auto down = systemd_.next(
      "STATUS=Redis not answering (0/2 connections ready): requests get "
      "503; check redis.url unix://");
  ASSERT_TRUE(down) << systemd_.dump();
  redis_.start();
  ASSERT_TRUE(systemd_.next("Redis ready (2/2 connections)", *down)) << systemd_.dump();
  EXPECT_EQ(daemon_->terminate(), 0);
}

TEST_F(SystemdNotify, SighupReloadsBetweenReloadingAndReadyAndIsCounted) {
  start();
  const auto ready = systemd_.next("READY=1");
  ASSERT_TRUE(ready) << systemd_.dump();
  daemon_->signal(SIGHUP);
  const auto reloading = systemd_.next("RELOADING=1", *ready + 1);
  ASSERT_TRUE(reloading) << systemd_.dump();
  EXPECT_NE(systemd_.messages()[*reloading].find("MONOTONIC_USEC="), std::string::npos);
  ASSERT_TRUE(systemd_.next("READY=1", *reloading + 1)) << systemd_.dump();
  auto c = daemon_->client();
  EXPECT_EQ(
      metric_value(c.get("/metrics").body, R"(ticketd_config_reloads_total{result="success"})"), 1);

  // A broken file: refused, counted, and the daemon reports itself ready again on the old one.
  std::ofstream(daemon_->config_file())
      << "workspace: notify\nqueues: {general: {mode: sideways}}\n";
  const auto before = systemd_.messages().size();
  daemon_->signal(SIGHUP);
  const auto again = systemd_.next("RELOADING=1", before);
  ASSERT_TRUE(again) << systemd_.dump();
  ASSERT_TRUE(systemd_.next("READY=1", *again + 1)) << systemd_.dump();
  EXPECT_EQ(
      metric_value(c.get("/metrics").body, R"(ticketd_config_reloads_total{result="failure"})"), 1);
  EXPECT_EQ(c.get("/readyz").status, 200);
  EXPECT_EQ(daemon_->terminate(), 0);
}

TEST_F(SystemdNotify, SigtermSendsStoppingWithAStatus) {
  start();
  ASSERT_TRUE(systemd_.next("READY=1")) << systemd_.dump();
  daemon_->signal(SIGTERM);
  EXPECT_TRUE(systemd_.next("STOPPING=1\nSTATUS=stopping: finishing requests in flight"))
      << systemd_.dump();
  EXPECT_EQ(daemon_->wait_exit(), 0);
}

// The notifier in this process: its environment set for the test only.
class SystemdNotifier : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("NOTIFY_SOCKET", (dir_.path() / "notify.sock").c_str(), 1);
    ::setenv("WATCHDOG_USEC", "200000", 1);
  }
  void TearDown() override {
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
  }

  temp_dir dir_{"ticketd-notifier"};
  notify_socket systemd_{dir_.path() / "notify.sock"};
};

TEST_F(SystemdNotifier, TheStoppingStatusStaysWhileThePingsGoOn) {
  boost::asio::io_context io;
  daemon::systemd_notifier notifier(io, {&io}, [] { return std::string("serving"); });
  notifier.start();
  std::thread loop([&] { io.run(); });
  ASSERT_TRUE(systemd_.next("STATUS=serving")) << systemd_.dump();
  boost::asio::post(io, [&] { notifier.stopping("stopping: finishing requests in flight"); });
  const auto stopping = systemd_.next("STOPPING=1");
  ASSERT_TRUE(stopping) << systemd_.dump();
  // Checks every 100 ms go on (three pings), and none puts the serving line back.
  ASSERT_TRUE(systemd_.wait_until([&](const std::vector<std::string>& m) {
    return std::count(m.begin() + static_cast<std::ptrdiff_t>(*stopping), m.end(), "WATCHDOG=1") >=
           3;
  })) << systemd_.dump();
  const auto& m = systemd_.messages();
  EXPECT_EQ(
      std::count(m.begin() + static_cast<std::ptrdiff_t>(*stopping), m.end(), "STATUS=serving"), 0)
      << systemd_.dump();
  boost::asio::post(io, [&] {
    notifier.stop();
    io.stop();
  });
  loop.join();
}

}  // namespace
}  // namespace ticketd::testing
