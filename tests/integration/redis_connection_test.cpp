// The Redis connection on its own, against a real redis-server: reconnecting after Redis comes
// back.
#include "daemon/redis/redis_connection.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "tests/support/redis_server.hpp"

namespace ticketd::testing {
namespace {

namespace asio = boost::asio;

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

}  // namespace
}  // namespace ticketd::testing
