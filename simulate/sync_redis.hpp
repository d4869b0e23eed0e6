// A blocking Redis client (hiredis) for the simulator, which owns its private server and has
// nothing else to wait for, and for the tests, which read state directly. Failures throw.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "routing/resp.hpp"

struct redisContext;

namespace ticketd::simulate {

class sync_redis {
 public:
  explicit sync_redis(const std::filesystem::path& socket);
  ~sync_redis();
  sync_redis(const sync_redis&) = delete;
  sync_redis& operator=(const sync_redis&) = delete;

  routing::resp_value command(const std::vector<std::string>& argv);
  // Sends a command already encoded as RESP (routing::command).
  routing::resp_value run(const routing::command& cmd);
  // Sends the commands in one write (pipelined) and returns their replies in order.
  std::vector<routing::resp_value> run_all(std::span<const routing::command> cmds);

 private:
  redisContext* ctx_ = nullptr;
};

}  // namespace ticketd::simulate
