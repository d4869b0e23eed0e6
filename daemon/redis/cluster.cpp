#include "daemon/redis/cluster.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "daemon/common/log.hpp"
#include "daemon/redis/redis_connection.hpp"

namespace ticketd::daemon {

namespace asio = boost::asio;
using config::redis_address;
using routing::resp_value;
using steady = std::chrono::steady_clock;

namespace {

std::string text_of(const redis_address& a) { return a.host + ":" + std::to_string(a.port); }

}  // namespace

cluster_map::cluster_map(config::redis_config endpoint)
    : endpoint_(std::move(endpoint)), table_(std::make_shared<const slot_table>()) {}

std::shared_ptr<const slot_table> cluster_map::table() const {
  const std::lock_guard lock(mutex_);
  return table_;
}

void cluster_map::install(slot_table t) {
  // Under mutex_. A new version only when something changed: the pools rebuild on a new one.
  if (t.primaries == table_->primaries && t.owner == table_->owner) return;
  t.version = table_->version + 1;
  table_ = std::make_shared<const slot_table>(std::move(t));
  version_.store(table_->version, std::memory_order_release);
}

void cluster_map::learn(const cluster_reply& moved, const std::string& answered_by) {
  const std::lock_guard lock(mutex_);
  slot_table t = *table_;
  const auto slot = moved.slot;
  redis_address to = moved.to;
  // "MOVED 3999 :6380": the same host as the node that answered.
  if (to.host.empty()) to.host = answered_by;
  auto found = std::find(t.primaries.begin(), t.primaries.end(), to);
  if (found == t.primaries.end()) {
    t.primaries.push_back(to);
    found = std::prev(t.primaries.end());
  }
  t.owner[slot] = static_cast<std::int16_t>(found - t.primaries.begin());
  install(std::move(t));
  // Read in full at the next refresh: one slot moving is often a whole range, or a failover.
  read_at_ = {};
}

asio::awaitable<bool> cluster_map::refresh(asio::any_io_executor ex,
                                           std::chrono::milliseconds fresh) {
  std::vector<redis_address> candidates;
  {
    const std::lock_guard lock(mutex_);
    if (read_at_ != steady::time_point{} && steady::now() - read_at_ < fresh) co_return true;
    candidates = table_->primaries;
    // Each read starts at another node: a node that answers with a stale view is not asked
    // first every time.
    if (!candidates.empty()) {
      std::rotate(candidates.begin(),
                  candidates.begin() + static_cast<std::ptrdiff_t>(rotation_++ % candidates.size()),
                  candidates.end());
    }
  }
  for (const auto& seed : endpoint_.seeds) {
    if (std::find(candidates.begin(), candidates.end(), seed) == candidates.end()) {
      candidates.push_back(seed);
    }
  }
  std::vector<routing::command> ask;
  if (!endpoint_.password.empty()) {
    routing::command auth{"AUTH"};
    if (!endpoint_.username.empty()) auth.arg(endpoint_.username);
    ask.push_back(std::move(auth.arg(endpoint_.password)));
  }
  ask.push_back(std::move(routing::command{"CLUSTER"}.arg("INFO")));
  ask.push_back(std::move(routing::command{"CLUSTER"}.arg("SLOTS")));
  // A node that says the cluster failed (cut off from the majority, or just restarted) may
  // still name itself for slots that were failed over: its view is taken only when no node
  // that says ok answers.
  std::optional<slot_table> fallback;
  std::string fallback_from;
  for (const auto& node : candidates) {
    auto replies = co_await ask_once(ex, node, ask, endpoint_.timeout);
    if (!replies) continue;
    auto t = parse_cluster_slots(replies->back(), node);
    // A node that lost its view (restarting, or cut off) knows no slot: ask another.
    if (!t || t->primaries.empty()) continue;
    const auto& info = (*replies)[replies->size() - 2];
    if (info.str.find("cluster_state:ok") == std::string::npos) {
      if (!fallback) {
        fallback = std::move(t);
        fallback_from = text_of(node);
      }
      continue;
    }
    installed(std::move(*t), text_of(node));
    co_return true;
  }
  if (fallback) {
    installed(std::move(*fallback), fallback_from);
    co_return true;
  }
  const std::lock_guard lock(mutex_);
  if (!told_unreachable_) {
    log_warning(
        "no node of the Redis Cluster answered CLUSTER SLOTS (seeds: {}); requests get 503 "
        "until one does",
        endpoint_.url);
  }
  told_unreachable_ = true;
  co_return false;
}

void cluster_map::installed(slot_table t, const std::string& from) {
  const std::lock_guard lock(mutex_);
  install(std::move(t));
  read_at_ = steady::now();
  if (told_unreachable_) log_info("the Redis Cluster answers again (slot map from {})", from);
  told_unreachable_ = false;
}

// The connections of one node: `reads` used in turn, `writes` for writes that wait for replicas.
struct node_connections {
  redis_address at;
  std::vector<std::unique_ptr<redis_connection>> reads;
  std::unique_ptr<redis_connection> writes;
  std::size_t next = 0;

