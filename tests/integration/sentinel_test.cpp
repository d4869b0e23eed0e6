// ticketd behind Redis Sentinel: the primary found through the sentinels, a failover (kill -9
// of the primary) followed, 503 meanwhile, and with wait_replicas: 1 not one acknowledged write
// lost; the old primary comes back, with its data, as a replica and writes are confirmed again.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "tests/support/daemon_process.hpp"
#include "tests/support/redis_client.hpp"
#include "tests/support/redis_server.hpp"

namespace ticketd::testing {
namespace {

// The port of the primary the sentinel names for `name` (0 when it names none).
std::uint16_t primary_port(redis_sentinel& s, const std::string& name) {
  redis_client c(s.socket());
  const auto r = c.command({"SENTINEL", "get-master-addr-by-name", name});
  if (r.elements.size() != 2) return 0;
  return static_cast<std::uint16_t>(std::stoi(r.elements[1].str));
}

// The port of the primary every one of `sentinels` names for `name` (0 while they disagree).
std::uint16_t agreed_primary(const std::vector<std::unique_ptr<redis_sentinel>>& sentinels,
                             const std::string& name) {
  const auto port = primary_port(*sentinels.front(), name);
  const bool all = std::all_of(sentinels.begin(), sentinels.end(),
                               [&](auto& s) { return primary_port(*s, name) == port; });
  return all ? port : 0;
}

bool sees_replicas(redis_sentinel& s, const std::string& name, std::size_t n) {
  redis_client c(s.socket());
  return c.command({"SENTINEL", "replicas", name}).elements.size() >= n;
}

TEST(Sentinel, AFailoverIsFollowedAndLosesNoAcknowledgedWrite) {
  const std::string name = "desk";
  // As the docs advise: a primary without a replica refuses writes (NOREPLICAS).
  const std::vector<std::string> durable{"--min-replicas-to-write", "1", "--min-replicas-max-lag",
                                         "10"};
  // And each keeps an AOF, so that the killed primary comes back with its data, as the docs
  // advise (operations.md, "Redis Sentinel"): should the sentinels ever fail over again, to it,
  // it has every acknowledged write. A run with no AOF on a loaded machine lost them all.
  redis_server first(persistence::aof_always, transport::tcp, durable);
  auto replica_args = durable;
  replica_args.insert(replica_args.end(),
                      {"--replicaof", "127.0.0.1", std::to_string(first.port())});
  redis_server second(persistence::aof_always, transport::tcp, replica_args);
  std::vector<std::unique_ptr<redis_sentinel>> sentinels;
  for (int i = 0; i < 3; ++i) {
    sentinels.push_back(std::make_unique<redis_sentinel>(first.port(), name, 2));
  }
  // What the sentinels and servers did, for a failure's message.
  const auto logs = [&] {
    std::string all;
    for (std::size_t i = 0; i < sentinels.size(); ++i) {
      all += "--- sentinel " + std::to_string(i) + ":\n" + sentinels[i]->log();
    }
    return all + "--- first (" + std::to_string(first.port()) + "):\n" + first.log() +
           "--- second (" + std::to_string(second.port()) + "):\n" + second.log();
  };
  for (auto& s : sentinels) {
    ASSERT_TRUE(eventually([&] { return sees_replicas(*s, name, 1); }, std::chrono::seconds(20)));
  }
  ASSERT_TRUE(eventually([&] {
    return redis_client(second.socket())
               .command({"INFO", "replication"})
               .str.find("master_link_status:up") != std::string::npos;
  }));
  std::string url = "redis+sentinel://";
  for (std::size_t i = 0; i < sentinels.size(); ++i) {
    url += (i == 0 ? "" : ",") + std::string{"127.0.0.1:"} + std::to_string(sentinels[i]->port());
  }
  url += "/" + name;
  daemon_process d(daemon_options{replicated_config("sentinel", url), false, {}, {}});
  http_client c(d.port());
  // (Sent again while answered 503: a busy machine's replica may be slow to confirm it.)
  const auto first_write =
      until_confirmed(c, "POST", "/v1/tickets", R"({"id":"T-first"})", "create-T-first");
  ASSERT_EQ(first_write.status, 201) << first_write.body << d.log();

  // A writer creates tickets all along; a ticket counts once answered 201 (or 200: a retry
  // of one that was applied before its 503).
  std::mutex mutex;
  std::set<std::string> acknowledged;
  std::atomic<bool> stop{false};
  std::atomic<int> unavailable{0};
  std::thread writer([&] {
    http_client w(d.port());
    for (int i = 0; !stop.load(); ++i) {
      const std::string id = "T-" + std::to_string(i);
      const std::vector<std::pair<std::string, std::string>> key{{"Idempotency-Key", id}};
      for (;;) {
        const auto r = w.request("POST", "/v1/tickets", R"({"id":")" + id + R"("})", key);
        if (r.status == 201 || r.status == 200) {
          const std::lock_guard lock(mutex);
          acknowledged.insert(id);
          break;
        }
        if (r.status != 503) ADD_FAILURE() << r.status << " " << r.body;
        ++unavailable;
        if (stop.load()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // Retry-After, shortened
      }
    }
  });
  const auto count = [&] {
    const std::lock_guard lock(mutex);
    return acknowledged.size();
  };
  ASSERT_TRUE(eventually([&] { return count() >= 50; }));

  // The primary dies: the sentinels promote the replica, and the daemon follows.
  const int unavailable_before = unavailable.load();
  first.kill9();
  // Every sentinel must name the new primary before the old one (restarted empty) is back: one
  // that still named it could take it for the primary, and the promoted replica would copy its
  // empty dataset (operations.md, "Redis Sentinel"): a run that waited for one sentinel only
  // lost every ticket made before the failover.
  ASSERT_TRUE(eventually([&] { return agreed_primary(sentinels, name) == second.port(); },
                         std::chrono::seconds(30)))
      << d.log() << logs();
  // The new primary has no replica yet: writes are refused (503) until the old one is back.
  ASSERT_TRUE(eventually([&] { return unavailable.load() > unavailable_before; },
                         std::chrono::seconds(20)));
  // The old one comes back; the sentinels make it a replica of the new primary.
  first.start();
  const auto before = count();
  ASSERT_TRUE(eventually([&] { return count() >= before + 50; }, std::chrono::seconds(60)))
      << d.log() << logs();
  stop = true;
  writer.join();

  // Every acknowledged ticket is there, on the primary the sentinels name (the promoted replica,
  // unless a loaded machine made them fail over once more), and the invariants hold.
  std::uint16_t last_port = 0;
  ASSERT_TRUE(eventually([&] { return (last_port = agreed_primary(sentinels, name)) != 0; },
                         std::chrono::seconds(30)))
      << logs();
  ASSERT_TRUE(last_port == first.port() || last_port == second.port()) << last_port;
  redis_client now_primary(last_port == second.port() ? second.socket() : first.socket());
  std::size_t missing = 0;
  for (const auto& id : acknowledged) {
    missing += now_primary.command({"EXISTS", "ticketd:{sentinel}:t:" + id}).integer == 1 ? 0 : 1;
  }
  EXPECT_EQ(missing, 0U) << "of " << acknowledged.size() << " acknowledged tickets\n" << logs();
  EXPECT_EQ(now_primary.command({"EXISTS", "ticketd:{sentinel}:t:T-first"}).integer, 1);
  http_reply verify;
  EXPECT_TRUE(eventually([&] {
    verify = c.get("/v1/admin/verify");
    return verify.status == 200;
  })) << verify.body;
  EXPECT_NE(d.log().find("Redis primary 'desk' is at 127.0.0.1:" + std::to_string(second.port())),
            std::string::npos)
      << d.log();
  EXPECT_EQ(d.terminate(), 0);
}

}  // namespace
}  // namespace ticketd::testing
