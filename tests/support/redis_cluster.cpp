#include "tests/support/redis_cluster.hpp"

#include "routing/keyspace.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <random>
#include <stdexcept>

#include "tests/support/redis_client.hpp"
#include "tests/support/redis_server.hpp"

namespace ticketd::testing {

struct redis_cluster::node {
  std::uint16_t port = 0;
  temp_dir dir{"ticketd-cluster-node"};
  std::unique_ptr<process> proc;  // after dir: stopped before its directory goes

  std::filesystem::path socket() const { return dir.path() / "redis.sock"; }
};

namespace {

// Ports for nodes are taken from [20000, 22768), so that the node and its cluster bus (port +
// 10000) both stay below the kernel's ephemeral range (32768 up), where outgoing connections
// take their ports; a port-0 pick could not leave room for the bus.
constexpr std::uint16_t first_port = 20000;
constexpr std::uint16_t port_span = 2768;
constexpr std::uint16_t bus_offset = 10000;

bool bindable(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// A port free now for a node and its bus, none of `taken`; from a random start, so that test
// binaries run in parallel rarely race for the same one.
std::uint16_t free_cluster_port(const std::vector<std::uint16_t>& taken) {
  static std::mt19937 random{std::random_device{}()};
  const auto start = std::uniform_int_distribution<int>(0, port_span - 1)(random);
  for (int i = 0; i < port_span; ++i) {
    const auto port = static_cast<std::uint16_t>(first_port + (start + i) % port_span);
    if (std::find(taken.begin(), taken.end(), port) != taken.end()) continue;
    if (bindable(port) && bindable(port + bus_offset)) return port;
  }
  throw std::runtime_error("no free port pair (P, P + 10000) for a Redis Cluster node");
}

std::uint16_t to_port(const routing::resp_value& v) {
  return static_cast<std::uint16_t>(
      v.type == routing::resp_value::kind::integer ? v.integer : std::stoi(v.str));
}

// One line of CLUSTER SLOTS: a range of slots, its primary and its replicas (sorted).
struct slot_range {
  std::int64_t first = 0;
  std::int64_t last = 0;
  std::uint16_t primary = 0;
  std::vector<std::uint16_t> replicas;

  bool operator==(const slot_range&) const = default;
};

// A node's CLUSTER SLOTS, by first slot: nodes that agree give equal maps.
std::vector<slot_range> slot_map(redis_client& c) {
  const auto reply = c.command({"CLUSTER", "SLOTS"});
  if (!reply.is_array()) throw std::runtime_error("CLUSTER SLOTS: " + reply.str);
  std::vector<slot_range> map;
  for (const auto& e : reply.elements) {
    slot_range r{e.elements.at(0).integer,
                 e.elements.at(1).integer,
                 to_port(e.elements.at(2).elements.at(1)),
                 {}};
    for (std::size_t i = 3; i < e.elements.size(); ++i) {
      r.replicas.push_back(to_port(e.elements[i].elements.at(1)));
    }
    std::sort(r.replicas.begin(), r.replicas.end());
    map.push_back(std::move(r));
  }
  std::sort(map.begin(), map.end(),
            [](const slot_range& a, const slot_range& b) { return a.first < b.first; });
  return map;
}

// The value of `field` in an INFO reply, empty when absent.
std::string info_field(const std::string& info, const std::string& field) {
  const auto at = info.find("\n" + field + ":");
  if (at == std::string::npos) return {};
  const auto begin = at + field.size() + 2;
  return info.substr(begin, info.find_first_of("\r\n", begin) - begin);
}

// Whether a replica's link to its primary is up, and a primary under min-replicas-to-write counts
// all its replicas as good (not at once after their sync): writes are then refused only for want
// of a replica, never because one is still syncing.
bool replication_settled(const std::string& info) {
  if (info_field(info, "role") == "slave") return info_field(info, "master_link_status") == "up";
  const auto good = info_field(info, "min_slaves_good_slaves");
  return good.empty() || good == info_field(info, "connected_slaves");
}

std::string joined(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

}  // namespace

redis_cluster::redis_cluster(std::vector<std::string> extra) : extra_(std::move(extra)) {
  std::vector<std::uint16_t> taken;
  for (int i = 0; i < 6; ++i) {
    nodes_.push_back(std::make_unique<node>());
    nodes_.back()->port = free_cluster_port(taken);
    taken.push_back(nodes_.back()->port);
  }
  for (auto& n : nodes_) {
    // Another process may bind a port between the check and the start: then another port.
    for (int attempt = 1;; ++attempt) {
      try {
        start(*n);
        break;
      } catch (const std::runtime_error& e) {
        if (attempt == 3 || std::string_view{e.what()}.find("in use") == std::string_view::npos) {
          throw;
        }
        n->port = free_cluster_port(taken);
        taken.push_back(n->port);
      }
    }
  }
  std::vector<std::string> create{"/usr/bin/redis-cli", "--cluster", "create"};
  for (const auto& n : nodes_) create.push_back("127.0.0.1:" + std::to_string(n->port));
  create.insert(create.end(), {"--cluster-replicas", "1", "--cluster-yes"});
  process cli(create, dir_.path() / "create.log");
  if (cli.wait_exit(std::chrono::seconds(60)) != 0) {
    throw std::runtime_error("redis-cli --cluster create failed: " + cli.log() + logs());
  }
  if (!wait_ok()) {
    throw std::runtime_error("the Redis Cluster did not settle: " + cli.log() + logs());
  }
}

redis_cluster::~redis_cluster() {
  // All at once: a primary shutting down waits for its replicas to catch up.
  for (auto& n : nodes_) {
    if (n->proc) n->proc->signal(SIGTERM);
  }
  for (auto& n : nodes_) {
    if (n->proc) n->proc->terminate();
  }
}

void redis_cluster::start(node& n) {
  const auto dir = n.dir.path().string();
  auto argv = redis_server_arguments(n.port, n.socket(), n.dir.path());
  argv.insert(argv.end(),
              {"--appendonly", "no", "--cluster-enabled", "yes", "--cluster-config-file",
               dir + "/nodes.conf", "--cluster-node-timeout", "1000"});
  // A replica stays with the primary it was given: tests know which node backs which.
  argv.insert(argv.end(), {"--cluster-allow-replica-migration", "no"});
  // A full sync starts at once, not after the default 5 s wait for more replicas to share it.
  argv.insert(argv.end(), {"--repl-diskless-sync-delay", "0"});
  argv.insert(argv.end(), extra_.begin(), extra_.end());
  n.proc = std::make_unique<process>(argv, n.dir.path() / "redis.log");
  if (!redis_answers(*n.proc, n.socket())) {
    n.proc->kill9();
    throw std::runtime_error("redis-server (cluster node on port " + std::to_string(n.port) +
                             ") did not start: " + n.proc->log());
  }
}

std::uint16_t redis_cluster::port(std::size_t i) const { return nodes_.at(i)->port; }

std::filesystem::path redis_cluster::socket(std::size_t i) const { return nodes_.at(i)->socket(); }

std::size_t redis_cluster::node_of_port(std::uint16_t port) const {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i]->port == port) return i;
  }
  throw std::out_of_range("no Redis Cluster node on port " + std::to_string(port));
}