  redis_connection* pick() { return reads[next++ % reads.size()].get(); }
  void for_each(const std::function<void(redis_connection&)>& fn) const {
    for (const auto& c : reads) fn(*c);
    if (writes) fn(*writes);
  }
};

struct node_pool::impl : std::enable_shared_from_this<impl> {
  impl(asio::any_io_executor executor, config::redis_config e, std::shared_ptr<cluster_map> m,
       unsigned n, bool w, factory f)
      : ex(std::move(executor)),
        endpoint(std::move(e)),
        map(std::move(m)),
        per_node(std::max(1U, n)),
        writes(w),
        make(std::move(f)),
        upkeep_timer(ex) {}

  asio::any_io_executor ex;
  config::redis_config endpoint;
  std::shared_ptr<cluster_map> map;
  unsigned per_node;
  bool writes;
  factory make;
  asio::steady_timer upkeep_timer;
  // Changed on the worker's thread only, under `mutex` (for_each reads it from others).
  mutable std::mutex mutex;
  std::vector<std::unique_ptr<node_connections>> nodes;
  // Connections of nodes no longer primaries: stopped (their calls fail at once), and freed a
  // minute later, when no caller can still hold one (a call holds its connection at most
  // redis.timeout).
  std::vector<std::pair<steady::time_point, std::unique_ptr<node_connections>>> retired;
  // Cluster: the table the pool follows, and its primaries' connections in the table's order.
  std::shared_ptr<const slot_table> table;
  std::vector<node_connections*> by_primary;
  bool started = false;
  bool stopped = false;
  bool refreshing = false;
  steady::time_point refresh_asked{};

  std::unique_ptr<node_connections> connect_to(const config::redis_config& e,
                                               const redis_address& at) {
    auto n = std::make_unique<node_connections>();
    n->at = at;
    for (unsigned i = 0; i < per_node; ++i) n->reads.push_back(make(e, false));
    if (writes) n->writes = make(e, true);
    if (started) n->for_each([](redis_connection& c) { c.start(); });
    return n;
  }

  // Follows the map's newest table: connections to primaries it adds, none to those it drops.
  void follow_map() {
    if (table && map->version() == table->version) return;
    auto t = map->table();
    std::vector<std::unique_ptr<node_connections>> kept;
    std::vector<node_connections*> order;
    {
      const std::lock_guard lock(mutex);
      for (const auto& at : t->primaries) {
        auto found = std::find_if(nodes.begin(), nodes.end(),
                                  [&](const auto& n) { return n && n->at == at; });
        if (found != nodes.end()) {
          kept.push_back(std::move(*found));
        } else {
          config::redis_config e = endpoint;
          e.kind = config::redis_kind::tcp;
          e.host = at.host;
          e.port = at.port;
          kept.push_back(connect_to(e, at));
        }
        order.push_back(kept.back().get());
      }
      for (auto& n : nodes) {
        if (!n) continue;
        n->for_each([](redis_connection& c) { c.stop(); });
        retired.emplace_back(steady::now(), std::move(n));
      }
      nodes = std::move(kept);
    }
    by_primary = std::move(order);
    table = std::move(t);
  }

  static bool all_ready(const node_connections& n) {
    bool up = true;
    n.for_each([&](redis_connection& c) { up = up && c.ready(); });
    return up;
  }

  void free_retired() {
    const auto grace = std::max<steady::duration>(std::chrono::minutes(1), 10 * endpoint.timeout);
    const auto now = steady::now();
    const std::lock_guard lock(mutex);
    std::erase_if(retired, [&](const auto& r) { return now - r.first > grace; });
  }

