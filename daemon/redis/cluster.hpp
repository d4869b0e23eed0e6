// Redis Cluster: where each slot's primary is (cluster_map, one for the process), and one
// worker's connections to those primaries (node_pool, also the plain single-Redis case).
//
// Every key of a workspace is under its hash tag, so a workspace lives in one slot and all its
// calls go to that slot's primary. A MOVED answer means the call did not run there: the map
// learns the new owner and the call goes again. ASK, TRYAGAIN and CLUSTERDOWN also mean it did
// not run, and are answered 503 (a slot migrating must not serve a call half on either side).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "config/config.hpp"
#include "routing/resp.hpp"

namespace ticketd::daemon {

class redis_connection;

constexpr std::size_t cluster_slot_count = 16384;

// Which primary serves each slot, as one node last said (CLUSTER SLOTS).
struct slot_table {
  std::vector<config::redis_address> primaries;
  // Index into `primaries` per slot; -1 when no primary serves it.
  std::vector<std::int16_t> owner = std::vector<std::int16_t>(cluster_slot_count, -1);
  std::uint64_t version = 0;

  const config::redis_address* primary_of(std::uint16_t slot) const;
  // Whether every slot has a primary.
  bool covered() const;
};

// What a cluster node answered instead of running a command.
struct cluster_reply {
  enum class kind { none, moved, ask, try_again, down };
  kind what = kind::none;
  std::uint16_t slot = 0;
  config::redis_address to;  // moved, ask

  // A sentence for the 503 (kind != none).
  std::string describe() const;
};
cluster_reply cluster_reply_of(const routing::resp_value& v);

// The CLUSTER SLOTS reply of the node at `asked` as a table (nullopt: not such a reply). An
// empty address in it means the node asked.
std::optional<slot_table> parse_cluster_slots(const routing::resp_value& reply,
                                              const config::redis_address& asked);

class cluster_map {
 public:
  // `endpoint`: redis_kind::cluster (its seeds, user and password, timeout).
  explicit cluster_map(config::redis_config endpoint);

  // Any thread.
  std::shared_ptr<const slot_table> table() const;
  std::uint64_t version() const { return version_.load(std::memory_order_acquire); }

  // After a MOVED answered by the node at host `answered_by`: its slot is served by its `to`
  // now (the next refresh reads the whole map again).
  void learn(const cluster_reply& moved, const std::string& answered_by);
  // Reads the map again from the first node that answers (the primaries known, then the
  // seeds), unless it was read within `fresh`. False when no node answered.
  boost::asio::awaitable<bool> refresh(boost::asio::any_io_executor ex,
                                       std::chrono::milliseconds fresh);

 private:
  void install(slot_table t);
  // A table read from `from`, installed.
  void installed(slot_table t, const std::string& from);

  config::redis_config endpoint_;
  mutable std::mutex mutex_;
  std::shared_ptr<const slot_table> table_;
  std::atomic<std::uint64_t> version_{0};
  std::chrono::steady_clock::time_point read_at_{};
  bool told_unreachable_ = false;
  std::size_t rotation_ = 0;
};

// One worker's connections: `per_node` to each node (the one Redis, or every primary of the
// cluster), plus one per node for the writes that wait for replicas when asked. Used from the
// worker's thread, except for_each.
class node_pool {
 public:
  // `writes`: the connection's client is the one for writes that wait for replicas.
  using factory =
      std::function<std::unique_ptr<redis_connection>(const config::redis_config&, bool writes)>;

  // `map`: null for one Redis (or the primary Sentinel names).
  node_pool(boost::asio::any_io_executor ex, config::redis_config endpoint,
            std::shared_ptr<cluster_map> map, unsigned per_node, bool writes, factory make);
  ~node_pool();
  node_pool(const node_pool&) = delete;
  node_pool& operator=(const node_pool&) = delete;

  // Starts the connections (in a cluster: to every primary the map knows, then to those it
  // learns, and the upkeep that reads the map again after failures and every few seconds).
  void start();
  void stop();

  // The next connection to the primary of `slot`; null when none is known (cluster down).
  redis_connection* connection(std::uint16_t slot);
  // The connection for writes that wait for replicas on that primary (null without them).
  redis_connection* write_connection(std::uint16_t slot);
  // Whether the connections to the primary of `slot` answer. Any thread.
  bool serves(std::uint16_t slot) const;
  // Whether some primary's connections answer (the map is read, the cluster reached). Any
  // thread.
  bool reaches_cluster() const;
  // After a MOVED answer from connection `from`: the map learns it (an empty host in it is
  // `from`'s), and is read in full soon.
  void moved(const cluster_reply& r, const redis_connection& from);
  // After a CLUSTERDOWN answer: the map is read again soon (a failover may have named a new
  // primary that the node asked does not know of yet).
  void refresh_soon();

  // Every connection, under the pool's lock (any thread): readiness, wake-ups.
  void for_each(const std::function<void(redis_connection&)>& fn) const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace ticketd::daemon
