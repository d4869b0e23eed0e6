// Replays a workload against one configuration: the real planner and the real Redis functions
// on a private redis-server, the clock moved by hand from one thing to happen to the next (a
// workload line, a simulated agent's action, a timer falling due), so a day runs in seconds
// and the same inputs always give the same report. Simulated agents accept every offer at once,
// pull from their pull queues whenever they have room and something waits, and work each ticket
// they get as its handling says: reply, then resolve.
#pragma once

#include <csignal>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "daemon/common/runtime.hpp"
#include "simulate/report.hpp"
#include "simulate/sync_redis.hpp"
#include "simulate/workload.hpp"

namespace ticketd::simulate {

struct options {
  std::map<std::string, handling> handlings;  // by channel, "default" for the rest
  std::uint64_t seed = 1;                     // draws of handling times with a spread
  std::optional<std::int64_t> until;          // keep the timers running up to then
  // Set (by a signal handler) to stop the run: run_simulation throws `interrupted`.
  const volatile std::sig_atomic_t* stop = nullptr;
};

struct interrupted : std::runtime_error {
  interrupted() : std::runtime_error("interrupted") {}
};

// The handling of tickets with no `handle`, no handling line and no --handle for their channel.
inline constexpr handling built_in_handling{300'000, 600'000, 0};

// Runs `w` under `rt` on `redis` (flushed first, the function library loaded) and reports.
report run_simulation(sync_redis& redis, std::shared_ptr<const daemon::runtime> rt,
                      const workload& w, const options& o);

}  // namespace ticketd::simulate
