#include "routing/keyspace.hpp"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <string>
#include <utility>

#include "tests/unit/routing/test_support.hpp"

namespace ticketd::routing {
namespace {

// The Lua KEY table's names for each key part.
const std::map<std::string, key_part>& lua_names() {
  static const std::map<std::string, key_part> names{
      {"ticket", key_part::ticket},
      {"queue", key_part::queue},
      {"queue_age", key_part::queue_age},
      {"queue_age_count", key_part::queue_age_count},
      {"personal_queue", key_part::personal_queue},
      {"agent", key_part::agent},
      {"held", key_part::held},
      {"agents", key_part::agents},
      {"timers", key_part::timers},
      {"events", key_part::events},
      {"settings", key_part::settings},
      {"queue_agents", key_part::queue_agents},
      {"config", key_part::config},
      {"idempotency", key_part::idempotency},
      {"forced", key_part::forced},
      {"queue_required", key_part::queue_required},
      {"queue_sets", key_part::queue_sets},
      {"customer", key_part::customer},
      {"queue_departures", key_part::queue_departures},
      {"stream_token", key_part::stream_token},
  };
  return names;
}

// `local KEY = { name = 'suffix', ... }` of the prelude, as name -> suffix.
std::map<std::string, std::string> lua_key_table() {
  const std::string prelude = test::read_source_file("routing/lua/include/keys.lua");
  std::smatch table;
  const std::regex table_re(R"(local KEY = \{([^}]*)\})");
  if (!std::regex_search(prelude, table, table_re)) {
    ADD_FAILURE() << "routing/lua/include/keys.lua has no `local KEY = { ... }` table";
    return {};
  }
  const std::string body = table[1].str();
  const std::regex entry_re(R"(([A-Za-z_][A-Za-z0-9_]*)\s*=\s*'([^']*)')");
  std::map<std::string, std::string> out;
  for (auto it = std::sregex_iterator(body.begin(), body.end(), entry_re);
       it != std::sregex_iterator(); ++it) {
    const auto [_, inserted] = out.emplace((*it)[1].str(), (*it)[2].str());
    EXPECT_TRUE(inserted) << "KEY." << (*it)[1].str() << " appears twice";
  }
  // Anything besides `name = 'suffix',` entries would escape the comparison below.
  const std::string rest = std::regex_replace(body, entry_re, "");
  EXPECT_EQ(rest.find_first_not_of(" \t\r\n,"), std::string::npos)
      << "unparsed text in the Lua KEY table: " << rest;
  return out;
}

TEST(Keyspace, PrefixIsTheWorkspaceHashTag) {
  EXPECT_EQ(keyspace("acme").prefix(), "ticketd:{acme}:");
  EXPECT_EQ(keyspace("default").prefix(), "ticketd:{default}:");
  EXPECT_EQ(keyspace("").prefix(), "ticketd:{}:");
}

TEST(Keyspace, FormsKeysWithAndWithoutIds) {
  const keyspace ks("acme");
  EXPECT_EQ(ks.key(key_part::ticket, "T-1"), "ticketd:{acme}:t:T-1");
  EXPECT_EQ(ks.key(key_part::queue, "billing"), "ticketd:{acme}:q:billing");
  EXPECT_EQ(ks.key(key_part::queue_age, "billing"), "ticketd:{acme}:qo:billing");
  EXPECT_EQ(ks.key(key_part::queue_age_count, "billing"), "ticketd:{acme}:qc:billing");
  EXPECT_EQ(ks.key(key_part::personal_queue, "ada"), "ticketd:{acme}:pq:ada");
  EXPECT_EQ(ks.key(key_part::agent, "ada"), "ticketd:{acme}:a:ada");
  EXPECT_EQ(ks.key(key_part::held, "ada"), "ticketd:{acme}:h:ada");
  EXPECT_EQ(ks.key(key_part::agents), "ticketd:{acme}:agents");
  EXPECT_EQ(ks.key(key_part::timers), "ticketd:{acme}:timers");
  EXPECT_EQ(ks.key(key_part::events), "ticketd:{acme}:events");
  EXPECT_EQ(ks.key(key_part::settings), "ticketd:{acme}:settings");
  EXPECT_EQ(ks.key(key_part::queue_agents, "billing"), "ticketd:{acme}:qa:billing");
  EXPECT_EQ(ks.key(key_part::config, "e1"), "ticketd:{acme}:cfg:e1");
}

TEST(Keyspace, EveryKeyStartsWithThePrefix) {
  const keyspace ks("ws-1");
  for (const auto& [part, suffix] : key_parts()) {
    const std::string k = suffix.ends_with(':') ? ks.key(part, "x") : ks.key(part);
    EXPECT_TRUE(k.starts_with(ks.prefix())) << k;
    EXPECT_EQ(k, ks.prefix() + std::string{suffix} + (suffix.ends_with(':') ? "x" : ""));
  }
}

TEST(KeyParts, AreListedInEnumOrderWithDistinctSuffixes) {
  const auto parts = key_parts();
  ASSERT_EQ(parts.size(), lua_names().size());
  std::map<std::string_view, int> seen;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    EXPECT_EQ(static_cast<std::size_t>(parts[i].first), i);
    EXPECT_EQ(++seen[parts[i].second], 1) << "suffix '" << parts[i].second << "' used twice";
  }
}

TEST(KeyParts, MatchTheLuaKeyTableExactly) {
  const auto lua = lua_key_table();
  ASSERT_FALSE(lua.empty());
  EXPECT_EQ(lua.size(), key_parts().size()) << "the Lua KEY table and key_parts() differ in size";
  for (const auto& [name, suffix] : lua) {
    const auto known = lua_names().find(name);
    if (known == lua_names().end()) {
      ADD_FAILURE() << "Lua KEY." << name << " has no key_part (add it to routing/keyspace)";
      continue;
    }
    const auto part = known->second;
    EXPECT_EQ(suffix, key_parts()[static_cast<std::size_t>(part)].second) << "KEY." << name;
  }
  for (const auto& [name, part] : lua_names()) {
    EXPECT_TRUE(lua.contains(name)) << "key_part " << name << " is missing from the Lua KEY table";
  }
}

}  // namespace
}  // namespace ticketd::routing

