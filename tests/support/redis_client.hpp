// Tests read and write Redis with the simulator's blocking client.
#pragma once

#include "simulate/sync_redis.hpp"

namespace ticketd::testing {

using redis_client = simulate::sync_redis;

}  // namespace ticketd::testing
