// The Redis connection on its own, against a real redis-server: reconnecting after Redis comes
// back, and what a hung Redis does to requests (sent or never sent).
#include "daemon/redis/redis_connection.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "tests/support/redis_client.hpp"
#include "tests/support/redis_server.hpp"

namespace ticketd::testing {
namespace {

namespace asio = boost::asio;

// Runs one command and notes how it failed, if it did (a coroutine's parameters live in its frame;
// a lambda's captures would not).
asio::awaitable<void> exec_into(daemon::redis_connection& conn, routing::command cmd,
                                std::optional<boost::system::error_code>& failed,
                                std::atomic<int>& finished) {
  auto r = co_await conn.exec(cmd);
  if (!r) failed = r.error();
  ++finished;
}

class RedisConnection : public ::testing::Test {
 protected:
  // A connection whose reconnect backoff is ten minutes: it reconnects sooner only when told.
  daemon::redis_connection_options options() const {
    daemon::redis_connection_options o;
    o.endpoint.kind = config::redis_kind::unix_socket;
    o.endpoint.url = redis_.url();
    o.endpoint.socket = redis_.socket();
    o.connect_backoff_min = std::chrono::minutes(10);
    o.connect_backoff_max = std::chrono::minutes(10);
    return o;
  }

  void TearDown() override {
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  void run() {
    thread_ = std::thread([this] { io_.run(); });
  }

  // Stops the connection on its own thread, then that thread.
  void finish(daemon::redis_connection& conn) {
    asio::post(io_, [&] {
      conn.stop();
      io_.stop();
    });
    thread_.join();
  }

  redis_server redis_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  std::thread thread_;
};

TEST_F(RedisConnection, RetryNowEndsTheReconnectBackoffOnceRedisIsBack) {
  daemon::redis_connection conn(io_.get_executor(), options(), nullptr);
  conn.start();
  run();
  ASSERT_TRUE(eventually([&] { return conn.ready(); }));
  redis_.stop();
  ASSERT_TRUE(eventually([&] { return !conn.ready(); }));
  redis_.start();
  // Left alone, the connection would wait out its ten minutes; told, it reconnects now.
  conn.retry_now();
  EXPECT_TRUE(eventually([&] { return conn.ready(); }));
  finish(conn);
}

TEST_F(RedisConnection, RetryNowDuringAConnectAttemptSkipsTheBackoffItsFailureStarts) {
  daemon::redis_connection conn(io_.get_executor(), options(), nullptr);
  int attempts = 0;
  // The first handshake is told to retry now, lets that wake run while the attempt is still
  // under way, then fails: the wake came before the backoff wait began, and must not be lost
  // (left alone, the connection would wait ten minutes).
  conn.set_on_connect([&]() -> asio::awaitable<boost::system::error_code> {
    if (++attempts > 1) co_return boost::system::error_code{};
    conn.retry_now();
    auto ex = co_await asio::this_coro::executor;
    co_await asio::post(ex, asio::use_awaitable);
    co_return daemon::make_error_code(daemon::redis_errc::protocol);
  });
  conn.start();
  run();
  EXPECT_TRUE(eventually([&] { return conn.ready(); }));
  finish(conn);
  EXPECT_EQ(attempts, 2);
}

// A hung Redis (SIGSTOP) takes bytes until the socket's buffers fill: a request the writer took
// is written and may run when Redis resumes (timeout: may_have_run); one still waiting behind it
// when its deadline passes is never sent (expired), and does not run when Redis resumes.
TEST_F(RedisConnection, ARequestWhoseDeadlinePassesBeforeItIsWrittenIsNeverSent) {
  auto o = options();
  o.endpoint.timeout = std::chrono::milliseconds(300);
  o.stall_limit = std::chrono::minutes(10);  // the written request is to finish on resuming
  daemon::redis_connection conn(io_.get_executor(), o, nullptr);
  conn.start();
  run();
  ASSERT_TRUE(eventually([&] { return conn.ready(); }));
  redis_.pause();
  // More than the socket buffers hold: the writer is still writing it when the marker queues.
  const std::string big(32 * 1024 * 1024, 'x');
  std::atomic<int> finished{0};
  std::optional<boost::system::error_code> big_error, marker_error;
  asio::post(io_, [&] {
    asio::co_spawn(
        io_,
        exec_into(conn, std::move(routing::command{"SET"}.arg("ticketd-test-big").arg(big)),
                  big_error, finished),
        asio::detached);
    asio::co_spawn(
        io_,
        exec_into(conn, std::move(routing::command{"SET"}.arg("ticketd-test-marker").arg("1")),
                  marker_error, finished),
        asio::detached);
  });
  ASSERT_TRUE(eventually([&] { return finished.load() == 2; }));
  ASSERT_TRUE(big_error && marker_error);
  EXPECT_EQ(*big_error, daemon::redis_errc::timeout);
  EXPECT_TRUE(daemon::may_have_run(*big_error));
  EXPECT_EQ(*marker_error, daemon::redis_errc::expired);
  EXPECT_FALSE(daemon::may_have_run(*marker_error));
  // With a written request unanswered past its deadline the connection is not ready.
  EXPECT_TRUE(eventually([&] { return !conn.ready(); }));
  redis_.resume();
  // The rest of the written request goes out and Redis runs it; its answer makes the
  // connection ready again. The marker never went out.
  ASSERT_TRUE(eventually([&] { return conn.ready(); }));
  redis_client check(redis_.socket());
  EXPECT_EQ(check.command({"EXISTS", "ticketd-test-big"}).integer, 1);
  EXPECT_EQ(check.command({"EXISTS", "ticketd-test-marker"}).integer, 0);
  finish(conn);
}

// A connection whose written request stays unanswered past the stall limit is dropped and made
// again: a stalled connection sends nothing, so a peer gone without a reset would go unnoticed.
// Counts the connection's ups and downs.
struct state_counter final : daemon::redis_observer {
  void round_trip(std::chrono::nanoseconds) override {}
  void failed(daemon::redis_errc) override {}
  void connection_state(bool up) override { ++(up ? ups : downs); }
  std::atomic<int> ups{0};
  std::atomic<int> downs{0};
};

TEST_F(RedisConnection, AConnectionStalledPastItsLimitIsMadeAgain) {
  auto o = options();
  o.endpoint.timeout = std::chrono::milliseconds(200);
  o.stall_limit = std::chrono::milliseconds(500);
  o.connect_backoff_min = std::chrono::milliseconds(50);
  o.connect_backoff_max = std::chrono::milliseconds(100);
  state_counter states;
  daemon::redis_connection conn(io_.get_executor(), o, &states);
  conn.start();
  run();
  ASSERT_TRUE(eventually([&] { return conn.ready(); }));
  redis_.pause();  // the heartbeat's PING goes unanswered
  EXPECT_TRUE(eventually([&] { return states.downs.load() == 1; }))
      << "the stalled connection was never dropped";
  redis_.resume();
  EXPECT_TRUE(eventually([&] { return conn.ready() && states.ups.load() == 2; }));
  finish(conn);
}

}  // namespace
}  // namespace ticketd::testing
