#include "tests/support/redis_server.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include "tests/support/redis_client.hpp"

namespace ticketd::testing {

namespace {

// A port the kernel just handed out and released: free unless something grabs it first.
std::uint16_t free_tcp_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Until the server started as `p` answers; throws (with its log) when it exits or never
// answers.
void wait_answering(process& p, const std::filesystem::path& socket, const std::string& failed) {
  if (!redis_answers(p, socket)) throw std::runtime_error(failed + p.log());
}

}  // namespace

bool redis_answers(process& p, const std::filesystem::path& socket) {
  const bool up = eventually([&] {
    if (!p.running()) return true;
    try {
      redis_client c(socket);
      return c.command({"PING"}).str == "PONG";
    } catch (const std::exception&) {
      return false;
    }
  });
  return up && p.running();
}

redis_server::redis_server(persistence p, transport t, std::vector<std::string> extra)
    : persistence_(p), extra_(std::move(extra)) {
  if (t == transport::tcp) tcp_port_ = free_tcp_port();
  start();
}

std::string redis_server::url() const {
  if (tcp_port_ != 0) return "redis://127.0.0.1:" + std::to_string(tcp_port_);
  return "unix://" + socket().string();
}

std::vector<std::string> redis_server_arguments(std::uint16_t port,
                                                const std::filesystem::path& socket,
                                                const std::filesystem::path& dir) {
  return {"/usr/bin/redis-server",
          "--port",
          std::to_string(port),
          "--bind",
          "127.0.0.1",
          "--unixsocket",
          socket.string(),
          "--unixsocketperm",
          "700",
          "--dir",
          dir.string(),
          "--save",
          "",
          "--daemonize",
          "no",
          "--loglevel",
          "warning"};
}

redis_server::~redis_server() { stop(); }

void redis_server::start() {
  auto argv = redis_server_arguments(tcp_port_, socket(), dir_.path());
  if (persistence_ == persistence::aof_always) {
    argv.insert(argv.end(), {"--appendonly", "yes", "--appendfsync", "always"});
  } else {
    argv.insert(argv.end(), {"--appendonly", "no"});
  }
  argv.insert(argv.end(), extra_.begin(), extra_.end());
  process_ = std::make_unique<process>(argv, dir_.path() / "redis.log");
  wait_answering(*process_, socket(), "redis-server did not start (is it installed?): ");
}

void redis_server::kill9() {
  if (process_) process_->kill9();
}

void redis_server::stop() {
  if (process_) process_->terminate();
}

std::string redis_server::log() const { return process_ ? process_->log() : std::string{}; }

void redis_server::pause() { process_->signal(SIGSTOP); }

void redis_server::resume() { process_->signal(SIGCONT); }

redis_sentinel::redis_sentinel(std::uint16_t primary_port, const std::string& name, int quorum)
    : port_(free_tcp_port()) {
  // The sentinel rewrites its file: each has its own.
  const auto file = dir_.path() / "sentinel.conf";
  std::ofstream(file) << "port " << port_ << "\nbind 127.0.0.1\nunixsocket " << socket().string()
                      << "\nunixsocketperm 700\ndir " << dir_.path().string()
                      << "\nsentinel monitor " << name << " 127.0.0.1 " << primary_port << " "
                      << quorum << "\nsentinel down-after-milliseconds " << name
                      << " 1000\nsentinel failover-timeout " << name << " 4000\n";
  process_ = std::make_unique<process>(
      std::vector<std::string>{"/usr/bin/redis-server", file.string(), "--sentinel"},
      dir_.path() / "sentinel.log");
  wait_answering(*process_, socket(), "redis-server --sentinel did not start: ");
}

std::string redis_sentinel::log() const { return process_->log(); }

redis_sentinel::~redis_sentinel() {
  if (process_) process_->terminate();
}

std::string replicated_config(const std::string& workspace, const std::string& url) {
  return "workspace: " + workspace + "\nserver:\n  listen: 127.0.0.1:0\nredis:\n  url: " + url +
         "\n  timeout: 2s\n  wait_replicas: 1\n  wait_timeout: 300ms\n";
}

std::string platform_config(const std::string& url, const std::filesystem::path& dir,
                            const std::string& redis_extra) {
  return "workspace: hq\nworkspaces_dir: " + dir.string() +
         "\nserver:\n  listen: 127.0.0.1:0\n  threads: 2\nredis:\n  url: " + url + "\n" +
         redis_extra + "queues:\n  general: {mode: pull}\ndefaults: {queue: general}\n";
}

redis_server& shared_redis() {
  static redis_server server;
  return server;
}

}  // namespace ticketd::testing
