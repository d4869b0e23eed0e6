// Tests read and write Redis with the simulator's blocking client.
#pragma once

#include <cstddef>
#include <string>

#include "simulate/sync_redis.hpp"

namespace ticketd::testing {

using redis_client = simulate::sync_redis;

// How many events of `type` the stream of `workspace` holds.
inline std::size_t count_stream_events(redis_client& redis, const std::string& workspace,
                                       const std::string& type) {
  auto r = redis.command({"XRANGE", "ticketd:{" + workspace + "}:events", "-", "+"});
  std::size_t n = 0;
  for (const auto& entry : r.elements) {
    const auto& fields = entry.elements[1].elements;
    for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
      if (fields[i].str == "type" && fields[i + 1].str == type) ++n;
    }
  }
  return n;
}

}  // namespace ticketd::testing
