#include "tests/support/redis_server.hpp"

#include <signal.h>

#include <stdexcept>

#include "tests/support/redis_client.hpp"

namespace ticketd::testing {

redis_server::redis_server(persistence p) : persistence_(p) { start(); }

redis_server::~redis_server() { stop(); }

void redis_server::start() {
  std::vector<std::string> argv{"/usr/bin/redis-server",
                                "--port", "0",
                                "--unixsocket", socket().string(),
                                "--unixsocketperm", "700",
                                "--dir", dir_.path().string(),
                                "--save", "",
                                "--daemonize", "no",
                                "--loglevel", "warning"};
  if (persistence_ == persistence::aof_everysec) {
    argv.insert(argv.end(), {"--appendonly", "yes", "--appendfsync", "everysec"});
  } else {
    argv.insert(argv.end(), {"--appendonly", "no"});
  }
  process_ = std::make_unique<process>(argv, dir_.path() / "redis.log");
  const bool up = eventually([this] {
    if (!process_->running()) return true;
    try {
      redis_client c(socket());
      return c.command({"PING"}).str == "PONG";
    } catch (const std::exception&) {
      return false;
    }
  });
  if (!up || !process_->running()) {
    throw std::runtime_error("redis-server did not start (is it installed?): " + process_->log());
  }
}

void redis_server::kill9() {
  if (process_) process_->kill9();
}

void redis_server::stop() {
  if (process_) process_->terminate();
}

void redis_server::pause() { process_->signal(SIGSTOP); }

void redis_server::resume() { process_->signal(SIGCONT); }

}  // namespace ticketd::testing
