// A blocking Redis client for tests (hiredis): run commands and read state directly.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "routing/resp.hpp"

struct redisContext;

namespace ticketd::testing {

class redis_client {
 public:
  explicit redis_client(const std::filesystem::path& socket);
  ~redis_client();
  redis_client(const redis_client&) = delete;
  redis_client& operator=(const redis_client&) = delete;

  routing::resp_value command(const std::vector<std::string>& argv);
  // Sends a command already encoded as RESP (routing::command).
  routing::resp_value run(const routing::command& cmd);
  // Sends the commands in one write (pipelined) and returns their replies in order.
  std::vector<routing::resp_value> run_all(std::span<const routing::command> cmds);

 private:
  redisContext* ctx_ = nullptr;
};

}  // namespace ticketd::testing
