// ticketd on a Redis Cluster of 3 primaries with a replica each: workspaces spread over the
// shards and served each by its slot's primary (event feeds too); a primary killed with kill -9
// under load (its replica takes over and, with wait_replicas: 1, not one acknowledged write is
// lost); a busy workspace's slot resharded under load (503 while it migrates, nothing run half,
// nothing lost); the function library loaded again where a call finds it missing.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <boost/json.hpp>

#include "routing/keyspace.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/redis_client.hpp"
#include "tests/support/redis_cluster.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/stream_clients.hpp"
#include "tests/support/temp_dir.hpp"

namespace ticketd::testing {
namespace {

int slot_of(const std::string& workspace) { return routing::keyspace(workspace).slot(); }

// Workspace names until each primary serves at least `per_primary` of them.
std::vector<std::string> spread_over(redis_cluster& cluster, std::size_t per_primary) {
  const auto primaries = cluster.primaries();
  std::map<std::uint16_t, std::size_t> served;
  std::vector<std::string> out;
  for (int i = 0; out.size() < primaries.size() * per_primary; ++i) {
    const std::string name = "ws-" + std::to_string(i);
    auto& n = served[cluster.primary_of(slot_of(name))];
    if (n == per_primary) continue;
    ++n;
    out.push_back(name);
  }
  return out;
}

// A daemon serving `workspaces` (one file each, a pull queue) on the cluster at `url`.
std::string platform(const std::string& url, const std::filesystem::path& dir,
                     const std::vector<std::string>& workspaces, const std::string& redis_extra) {
  for (const auto& ws : workspaces) {
    std::ofstream(dir / (ws + ".yaml")) << "queues:\n  desk: {mode: pull}\n"
                                           "defaults: {queue: desk}\n";
  }
  return platform_config(url, dir, "  timeout: 2s\n" + redis_extra);
}

// Creates tickets in every workspace in turn (and has an agent of each pull some). A ticket
// answered 503 is sent again with its Idempotency-Key at the workspace's next turn, so one
// workspace refused does not hold up the others; it counts once answered 201 (or 200: the
// repeat of one applied before its 503).
class load {
 public:
  load(std::uint16_t port, std::vector<std::string> workspaces)
      : port_(port), workspaces_(std::move(workspaces)), thread_([this] { run(); }) {}
  ~load() { finish(); }

  void finish() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::size_t acknowledged() const {
    const std::lock_guard lock(mutex_);
    return acknowledged_.size();
  }
  std::size_t acknowledged_in(const std::string& ws) const {
    const std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& [w, id] : acknowledged_) n += w == ws ? 1 : 0;
    return n;
  }
  std::set<std::pair<std::string, std::string>> tickets() const {
    const std::lock_guard lock(mutex_);
    return acknowledged_;
  }
  // The 503s the workspace's requests got (each with Retry-After, else the test fails).
  std::size_t unavailable_in(const std::string& ws) const {
    const std::lock_guard lock(mutex_);
    const auto it = unavailable_.find(ws);
    return it == unavailable_.end() ? 0 : it->second;
  }
  std::vector<std::string> unavailable_bodies(const std::string& ws) const {
    const std::lock_guard lock(mutex_);
    const auto it = bodies_.find(ws);
    return it == bodies_.end() ? std::vector<std::string>{} : it->second;
  }

 private:
  void run() {
    http_client c(port_);
    std::map<std::string, std::string> retry;  // workspace -> the ticket it must send again
    for (int i = 0; !stop_; ++i) {
      const auto& ws = workspaces_[static_cast<std::size_t>(i) % workspaces_.size()];
      auto pending = retry.find(ws);
      const std::string id = pending != retry.end() ? pending->second : "T-" + std::to_string(i);
      const auto status = send(c, ws, "/tickets", R"({"id":")" + id + R"("})", "c-" + id);
      if (status == 201 || status == 200) {
        const std::lock_guard lock(mutex_);
        acknowledged_.emplace(ws, id);
        retry.erase(ws);
      } else {
        retry[ws] = id;
      }
      // A pull now and then (a 503 is not retried: the next pull takes the next ticket).
      if (i % 3 == 0) send(c, ws, "/agents/puller/next", "", "n-" + std::to_string(i));
    }
  }

