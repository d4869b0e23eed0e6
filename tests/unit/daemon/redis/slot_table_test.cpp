#include <gtest/gtest.h>

#include "daemon/redis/cluster.hpp"
#include "tests/unit/routing/test_support.hpp"

namespace ticketd::daemon {
namespace {

using config::redis_address;
using routing::resp_value;
using test::array;
using test::bulk;
using test::error_reply;
using test::integer;

resp_value node(const std::string& host, std::int64_t port) {
  return array({bulk(host), integer(port), bulk("0123abcd"), array({})});
}

TEST(ClusterSlots, MapsEachRangeToItsPrimary) {
  const auto reply = array({
      array({integer(0), integer(5460), node("10.0.0.1", 7000), node("10.0.0.4", 7003)}),
      array({integer(5461), integer(10922), node("10.0.0.2", 7001)}),
      array({integer(10923), integer(16383), node("", 7002)}),
  });
  const auto t = parse_cluster_slots(reply, {"seed.example", 7002});
  ASSERT_TRUE(t);
  ASSERT_EQ(t->primaries.size(), 3u);
  EXPECT_EQ(*t->primary_of(0), (redis_address{"10.0.0.1", 7000}));
  EXPECT_EQ(*t->primary_of(5460), (redis_address{"10.0.0.1", 7000}));
  EXPECT_EQ(*t->primary_of(5461), (redis_address{"10.0.0.2", 7001}));
  // An empty address is the node that was asked.
  EXPECT_EQ(*t->primary_of(16383), (redis_address{"seed.example", 7002}));
  EXPECT_TRUE(t->covered());
}

TEST(ClusterSlots, ASlotWithoutAPrimaryIsUncovered) {
  const auto reply = array({
      array({integer(0), integer(100), node("10.0.0.1", 7000)}),
      array({integer(200), integer(16383), node("10.0.0.1", 7000)}),
  });
  const auto t = parse_cluster_slots(reply, {"h", 1});
  ASSERT_TRUE(t);
  EXPECT_EQ(t->primaries.size(), 1u);
  EXPECT_EQ(t->primary_of(150), nullptr);
  EXPECT_FALSE(t->covered());
}

TEST(ClusterSlots, RejectsWhatIsNotASlotsReply) {
  EXPECT_FALSE(
      parse_cluster_slots(error_reply("ERR This instance has cluster support disabled"), {"h", 1}));
  EXPECT_FALSE(
      parse_cluster_slots(array({array({integer(0), integer(16384), node("h", 1)})}), {"h", 1}));
  EXPECT_FALSE(
      parse_cluster_slots(array({array({integer(9), integer(3), node("h", 1)})}), {"h", 1}));
}

TEST(ClusterReplies, ReadsRedirectionsAndRefusals) {
  const auto moved = cluster_reply_of(error_reply("MOVED 3999 127.0.0.1:6381"));
  EXPECT_EQ(moved.what, cluster_reply::kind::moved);
  EXPECT_EQ(moved.slot, 3999);
  EXPECT_EQ(moved.to, (redis_address{"127.0.0.1", 6381}));
  const auto ask = cluster_reply_of(error_reply("ASK 12 ::1:7000"));
  EXPECT_EQ(ask.what, cluster_reply::kind::ask);
  EXPECT_EQ(ask.to, (redis_address{"::1", 7000}));
  EXPECT_NE(ask.describe().find("migrating"), std::string::npos);
  EXPECT_EQ(
      cluster_reply_of(error_reply("TRYAGAIN Multiple keys request during rehashing of slot")).what,
      cluster_reply::kind::try_again);
  EXPECT_EQ(cluster_reply_of(error_reply("CLUSTERDOWN The cluster is down")).what,
            cluster_reply::kind::down);
  // Not cluster answers: other errors, and a string that merely reads like one.
  EXPECT_EQ(cluster_reply_of(error_reply("ERR unknown command")).what, cluster_reply::kind::none);
  EXPECT_EQ(cluster_reply_of(bulk("MOVED 1 h:2")).what, cluster_reply::kind::none);
  EXPECT_EQ(cluster_reply_of(error_reply("MOVED 99999 h:2")).what, cluster_reply::kind::none);
}

}  // namespace
}  // namespace ticketd::daemon
