#include "routing/agent.hpp"

#include <charconv>

#include "routing/hash_fields.hpp"
#include "routing/resp_fields.hpp"

namespace ticketd::routing {

std::optional<agent> decode_agent(std::string_view id, const resp_value& reply) {
  if (!reply.is_array() || reply.elements.size() != 2) return std::nullopt;
  const resp_value& fields = reply.elements[0];
  const resp_value& held = reply.elements[1];
  if (!fields.is_array() || fields.elements.size() % 2 != 0 || !held.is_array()) {
    return std::nullopt;
  }
  agent a;
  a.id = id;
  for (std::size_t i = 0; i < fields.elements.size(); i += 2) {
    const std::string_view name = fields.elements[i].str;
    const resp_value& value = fields.elements[i + 1];
    switch (field_code(name)) {
      case field_code(agent_field::name):
        a.name = value.str;
        break;
      case field_code(agent_field::status):
        a.status = parse_agent_status(value.str).value_or(agent_status::offline);
        break;
      case field_code(agent_field::queues):
        a.queues = split_list(value.str);
        break;
      case field_code(agent_field::skills):
        a.skills = parse_skills(value.str);
        break;
      case field_code(agent_field::effective_queues):
        a.effective_queues = split_list(value.str);
        break;
      case field_code(agent_field::max_concurrent):
        a.max_concurrent = static_cast<unsigned>(to_int(value));
        break;
      case field_code(agent_field::load):
        a.load = static_cast<unsigned>(to_int(value));
        break;
      case field_code(agent_field::last_assigned_at):
        a.last_assigned_at = to_int(value);
        break;
      case field_code(agent_field::status_since):
        a.status_since = to_int(value);
        break;
      case field_code(agent_field::forced_excess):
        a.forced_excess = to_int(value) != 0;
        break;
      case field_code(agent_field::connections):
        a.connections = to_int(value);
        break;
      case field_code(agent_field::capacity):
        a.capacity = static_cast<unsigned>(to_int(value));
        break;
      case field_code(agent_field::units_used):
        a.units_used = to_int(value);
        break;
      case field_code(agent_field::channel_presence):
        for (const auto& pair : split_list(value.str)) {
          const auto eq = pair.find('=');
          if (eq != std::string::npos) {
            a.channel_presence.emplace_back(pair.substr(0, eq), pair.substr(eq + 1));
          }
        }
        break;
      case field_code(agent_field::wrap_ups):
        // until_ms:channel:units,...: the latest end.
        for (const auto& entry : split_list(value.str)) {
          std::int64_t until = 0;
          std::from_chars(entry.data(), entry.data() + entry.size(), until);
          if (!a.wrap_up_until || until > *a.wrap_up_until) a.wrap_up_until = until;
        }
        break;
      case field_code(agent_field::missed_offers):
        a.missed_offers = to_int(value);
        break;
      default:
        break;
    }
  }
  for (const auto& t : held.elements) a.tickets.push_back(t.str);
  return a;
}

}  // namespace ticketd::routing
