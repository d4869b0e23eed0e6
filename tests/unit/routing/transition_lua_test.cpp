// The Lua library enforces the transition table in Redis (routing/lua/include/transitions.lua,
// ALLOWED); this keeps it equal to the C++ table of routing/transitions.cpp.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>

#include "routing/transitions.hpp"
#include "tests/unit/routing/test_support.hpp"

namespace ticketd::routing {
namespace {

using status_set = std::set<std::string>;

// `name = true, ...` -> {name...}; any other value fails the test.
status_set parse_flag_set(const std::string& body, const std::string& where) {
  status_set out;
  const std::regex entry_re(R"(([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([A-Za-z_][A-Za-z0-9_]*))");
  for (auto it = std::sregex_iterator(body.begin(), body.end(), entry_re);
       it != std::sregex_iterator(); ++it) {
    EXPECT_EQ((*it)[2].str(), "true") << where << "." << (*it)[1].str();
    out.insert((*it)[1].str());
  }
  const std::string rest = std::regex_replace(body, entry_re, "");
  EXPECT_EQ(rest.find_first_not_of(" \t\r\n,"), std::string::npos)
      << "unparsed text in " << where << ": " << rest;
  return out;
}

// The flat table `local NAME = {...}` of the prelude (OPEN, HELD, ...), when there is one.
std::optional<status_set> flat_table(const std::string& prelude, const std::string& name) {
  const std::regex table_re("local " + name + R"( = \{([^{}]*)\})");
  std::smatch m;
  if (!std::regex_search(prelude, m, table_re)) return std::nullopt;
  return parse_flag_set(m[1].str(), name);
}

// The text between the braces of `local ALLOWED = { ... }`, nested tables included.
std::optional<std::string> allowed_body(const std::string& prelude) {
  const std::string opening = "local ALLOWED = {";
  const auto start = prelude.find(opening);
  if (start == std::string::npos) return std::nullopt;
  int depth = 1;
  for (auto i = start + opening.size(); i < prelude.size(); ++i) {
    if (prelude[i] == '{') ++depth;
    if (prelude[i] == '}' && --depth == 0) {
      return prelude.substr(start + opening.size(), i - start - opening.size());
    }
  }
  return std::nullopt;
}

// ALLOWED as action -> statuses in which it may run.
std::map<std::string, status_set> lua_allowed() {
  const std::string prelude = test::read_source_file("routing/lua/include/transitions.lua");
  const auto body = allowed_body(prelude);
  if (!body) {
    ADD_FAILURE() << "routing/lua/include/transitions.lua has no `local ALLOWED = { ... }` table";
    return {};
  }
  // `name = {...}`, `['name'] = {...}` or `name = OTHER_TABLE`.
  const std::regex entry_re(R"((?:\[\s*'([^']+)'\s*\]|([A-Za-z_][A-Za-z0-9_]*)))"  // key
                            R"(\s*=\s*)"
                            R"((?:\{([^{}]*)\}|([A-Za-z_][A-Za-z0-9_]*)))");  // table or name
  std::map<std::string, status_set> out;
  for (auto it = std::sregex_iterator(body->begin(), body->end(), entry_re);
       it != std::sregex_iterator(); ++it) {
    const auto& m = *it;
    const std::string action = m[1].matched ? m[1].str() : m[2].str();
    status_set statuses;
    if (m[3].matched) {
      statuses = parse_flag_set(m[3].str(), "ALLOWED." + action);
    } else if (const auto ref = flat_table(prelude, m[4].str())) {
      statuses = *ref;
    } else {
      ADD_FAILURE() << "ALLOWED." << action << " refers to unknown table " << m[4].str();
    }
    EXPECT_TRUE(out.emplace(action, statuses).second) << "ALLOWED." << action << " twice";
  }
  const std::string rest = std::regex_replace(*body, entry_re, "");
  EXPECT_EQ(rest.find_first_not_of(" \t\r\n,"), std::string::npos)
      << "unparsed text in ALLOWED: " << rest;
  return out;
}

TEST(LuaTransitionTable, PreludeDefinesTheOpenStatuses) {
  const auto open_table =
      flat_table(test::read_source_file("routing/lua/include/transitions.lua"), "OPEN");
  ASSERT_TRUE(open_table.has_value());
  status_set open;
  for (const auto s : all_ticket_statuses) {
    if (is_open(s)) open.insert(std::string{to_string(s)});
  }
  EXPECT_EQ(*open_table, open);
}

TEST(LuaTransitionTable, NamesExactlyTheCppActions) {
  const auto lua = lua_allowed();
  status_set cpp_actions, lua_actions;
  for (const auto a : all_ticket_actions) cpp_actions.insert(std::string{to_string(a)});
  for (const auto& [action, _] : lua) lua_actions.insert(action);
  EXPECT_EQ(lua_actions, cpp_actions);
}

TEST(LuaTransitionTable, AllowsTheSamePairsAsCpp) {
  const auto lua = lua_allowed();
  ASSERT_FALSE(lua.empty());
  for (const auto a : all_ticket_actions) {
    const auto row = lua.find(std::string{to_string(a)});
    if (row == lua.end()) continue;  // reported by NamesExactlyTheCppActions
    for (const auto s : all_ticket_statuses) {
      EXPECT_EQ(row->second.contains(std::string{to_string(s)}), allows(a, s))
          << to_string(a) << " from " << to_string(s);
    }
    for (const auto& status : row->second) {
      EXPECT_TRUE(parse_ticket_status(status).has_value())
          << "ALLOWED." << to_string(a) << " names unknown status " << status;
    }
  }
}

}  // namespace
}  // namespace ticketd::routing
