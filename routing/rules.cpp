#include "routing/rules.hpp"

#include <algorithm>

namespace ticketd::routing {
namespace {

bool contains(std::span<const std::string> list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

bool matches(const config::routing_match& when, const ticket_facts& facts) {
  if (when.channel && *when.channel != facts.channel) return false;
  for (const auto& skill : when.skills) {
    if (!contains(facts.skills, skill)) return false;
  }
  for (const auto& [name, value] : when.attributes) {
    const auto it = std::find_if(facts.attributes.begin(), facts.attributes.end(),
                                 [&key = name](const auto& kv) { return kv.first == key; });
    if (it == facts.attributes.end() || it->second != value) return false;
  }
  return true;
}

}  // namespace

route route_ticket(const config::config& cfg, const ticket_facts& facts,
                   std::string_view explicit_queue, std::string_view explicit_priority) {
  std::string_view queue = explicit_queue;
  std::string_view priority = explicit_priority;
  std::vector<config::requirement> require;
  for (const auto& rule : cfg.routing) {
    if (!matches(rule.when, facts)) continue;
    if (queue.empty() && rule.queue) queue = *rule.queue;
    if (priority.empty() && rule.priority) priority = *rule.priority;
    for (const auto& r : rule.require) {
      const bool named = std::any_of(require.begin(), require.end(),
                                     [&](const auto& have) { return have.skill == r.skill; });
      if (!named) require.push_back(r);
    }
  }
  if (queue.empty()) queue = cfg.defaults.queue;
  if (priority.empty()) priority = cfg.defaults.priority;
  return {cfg.find_queue(queue), cfg.find_priority(priority), std::move(require)};
}

std::vector<std::string> effective_queues(const config::config& cfg,
                                          std::span<const std::string> queues,
                                          std::span<const std::string> skills) {
  std::vector<std::string> out(queues.begin(), queues.end());
  for (const auto& rule : cfg.routing) {
    const auto& when = rule.when;
    if (!rule.queue || when.skills.empty() || when.channel || !when.attributes.empty()) continue;
    const bool has_all = std::all_of(when.skills.begin(), when.skills.end(),
                                     [&](const std::string& s) { return contains(skills, s); });
    if (has_all) out.push_back(*rule.queue);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace ticketd::routing
