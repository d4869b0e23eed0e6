// The HTTP server's bounds against real sockets: a client that never finishes its headers is
// dropped without holding up others, idle keep-alive connections close, headers over the limit
// get 431, connections over server.max_connections get 503, and requests waiting for a hung
// Redis are bounded by redis.max_pending (503 at once beyond it).
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/daemon_process.hpp"
#include "tests/support/redis_server.hpp"

namespace ticketd::testing {
namespace {

std::string config(const std::string& redis_url, const std::string& server_extra,
                   const std::string& redis_extra = "") {
  return "workspace: limits\n"
         "server:\n"
         "  listen: 127.0.0.1:0\n"
         "  threads: 1\n" +
         server_extra +
         "redis:\n"
         "  url: " +
         redis_url + "\n" + redis_extra +
         "queues: {general: {mode: pull}}\n"
         "defaults: {queue: general, priority: normal}\n";
}

daemon_options launch(std::string yaml) {
  daemon_options o;
  o.config = std::move(yaml);
  return o;
}

// A plain TCP connection the test drives byte by byte.
class raw_connection {
 public:
  explicit raw_connection(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("connect failed");
    }
  }
  ~raw_connection() { ::close(fd_); }

  void send(const std::string& bytes) {
    ASSERT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }

  // Everything the server sends until it closes the connection; nullopt if it is still open
  // after `wait` (the read timeout of a test that failed, not a pass condition).
  std::optional<std::string> read_until_closed(
      std::chrono::milliseconds wait = std::chrono::seconds(10)) {
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      const auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return out;
      out.append(buf, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_ = -1;
};

TEST(DaemonLimits, ClientThatNeverFinishesItsHeadersDoesNotBlockOthers) {
  // A read timeout no test reaches: the stalled client is open for the whole test.
  daemon_process d(launch(config(shared_redis().url(), "  read_timeout: 1h\n")));
  raw_connection slow(d.port());
  slow.send("POST /v1/tickets HTTP/1.1\r\nHost: ticketd\r\nContent-Le");
  // One worker thread serves both: the stalled client does not hold it. Had it held the
  // worker, these requests would never be answered.
  auto c = d.client();
  for (int i = 0; i < 20; ++i) ASSERT_EQ(c.get("/healthz").status, 200);
  EXPECT_FALSE(slow.read_until_closed(std::chrono::milliseconds(1)).has_value())
      << "the stalled connection was closed";
  EXPECT_EQ(d.terminate(), 0);
}

// "After", not before: the test above holds a stalled client open while its read timeout has
// not passed; this one only checks that it is dropped once the timeout has passed.
TEST(DaemonLimits, ClientThatNeverFinishesItsHeadersIsDroppedAfterTheReadTimeout) {
  daemon_process d(launch(config(shared_redis().url(), "  read_timeout: 300ms\n")));
  raw_connection slow(d.port());
  slow.send("POST /v1/tickets HTTP/1.1\r\nHost: ticketd\r\nContent-Le");
  const auto got = slow.read_until_closed();
  ASSERT_TRUE(got) << "the stalled connection is still open";
  EXPECT_EQ(*got, "");
  EXPECT_EQ(d.terminate(), 0);
}

TEST(DaemonLimits, IdleKeepAliveConnectionIsClosedAfterTheIdleTimeout) {
  daemon_process d(launch(config(shared_redis().url(), "  idle_timeout: 300ms\n")));
  raw_connection idle(d.port());
  idle.send("GET /healthz HTTP/1.1\r\nHost: ticketd\r\n\r\n");
  const auto got = idle.read_until_closed();
  ASSERT_TRUE(got) << "the idle connection is still open";
  EXPECT_NE(got->find("HTTP/1.1 200"), std::string::npos) << *got;
  EXPECT_EQ(d.terminate(), 0);
}

TEST(DaemonLimits, HeadersOverTheLimitGet431AndTheConnectionCloses) {
  daemon_process d(launch(config(shared_redis().url(), "  header_limit: 1KiB\n")));
  const auto got = d.client().raw("GET /healthz HTTP/1.1\r\nHost: ticketd\r\nX-Padding: " +
                                  std::string(2000, 'x') + "\r\n\r\n");
  EXPECT_NE(got.find("HTTP/1.1 431"), std::string::npos) << got;
  EXPECT_NE(got.find("payload_too_large"), std::string::npos) << got;
  EXPECT_EQ(d.client().get("/healthz").status, 200);
  EXPECT_EQ(d.terminate(), 0);
}

TEST(DaemonLimits, ConnectionsOverTheCapGet503UntilOneCloses) {
  daemon_process d(launch(config(shared_redis().url(), "  max_connections: 2\n")));
  auto first = std::make_unique<raw_connection>(d.port());
  auto second = d.client();
  ASSERT_EQ(second.get("/healthz").status, 200);  // two connections open now
  first->send("GET /healthz HTTP/1.1\r\nHost: ticketd\r\n\r\n");

  const auto refused = d.client().raw("");  // a third connection, answered before it asks
  EXPECT_NE(refused.find("HTTP/1.1 503"), std::string::npos) << refused;
  EXPECT_NE(refused.find("Retry-After: 1"), std::string::npos) << refused;
  EXPECT_NE(refused.find("connection limit"), std::string::npos) << refused;
  EXPECT_TRUE(
      eventually([&] { return d.log().find("server.max_connections") != std::string::npos; }));

  first.reset();  // one closes: a new connection is served again
  EXPECT_TRUE(eventually([&] {
    return d.client()
        .raw("GET /healthz HTTP/1.1\r\nHost: ticketd\r\nConnection: close\r\n\r\n")
        .starts_with("HTTP/1.1 200");
  }));
  EXPECT_EQ(d.terminate(), 0);
}

TEST(DaemonLimits, RequestsWaitingForAHungRedisAreBoundedByMaxPending) {
  redis_server redis;
  daemon_process d(
      launch(config(redis.url(), "", "  connections: 1\n  timeout: 1s\n  max_pending: 2\n")));
  redis.pause();
  constexpr int clients = 8;
  std::vector<http_reply> replies(clients);
  std::latch start(clients);
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] {
      auto c = d.client();
      start.arrive_and_wait();
      replies[static_cast<std::size_t>(i)] =
          c.post("/v1/tickets", R"({"id":"P-)" + std::to_string(i) + R"("})");
    });
  }
  for (auto& t : threads) t.join();
  redis.resume();

  int overloaded = 0;
  for (const auto& r : replies) {
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.error_code(), "unavailable") << r.body;
    EXPECT_FALSE(r.header("retry-after").empty());
    if (r.body.find("redis.max_pending") != std::string::npos) ++overloaded;
  }
  // At most two wait for the hung Redis; every other request is refused without waiting.
  EXPECT_GE(overloaded, clients - 2);

  // Redis answers again: the daemon serves without a restart, and nothing is half-done.
  auto c = d.client();
  EXPECT_TRUE(eventually([&] { return c.post("/v1/tickets", R"({"id":"after"})").status == 201; }));
  auto verify = c.get("/v1/admin/verify");
  EXPECT_EQ(verify.status, 200) << verify.body;
  EXPECT_EQ(d.terminate(), 0);
}

}  // namespace
}  // namespace ticketd::testing