void redis_cluster::pause(std::size_t i) { nodes_.at(i)->proc->signal(SIGSTOP); }

void redis_cluster::resume(std::size_t i) { nodes_.at(i)->proc->signal(SIGCONT); }

bool redis_cluster::running(std::size_t i) {
  const auto& n = *nodes_.at(i);
  return n.proc && n.proc->running();
}

std::string redis_cluster::url() const {
  std::string url = "redis+cluster://";
  for (std::size_t i = 0; i < 3; ++i) {
    url += (i == 0 ? "" : ",") + std::string{"127.0.0.1:"} + std::to_string(port(i));
  }
  return url;
}

std::uint16_t redis_cluster::primary_of(int slot) {
  for (std::size_t i = 0; i < size(); ++i) {
    if (!running(i)) continue;
    try {
      redis_client c(socket(i));
      for (const auto& r : slot_map(c)) {
        if (slot >= r.first && slot <= r.last) return r.primary;
      }
      return 0;
    } catch (const std::exception&) {
      // Not answering after all (being killed): the next node.
    }
  }
  return 0;
}

std::vector<std::uint16_t> redis_cluster::primaries() {
  for (std::size_t i = 0; i < size(); ++i) {
    if (!running(i)) continue;
    try {
      redis_client c(socket(i));
      std::vector<std::uint16_t> out;
      for (const auto& r : slot_map(c)) {
        const auto live = [&] {
          for (std::size_t j = 0; j < size(); ++j) {
            if (port(j) == r.primary) return running(j);
          }
          return false;
        }();
        if (live && std::find(out.begin(), out.end(), r.primary) == out.end()) {
          out.push_back(r.primary);
        }
      }
      std::sort(out.begin(), out.end());
      return out;
    } catch (const std::exception&) {
      // Not answering after all (being killed): the next node.
    }
  }
  return {};
}

int redis_cluster::key_slot(const std::string& key) { return routing::key_slot(key); }

int redis_cluster::key_slot_asked(const std::string& key) {
  for (std::size_t i = 0; i < size(); ++i) {
    if (!running(i)) continue;
    redis_client c(socket(i));
    const auto r = c.command({"CLUSTER", "KEYSLOT", key});
    if (r.is_error()) throw std::runtime_error("CLUSTER KEYSLOT: " + r.str);
    return static_cast<int>(r.integer);
  }
  throw std::runtime_error("no Redis Cluster node is running");
}

