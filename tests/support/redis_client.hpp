// Tests read and write Redis with the simulator's blocking client.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "daemon/events/stream_event.hpp"
#include "simulate/sync_redis.hpp"

namespace ticketd::testing {

using redis_client = simulate::sync_redis;

// The milliseconds of the stream ids of the events of `type` that the stream of `workspace`
// holds, oldest first (the streams of one Redis share its clock).
inline std::vector<std::int64_t> stream_event_times(redis_client& redis,
                                                    const std::string& workspace,
                                                    const std::string& type) {
  std::vector<std::int64_t> out;
  const auto r = redis.command({"XRANGE", "ticketd:{" + workspace + "}:events", "-", "+"});
  for (const auto& e : daemon::decode_entries(r)) {
    if (e.type == type) out.push_back(std::stoll(e.id));
  }
  return out;
}

// How many events of `type` the stream of `workspace` holds.
inline std::size_t count_stream_events(redis_client& redis, const std::string& workspace,
                                       const std::string& type) {
  return stream_event_times(redis, workspace, type).size();
}

}  // namespace ticketd::testing
