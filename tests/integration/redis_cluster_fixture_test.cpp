// The Redis Cluster fixture itself: six nodes settle, slots computed here match Redis's, a slot
// is resharded step by step, and a replica takes over a killed primary, which rejoins as its
// replica.
#include <gtest/gtest.h>

#include "tests/support/redis_client.hpp"
#include "tests/support/redis_cluster.hpp"

namespace ticketd::testing {
namespace {

// As the tests of ticketd on a cluster will run it: a primary without a replica refuses writes.
const std::vector<std::string> durable{"--min-replicas-to-write", "1", "--min-replicas-max-lag",
                                       "10"};

routing::resp_value on(redis_cluster& cluster, std::uint16_t port,
                       const std::vector<std::string>& argv) {
  redis_client c(cluster.socket(cluster.node_of_port(port)));
  return c.command(argv);
}

TEST(RedisCluster, ComputesSlotsAsRedisAndMovesOneStepByStep) {
  redis_cluster cluster(durable);
  // Three of the six nodes serve slots, as the cluster itself says.
  ASSERT_EQ(cluster.primaries().size(), 3u);
  for (const std::string key :
       {"ticketd:{ws-a}:x", "{user1000}.following", "123456789", "{}x", "a{}{b}", "x{y}{z}"}) {
    EXPECT_EQ(redis_cluster::key_slot(key), cluster.key_slot_asked(key)) << key;
  }

  const std::string key = "{alpha}:k";
  const int slot = redis_cluster::key_slot(key);
  const auto from = cluster.primary_of(slot);
  ASSERT_NE(from, 0);
  ASSERT_EQ(on(cluster, from, {"SET", key, "v"}).str, "OK");
  const auto primaries = cluster.primaries();
  const auto to = primaries[0] != from ? primaries[0] : primaries[1];

  cluster.begin_migration(slot, from, to);
  EXPECT_EQ(cluster.move_keys(slot, from, to), 1u);
  cluster.finish_migration(slot, from, to);
  ASSERT_TRUE(cluster.wait_ok()) << cluster.logs();
  EXPECT_EQ(cluster.primary_of(slot), to);
  EXPECT_EQ(on(cluster, to, {"GET", key}).str, "v");
  EXPECT_EQ(on(cluster, from, {"GET", key}).str,
            "MOVED " + std::to_string(slot) + " 127.0.0.1:" + std::to_string(to));
}

TEST(RedisCluster, AReplicaTakesOverAKilledPrimaryWhichRejoinsAsItsReplica) {
  redis_cluster cluster(durable);
  const std::string key = "{alpha}:k";
  const int slot = redis_cluster::key_slot(key);
  const auto old_primary = cluster.primary_of(slot);
  {
    // WAIT counts the replicas that have this connection's writes: the same connection.
    redis_client c(cluster.socket(cluster.node_of_port(old_primary)));
    ASSERT_EQ(c.command({"SET", key, "v"}).str, "OK");
    ASSERT_EQ(c.command({"WAIT", "1", "5000"}).integer, 1);
  }

  const auto killed = cluster.node_of_port(old_primary);
  cluster.kill9(killed);
  ASSERT_TRUE(cluster.wait_ok()) << cluster.logs();
  const auto new_primary = cluster.primary_of(slot);
  ASSERT_NE(new_primary, 0);
  ASSERT_NE(new_primary, old_primary);
  EXPECT_EQ(cluster.primaries().size(), 3u);
  EXPECT_EQ(on(cluster, new_primary, {"GET", key}).str, "v");
  // Alone, the new primary refuses writes (the extra arguments reached the nodes).
  EXPECT_EQ(on(cluster, new_primary, {"SET", key, "w"}).str.rfind("NOREPLICAS", 0), 0u);

  cluster.restart(killed);
  ASSERT_TRUE(cluster.wait_ok()) << cluster.logs();
  EXPECT_EQ(cluster.primary_of(slot), new_primary);
  const auto role = on(cluster, old_primary, {"ROLE"});
  ASSERT_EQ(role.elements.size(), 5u);
  EXPECT_EQ(role.elements[0].str, "slave");
  EXPECT_EQ(role.elements[2].integer, new_primary);
  EXPECT_EQ(on(cluster, new_primary, {"SET", key, "w"}).str, "OK");
}

}  // namespace
}  // namespace ticketd::testing
