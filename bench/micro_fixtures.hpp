// Shared inputs of the micro-benchmarks: a hand-built configuration and the engine objects the
// daemon derives from it (as daemon/runtime.cpp does), request bodies, and Redis replies shaped
// like the functions' replies. Built once per process; read-only afterwards.
#pragma once

#include <cstdint>
#include <string>

#include "config/config.hpp"
#include "routing/functions.hpp"
#include "routing/keyspace.hpp"
#include "routing/planner.hpp"
#include "routing/resp.hpp"
#include "routing/sla.hpp"

namespace ticketd::bench {

// 2026-11-22T10:00:00.000Z
inline constexpr std::int64_t bench_now_ms = 1'795'341'600'000;

// A typical create body: id, channel, skills, attributes.
inline constexpr std::string_view create_body =
    R"({"id":"T-1001234","channel":"email","skills":["spanish","billing"],)"
    R"("attributes":{"brand":"acme","plan":"enterprise","seats":120,"vip":true}})";

struct engine {
  engine();
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  config::config cfg;
  routing::keyspace keys;
  routing::call_settings settings;
  routing::sla_clock sla;
  routing::planner plan;
};

const engine& shared_engine();

// The ticket hash of an assigned ticket as HGETALL returns it: 18 field/value pairs.
routing::resp_value assigned_ticket_fields(std::string_view id);

}  // namespace ticketd::bench
