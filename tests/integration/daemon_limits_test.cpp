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
#include <tuple>
#include <vector>

#include "tests/support/daemon_process.hpp"
#include "tests/support/redis_client.hpp"
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

// Each test starts from an empty Redis (tickets a test creates stay out of the next, and out of a
// repeated run).
daemon_options launch(std::string yaml) {
  redis_client(shared_redis().socket()).command({"FLUSHALL"});
  daemon_options o;
  o.config = std::move(yaml);
  return o;
}

// A plain TCP connection the test drives byte by byte.
class raw_connection {
 public:
  // `send_buffer`: the socket's send buffer in bytes (0: the system's, which grows to megabytes).
  explicit raw_connection(std::uint16_t port, int send_buffer = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (send_buffer > 0) ::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &send_buffer, sizeof send_buffer);
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

  // Sends all of it, or what the server takes before it closes: false then.
  bool send_all(const std::string& bytes) {
    for (std::size_t at = 0; at < bytes.size();) {
      const auto n = ::send(fd_, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
      if (n <= 0) return false;
      at += static_cast<std::size_t>(n);
    }
    return true;
  }

  void finish_sending() { ::shutdown(fd_, SHUT_WR); }

  // What has arrived once something arrives (up to `wait`); "" when nothing came.
  std::string read_some(std::chrono::milliseconds wait) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return {};
    char buf[4096];
    const auto n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string{};
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
      // A reset ends the reading too: what arrived before it is what the client could read.
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

// HTTP/1.1 conformance --------------------------------------------------------------------------

// How many responses a byte stream holds (each starts with a status line).
std::size_t responses_in(const std::string& bytes) {
  std::size_t n = 0;
  for (auto at = bytes.find("HTTP/1.1 "); at != std::string::npos;
       at = bytes.find("HTTP/1.1 ", at + 1)) {
    ++n;
  }
  return n;
}

TEST(DaemonHttp11, ATransferEncodingOtherThanChunkedIsRefusedAndItsBodyNeverRuns) {
  daemon_process d(launch(config(shared_redis().url(), "")));
  // Were gzip ignored, the body would be read as the next request: a create nobody sent.
  const std::string smuggled =
      "POST /v1/tickets HTTP/1.1\r\nHost: ticketd\r\nContent-Type: application/json\r\n"
      "Content-Length: 16\r\n\r\n{\"id\":\"T-smug1\"}";
  const auto got = d.client().raw(
      "POST /v1/tickets/T-0/resolve HTTP/1.1\r\nHost: ticketd\r\nTransfer-Encoding: gzip\r\n\r\n" +
      smuggled);
  EXPECT_TRUE(got.starts_with("HTTP/1.1 400")) << got;
  EXPECT_NE(got.find("Transfer-Encoding"), std::string::npos) << got;
  EXPECT_EQ(responses_in(got), 1u) << got;
  // Both framings at once are refused too: the two could disagree.
  const auto both = d.client().raw(
      "POST /v1/tickets HTTP/1.1\r\nHost: ticketd\r\nContent-Length: 5\r\n"
      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
      smuggled);
  EXPECT_TRUE(both.starts_with("HTTP/1.1 400")) << both;
  EXPECT_EQ(responses_in(both), 1u) << both;
  EXPECT_EQ(d.client().get("/v1/tickets/T-smug1").status, 404);
  // Chunked alone is served.
  const auto chunked = d.client().raw(
      "POST /v1/tickets HTTP/1.1\r\nHost: ticketd\r\nTransfer-Encoding: chunked\r\n"
      "Connection: close\r\n\r\n10\r\n{\"id\":\"T-chunk\"}\r\n0\r\n\r\n");
  EXPECT_TRUE(chunked.starts_with("HTTP/1.1 201")) << chunked;
  EXPECT_EQ(d.terminate(), 0);
}

TEST(DaemonHttp11, AnHttp11RequestWithoutHostIs400) {
  daemon_process d(launch(config(shared_redis().url(), "")));
  const auto missing = d.client().raw("GET /healthz HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(missing.starts_with("HTTP/1.1 400")) << missing;
  EXPECT_NE(missing.find("Host"), std::string::npos) << missing;
  const auto twice =
      d.client().raw("GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(twice.starts_with("HTTP/1.1 400")) << twice;
  // HTTP/1.0 has no Host requirement.
  const auto old = d.client().raw("GET /healthz HTTP/1.0\r\n\r\n");
  EXPECT_TRUE(old.starts_with("HTTP/1.1 200")) << old;
  EXPECT_EQ(d.terminate(), 0);
}

TEST(DaemonHttp11, AbsoluteFormTargetsAreServed) {
  daemon_process d(launch(config(shared_redis().url(), "")));
  const auto got =
      d.client().raw("GET http://127.0.0.1:" + std::to_string(d.port()) +
                     "/healthz HTTP/1.1\r\nHost: ticketd\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(got.starts_with("HTTP/1.1 200")) << got;
  EXPECT_NE(got.find(R"({"status":"ok"})"), std::string::npos) << got;
  EXPECT_EQ(d.terminate(), 0);
}

// Requests sent back to back before any answer (pipelining) are answered in order, each whole,
// a head split over two writes included.
TEST(DaemonHttp11, PipelinedRequestsAreAnsweredInOrder) {
  daemon_process d(launch(config(shared_redis().url(), "")));
  raw_connection c(d.port());
  const std::string body = R"({"id":"T-piped"})";
  c.send(
      "GET /healthz HTTP/1.1\r\nHost: ticketd\r\n\r\n"
      "POST /v1/tickets HTTP/1.1\r\nHost: ticketd\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body + "GET /v1/tickets/T-piped HTTP/1.1\r\n");
  const auto first = c.read_some(std::chrono::seconds(10));  // what is answered so far
  c.send("Host: ticketd\r\nConnection: close\r\n\r\n");
  const auto rest = c.read_until_closed();
  ASSERT_TRUE(rest.has_value());
  const std::string all = first + *rest;
  const auto health = all.find("HTTP/1.1 200");
  const auto created = all.find("HTTP/1.1 201", health);
  const auto read = all.find("HTTP/1.1 200", created);
  ASSERT_NE(health, std::string::npos) << all;
  ASSERT_NE(created, std::string::npos) << all;
  ASSERT_NE(read, std::string::npos) << all;
  EXPECT_NE(all.find(R"("status":"ok")"), std::string::npos) << all;
  EXPECT_NE(all.find(R"("id":"T-piped")", read), std::string::npos) << all;
  EXPECT_EQ(d.terminate(), 0);
}

// A client that asks before sending its body gets its answer at once, not after its own
// timeout (curl waits a second for it).
TEST(DaemonHttp11, Expect100ContinueIsAnsweredBeforeTheBody) {
  daemon_process d(launch(config(shared_redis().url(), "")));
  raw_connection c(d.port());
  const std::string body = R"({"id":"T-expect"})";
  c.send(
      "POST /v1/tickets HTTP/1.1\r\nHost: ticketd\r\nExpect: 100-continue\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n");
  const auto interim = c.read_some(std::chrono::seconds(10));
  EXPECT_TRUE(interim.starts_with("HTTP/1.1 100 Continue\r\n\r\n")) << interim;
  c.send(body);
  const auto rest = c.read_until_closed();
  ASSERT_TRUE(rest.has_value());
  EXPECT_NE((interim + *rest).find("HTTP/1.1 201"), std::string::npos) << interim << *rest;
  // Another expectation is refused.
  const auto other = d.client().raw(
      "POST /v1/tickets HTTP/1.1\r\nHost: ticketd\r\nExpect: teapot\r\nContent-Length: "
      "2\r\n\r\n{}");
  EXPECT_TRUE(other.starts_with("HTTP/1.1 417")) << other;
  EXPECT_EQ(d.terminate(), 0);
}

// The limit is on the whole head: a start line and fields each under it, together over it.
TEST(DaemonHttp11, TheHeaderLimitCountsEveryByteOfTheHead) {
  daemon_process d(launch(config(shared_redis().url(), "  header_limit: 1KiB\n")));
  const std::string target = "/healthz?" + std::string(700, 'q');
  const std::string padding = "X-Padding: " + std::string(700, 'x') + "\r\n";
  const auto head = [](const std::string& path, const std::string& fields) {
    return "GET " + path + " HTTP/1.1\r\nHost: ticketd\r\n" + fields + "Connection: close\r\n\r\n";
  };
  // Each alone is within the limit.
  EXPECT_TRUE(d.client().raw(head(target, "")).starts_with("HTTP/1.1 200"));
  EXPECT_TRUE(d.client().raw(head("/healthz", padding)).starts_with("HTTP/1.1 200"));
  const auto got = d.client().raw(head(target, padding));
  EXPECT_TRUE(got.starts_with("HTTP/1.1 431")) << got;
  EXPECT_EQ(d.terminate(), 0);
}

// After a refusal the server reads and drops what the client still sends before it closes, so
// a client that sends its whole body first still reads the answer instead of a reset: a body
// over the limit (413), an expectation the server does not meet (417), framing it refuses (400).
TEST(DaemonHttp11, AClientSendingItsBodyRegardlessStillReadsTheRefusal) {
  daemon_process d(launch(config(shared_redis().url(), "  body_limit: 1MiB\n")));
  // Bodies larger than what the kernels hold between the two ends, under the limit but for the
  // first one.
  const std::vector<std::tuple<std::string, std::string, std::size_t>> refusals{
      {"HTTP/1.1 413", "", 2 * 1024 * 1024},
      {"HTTP/1.1 417", "Expect: teapot\r\n", 1000 * 1000},
      {"HTTP/1.1 400", "Transfer-Encoding: gzip\r\n", 1000 * 1000},
  };
  for (const auto& [status, other_fields, size] : refusals) {
    const std::string body(size, 'x');
    const std::string fields = "Content-Length: " + std::to_string(size) + "\r\n" + other_fields;
    // Whether the server answers before the client's last byte depends on timing: a second
    // round makes a pass by luck (all of it sent first) less likely.
    for (int round = 0; round < 2; ++round) {
      SCOPED_TRACE(status + ", round " + std::to_string(round));
      // A small send buffer: the client is still sending when the server answers.
      raw_connection c(d.port(), 64 * 1024);
      EXPECT_TRUE(
          c.send_all("POST /v1/tickets HTTP/1.1\r\nHost: ticketd\r\n" + fields + "\r\n" + body))
          << "the server reset the connection while the body was still being sent";
      c.finish_sending();  // the server's reading and dropping ends there, not at its time limit
      const auto got = c.read_until_closed();
      ASSERT_TRUE(got.has_value());
      EXPECT_TRUE(got->starts_with(status)) << got->substr(0, 200);
    }
  }
  EXPECT_EQ(d.terminate(), 0);
}

}  // namespace
}  // namespace ticketd::testing
