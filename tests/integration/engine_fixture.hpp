// Drives the Redis function library the way the daemon does (planner -> FCALL -> decoder), but
// synchronously and with a manual clock, against the binary's private redis-server.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "config/loader.hpp"
#include "daemon/common/runtime.hpp"
#include "routing/clock.hpp"
#include "routing/functions.hpp"
#include "routing/operation.hpp"
#include "routing/requests.hpp"
#include "tests/support/redis_client.hpp"
#include "tests/support/redis_server.hpp"

namespace ticketd::testing {

// 2026-11-23T09:00:00Z, a Monday.
inline constexpr std::int64_t t0 = 1795424400000;
inline constexpr std::int64_t minute = 60'000;
inline constexpr std::int64_t hour = 60 * minute;
inline constexpr std::int64_t day = 24 * hour;

// The configuration most engine tests run with.
std::string engine_config_yaml();
// That configuration with channels email (1 unit), chat (3, 30 s wrap-up, 2 per agent) and phone
// (10, 1 min wrap-up, 1 per agent): `agents` replaces its agents block's keys, `queues` are
// added to its queues.
std::string channels_config_yaml(const std::string& agents, const std::string& queues);

// A requirement of `skill` at `level`, relaxing after `relax_ms` (never when none).
config::requirement need(std::string skill, unsigned level = 1,
                         std::optional<std::int64_t> relax_ms = std::nullopt);

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override;

  // Replaces the configuration (as a reload would).
  void configure(const std::string& yaml);

  routing::resp_value run(const routing::command& cmd) { return redis_->run(cmd); }
  // Drives an operation to its end as the daemon's ticket_store does, one batch per write.
  routing::operation& drive(routing::operation& op);
  routing::resp_value redis(const std::vector<std::string>& argv) { return redis_->command(argv); }

  routing::outcome<routing::create_result> create(const std::string& id,
                                                  const std::string& queue = "",
                                                  const std::string& priority = "",
                                                  const std::string& channel = "");
  routing::ticket created(const std::string& id, const std::string& queue = "",
                          const std::string& priority = "");
  // A create of the full request (created_at, channel, ...): its fingerprint is filled in.
  routing::outcome<routing::create_result> create(routing::create_request r);
  routing::outcome<routing::ticket> get(const std::string& id);
  routing::outcome<routing::ticket> act(routing::ticket_action a, const std::string& id,
                                        routing::action_request r = {},
                                        std::optional<std::int64_t> if_match = std::nullopt);
  routing::outcome<routing::ticket> patch(const std::string& id, const routing::patch_request& r,
                                          std::optional<std::int64_t> if_match = std::nullopt);
  routing::outcome<std::optional<routing::ticket>> next(const std::string& agent);
  routing::outcome<routing::agent> put_agent(
      const std::string& id, std::vector<std::string> queues, unsigned max = 3,
      routing::agent_status status = routing::agent_status::online);
  // An agent with skills at levels.
  routing::outcome<routing::agent> put_agent(
      const std::string& id, std::vector<std::string> queues,
      std::vector<routing::skill_level> skills, unsigned max = 3,
      routing::agent_status status = routing::agent_status::online);
  // An agent as the request gives it (its name defaults to its id).
  routing::outcome<routing::agent> put_agent_as(const std::string& id, routing::agent_request r);
  routing::outcome<routing::agent> agent(const std::string& id);
  routing::outcome<routing::agent> set_status(const std::string& id, routing::agent_status s);
  routing::outcome<routing::tick_result> tick(std::size_t limit = 100);
  routing::outcome<routing::verify_report> verify();
  routing::outcome<routing::queue_stats> stats();
  // Fires every timer due at now() + by.
  void advance(std::int64_t by);
  // Moves the clock to `when`, firing each timer due by then at its own due time, in order
  // (days of lifecycle as they would run).
  void run_until(std::int64_t when);
  // The events of one type, oldest first, as field -> value.
  std::vector<std::map<std::string, std::string>> events(const std::string& type);
  // Event types in the stream, oldest first.
  std::vector<std::string> event_types();
  std::int64_t now() const { return clock_.now_ms(); }
  std::string key(routing::key_part part, const std::string& id = "") const;

  // What push routing offered or assigned during the last call.
  const std::vector<routing::assignment>& pushed() const { return pushed_; }

  std::shared_ptr<const daemon::runtime> rt_;
  routing::manual_clock clock_{t0};

  // The agent a call answered; what push routing handed out in it goes to pushed().
  routing::outcome<routing::agent> agent_value(routing::outcome<routing::agent_result> r);

 private:
  std::unique_ptr<redis_client> redis_;
  std::vector<routing::assignment> pushed_;
};

// Action bodies the tests use most.
inline routing::action_request with_agent(const std::string& agent) {
  routing::action_request r;
  r.agent = agent;
  return r;
}

inline routing::action_request until(std::int64_t ms) {
  routing::action_request r;
  r.until = ms;
  return r;
}

// Asserts an outcome holds a value, printing the error otherwise.
#define ASSERT_OK(expr)                                                                            \
  do {                                                                                             \
    const auto& ticketd_outcome_ = (expr);                                                         \
    ASSERT_TRUE(ticketd_outcome_.has_value()) << routing::code_name(ticketd_outcome_.error().code) \
                                              << " " << ticketd_outcome_.error().message;          \
  } while (false)

#define EXPECT_ERROR(expr, errc_value)                                     \
  do {                                                                     \
    const auto& ticketd_outcome_ = (expr);                                 \
    ASSERT_FALSE(ticketd_outcome_.has_value()) << "expected " #errc_value; \
    EXPECT_EQ(ticketd_outcome_.error().code, routing::errc::errc_value)    \
        << routing::code_name(ticketd_outcome_.error().code);              \
  } while (false)

}  // namespace ticketd::testing
