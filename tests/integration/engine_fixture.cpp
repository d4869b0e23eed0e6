#include "tests/integration/engine_fixture.hpp"

#include "daemon/events/stream_event.hpp"
#include "routing/lua_library.hpp"

namespace ticketd::testing {

using routing::ticket_action;

std::string engine_config_yaml() {
  return R"(
workspace: test
priorities:
  urgent: {first_reply: 1h, next_reply: 1h, resolution: 4h}
  normal: {first_reply: 8h, next_reply: 8h, resolution: 3d}
  low:    {first_reply: 1d, next_reply: 1d, resolution: 7d}
agents:
  max_concurrent: 3
queues:
  general: {mode: pull, wait_weight: 0}
  billing: {mode: pull, wait_weight: 0, escalate_to: supervisors}
  supervisors: {mode: pull}
  vip: {mode: pull, rank_offset: -1h}
lifecycle:
  affinity_wait: 2h
  resolved:
    reopen_window: 7d
    close_after: 7d
routing:
  - when: {channel: phone}
    priority: urgent
  - when: {attributes: {topic: refund}}
    queue: billing
defaults: {queue: general, priority: normal}
)";
}

std::string channels_config_yaml(const std::string& agents, const std::string& queues) {
  std::string yaml = engine_config_yaml();
  const std::string old_agents = "agents:\n  max_concurrent: 3\n";
  yaml.replace(yaml.find(old_agents), old_agents.size(),
               "agents:\n" + agents +
                   "channels:\n"
                   "  email: {cost: 1}\n"
                   "  chat: {cost: 3, wrap_up: 30s, max_per_agent: 2}\n"
                   "  phone: {cost: 10, wrap_up: 1m, max_per_agent: 1}\n");
  const std::string last_queue = "  vip: {mode: pull, rank_offset: -1h}\n";
  yaml.insert(yaml.find(last_queue) + last_queue.size(), queues);
  return yaml;
}

config::requirement need(std::string skill, unsigned level, std::optional<std::int64_t> relax_ms) {
  config::requirement r;
  r.skill = std::move(skill);
  r.level = level;
  if (relax_ms) r.relax_after = config::millis{*relax_ms};
  return r;
}

void EngineTest::SetUp() {
  redis_ = std::make_unique<redis_client>(shared_redis().socket());
  static bool loaded = false;
  if (!loaded) {
    auto r = redis_->command(
        {"FUNCTION", "LOAD", "REPLACE", std::string{routing::lua::library_source()}});
    ASSERT_FALSE(r.is_error()) << r.str;
    loaded = true;
  }
  redis_->command({"FLUSHALL"});
  configure(engine_config_yaml());
}

void EngineTest::configure(const std::string& yaml) {
  auto loaded = config::load_config_text(yaml, "test.yaml");
  ASSERT_TRUE(loaded.errors.empty()) << loaded.errors.front().to_string();
  rt_ = std::make_shared<const daemon::runtime>(loaded.value);
  auto r = run(routing::configure_call(rt_->plan.base(now())));
  ASSERT_FALSE(r.is_error()) << r.str;
}

routing::operation& EngineTest::drive(routing::operation& op) {
  while (!op.done()) op.receive(redis_->run_all(op.batch()));
  return op;
}

routing::outcome<routing::create_result> EngineTest::create(const std::string& id,
                                                            const std::string& queue,
                                                            const std::string& priority,
                                                            const std::string& channel) {
  routing::create_request r;
  r.id = id;
  r.queue = queue;
  r.priority = priority;
  r.channel = channel;
  r.fingerprint = id + "|" + queue + "|" + priority + "|" + channel;
  return create(std::move(r));
}

routing::outcome<routing::create_result> EngineTest::create(routing::create_request r) {
  if (r.fingerprint.empty()) r.fingerprint = r.id + "|full";
  auto op = routing::create_operation(rt_->plan, r, now());
  auto created = routing::create_result_of(drive(op));
  if (created) pushed_ = created->assignments;
  return created;
}

routing::ticket EngineTest::created(const std::string& id, const std::string& queue,
                                    const std::string& priority) {
  auto r = create(id, queue, priority);
  EXPECT_TRUE(r.has_value()) << id;
  return r ? r->value : routing::ticket{};
}

routing::outcome<routing::ticket> EngineTest::get(const std::string& id) {
  return routing::decode_ticket_reply(id, run(routing::ticket_get_command(rt_->keys, id)));
}

routing::outcome<routing::ticket> EngineTest::act(ticket_action a, const std::string& id,
                                                  routing::action_request r,
                                                  std::optional<std::int64_t> if_match) {
  auto op = routing::action_operation(rt_->plan, a, id, if_match, r, now());
  auto done = routing::ticket_result_of(drive(op));
  if (!done) return done.error();
  pushed_ = std::move(done->assignments);
  return std::move(done->value);
}

routing::outcome<routing::ticket> EngineTest::patch(const std::string& id,
                                                    const routing::patch_request& r,
                                                    std::optional<std::int64_t> if_match) {
  auto op = routing::patch_operation(rt_->plan, id, if_match, r, now());
  auto done = routing::ticket_result_of(drive(op));
  if (!done) return done.error();
  pushed_ = std::move(done->assignments);
  return std::move(done->value);
}