  int send(http_client& c, const std::string& ws, const std::string& path, const std::string& body,
           const std::string& key) {
    const std::vector<std::pair<std::string, std::string>> headers{{"Idempotency-Key", key}};
    const auto r = c.request("POST", "/v1/w/" + ws + path, body, headers);
    if (r.status == 503) {
      bool pause = false;
      {
        const std::lock_guard lock(mutex_);
        if (r.header("retry-after").empty()) ADD_FAILURE() << "503 without Retry-After: " << r.body;
        ++unavailable_[ws];
        auto& kept = bodies_[ws];
        if (kept.size() < 500) kept.push_back(r.body);
        pause = unavailable_[ws] % workspaces_.size() == 0;
      }
      // A client waits Retry-After; shortened here (the test waits for conditions, not this).
      if (pause) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } else if (r.status >= 300 && r.status != 409) {
      ADD_FAILURE() << ws << path << ": " << r.status << " " << r.body;
    }
    return r.status;
  }

  std::uint16_t port_;
  std::vector<std::string> workspaces_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::set<std::pair<std::string, std::string>> acknowledged_;
  std::map<std::string, std::size_t> unavailable_;
  std::map<std::string, std::vector<std::string>> bodies_;
  std::thread thread_;
};

// Each workspace's agent (sent again while answered 503: with wait_replicas, a busy machine's
// replica may be slow to confirm).
void add_pullers(http_client& c, const std::vector<std::string>& workspaces) {
  for (const auto& ws : workspaces) {
    const auto r =
        until_confirmed(c, "PUT", "/v1/w/" + ws + "/agents/puller",
                        R"({"queues":["desk"],"status":"online","max_concurrent":10000})", ws);
    ASSERT_EQ(r.status, 200) << ws << " " << r.body;
  }
}

// Every acknowledged ticket is on the primary now serving its workspace, and verify passes in
// every workspace.
void expect_everything_there(redis_cluster& cluster, daemon_process& d, const load& l,
                             const std::vector<std::string>& workspaces) {
  std::map<std::uint16_t, std::unique_ptr<redis_client>> nodes;
  for (const auto& [ws, id] : l.tickets()) {
    const auto port = cluster.primary_of(slot_of(ws));
    auto& node = nodes[port];
    if (!node) node = std::make_unique<redis_client>(cluster.socket(cluster.node_of_port(port)));
    EXPECT_EQ(node->command({"EXISTS", "ticketd:{" + ws + "}:t:" + id}).integer, 1)
        << ws << " " << id;
  }
  // Right after a topology change a connection may still be reconnecting (503): verify is
  // asked until it answers, and must then pass.
  http_client c(d.port());
  for (const auto& ws : workspaces) {
    http_reply v;
    EXPECT_TRUE(eventually([&] {
      v = c.get("/v1/w/" + ws + "/admin/verify");
      return v.status != 503;
    }));
    EXPECT_EQ(v.status, 200) << ws << " " << v.body;
  }
}

TEST(Cluster, ServesWorkspacesOnEveryShardAndLosesNothingInAFailover) {
  // As the docs advise with wait_replicas: a primary without its replica refuses writes.
  redis_cluster cluster({"--min-replicas-to-write", "1", "--min-replicas-max-lag", "10"});
  const auto workspaces = spread_over(cluster, 3);
  ASSERT_GE(workspaces.size(), 9u);
  temp_dir dir("ticketd-cluster-ws");
  daemon_process d(daemon_options{platform(cluster.url(), dir.path(), workspaces,
                                           "  wait_replicas: 1\n  wait_timeout: 500ms\n"),
                                  false,
                                  {},
                                  {}});
  http_client c(d.port());
  add_pullers(c, workspaces);

  // Each workspace's keys are on its own slot's primary, and its event feed follows.
  sse_client feed(d.port(), "/v1/w/" + workspaces[1] + "/events?after=0");
  ASSERT_EQ(feed.status(), 200);
  load l(d.port(), workspaces);
  ASSERT_TRUE(eventually([&] { return l.acknowledged() >= 100; })) << d.log();
  {
    redis_client on_primary(
        cluster.socket(cluster.node_of_port(cluster.primary_of(slot_of(workspaces[0])))));
    EXPECT_EQ(on_primary.command({"EXISTS", "ticketd:{" + workspaces[0] + "}:t:T-0"}).integer, 1);
  }
  bool queued = false;
  while (auto e = feed.next(std::chrono::seconds(5))) {
    if (e->type == "ticket.queued") {
      queued = true;
      break;
    }
  }
  EXPECT_TRUE(queued);

  // The primary of workspaces[0] dies under load; its replica takes over.
  const auto victim_port = cluster.primary_of(slot_of(workspaces[0]));
  const auto victim = cluster.node_of_port(victim_port);
  const auto elsewhere = *std::find_if(workspaces.begin(), workspaces.end(), [&](const auto& ws) {
    return cluster.primary_of(slot_of(ws)) != victim_port;
  });
  cluster.kill9(victim);
  // The dead primary's workspaces are not ready; the daemon, and the others, still are (a
  // load balancer keeps it).
  EXPECT_TRUE(eventually([&] { return c.get("/readyz?workspace=" + workspaces[0]).status == 503; },
                         std::chrono::seconds(5)));
  EXPECT_EQ(c.get("/readyz?workspace=" + elsewhere).status, 200);
  EXPECT_EQ(c.get("/readyz").status, 200);
  ASSERT_TRUE(eventually(
      [&] {
        const auto p = cluster.primary_of(slot_of(workspaces[0]));
        return p != 0 && p != victim_port;
      },
      std::chrono::seconds(30)))
      << cluster.logs();
  // The promoted replica has no replica of its own: writes there get 503 until the old primary
  // is back, as its replica.
  cluster.restart(victim);
  ASSERT_TRUE(cluster.wait_ok(std::chrono::seconds(60))) << cluster.logs();
  // Every workspace takes writes again, the failed-over ones included.
  std::map<std::string, std::size_t> before;
  for (const auto& ws : workspaces) before[ws] = l.acknowledged_in(ws);
  ASSERT_TRUE(eventually(
      [&] {
        return std::all_of(workspaces.begin(), workspaces.end(), [&](const std::string& ws) {
          return l.acknowledged_in(ws) >= before[ws] + 5;
        });
      },
      std::chrono::seconds(60)))
      << d.log();
  l.finish();
  EXPECT_GT(l.unavailable_in(workspaces[0]), 0u);
  expect_everything_there(cluster, d, l, workspaces);
  EXPECT_TRUE(eventually([&] { return c.get("/readyz").status == 200; })) << d.log();
  // Connections to the three primaries now (2 workers, each a connection and one for the writes
  // that wait per primary); the dead primary's were stopped and count no more.
  EXPECT_TRUE(eventually([&] {
    // 3 primaries x 2 workers x (a connection + one for the writes that wait).
    const std::string up = "\nticketd_redis_connections_up " + std::to_string(3 * 2 * (1 + 1));
    return c.get("/metrics").body.find(up + "\n") != std::string::npos;
  })) << c.get("/metrics").body.substr(0, 4000);
  EXPECT_EQ(d.terminate(), 0);
}

// The port of the replica of the primary at `primary` (0: none).
std::uint16_t replica_of(redis_cluster& cluster, std::uint16_t primary) {
  redis_client c(cluster.socket(cluster.node_of_port(primary)));
  const auto info = c.command({"INFO", "replication"}).str;
  const auto at = info.find("slave0:");
  if (at == std::string::npos) return 0;
  const auto port = info.find("port=", at);
  return static_cast<std::uint16_t>(std::stoi(info.substr(port + 5)));
}

TEST(Cluster, ARepeatIsConfirmedOnlyOnceAReplicaHasTheWrite) {
  redis_cluster cluster;
  temp_dir dir("ticketd-cluster-ws");
  const std::vector<std::string> workspaces{"alpha"};
  daemon_process d(daemon_options{platform(cluster.url(), dir.path(), workspaces,
                                           "  wait_replicas: 1\n  wait_timeout: 300ms\n"),
                                  false,
                                  {},
                                  {}});
  const auto replica =
      cluster.node_of_port(replica_of(cluster, cluster.primary_of(slot_of("alpha"))));
  const std::vector<std::pair<std::string, std::string>> key{{"Idempotency-Key", "k-1"}};
  // The replica hangs: the write is made on the primary, and not confirmed.
  cluster.pause(replica);
  http_client one(d.port());
  const auto first = one.request("POST", "/v1/w/alpha/tickets", R"({"id":"T-1"})", key);
  ASSERT_EQ(first.status, 503) << first.body;
  EXPECT_TRUE(first.json().at("error").at("maybe_applied").as_bool());
  // Repeats, on the same connection and on others opened while it is open (so served by the
  // other worker, whose write connection did not make the write): answered from the kept
  // result, and still not confirmed while the replica lacks the write.
  std::vector<http_client> others;
  for (int i = 0; i < 3; ++i) others.emplace_back(d.port());
  for (auto* c : {&one, &others[0], &others[1], &others[2]}) {
    const auto again = c->request("POST", "/v1/w/alpha/tickets", R"({"id":"T-1"})", key);
    EXPECT_EQ(again.status, 503) << again.body;
  }
  cluster.resume(replica);
  http_client after(d.port());
  const auto confirmed =
      until_confirmed(after, "POST", "/v1/w/alpha/tickets", R"({"id":"T-1"})", key.front().second);
  ASSERT_EQ(confirmed.status, 201) << confirmed.body;
  EXPECT_EQ(confirmed.header("idempotent-replayed"), "true");
  redis_client on_replica(cluster.socket(replica));
  ASSERT_EQ(on_replica.command({"READONLY"}).str, "OK");  // a replica's keys, read there
  EXPECT_EQ(on_replica.command({"EXISTS", "ticketd:{alpha}:t:T-1"}).integer, 1);
  EXPECT_EQ(d.terminate(), 0);
}

TEST(Cluster, AReshardedSlotAnswers503WhileItMigratesAndLosesNothing) {
  redis_cluster cluster;
  const auto workspaces = spread_over(cluster, 3);
  temp_dir dir("ticketd-cluster-ws");
  daemon_process d(
      daemon_options{platform(cluster.url(), dir.path(), workspaces, ""), false, {}, {}});
  http_client c(d.port());
  add_pullers(c, workspaces);
  const auto& busy = workspaces[0];
  const int slot = slot_of(busy);
  const auto from = cluster.primary_of(slot);
  const auto primaries = cluster.primaries();
  const auto to =
      *std::find_if(primaries.begin(), primaries.end(), [&](std::uint16_t p) { return p != from; });

  sse_client feed(d.port(), "/v1/w/" + busy + "/events?after=0");
  ASSERT_EQ(feed.status(), 200);
  load l(d.port(), workspaces);
  ASSERT_TRUE(eventually([&] { return l.acknowledged_in(busy) >= 30; })) << d.log();

  // While the slot migrates, the busy workspace's calls are refused (503, nothing applied),
  // the others' go on.
  cluster.begin_migration(slot, from, to);
  ASSERT_TRUE(eventually([&] { return l.unavailable_in(busy) >= 3; })) << d.log();
  {
    // A change read back behind its call (no Idempotency-Key: the ticket is still on the old
    // node and readable there): refused, and said not applied.
    const auto patch =
        c.request("PATCH", "/v1/w/" + busy + "/tickets/T-0", R"({"channel":"chat"})");
    ASSERT_EQ(patch.status, 503) << patch.body;
    EXPECT_FALSE(patch.json().at("error").at("maybe_applied").as_bool()) << patch.body;
  }
  const auto others_before = l.acknowledged_in(workspaces[1]);
  cluster.move_keys(slot, from, to, 10);
  ASSERT_TRUE(eventually([&] { return l.acknowledged_in(workspaces[1]) > others_before + 5; }));
  const auto during = l.acknowledged_in(busy);
  ASSERT_TRUE(eventually([&] { return l.unavailable_in(busy) >= 10; })) << d.log();
  EXPECT_EQ(l.acknowledged_in(busy), during);  // nothing of it served while it migrates
  cluster.finish_migration(slot, from, to);
  ASSERT_TRUE(cluster.wait_ok()) << cluster.logs();

  // Afterwards the daemon follows the slot (MOVED), and its event feed too.
  ASSERT_TRUE(
      eventually([&] { return l.acknowledged_in(busy) >= during + 20; }, std::chrono::seconds(30)))
      << d.log();
  l.finish();
  for (const auto& body : l.unavailable_bodies(busy)) {
    const auto error = boost::json::parse(body).at("error");
    EXPECT_NE(error.at("message").as_string().find("migrating"), std::string::npos) << body;
    EXPECT_FALSE(error.as_object().contains("maybe_applied") && error.at("maybe_applied").as_bool())
        << body;
  }
  EXPECT_EQ(cluster.primary_of(slot), to);
  std::set<std::string> fed;
  while (auto e = feed.next(std::chrono::seconds(3))) {
    if (e->type == "ticket.queued") fed.insert(std::string(e->data.at("ticket").as_string()));
  }
  // Every ticket of the busy workspace, created before, during (none) and after the move.
  std::set<std::string> created;
  for (const auto& [ws, id] : l.tickets()) {
    if (ws == busy) created.insert(id);
  }
  EXPECT_EQ(fed, created);
  expect_everything_there(cluster, d, l, workspaces);
  EXPECT_EQ(d.terminate(), 0);
}

TEST(Cluster, TimersFireInEveryWorkspaceOnItsOwnPrimary) {
  redis_cluster cluster;
  const auto workspaces = spread_over(cluster, 1);  // one workspace per primary
  temp_dir dir("ticketd-cluster-ws");
  daemon_process d(daemon_options{
      platform(cluster.url(), dir.path(), workspaces, ""), true, "2026-11-23T09:00:00Z", {}});
  http_client c(d.port());
  for (const auto& ws : workspaces) {
    ASSERT_EQ(c.post("/v1/w/" + ws + "/tickets", R"({"id":"T-1"})").status, 201) << ws;
  }
  // The default first reply is due in 8 h: past it, each workspace's breach fires, written on
  // the primary of its own slot.
  ASSERT_EQ(c.post("/v1/admin/clock", R"({"advance":"9h"})").status, 200);
  for (const auto& ws : workspaces) {
    redis_client node(cluster.socket(cluster.node_of_port(cluster.primary_of(slot_of(ws)))));
    EXPECT_EQ(count_stream_events(node, ws, "sla.breached"), 1u) << ws;
  }
  EXPECT_EQ(d.terminate(), 0);
}

TEST(Cluster, LoadsTheLibraryWhereACallFindsItMissing) {
  redis_cluster cluster;
  temp_dir dir("ticketd-cluster-ws");
  const std::vector<std::string> workspaces{"alpha"};
  daemon_process d(
      daemon_options{platform(cluster.url(), dir.path(), workspaces, ""), false, {}, {}});
  http_client c(d.port());
  ASSERT_EQ(c.post("/v1/w/alpha/tickets", R"({"id":"T-1"})").status, 201);
  // An operator flushes the functions of alpha's primary (its replica follows).
  const auto port = cluster.primary_of(slot_of("alpha"));
  redis_client node(cluster.socket(cluster.node_of_port(port)));
  ASSERT_EQ(node.command({"FUNCTION", "FLUSH"}).str, "OK");
  ASSERT_EQ(node.command({"FUNCTION", "LIST"}).elements.size(), 0u);
  const auto r = c.post("/v1/w/alpha/tickets", R"({"id":"T-2"})");
  EXPECT_EQ(r.status, 201) << r.body << d.log();
  EXPECT_EQ(node.command({"FUNCTION", "LIST"}).elements.size(), 1u);
  EXPECT_EQ(c.get("/v1/w/alpha/tickets/T-2").status, 200);
  EXPECT_EQ(d.terminate(), 0);
}

}  // namespace
}  // namespace ticketd::testing
