#include "routing/lua_library.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <iomanip>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/unit/routing/test_support.hpp"

namespace ticketd::routing {
namespace {

// The library's hash for each released version. When the Lua changes, bump routing/lua/VERSION
// (function names are global in Redis: two daemon versions must not share one name with
// different code) and put the new hash here. Version 1 is not released yet (no tag, no
// package published): until it is, its hash follows the Lua, and from then on it is frozen.
const std::map<int, std::uint64_t> released_hashes{
    {1, 0x0e220fd91077a474ULL},
};

std::uint64_t fnv1a64(std::string_view text) {
  std::uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::string hex(std::uint64_t v) {
  std::ostringstream out;
  out << "0x" << std::hex << std::setw(16) << std::setfill('0') << v << "ULL";
  return out.str();
}

struct named_function {
  std::string_view short_name;
  const lua::function_info& info;
};

const std::vector<named_function>& all_functions() {
  static const std::vector<named_function> fns{
      {"create", lua::fn::create},
      {"next", lua::fn::next},
      {"accept", lua::fn::accept},
      {"reject", lua::fn::reject},
      {"reply", lua::fn::reply},
      {"customer_reply", lua::fn::customer_reply},
      {"postpone", lua::fn::postpone},
      {"release", lua::fn::release},
      {"resolve", lua::fn::resolve},
      {"reopen", lua::fn::reopen},
      {"close", lua::fn::close},
      {"transfer", lua::fn::transfer},
      {"escalate", lua::fn::escalate},
      {"reassign", lua::fn::reassign},
      {"delete_ticket", lua::fn::delete_ticket},
      {"agent_put", lua::fn::agent_put},
      {"agent_status", lua::fn::agent_status},
      {"agent_get", lua::fn::agent_get},
      {"queue_stats", lua::fn::queue_stats},
      {"queue_head", lua::fn::queue_head},
      {"tick", lua::fn::tick},
      {"verify", lua::fn::verify},
      {"configure", lua::fn::configure},
  };
  return fns;
}

std::string prefix() { return "ticketd_v" + std::to_string(lua::version) + "_"; }

TEST(LuaLibrary, StartsWithTheVersionedLibraryName) {
  const std::string shebang = "#!lua name=ticketd_v" + std::to_string(lua::version) + "\n";
  EXPECT_TRUE(lua::library_source().starts_with(shebang)) << lua::library_source().substr(0, 80);
  EXPECT_EQ(lua::library_name, "ticketd_v" + std::to_string(lua::version));
}

TEST(LuaLibrary, VersionComesFromTheVersionFile) {
  const std::string text = test::read_source_file("routing/lua/VERSION");
  EXPECT_EQ(std::stoi(text), lua::version);
}

TEST(LuaLibrary, EveryFunctionNameCarriesTheVersion) {
  std::set<std::string_view> names;
  for (const auto& f : all_functions()) {
    EXPECT_EQ(f.info.name, prefix() + std::string{f.short_name});
    EXPECT_TRUE(names.insert(f.info.name).second) << f.info.name;
    // The file registers itself under its own name.
    EXPECT_NE(lua::library_source().find("register('" + std::string{f.short_name} + "'"),
              std::string_view::npos)
        << f.short_name;
  }
}

TEST(LuaLibrary, ListsEveryFunctionTheBuildEmbeds) {
  const std::string cmake = test::read_source_file("routing/CMakeLists.txt");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(cmake, m, std::regex(R"(set\(TICKETD_LUA_FUNCTIONS\s+([^)]*)\))")));
  std::istringstream words(m[1].str());
  std::vector<std::string> embedded;
  for (std::string w; words >> w;) embedded.push_back(w);
  std::vector<std::string> listed;
  for (const auto& f : all_functions()) listed.emplace_back(f.short_name);
  EXPECT_EQ(embedded, listed);
}

TEST(LuaLibrary, OnlyTheReadsAreReadOnly) {
  const std::set<std::string_view> read_only{"agent_get", "queue_stats", "queue_head", "verify"};
  for (const auto& f : all_functions()) {
    EXPECT_EQ(f.info.read_only, read_only.contains(f.short_name)) << f.short_name;
  }
}

TEST(LuaLibrary, ChangesOnlyWithAVersionBump) {
  const std::uint64_t actual = fnv1a64(lua::library_source());
  const auto known = released_hashes.find(lua::version);
  ASSERT_NE(known, released_hashes.end())
      << "no hash recorded for library version " << lua::version << ": add {" << lua::version
      << ", " << hex(actual) << "} to released_hashes in tests/unit/routing/lua_library_test.cpp";
  EXPECT_EQ(actual, known->second)
      << "routing/lua changed: bump routing/lua/VERSION and update the hash in "
         "tests/unit/routing/lua_library_test.cpp (version "
      << lua::version << " is now " << hex(actual) << ")";
}

}  // namespace
}  // namespace ticketd::routing