namespace ticketd::routing {
namespace {

TEST(KeySlot, IsRedisClusterHashSlot) {
  // Values Redis's CLUSTER KEYSLOT gives.
  EXPECT_EQ(key_slot("123456789"), 12739);
  EXPECT_EQ(key_slot("foo"), 12182);
  EXPECT_EQ(key_slot("bar"), 5061);
  EXPECT_EQ(key_slot("hello"), 866);
}

TEST(KeySlot, HashesOnlyTheFirstNonEmptyHashTag) {
  EXPECT_EQ(key_slot("{user1000}.following"), key_slot("user1000"));
  EXPECT_EQ(key_slot("{user1000}.followers"), key_slot("user1000"));
  // An empty tag counts as none: the whole key.
  EXPECT_EQ(key_slot("foo{}{bar}"), 8363);  // CLUSTER KEYSLOT foo{}{bar}
  EXPECT_EQ(key_slot("foo{{bar}}zap"), key_slot("{bar"));
  EXPECT_EQ(key_slot("foo{bar}{zap}"), key_slot("bar"));
}

TEST(Keyspace, EveryKeyOfAWorkspaceIsInTheWorkspaceSlot) {
  const keyspace keys("desk-7");
  EXPECT_EQ(keys.slot(), key_slot("desk-7"));
  for (const auto& [part, suffix] : key_parts()) {
    EXPECT_EQ(key_slot(keys.key(part, "T-1")), keys.slot()) << suffix;
  }
}

}  // namespace
}  // namespace ticketd::routing
