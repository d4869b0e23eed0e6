// Faults an operator meets, with real processes: Redis killed and restarted under load (AOF),
// Redis down when ticketd starts, Redis hung (SIGSTOP) under load. Each ends with every
// acknowledged write present and /v1/admin/verify clean. (kill -9 of ticketd under load is in
// durability_test.)
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/daemon_process.hpp"
#include "tests/support/redis_server.hpp"

namespace ticketd::testing {
namespace {

std::string config(const std::string& redis_url) {
  return "workspace: faults\n"
         "server: {listen: 127.0.0.1:0, threads: 2}\n"
         "redis: {url: " +
         redis_url +
         ", timeout: 500ms}\n"
         "agents: {max_concurrent: 3}\n"
         "queues: {general: {mode: pull}}\n"
         "defaults: {queue: general, priority: normal}\n";
}

daemon_options options(std::string yaml, bool wait_ready = true) {
  daemon_options o;
  o.config = std::move(yaml);
  o.wait_ready = wait_ready;
  return o;
}

// Helpdesk traffic: writers create tickets, agents pull and resolve them. Records what was
// acknowledged (2xx) and every other answer; a hang would surface as the client's read timeout.
class load {
 public:
  load(std::uint16_t port, int writers, int agents) {
    auto setup = http_client(port);
    for (int a = 0; a < agents; ++a) {
      const auto r = setup.put("/v1/agents/a" + std::to_string(a),
                               R"({"queues":["general"],"max_concurrent":3,"status":"online"})");
      if (r.status != 200) throw std::runtime_error("agent setup failed: " + r.body);
    }
    for (int w = 0; w < writers; ++w) threads_.emplace_back([this, port, w] { write(port, w); });
    for (int a = 0; a < agents; ++a) threads_.emplace_back([this, port, a] { work(port, a); });
  }
  ~load() { stop(); }

  void stop() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

  std::size_t created() {
    std::lock_guard lock(mutex_);
    return created_.size();
  }
  std::set<std::string> created_ids() {
    std::lock_guard lock(mutex_);
    return created_;
  }
  std::set<std::string> resolved_ids() {
    std::lock_guard lock(mutex_);
    return resolved_;
  }
  // 503 answers (the fault showing).
  std::size_t unavailable() const { return unavailable_.load(); }
  std::size_t hangs() const { return hangs_.load(); }

 private:
  void write(std::uint16_t port, int w) {
    http_client c(port);
    for (int i = 0; !stop_.load(); ++i) {
      const std::string id = "W" + std::to_string(w) + "-" + std::to_string(i);
      const auto r = call([&] { return c.post("/v1/tickets", R"({"id":")" + id + R"("})"); });
      if (r.status == 201) {
        std::lock_guard lock(mutex_);
        created_.insert(id);
      }
    }
  }

  void work(std::uint16_t port, int a) {
    http_client c(port);
    const std::string agent = "a" + std::to_string(a);
    while (!stop_.load()) {
      const auto next = call([&] { return c.post("/v1/agents/" + agent + "/next"); });
      if (next.status != 200) continue;
      const std::string id = json_str(next.json().at("ticket"), "id");
      const auto done = call([&] { return c.post("/v1/tickets/" + id + "/resolve"); });
      if (done.status == 200) {
        std::lock_guard lock(mutex_);
        resolved_.insert(id);
      }
    }
  }

