// The embedded default keeps every acknowledged ticket across a clean restart and across
// kill -9 of ticketd under concurrent load.
#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "tests/support/daemon_process.hpp"
#include "tests/support/redis_client.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/temp_dir.hpp"

namespace ticketd::testing {
namespace {

std::string embedded_config(const std::filesystem::path& state_dir) {
  return "workspace: durable\n"
         "server:\n"
         "  listen: 127.0.0.1:0\n"
         "  state_dir: " +
         state_dir.string() +
         "\n"
         "redis:\n"
         "  url: embedded\n"
         "queues:\n"
         "  general: {mode: pull}\n"
         "defaults: {queue: general, priority: normal}\n";
}

class Durability : public ::testing::Test {
 protected:
  temp_dir state_{"ticketd-state"};
};

TEST_F(Durability, RestartFindsEveryTicketAgain) {
  daemon_process d(daemon_options{embedded_config(state_.path()), false, {}, {}});
  http_client c(d.port());
  auto put =
      c.put("/v1/agents/ada", R"({"queues":["general"],"max_concurrent":50,"status":"online"})");
  ASSERT_EQ(put.status, 200) << put.body << d.log();
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(c.post("/v1/tickets", R"({"id":"T-)" + std::to_string(i) + R"("})").status, 201);
  }
  for (int i = 0; i < 20; ++i) ASSERT_EQ(c.post("/v1/agents/ada/next").status, 200);
  ASSERT_EQ(d.terminate(), 0) << d.log();
  d.restart();
  http_client again(d.port());
  ASSERT_TRUE(eventually([&] { return again.get("/readyz").status == 200; }));
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(again.get("/v1/tickets/T-" + std::to_string(i)).status, 200) << i;
  }
  EXPECT_EQ(again.get("/v1/agents/ada").json().at("load").as_int64(), 20);
  EXPECT_EQ(again.get("/v1/queues/general").json().at("depth").as_int64(), 180);
  EXPECT_TRUE(again.get("/v1/admin/verify").json().at("ok").as_bool());
}

TEST_F(Durability, KillNineUnderLoadLosesNoAcknowledgedTicket) {
  daemon_process d(daemon_options{embedded_config(state_.path()), false, {}, {}});
  std::mutex mutex;
  std::set<std::string> acknowledged;
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      http_client c(d.port());
      for (int i = 0; !stop.load(); ++i) {
        const std::string id = "W" + std::to_string(w) + "-" + std::to_string(i);
        try {
          if (c.post("/v1/tickets", R"({"id":")" + id + R"("})").status == 201) {
            std::lock_guard lock(mutex);
            acknowledged.insert(id);
          }
        } catch (const std::exception&) {
          return;  // the daemon died under us: that request was never acknowledged
        }
      }
    });
  }
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return acknowledged.size() >= 500;
  }));
  d.kill9();
  stop = true;
  for (auto& t : writers) t.join();
  d.restart();
  http_client c(d.port());
  ASSERT_TRUE(eventually([&] { return c.get("/readyz").status == 200; }));
  for (const auto& id : acknowledged) {
    ASSERT_EQ(c.get("/v1/tickets/" + id).status, 200) << id << " was acknowledged and lost";
  }
  EXPECT_TRUE(c.get("/v1/admin/verify").json().at("ok").as_bool());
}

TEST_F(Durability, EmbeddedRedisIsRestartedWhenItDies) {
  daemon_process d(daemon_options{embedded_config(state_.path()), false, {}, {}});
  http_client c(d.port());
  ASSERT_EQ(c.post("/v1/tickets", R"({"id":"T-before"})").status, 201);
  {
    // The server answers a change only once it is in the AOF and fsynced (everysec would answer
    // while a slow background fsync holds the AOF write back).
    redis_client embedded(state_.path() / "redis.sock");
    const auto fsync = embedded.command({"CONFIG", "GET", "appendfsync"});
    ASSERT_EQ(fsync.elements.size(), 2u);
    EXPECT_EQ(fsync.elements[1].str, "always");
  }
  pid_t redis_pid = 0;
  std::ifstream(state_.path() / "redis.pid") >> redis_pid;
  ASSERT_GT(redis_pid, 0);
  ::kill(redis_pid, SIGKILL);
  ASSERT_TRUE(eventually(
      [&] {
        pid_t now = 0;
        std::ifstream(state_.path() / "redis.pid") >> now;
        return now != 0 && now != redis_pid && c.get("/readyz").status == 200;
      },
      std::chrono::seconds(20)))
      << d.log();
  // Acknowledged writes reached the AOF before the reply; a killed server loses none of them.
  EXPECT_EQ(c.get("/v1/tickets/T-before").status, 200);
  EXPECT_EQ(c.post("/v1/tickets", R"({"id":"T-after"})").status, 201);
  EXPECT_EQ(d.terminate(), 0);
}

