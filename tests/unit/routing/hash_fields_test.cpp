// One schema for the ticket and agent hashes: the Lua table of routing/lua/include/fields.lua
// and routing/hash_fields.hpp name the same fields, and every field name the Lua files read or
// write is one of them.
#include "routing/hash_fields.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <span>
#include <string>

#include "tests/unit/routing/test_support.hpp"

namespace ticketd::routing {
namespace {

namespace fs = std::filesystem;
using names = std::set<std::string>;

// The keys of `local <table> = { name = '...', ... }` in fields.lua.
names lua_table(const std::string& table) {
  const std::string source = test::read_source_file("routing/lua/include/fields.lua");
  std::smatch body;
  if (!std::regex_search(source, body, std::regex("local " + table + R"( = \{([^}]*)\})"))) {
    ADD_FAILURE() << "routing/lua/include/fields.lua has no `local " << table << " = {...}`";
    return {};
  }
  const std::string text = body[1].str();
  const std::regex entry(R"((\w+) = ')");
  names out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), entry);
       it != std::sregex_iterator(); ++it) {
    EXPECT_TRUE(out.insert((*it)[1].str()).second) << table << "." << (*it)[1].str() << " twice";
  }
  return out;
}

names cpp_table(std::span<const std::string_view> fields) {
  names out;
  for (const auto name : fields) {
    EXPECT_TRUE(out.insert(std::string{name}).second) << name << " twice";
  }
  return out;
}

TEST(HashFields, LuaAndCppDeclareTheSameTicketFields) {
  EXPECT_EQ(lua_table("TICKET_FIELDS"), cpp_table(ticket_fields));
}

TEST(HashFields, LuaAndCppDeclareTheSameAgentFields) {
  EXPECT_EQ(lua_table("AGENT_FIELDS"), cpp_table(agent_fields));
}

// Field names the Lua files use, found where they can only be fields: the ticket helpers
// (put, drop, t.f.<name>), the field lists (`*_FIELDS = {...}`, with_sla{...}), touch() on an
// agent record, and hash commands on a ticket or agent key.
struct used_fields {
  std::map<std::string, std::string> ticket;  // name -> where
  std::map<std::string, std::string> agent;
};

void add_quoted(std::map<std::string, std::string>& to, const std::string& text,
                const std::string& where) {
  const std::regex quoted(R"('([a-z][a-z0-9]?)')");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), quoted);
       it != std::sregex_iterator(); ++it) {
    to.emplace((*it)[1].str(), where);
  }
}

used_fields scan_lua() {
  used_fields out;
  const fs::path root = fs::path(TICKETD_SOURCE_DIR) / "routing/lua";
  const std::regex helper(R"((?:put|drop)\(t, '(\w+)')");
  const std::regex record(R"(\bt\.f\.(\w+))");
  const std::regex list(R"([A-Z_]*FIELDS = (?:with_sla\()?\{([^}]*)\})");
  const std::regex touched(R"(touch\(a, '(\w+)'(?:, '(\w+)')?\))");
  const std::regex ticket_cmd(R"(redis\.call\('H[A-Z]+', (?:tk|t\.key)\b([^)]*)\))");
  const std::regex agent_cmd(
      R"(redis\.call\('H[A-Z]+', (?:ak|a\.key|key\((?:c\.)?P, 'agent', \w+\))([^)]*)\))");
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.path().extension() != ".lua" || entry.path().filename() == "fields.lua") continue;
    const std::string rel = fs::relative(entry.path(), TICKETD_SOURCE_DIR).string();
    const std::string text = test::read_source_file(rel);
    auto each = [&](const std::regex& re, auto fn) {
      for (auto it = std::sregex_iterator(text.begin(), text.end(), re);
           it != std::sregex_iterator(); ++it) {
        fn(*it);
      }
    };
    each(helper, [&](const std::smatch& m) { out.ticket.emplace(m[1].str(), rel); });
    each(record, [&](const std::smatch& m) { out.ticket.emplace(m[1].str(), rel); });
    each(list, [&](const std::smatch& m) { add_quoted(out.ticket, m[1].str(), rel); });
    each(ticket_cmd, [&](const std::smatch& m) { add_quoted(out.ticket, m[1].str(), rel); });
    each(touched, [&](const std::smatch& m) {
      out.agent.emplace(m[1].str(), rel);
      if (m[2].matched) out.agent.emplace(m[2].str(), rel);
    });
    each(agent_cmd, [&](const std::smatch& m) { add_quoted(out.agent, m[1].str(), rel); });
  }
  return out;
}

TEST(HashFields, TheLuaFilesUseOnlyDeclaredFields) {
  const auto used = scan_lua();
  const names tickets = cpp_table(ticket_fields);
  const names agents = cpp_table(agent_fields);
  for (const auto& [name, where] : used.ticket) {
    EXPECT_TRUE(tickets.contains(name))
        << where << " uses ticket field '" << name << "', which fields.lua does not declare";
  }
  for (const auto& [name, where] : used.agent) {
    EXPECT_TRUE(agents.contains(name))
        << where << " uses agent field '" << name << "', which fields.lua does not declare";
  }
  // The scan finds what the library does use, or it would pass any file.
  for (const char* name : {"s", "v", "la", "qa", "d1", "w3", "cd", "fc", "rr", "zr"}) {
    EXPECT_TRUE(used.ticket.contains(name)) << "the scan no longer finds ticket field " << name;
  }
  for (const char* name : {"st", "l", "lt", "fx", "pn"}) {
    EXPECT_TRUE(used.agent.contains(name)) << "the scan no longer finds agent field " << name;
  }
}

}  // namespace
}  // namespace ticketd::routing
