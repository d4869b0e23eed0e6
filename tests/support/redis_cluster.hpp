// A private Redis Cluster for one test: six redis-server nodes on loopback (three primaries with
// one replica each), each with its own temp dir, TCP port and unix socket (tests read state
// through the socket). Nodes can be killed and restarted; one slot can be resharded step by step.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace ticketd::testing {

class redis_cluster {
 public:
  static constexpr int slot_count = 16384;

  // `extra`: more redis-server arguments for every node (e.g. --min-replicas-to-write 1).
  // Returns once every node reports cluster_state:ok and all agree (wait_ok); throws
  // std::runtime_error with the logs otherwise.
  explicit redis_cluster(std::vector<std::string> extra = {});
  ~redis_cluster();
  redis_cluster(const redis_cluster&) = delete;
  redis_cluster& operator=(const redis_cluster&) = delete;

  std::size_t size() const { return nodes_.size(); }
  std::uint16_t port(std::size_t i) const;
  std::filesystem::path socket(std::size_t i) const;
  // The node listening on `port`; throws std::out_of_range for a port of no node.
  std::size_t node_of_port(std::uint16_t port) const;
  bool running(std::size_t i);
  // "redis+cluster://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3": the first three nodes as seeds.
  std::string url() const;

  // The port of the primary serving `slot` in the view of the first live node, 0 if none.
  std::uint16_t primary_of(int slot);
  // The live primaries serving slots, in the view of the first live node, sorted.
  std::vector<std::uint16_t> primaries();
  // The hash slot of a key, as ticketd computes it (routing::key_slot).
  static int key_slot(const std::string& key);
  // The same, asked of a live node (CLUSTER KEYSLOT).
  int key_slot_asked(const std::string& key);
  std::string node_id(std::uint16_t port);

  void kill9(std::size_t i);
  // SIGSTOP / SIGCONT: a node that hangs (its connections stay up, nothing answers).
  void pause(std::size_t i);
  void resume(std::size_t i);
  // Starts node i again (killed first if running) on its port, dir and nodes.conf: it rejoins
  // the cluster, as a replica when its slots were taken over meanwhile. Nodes keep no data: a
  // primary restarted before its replica took over serves its slots empty. Does not wait_ok.
  void restart(std::size_t i);

  // Until every live node reports cluster_state:ok, all agree on the primary and replicas of
  // every slot, every node named there is alive, and every live replica's link to its primary
  // is up. Whether that happened within `limit`.
  bool wait_ok(std::chrono::milliseconds limit = std::chrono::seconds(30));

  // Resharding of one slot, step by step, as `redis-cli --cluster reshard` does it. Each throws
  // std::runtime_error when a node answers with an error.
  // IMPORTING on the target, then MIGRATING on the source.
  void begin_migration(int slot, std::uint16_t from_port, std::uint16_t to_port);
  // GETKEYSINSLOT + MIGRATE in batches until the source holds none; the number of keys moved.
  std::size_t move_keys(int slot, std::uint16_t from_port, std::uint16_t to_port,
                        std::size_t batch = 100);
  // SETSLOT NODE on the target, the source, then every other primary.
  void finish_migration(int slot, std::uint16_t from_port, std::uint16_t to_port);

  // All nodes' logs, each under its port, for failure messages.
  std::string logs() const;

 private:
  struct node;

  void start(node& n);

  std::vector<std::string> extra_;
  temp_dir dir_{"ticketd-cluster"};
  std::vector<std::unique_ptr<node>> nodes_;
};

}  // namespace ticketd::testing
