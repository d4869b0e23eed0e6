// Skills with levels (agents) and requirements (tickets) as the functions store them: comma
// lists sorted by skill name, `name:level` for a skill and `skill:level:relax_ms` for a
// requirement (relax_ms empty when it never relaxes). Sans-io.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace ticketd::routing {

inline constexpr unsigned min_skill_level = 1;
inline constexpr unsigned max_skill_level = 10;

struct skill_level {
  std::string name;
  unsigned level = 1;

  friend bool operator==(const skill_level&, const skill_level&) = default;
};

// Sorted by name; one entry per name (the last given wins).
std::vector<skill_level> normalized(std::vector<skill_level> skills);
std::string format_skills(std::span<const skill_level> skills);
// Reads format_skills' text; a name without a level is level 1.
std::vector<skill_level> parse_skills(std::string_view text);
std::vector<std::string> skill_names(std::span<const skill_level> skills);

// The ticket's requirements: `rules` (from the routing rules) and `asked` (the request's)
// combined, the request's entry winning for the same skill; sorted by skill.
std::vector<config::requirement> combined(std::span<const config::requirement> rules,
                                          std::span<const config::requirement> asked);
std::string format_requirements(std::span<const config::requirement> requirements);
// Preferred agents as the functions store them: `for_ms|agent,agent`.
std::string format_preference(std::int64_t for_ms, std::span<const std::string> agents);
std::vector<config::requirement> parse_requirements(std::string_view text);

}  // namespace ticketd::routing