routing::outcome<std::optional<routing::ticket>> EngineTest::next(const std::string& agent) {
  auto op = routing::next_operation(rt_->plan, agent, now());
  auto pulled = routing::next_result_of(drive(op));
  if (!pulled) return pulled.error();
  if (!pulled->ticket) {
    pushed_.clear();
    return std::optional<routing::ticket>{};
  }
  pushed_ = std::move(pulled->ticket->assignments);
  return std::optional<routing::ticket>{std::move(pulled->ticket->value)};
}

routing::outcome<routing::agent> EngineTest::agent_value(
    routing::outcome<routing::agent_result> r) {
  if (!r) return r.error();
  pushed_ = std::move(r->assignments);
  return std::move(r->value);
}

routing::outcome<routing::agent> EngineTest::put_agent(const std::string& id,
                                                       std::vector<std::string> queues,
                                                       unsigned max, routing::agent_status status) {
  return put_agent(id, std::move(queues), {}, max, status);
}

routing::outcome<routing::agent> EngineTest::put_agent(const std::string& id,
                                                       std::vector<std::string> queues,
                                                       std::vector<routing::skill_level> skills,
                                                       unsigned max, routing::agent_status status) {
  routing::agent_request r;
  r.queues = std::move(queues);
  r.skills = routing::normalized(std::move(skills));
  r.max_concurrent = max;
  r.status = status;
  return put_agent_as(id, std::move(r));
}

routing::outcome<routing::agent> EngineTest::put_agent_as(const std::string& id,
                                                          routing::agent_request r) {
  if (r.name.empty()) r.name = id;
  auto cmd = rt_->plan.put_agent(id, r, now());
  if (!cmd) return cmd.error();
  return agent_value(routing::decode_agent_reply(id, run(*cmd)));
}

routing::outcome<routing::agent> EngineTest::agent(const std::string& id) {
  return agent_value(
      routing::decode_agent_reply(id, run(routing::agent_get_call(rt_->plan.base(now()), id))));
}

routing::outcome<routing::agent> EngineTest::set_status(const std::string& id,
                                                        routing::agent_status s) {
  return agent_value(routing::decode_agent_reply(
      id, run(routing::agent_status_call(rt_->plan.base(now()), id, s))));
}

routing::outcome<routing::tick_result> EngineTest::tick(std::size_t limit) {
  auto r = routing::decode_tick(run(routing::tick_call(rt_->plan.base(now()), limit)));
  if (r) pushed_ = r->assignments;
  return r;
}

routing::outcome<routing::verify_report> EngineTest::verify() {
  return routing::decode_verify(run(routing::verify_call(rt_->plan.base(now()), rt_->queue_names)));
}

routing::outcome<routing::queue_stats> EngineTest::stats() {
  return routing::decode_queue_stats(
      rt_->queue_names, run(routing::queue_stats_call(rt_->plan.base(now()), rt_->queue_names)));
}

// Bounds the tick loops below: a timer that re-arms itself at a time already due would
// otherwise keep a test running until ctest's timeout.
constexpr int max_ticks = 10'000;

void EngineTest::advance(std::int64_t by) {
  clock_.advance(std::chrono::milliseconds{by});
  for (int n = 0;; ++n) {
    ASSERT_LT(n, max_ticks) << "timers keep falling due";
    auto r = tick();
    ASSERT_TRUE(r.has_value());
    if (r->fired < 100) break;
  }
}

void EngineTest::run_until(std::int64_t when) {
  for (int n = 0;; ++n) {
    ASSERT_LT(n, max_ticks) << "timers keep falling due";
    auto first = redis({"ZRANGE", key(routing::key_part::timers), "0", "0", "WITHSCORES"});
    if (first.elements.size() < 2) break;
    const auto due = static_cast<std::int64_t>(std::stod(first.elements[1].str));
    if (due > when) break;
    if (due > now()) clock_.set(due);
    auto r = tick();
    ASSERT_TRUE(r.has_value());
  }
  clock_.set(when);
  auto r = tick();
  ASSERT_TRUE(r.has_value());
}

std::vector<std::map<std::string, std::string>> EngineTest::events(const std::string& type) {
  std::vector<std::map<std::string, std::string>> out;
  for (auto& e :
       daemon::decode_entries(redis({"XRANGE", key(routing::key_part::events), "-", "+"}))) {
    if (e.type != type) continue;
    std::map<std::string, std::string> fields(e.fields.begin(), e.fields.end());
    fields["type"] = e.type;
    out.push_back(std::move(fields));
  }
  return out;
}

std::vector<std::string> EngineTest::event_types() {
  std::vector<std::string> out;
  for (auto& e :
       daemon::decode_entries(redis({"XRANGE", key(routing::key_part::events), "-", "+"}))) {
    out.push_back(std::move(e.type));
  }
  return out;
}

std::string EngineTest::key(routing::key_part part, const std::string& id) const {
  return id.empty() ? rt_->keys.key(part) : rt_->keys.key(part, id);
}

}  // namespace ticketd::testing
