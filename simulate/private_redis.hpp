// The simulator's own redis-server: a unix socket in a fresh temporary directory, nothing
// persisted, stopped (and the directory removed) when this goes away.
#pragma once

#include <filesystem>
#include <string>

namespace ticketd::simulate {

class private_redis {
 public:
  // Starts `binary` (found on PATH when it has no slash) and waits until it accepts
  // connections; throws std::runtime_error saying why when it cannot.
  explicit private_redis(const std::string& binary);
  ~private_redis();
  private_redis(const private_redis&) = delete;
  private_redis& operator=(const private_redis&) = delete;

  std::filesystem::path socket() const { return dir_ / "redis.sock"; }

 private:
  void stop();

  std::filesystem::path dir_;
  int pid_ = -1;
};

}  // namespace ticketd::simulate