namespace {

// `argv` on the node at `socket`; an error reply throws.
routing::resp_value checked(const std::filesystem::path& socket, std::uint16_t port,
                            const std::vector<std::string>& argv) {
  redis_client c(socket);
  auto r = c.command(argv);
  if (r.is_error()) {
    throw std::runtime_error(joined(argv) + " on port " + std::to_string(port) + ": " + r.str);
  }
  return r;
}

}  // namespace

std::string redis_cluster::node_id(std::uint16_t port) {
  return checked(socket(node_of_port(port)), port, {"CLUSTER", "MYID"}).str;
}

void redis_cluster::kill9(std::size_t i) {
  if (nodes_.at(i)->proc) nodes_[i]->proc->kill9();
}

void redis_cluster::restart(std::size_t i) {
  kill9(i);
  start(*nodes_.at(i));
}

bool redis_cluster::wait_ok(std::chrono::milliseconds limit) {
  const auto alive = [&](std::uint16_t port) {
    for (std::size_t i = 0; i < size(); ++i) {
      if (nodes_[i]->port == port) return running(i);
    }
    return false;
  };
  return eventually(
      [&] {
        std::optional<std::vector<slot_range>> agreed;
        for (std::size_t i = 0; i < size(); ++i) {
          if (!running(i)) continue;
          try {
            redis_client c(socket(i));
            const auto info = c.command({"CLUSTER", "INFO"}).str;
            if (info.find("cluster_state:ok") == std::string::npos) return false;
            auto map = slot_map(c);
            if (agreed && map != *agreed) return false;
            agreed = std::move(map);
            if (!replication_settled(c.command({"INFO", "replication"}).str)) return false;
          } catch (const std::exception&) {
            return false;
          }
        }
        if (!agreed) return false;
        // A view may still hold a node killed a moment ago (not yet marked failing).
        std::int64_t next = 0;
        for (const auto& r : *agreed) {
          if (r.first != next || !alive(r.primary)) return false;
          if (!std::all_of(r.replicas.begin(), r.replicas.end(), alive)) return false;
          next = r.last + 1;
        }
        return next == slot_count;
      },
      limit);
}

void redis_cluster::begin_migration(int slot, std::uint16_t from_port, std::uint16_t to_port) {
  const auto s = std::to_string(slot);
  // The target first: once MIGRATING, the source sends clients to it with ASK.
  checked(socket(node_of_port(to_port)), to_port,
          {"CLUSTER", "SETSLOT", s, "IMPORTING", node_id(from_port)});
  checked(socket(node_of_port(from_port)), from_port,
          {"CLUSTER", "SETSLOT", s, "MIGRATING", node_id(to_port)});
}

std::size_t redis_cluster::move_keys(int slot, std::uint16_t from_port, std::uint16_t to_port,
                                     std::size_t batch) {
  const auto from = socket(node_of_port(from_port));
  std::size_t moved = 0;
  for (;;) {
    const auto keys =
        checked(from, from_port,
                {"CLUSTER", "GETKEYSINSLOT", std::to_string(slot), std::to_string(batch)})
            .elements;
    if (keys.empty()) return moved;
    std::vector<std::string> argv{"MIGRATE", "127.0.0.1", std::to_string(to_port), "", "0",
                                  "5000",    "KEYS"};
    for (const auto& k : keys) argv.push_back(k.str);
    checked(from, from_port, argv);
    moved += keys.size();
  }
}

void redis_cluster::finish_migration(int slot, std::uint16_t from_port, std::uint16_t to_port) {
  const std::vector<std::string> argv{"CLUSTER", "SETSLOT", std::to_string(slot), "NODE",
                                      node_id(to_port)};
  // The target first (it bumps its config epoch, so its claim wins gossip), so that the source's
  // MOVED points at a node that serves the slot; the other primaries then learn it at once.
  checked(socket(node_of_port(to_port)), to_port, argv);
  checked(socket(node_of_port(from_port)), from_port, argv);
  for (std::size_t i = 0; i < size(); ++i) {
    if (!running(i) || port(i) == from_port || port(i) == to_port) continue;
    const auto role = checked(socket(i), port(i), {"ROLE"});
    if (!role.elements.empty() && role.elements[0].str == "master") {
      checked(socket(i), port(i), argv);
    }
  }
}

std::string redis_cluster::logs() const {
  std::string out;
  for (const auto& n : nodes_) {
    out += "\n--- cluster node on port " + std::to_string(n->port) + " ---\n";
    if (n->proc) out += n->proc->log();
  }
  return out;
}

}  // namespace ticketd::testing
