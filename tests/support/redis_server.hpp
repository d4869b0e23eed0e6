// A private redis-server for one test binary: unix socket in a temp dir, no TCP port. It can be
// killed and started again on the same socket and data directory (AOF when persistent).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace ticketd::testing {

// aof_always: every change is in the AOF, fsynced, before Redis answers it (the embedded
// server's setting), so a kill -9 loses nothing acknowledged. With everysec Redis may answer
// before its AOF write while a background fsync is still running.
enum class persistence { none, aof_always };
enum class transport { unix_socket, tcp };

class redis_server {
 public:
  // `extra`: more redis-server arguments (e.g. --replicaof 127.0.0.1 PORT).
  explicit redis_server(persistence p = persistence::none, transport t = transport::unix_socket,
                        std::vector<std::string> extra = {});
  ~redis_server();

  void start();
  void kill9();
  void stop();
  // SIGSTOP / SIGCONT: a hung server (the connection stays up, nothing answers).
  void pause();
  void resume();

  std::filesystem::path socket() const { return dir_.path() / "redis.sock"; }
  // The unix socket always exists (tests read state through it); TCP is added on request.
  std::string url() const;
  std::uint16_t port() const { return tcp_port_; }
  const std::filesystem::path& dir() const { return dir_.path(); }
  // What the server has logged, across restarts (warnings and up).
  std::string log() const;

 private:
  persistence persistence_;
  std::vector<std::string> extra_;
  std::uint16_t tcp_port_ = 0;
  temp_dir dir_{"ticketd-redis"};
  std::unique_ptr<process> process_;
};

// A Redis Sentinel (redis-server --sentinel) on a TCP port of its own, watching the primary at
// 127.0.0.1:`primary_port` under `name` with quorum `quorum`, quick to act (the primary is down
// after 1 s without answers); tests read it through its unix socket.
class redis_sentinel {
 public:
  redis_sentinel(std::uint16_t primary_port, const std::string& name, int quorum);
  ~redis_sentinel();

  std::uint16_t port() const { return port_; }
  std::filesystem::path socket() const { return dir_.path() / "sentinel.sock"; }
  // Its log: every +sdown, +odown, +failover and +switch-master it saw.
  std::string log() const;

 private:
  std::uint16_t port_ = 0;
  temp_dir dir_{"ticketd-sentinel"};
  std::unique_ptr<process> process_;
};

// The configuration of a daemon on `url` whose writes wait for one replica (300 ms at most).
std::string replicated_config(const std::string& workspace, const std::string& url);

// The arguments every test redis-server starts with: TCP `port` on loopback, unix `socket`,
// data in `dir`, no RDB snapshots, in the foreground, quiet (persistence and roles follow).
std::vector<std::string> redis_server_arguments(std::uint16_t port,
                                                const std::filesystem::path& socket,
                                                const std::filesystem::path& dir);

// Until the redis-server started as `p` answers PING on `socket`; false when it exits or never
// does.
bool redis_answers(process& p, const std::filesystem::path& socket);

// A platform on `url`: the main file's workspace `hq` (a pull queue `general`), the workspace
// files of `dir`, two worker threads; `redis_extra`: more lines of its `redis:` section.
std::string platform_config(const std::string& url, const std::filesystem::path& dir,
                            const std::string& redis_extra = "");

// One private redis-server for the whole test binary, started on first use.
redis_server& shared_redis();

}  // namespace ticketd::testing
