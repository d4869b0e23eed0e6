#include "routing/skills.hpp"

#include <algorithm>
#include <charconv>

namespace ticketd::routing {
namespace {

// The comma-separated items of `text`, each split at ':' into up to three parts.
template <class Fn>
void for_each_item(std::string_view text, Fn&& fn) {
  while (!text.empty()) {
    const auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (item.empty()) continue;
    std::string_view parts[3];
    for (auto& part : parts) {
      const auto colon = item.find(':');
      part = item.substr(0, colon);
      item = colon == std::string_view::npos ? std::string_view{} : item.substr(colon + 1);
    }
    fn(parts[0], parts[1], parts[2]);
  }
}

template <class T>
bool number(std::string_view text, T& out) {
  const auto r = std::from_chars(text.data(), text.data() + text.size(), out);
  return r.ec == std::errc{} && r.ptr == text.data() + text.size();
}

}  // namespace

std::vector<skill_level> normalized(std::vector<skill_level> skills) {
  std::vector<skill_level> out;
  for (auto& s : skills) {
    const auto it =
        std::find_if(out.begin(), out.end(), [&](const auto& have) { return have.name == s.name; });
    if (it != out.end()) {
      it->level = s.level;
    } else {
      out.push_back(std::move(s));
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

std::string format_skills(std::span<const skill_level> skills) {
  std::string out;
  for (const auto& s : skills) {
    if (!out.empty()) out.push_back(',');
    out.append(s.name).push_back(':');
    out.append(std::to_string(s.level));
  }
  return out;
}

std::vector<skill_level> parse_skills(std::string_view text) {
  std::vector<skill_level> out;
  for_each_item(text, [&](std::string_view name, std::string_view level, std::string_view) {
    skill_level s{std::string{name}, 1};
    if (!level.empty()) number(level, s.level);
    out.push_back(std::move(s));
  });
  return out;
}

std::vector<std::string> skill_names(std::span<const skill_level> skills) {
  std::vector<std::string> out;
  out.reserve(skills.size());
  for (const auto& s : skills) out.push_back(s.name);
  return out;
}

std::vector<config::requirement> combined(std::span<const config::requirement> rules,
                                          std::span<const config::requirement> asked) {
  std::vector<config::requirement> out(asked.begin(), asked.end());
  for (const auto& r : rules) {
    const bool named = std::any_of(out.begin(), out.end(),
                                   [&](const auto& have) { return have.skill == r.skill; });
    if (!named) out.push_back(r);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.skill < b.skill; });
  return out;
}

std::string format_requirements(std::span<const config::requirement> requirements) {
  std::string out;
  for (const auto& r : requirements) {
    if (!out.empty()) out.push_back(',');
    out.append(r.skill).push_back(':');
    out.append(std::to_string(r.level)).push_back(':');
    if (r.relax_after) out.append(std::to_string(r.relax_after->count()));
  }
  return out;
}

std::string format_preference(std::int64_t for_ms, std::span<const std::string> agents) {
  std::string out = std::to_string(for_ms);
  out.push_back('|');
  for (std::size_t i = 0; i < agents.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append(agents[i]);
  }
  return out;
}

std::vector<config::requirement> parse_requirements(std::string_view text) {
  std::vector<config::requirement> out;
  for_each_item(text, [&](std::string_view skill, std::string_view level, std::string_view relax) {
    config::requirement r;
    r.skill = skill;
    number(level, r.level);
    long long ms = 0;
    if (!relax.empty() && number(relax, ms)) r.relax_after = config::millis{ms};
    out.push_back(std::move(r));
  });
  return out;
}

}  // namespace ticketd::routing
