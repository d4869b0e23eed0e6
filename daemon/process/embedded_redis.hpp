// Runs a private redis-server for `redis.url: embedded`: unix socket only, AOF with fsync every
// second, data in server.state_dir. start() blocks until it answers PING; afterwards the
// supervisor restarts it (with backoff) whenever it dies; stop() shuts it down cleanly.
// The child gets SIGTERM if ticketd itself dies (even by kill -9), and a leftover server of a
// previous ticketd in the same state_dir is stopped before a new one starts, so two servers
// never write one AOF. Runs its watch on the given io_context.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

namespace ticketd::daemon {

class embedded_redis {
 public:
  embedded_redis(boost::asio::io_context& ioc, std::filesystem::path state_dir,
                 std::filesystem::path server_binary);
  ~embedded_redis();

  // Empty on success, else what went wrong and what to do about it.
  std::string start();
  void stop();

  std::filesystem::path socket_path() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace ticketd::daemon
