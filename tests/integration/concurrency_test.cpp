// Two daemons on one Redis, 8 agents with max_concurrent 3, 2,000 tickets, five clients per
// agent pulling and resolving through both daemons at once: no agent ever above 3, no ticket
// held twice, every ticket accounted for, verify clean.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "tests/support/daemon_process.hpp"
#include "tests/support/redis_client.hpp"
#include "tests/support/redis_server.hpp"

namespace ticketd::testing {
namespace {

constexpr int agents = 8;
// More clients than capacity, so every agent is pulled past its limit concurrently.
constexpr int clients_per_agent = 5;
constexpr int max_concurrent = 3;
constexpr int tickets = 2000;

std::string shared_config(const std::string& url) {
  return "workspace: race\n"
         "server:\n"
         "  listen: 127.0.0.1:0\n"
         "redis:\n"
         "  url: " +
         url +
         "\n"
         "agents:\n"
         "  max_concurrent: " +
         std::to_string(max_concurrent) +
         "\n"
         "queues:\n"
         "  general: {mode: pull, wait_weight: 1}\n"
         "defaults: {queue: general, priority: normal}\n";
}

std::string ticket_id_of(const std::string& body) {
  const auto at = body.find(R"("id":")");
  const auto end = body.find('"', at + 6);
  return body.substr(at + 6, end - at - 6);
}

TEST(Concurrency, TwoDaemonsEightAgentsNeverExceedCapacityOrDoubleAssign) {
  redis_server redis;
  daemon_process a(daemon_options{shared_config(redis.url()), false, {}, {}});
  daemon_process b(daemon_options{shared_config(redis.url()), false, {}, {}});
  const std::array<std::uint16_t, 2> ports{a.port(), b.port()};
  {
    http_client setup(a.port());
    ASSERT_TRUE(eventually([&] { return setup.get("/readyz").status == 200; }));
    for (int g = 0; g < agents; ++g) {
      ASSERT_EQ(setup
                    .put("/v1/agents/agent-" + std::to_string(g),
                         R"({"queues":["general"],"status":"online"})")
                    .status,
                200);
    }
  }

  std::array<std::atomic<int>, agents> holding{};
  std::atomic<int> worst{0};
  std::atomic<int> resolved{0};
  std::atomic<int> failures{0};
  std::atomic<int> refused{0};
  std::mutex mutex;
  std::multiset<std::string> taken;

  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      http_client c(ports[w]);
      for (int i = w; i < tickets; i += 2) {
        if (c.post("/v1/tickets", R"({"id":"T-)" + std::to_string(i) + R"("})").status != 201)
          ++failures;
      }
    });
  }
  for (int g = 0; g < agents; ++g) {
    for (int k = 0; k < clients_per_agent; ++k) {
      threads.emplace_back([&, g, k] {
        const std::string agent = "agent-" + std::to_string(g);
        std::array<http_client, 2> c{http_client(ports[0]), http_client(ports[1])};
        for (int round = 0; resolved.load() < tickets; ++round) {
          auto& via = c[(round + k) % 2];
          auto r = via.post("/v1/agents/" + agent + "/next");
          if (r.status == 409 && r.error_code() == "capacity_exceeded") ++refused;
          if (r.status == 204 || (r.status == 409 && r.error_code() == "capacity_exceeded")) {
            std::this_thread::yield();
            continue;
          }
          if (r.status != 200) {
            ++failures;
            continue;
          }
          const std::string id = ticket_id_of(r.body.substr(r.body.find("\"ticket\"")));
          // Tickets received and not yet handed back: each one is assigned on the server.
          const int now_holding = ++holding[g];
          int seen = worst.load();
          while (now_holding > seen && !worst.compare_exchange_weak(seen, now_holding)) {
          }
          {
            std::lock_guard lock(mutex);
            taken.insert(id);
          }
          auto& back = c[(round + k + 1) % 2];
          --holding[g];
          if (round % 2 == 0) {
            if (back.post("/v1/tickets/" + id + "/reply").status != 200) ++failures;
          }
          if (back.post("/v1/tickets/" + id + "/resolve").status != 200) ++failures;
          ++resolved;
        }
      });
    }
  }
  for (auto& t : threads) t.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(refused.load(), 0) << "no agent was ever pulled at capacity: the test proves nothing";
  EXPECT_LE(worst.load(), max_concurrent);
  EXPECT_EQ(resolved.load(), tickets);
  EXPECT_EQ(taken.size(), static_cast<std::size_t>(tickets));
  EXPECT_EQ(std::set<std::string>(taken.begin(), taken.end()).size(), taken.size())
      << "a ticket was handed out twice";
  http_client check(b.port());
  auto verify = check.get("/v1/admin/verify");
  EXPECT_EQ(verify.status, 200) << verify.body;
  for (int g = 0; g < agents; ++g) {
    EXPECT_EQ(check.get("/v1/agents/agent-" + std::to_string(g)).json().at("load").as_int64(), 0);
  }
  EXPECT_EQ(check.get("/v1/queues/general").json().at("depth").as_int64(), 0);
  EXPECT_EQ(a.terminate(), 0);
  EXPECT_EQ(b.terminate(), 0);
}

}  // namespace
}  // namespace ticketd::testing
