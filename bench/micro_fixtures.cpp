#include "bench/micro_fixtures.hpp"

#include <string>
#include <utility>
#include <vector>

namespace ticketd::bench {
namespace {

using routing::resp_value;

resp_value bulk(std::string text) {
  resp_value v;
  v.type = resp_value::kind::string;
  v.str = std::move(text);
  return v;
}

resp_value array(std::vector<resp_value> items) {
  resp_value v;
  v.type = resp_value::kind::array;
  v.elements = std::move(items);
  return v;
}

resp_value hash(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::vector<resp_value> items;
  items.reserve(fields.size() * 2);
  for (const auto& [name, value] : fields) {
    items.push_back(bulk(name));
    items.push_back(bulk(value));
  }
  return array(std::move(items));
}

std::string ms(std::int64_t offset) { return std::to_string(bench_now_ms + offset); }

// Fields create.lua writes, in its order (a ticket with skills and attributes).
std::vector<std::pair<std::string, std::string>> queued_fields() {
  return {{"s", "queued"},
          {"q", "general"},
          {"p", "normal"},
          {"r", "1795360800000.0009766"},
          {"v", "1"},
          {"qa", ms(0)},
          {"d1", ms(8 * 3600'000)},
          {"d3", ms(3 * 86'400'000)},
          {"fp", "4723091867354312"},
          {"ch", "email"},
          {"sk", "billing,spanish"},
          {"at", R"({"brand":"acme","plan":"enterprise","seats":120,"vip":true})"}};
}

}  // namespace

engine::engine()
    : cfg([] {
        config::config c;
        c.workspace = "bench";
        c.priorities = config::default_priorities();
        config::queue_config general;
        general.name = "general";
        general.mode = config::queue_mode::pull;
        general.wait_weight = 0.5;
        c.queues.push_back(general);
        return c;
      }()),
      keys(cfg.workspace),
      sla(cfg),
      plan(cfg, sla, keys, settings) {}

const engine& shared_engine() {
  static const engine e;
  return e;
}

resp_value assigned_ticket_fields(std::string_view) {
  auto fields = queued_fields();
  fields[0].second = "assigned";
  fields[4].second = "2";
  fields[6].second = ms(250);
  fields.emplace_back("a", "agent-7");
  fields.emplace_back("la", "agent-7");
  fields.emplace_back("lk", "1");
  fields.emplace_back("zr", ms(8 * 3600'000));
  return hash(fields);  // 18 pairs
}

}  // namespace ticketd::bench