// redis.wait_replicas: a write is answered once a replica has it (WAIT in the same round trip);
// when none confirms within wait_timeout the answer is 503 with maybe_applied, and the retry
// with the same Idempotency-Key tells the outcome once the replica is back.
TEST(ReplicatedAcknowledgements, AWriteIsAnsweredOnlyOnceAReplicaHasIt) {
  // As the docs advise: the primary refuses writes without a replica (lagging 10 s at most).
  redis_server primary(persistence::none, transport::tcp,
                       {"--min-replicas-to-write", "1", "--min-replicas-max-lag", "10"});
  redis_server replica(persistence::none, transport::tcp,
                       {"--replicaof", "127.0.0.1", std::to_string(primary.port())});
  redis_client on_primary(primary.socket());
  redis_client on_replica(replica.socket());
  ASSERT_TRUE(eventually([&] {
    return on_primary.command({"INFO", "replication"}).str.find("connected_slaves:1") !=
               std::string::npos &&
           on_replica.command({"INFO", "replication"}).str.find("master_link_status:up") !=
               std::string::npos;
  }));
  daemon_process d(daemon_options{replicated_config("replicated", primary.url()), false, {}, {}});
  http_client c(d.port());
  // (Sent again while answered 503: a busy machine's replica may be slow to confirm the first.)
  const auto first = until_confirmed(c, "POST", "/v1/tickets", R"({"id":"T-1"})", "create-T-1");
  ASSERT_EQ(first.status, 201) << first.body;
  // Answered: the replica has it already.
  EXPECT_EQ(on_replica.command({"EXISTS", "ticketd:{replicated}:t:T-1"}).integer, 1);

  // The replica stops answering: the write is applied on the primary but not confirmed.
  replica.pause();
  const std::vector<std::pair<std::string, std::string>> key{{"Idempotency-Key", "create-T-2"}};
  auto r = c.request("POST", "/v1/tickets", R"({"id":"T-2"})", key);
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_FALSE(r.header("retry-after").empty());
  EXPECT_EQ(r.json().at("error").at("maybe_applied").as_bool(), true) << r.body;
  EXPECT_NE(r.body.find("0 of 1 replicas"), std::string::npos) << r.body;
  EXPECT_EQ(on_primary.command({"EXISTS", "ticketd:{replicated}:t:T-2"}).integer, 1);
  // Reads wait for nothing.
  EXPECT_EQ(c.get("/v1/tickets/T-1").status, 200);

  // A write that fails inside the function waits for nothing: a 409 stays a 409.
  EXPECT_EQ(c.request("POST", "/v1/tickets/T-1/accept", R"({"agent":"ada","token":"1"})").status,
            409);

  // A retry while the replica is still away is not confirmed either: the first attempt's write
  // may not be on it.
  r = c.request("POST", "/v1/tickets", R"({"id":"T-2"})", key);
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.json().at("error").at("maybe_applied").as_bool(), true) << r.body;

  // Back: the retry learns the outcome (created), confirmed by the replica this time.
  replica.resume();
  ASSERT_TRUE(eventually([&] {
    return on_replica.command({"EXISTS", "ticketd:{replicated}:t:T-2"}).integer == 1;
  }));
  r = c.request("POST", "/v1/tickets", R"({"id":"T-2"})", key);
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.header("idempotent-replayed"), "true");
  EXPECT_EQ(d.terminate(), 0);
}

}  // namespace
}  // namespace ticketd::testing
