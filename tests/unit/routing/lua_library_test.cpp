#include "routing/lua_library.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <iomanip>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "tests/unit/routing/test_support.hpp"

namespace ticketd::routing {
namespace {

// The library's hash for each released version. When the Lua changes, bump routing/lua/VERSION
// (function names are global in Redis: two daemon versions must not share one name with
// different code) and put the new hash here. Version 1 is not released yet (no tag, no
// package published): until it is, its hash follows the Lua, and from then on it is frozen.
const std::map<int, std::uint64_t> released_hashes{
    {1, 0x947d834652d9a2e1ULL},
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
      {"patch", lua::fn::patch},
      {"delete_ticket", lua::fn::delete_ticket},
      {"agent_put", lua::fn::agent_put},
      {"agent_status", lua::fn::agent_status},
      {"agent_ready", lua::fn::agent_ready},
      {"agent_get", lua::fn::agent_get},
      {"agent_list", lua::fn::agent_list},
      {"explain", lua::fn::explain},
      {"queue_stats", lua::fn::queue_stats},
      {"queue_head", lua::fn::queue_head},
      {"tick", lua::fn::tick},
      {"verify", lua::fn::verify},
      {"configure", lua::fn::configure},
      {"kept", lua::fn::kept},
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
  const std::set<std::string_view> read_only{"agent_get", "agent_list", "queue_stats", "queue_head",
                                             "verify",    "kept",       "explain"};
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

// Lua allows 200 local variables active at once in a function, the library's main chunk
// included, and says so only when FUNCTION LOAD fails. The includes' locals stay active for the
// whole chunk; a function file's own locals (inside its `do ... end`) only until its end.
struct chunk_locals {
  int includes = 0;     // active for the whole chunk
  int widest_file = 0;  // the most any one function file adds on top
  std::string widest_name;
};

// A small Lua scanner: skips comments and strings, follows blocks (function, do, then, repeat
// ... end, until) and counts the `local` names declared in the chunk itself and in each of its
// top-level `do` blocks (a function file).
chunk_locals count_locals(std::string_view src) {
  chunk_locals out;
  std::vector<std::string_view> blocks;
  int file_locals = 0;
  std::string file_name;
  std::size_t i = 0;
  auto ident_at = [&](std::size_t at) {
    std::size_t j = at;
    while (j < src.size() && (std::isalnum(static_cast<unsigned char>(src[j])) || src[j] == '_')) {
      ++j;
    }
    return src.substr(at, j - at);
  };
  auto skip_space = [&](std::size_t at) {
    while (at < src.size() && std::isspace(static_cast<unsigned char>(src[at]))) ++at;
    return at;
  };
  auto long_bracket_end = [&](std::size_t at) -> std::size_t {  // at '[': [[ or [=[
    std::size_t j = at + 1;
    while (j < src.size() && src[j] == '=') ++j;
    if (j >= src.size() || src[j] != '[') return std::string_view::npos;
    const std::string close = "]" + std::string(j - at - 1, '=') + "]";
    const auto end = src.find(close, j);
    return end == std::string_view::npos ? src.size() : end + close.size();
  };
  bool previous_was_dot = false;
  while (i < src.size()) {
    const char ch = src[i];
    if (src.substr(i, 2) == "--") {
      const auto end = src[i + 2] == '[' ? long_bracket_end(i + 2) : std::string_view::npos;
      i = end != std::string_view::npos ? end : src.find('\n', i);
      if (i == std::string_view::npos) break;
      continue;
    }
    if (ch == '\'' || ch == '"') {
      for (++i; i < src.size() && src[i] != ch; ++i) {
        if (src[i] == '\\') ++i;
      }
      ++i;
      continue;
    }
    if (ch == '[') {
      const auto end = long_bracket_end(i);
      i = end != std::string_view::npos ? end : i + 1;
      continue;
    }
    if (!std::isalpha(static_cast<unsigned char>(ch)) && ch != '_') {
      previous_was_dot = ch == '.' || ch == ':';
      ++i;
      continue;
    }
    const auto word = ident_at(i);
    i += word.size();
    if (previous_was_dot) {  // a field name such as t.end is not a keyword
      previous_was_dot = false;
      continue;
    }
    const bool in_file = blocks.size() == 1 && blocks.front() == "do";
    if (word == "function" || word == "do" || word == "then" || word == "repeat") {
      blocks.push_back(word);
    } else if (word == "elseif") {
      if (!blocks.empty()) blocks.pop_back();  // its `then` opens the same block again
    } else if (word == "end" || word == "until") {
      if (!blocks.empty()) blocks.pop_back();
      if (in_file && blocks.empty()) {
        if (file_locals > out.widest_file) {
          out.widest_file = file_locals;
          out.widest_name = file_name;
        }
        file_name.clear();
        file_locals = 0;
      }
    } else if (word == "local" && (blocks.empty() || in_file)) {
      auto j = skip_space(i);
      int count = 0;
      if (ident_at(j) == "function") {
        count = 1;
      } else {
        for (;;) {
          const auto name = ident_at(j);
          if (name.empty()) break;
          ++count;
          j = skip_space(j + name.size());
          if (j >= src.size() || src[j] != ',') break;
          j = skip_space(j + 1);
        }
      }
      (blocks.empty() ? out.includes : file_locals) += count;
    } else if (word == "register" && in_file) {
      const auto quote = src.find('\'', i);
      file_name = std::string{src.substr(quote + 1, src.find('\'', quote + 1) - quote - 1)};
    }
  }
  return out;
}

TEST(LuaLibrary, CountsLocalsTheWayLuaDoes) {
  const auto c = count_locals(R"(local a, b = 1, 2
local function f(x) local y = x end
-- local commented = 1
local s = 'local not_one'
do
  local inner = 1
  if a then local deeper = 2 elseif b then local too = 3 end
  register('x', f)
end
)");
  EXPECT_EQ(c.includes, 4);     // a, b, f, s
  EXPECT_EQ(c.widest_file, 1);  // inner
}

// Fails well before Lua's limit of 200, so the next helper group is split or scoped on purpose,
// not found by a FUNCTION LOAD that fails in production.
TEST(LuaLibrary, KeepsItsActiveLocalsWellUnderLuasLimit) {
  constexpr int headroom_limit = 150;
  const auto c = count_locals(lua::library_source());
  EXPECT_GT(c.includes, 50) << "the count no longer sees the includes' locals";
  EXPECT_LE(c.includes + c.widest_file, headroom_limit)
      << "the Lua library has " << c.includes << " top-level locals and functions/" << c.widest_name
      << ".lua adds " << c.widest_file
      << " (Lua's limit is 200): move helpers into a function file's scope or group them in "
      << "tables";
}

}  // namespace
}  // namespace ticketd::routing
