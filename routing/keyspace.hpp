// Redis key names of one workspace. Every key lives under the hash tag `ticketd:{<ws>}:` so a
// workspace sits in one Redis Cluster slot. The Lua library forms the same names through its
// KEY table (routing/lua/include/keys.lua); tests/unit/routing/keyspace_test.cpp keeps the two
// in step. C++ spells key names nowhere else.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace ticketd::routing {

enum class key_part {
  ticket,            // hash: one ticket
  queue,             // zset: waiting tickets of a shared queue by rank
  queue_age,         // zset: enqueue seconds that hold waiting tickets of a queue (oldest wait)
  queue_age_count,   // hash: how many waiting tickets of a queue entered in each second
  queue_agents,      // zset: agents of a push queue that can take a ticket now, best first
  personal_queue,    // zset: tickets waiting for one agent (affinity), by rank
  agent,             // hash: one agent
  held,              // set: tickets an agent holds (offered, assigned, pending, postponed)
  agents,            // zset: every agent id, all scores 0 (in id order)
  timers,            // zset: due timers (member "<slot>|<ticket>") by due epoch ms
  events,            // stream: the workspace's events
  settings,          // hash: the configuration the workspace's data was last set up for
  config,            // hash: one configuration's settings, by epoch (cfg:<epoch>)
  idempotency,       // hash: the answer kept for a request's Idempotency-Key, for 24 h
  forced,            // set: agents marked with a forced excess (fx)
  queue_required,    // zset: a queue's waiting tickets under one requirement set
                     // (qr:<queue>|<set>), by rank
  queue_sets,        // hash: a queue's requirement sets in use -> how many tickets wait under each
  customer,          // string: the agent who last held one of a customer's tickets (cu:<customer>),
                     // expiring lifecycle.customer_affinity after the ticket left that agent
  queue_departures,  // hash: tickets that left a queue's waiting sets per 100 s (qd:<queue>),
                     // the last few periods (the at-risk gauge's hand-out rate)
  stream_token,      // string: what a single-use stream token opens (st:<token>), expiring
};

// The suffix each part adds to the prefix; parts with an id end in ':'.
std::span<const std::pair<key_part, std::string_view>> key_parts();

// The Redis Cluster hash slot of `key` (CRC16/XMODEM of its hash tag, or of the whole key when
// it has none, modulo 16384), as Redis computes it.
std::uint16_t key_slot(std::string_view key);

class keyspace {
 public:
  explicit keyspace(std::string_view workspace);

  // `ticketd:{<ws>}:`, passed to every function as KEYS[1].
  const std::string& prefix() const { return prefix_; }
  // The Redis Cluster slot every key of the workspace hashes to.
  std::uint16_t slot() const { return slot_; }

  std::string key(key_part part) const;
  std::string key(key_part part, std::string_view id) const;

 private:
  std::string prefix_;
  std::uint16_t slot_ = 0;
};

}  // namespace ticketd::routing