  redis_connection* pick(std::uint16_t slot, bool for_writes) {
    if (!map) {
      auto& n = *nodes.front();
      return for_writes ? n.writes.get() : n.pick();
    }
    follow_map();
    const auto i = table->owner[slot];
    if (i < 0) {
      ask_refresh();
      return nullptr;
    }
    auto& n = *by_primary[static_cast<std::size_t>(i)];
    auto* c = for_writes ? n.writes.get() : n.pick();
    // A primary that does not answer may have failed over: read the map again.
    if (c != nullptr && !c->ready()) ask_refresh();
    return c;
  }

  // A refresh in the background, at most one at a time and one each quarter second.
  void ask_refresh() {
    const auto now = steady::now();
    if (refreshing || stopped || now - refresh_asked < std::chrono::milliseconds(250)) return;
    refresh_asked = now;
    refreshing = true;
    asio::co_spawn(ex, refresh_once(shared_from_this()), asio::detached);
  }

  // `self` keeps the pool alive from the spawn on.
  asio::awaitable<void> refresh_once(std::shared_ptr<impl> /*keeps the pool*/) {
    co_await map->refresh(ex, std::chrono::milliseconds(250));
    refreshing = false;
    if (!stopped) follow_map();
  }

  // Reads the map at once, then every 5 s, and every second while a primary does not answer
  // or a slot has none (a failover: the map names the promoted replica once the cluster voted).
  asio::awaitable<void> upkeep(std::shared_ptr<impl> /*keeps the pool*/) {
    for (unsigned tick = 0; !stopped; ++tick) {
      const bool healthy = table != nullptr && table->covered() &&
                           std::all_of(by_primary.begin(), by_primary.end(),
                                       [](const auto* n) { return all_ready(*n); });
      if (!healthy || tick % 5 == 0) {
        co_await map->refresh(ex, std::chrono::milliseconds(healthy ? 4000 : 900));
      }
      if (stopped) break;
      follow_map();
      free_retired();
      upkeep_timer.expires_after(std::chrono::seconds(1));
      co_await upkeep_timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }
};

node_pool::node_pool(asio::any_io_executor ex, config::redis_config endpoint,
                     std::shared_ptr<cluster_map> map, unsigned per_node, bool writes, factory make)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(endpoint), std::move(map), per_node,
                                   writes, std::move(make))) {
  if (!impl_->map) {
    impl_->nodes.push_back(impl_->connect_to(impl_->endpoint, {}));
  }
}

node_pool::~node_pool() { stop(); }

void node_pool::start() {
  if (impl_->started) return;
  impl_->started = true;
  if (impl_->map) {
    impl_->follow_map();
    asio::co_spawn(impl_->ex, impl_->upkeep(impl_), asio::detached);
  }
  const std::lock_guard lock(impl_->mutex);
  for (const auto& n : impl_->nodes) n->for_each([](redis_connection& c) { c.start(); });
}

void node_pool::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->upkeep_timer.cancel();
  for_each([](redis_connection& c) { c.stop(); });
}

redis_connection* node_pool::connection(std::uint16_t slot) { return impl_->pick(slot, false); }

redis_connection* node_pool::write_connection(std::uint16_t slot) {
  return impl_->writes ? impl_->pick(slot, true) : nullptr;
}

bool node_pool::serves(std::uint16_t slot) const {
  if (!impl_->map) return impl::all_ready(*impl_->nodes.front());
  const auto table = impl_->map->table();
  const auto* at = table->primary_of(slot);
  if (at == nullptr) return false;
  const std::lock_guard lock(impl_->mutex);
  for (const auto& n : impl_->nodes) {
    if (n && n->at == *at) return impl::all_ready(*n);
  }
  return false;
}

bool node_pool::reaches_cluster() const {
  const std::lock_guard lock(impl_->mutex);
  return std::any_of(impl_->nodes.begin(), impl_->nodes.end(),
                     [](const auto& n) { return n && impl::all_ready(*n); });
}

void node_pool::moved(const cluster_reply& r, const redis_connection& from) {
  if (!impl_->map) return;
  impl_->map->learn(r, from.host());
  impl_->follow_map();
  impl_->ask_refresh();
}

void node_pool::refresh_soon() {
  if (impl_->map) impl_->ask_refresh();
}

void node_pool::for_each(const std::function<void(redis_connection&)>& fn) const {
  const std::lock_guard lock(impl_->mutex);
  for (const auto& n : impl_->nodes) {
    if (n) n->for_each(fn);
  }
}

}  // namespace ticketd::daemon