  template <typename Request>
  http_reply call(Request request) {
    try {
      auto r = request();
      if (r.status == 503) ++unavailable_;
      return r;
    } catch (const std::exception&) {
      ++hangs_;  // no answer within the client's read timeout
      stop_ = true;
      return {};
    }
  }

  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::set<std::string> created_;
  std::set<std::string> resolved_;
  std::atomic<std::size_t> unavailable_{0};
  std::atomic<std::size_t> hangs_{0};
};

// Every acknowledged create is there, every acknowledged resolve stayed resolved, verify is clean.
void expect_nothing_lost(http_client& c, load& traffic) {
  const auto resolved = traffic.resolved_ids();
  for (const auto& id : traffic.created_ids()) {
    const auto r = c.get("/v1/tickets/" + id);
    ASSERT_EQ(r.status, 200) << id << " was acknowledged and lost";
    if (resolved.contains(id)) {
      EXPECT_EQ(json_str(r.json(), "status"), "resolved") << id << " was resolved and is not";
    }
  }
  const auto verify = c.get("/v1/admin/verify");
  EXPECT_EQ(verify.status, 200) << verify.body;
}

TEST(Faults, RedisKilledAndRestartedUnderLoadLosesNoAcknowledgedWrite) {
  // As the embedded server persists: every change fsynced before Redis answers it. (With
  // everysec, Redis answers while it holds its AOF write back behind a slow background fsync,
  // and a kill -9 then loses what it answered: this test caught that on a busy machine.)
  redis_server redis(persistence::aof_always);
  daemon_process d(options(config(redis.url())));
  load traffic(d.port(), 4, 4);
  ASSERT_TRUE(eventually([&] { return traffic.created() >= 300; }));
  redis.kill9();
  ASSERT_TRUE(eventually([&] { return traffic.unavailable() > 0; })) << "no request saw Redis down";
  const std::size_t before = traffic.created();
  redis.start();  // the same AOF: what Redis acknowledged, it replays
  // ticketd reconnects on its own and goes on serving.
  ASSERT_TRUE(
      eventually([&] { return traffic.created() >= before + 300; }, std::chrono::seconds(30)))
      << d.log();
  traffic.stop();
  EXPECT_EQ(traffic.hangs(), 0u);
  auto c = d.client();
  expect_nothing_lost(c, traffic);
  EXPECT_EQ(d.terminate(), 0);
}

TEST(Faults, RedisDownAtStartThenServesOnceItAnswers) {
  redis_server redis;
  redis.stop();
  daemon_process d(options(config(redis.url()), false));
  auto c = d.client();
  EXPECT_EQ(c.get("/healthz").status, 200);
  EXPECT_EQ(c.get("/readyz").status, 503);
  const auto refused = c.post("/v1/tickets", R"({"id":"early"})");
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.header("retry-after"), "1");
  redis.start();
  ASSERT_TRUE(eventually([&] { return c.get("/readyz").status == 200; }, std::chrono::seconds(20)))
      << d.log();
  EXPECT_EQ(c.post("/v1/tickets", R"({"id":"late"})").status, 201);
  EXPECT_EQ(c.get("/v1/tickets/early").status, 404);  // the refused create changed nothing
  EXPECT_EQ(c.get("/v1/admin/verify").status, 200);
  EXPECT_EQ(d.terminate(), 0);
}

TEST(Faults, HungRedisUnderLoadGivesTimeoutsNotHangsAndLosesNothing) {
  redis_server redis;
  daemon_process d(options(config(redis.url())));
  load traffic(d.port(), 4, 4);
  ASSERT_TRUE(eventually([&] { return traffic.created() >= 300; }));
  redis.pause();
  // Requests keep being answered (503 after redis.timeout) while Redis answers nothing.
  const std::size_t seen = traffic.unavailable();
  ASSERT_TRUE(
      eventually([&] { return traffic.unavailable() >= seen + 16; }, std::chrono::seconds(20)));
  EXPECT_EQ(traffic.hangs(), 0u);
  redis.resume();
  const std::size_t before = traffic.created();
  ASSERT_TRUE(
      eventually([&] { return traffic.created() >= before + 300; }, std::chrono::seconds(30)));
  traffic.stop();
  EXPECT_EQ(traffic.hangs(), 0u);
  auto c = d.client();
  expect_nothing_lost(c, traffic);
  EXPECT_EQ(d.terminate(), 0);
}

// Readiness follows whether Redis answers, not whether its socket is open: a hung Redis with no
// traffic at all turns /readyz off (the daemon checks a quiet connection), and it comes back.
TEST(Faults, ReadinessFollowsWhetherRedisAnswers) {
  redis_server redis;
  daemon_process d(options(config(redis.url())));
  auto c = d.client();
  ASSERT_EQ(c.get("/readyz").status, 200);
  redis.pause();
  EXPECT_TRUE(eventually([&] { return c.get("/readyz").status == 503; }))
      << "a hung Redis still reads as ready";
  EXPECT_EQ(c.get("/healthz").status, 200);
  redis.resume();
  EXPECT_TRUE(eventually([&] { return c.get("/readyz").status == 200; }));
  EXPECT_EQ(d.terminate(), 0);
}

// A 503 says whether the request may have run. One written to a hung Redis may run when it
// resumes (maybe_applied: true), and its Idempotency-Key makes the retry safe: the retry gets
// the answer of the first, which took one ticket, and takes no other. Once the connection is
// known to hang, requests are not sent at all (maybe_applied: false) and never run.
TEST(Faults, ARetriedNextAfterAHungRedisTakesOneTicket) {
  redis_server redis;
  daemon_process d(options(config(redis.url())));
  auto c = d.client();
  ASSERT_EQ(c.put("/v1/agents/ada", R"({"queues":["general"],"status":"online"})").status, 200);
  ASSERT_EQ(c.post("/v1/tickets", R"({"id":"T-1"})").status, 201);
  ASSERT_EQ(c.post("/v1/tickets", R"({"id":"T-2"})").status, 201);
  const std::vector<std::pair<std::string, std::string>> key{{"Idempotency-Key", "pull-7"}};

  redis.pause();
  const auto lost = c.request("POST", "/v1/agents/ada/next", "", key);
  ASSERT_EQ(lost.status, 503) << lost.body;
  EXPECT_EQ(lost.json().at("error").at("maybe_applied"), true) << lost.body;
  ASSERT_TRUE(eventually([&] { return c.get("/readyz").status == 503; }));
  const auto refused = c.post("/v1/tickets", R"({"id":"T-never"})");
  ASSERT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.json().at("error").at("maybe_applied"), false) << refused.body;
  redis.resume();
  ASSERT_TRUE(eventually([&] { return c.get("/readyz").status == 200; }));

  const auto retried = c.request("POST", "/v1/agents/ada/next", "", key);
  ASSERT_EQ(retried.status, 200) << retried.body;
  EXPECT_EQ(retried.header("idempotent-replayed"), "true");
  EXPECT_EQ(json_str(retried.json().at("ticket"), "id"), "T-1");
  EXPECT_EQ(c.get("/v1/agents/ada").json().at("load"), 1);
  EXPECT_EQ(json_str(c.get("/v1/tickets/T-2").json(), "status"), "queued");
  EXPECT_EQ(c.get("/v1/tickets/T-never").status, 404);
  // The same key with another request is refused.
  const auto other = c.request("POST", "/v1/agents/ada/next", R"({"x":1})", key);
  EXPECT_EQ(other.status, 422) << other.body;
  EXPECT_EQ(other.error_code(), "idempotency_conflict");
  EXPECT_EQ(d.terminate(), 0);
}

}  // namespace
}  // namespace ticketd::testing
