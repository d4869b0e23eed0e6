#include "config/changes.hpp"

#include <gtest/gtest.h>

#include "config/loader.hpp"

namespace ticketd::config {
namespace {

config parsed(const std::string& yaml) {
  auto r = load_config_text(yaml, "test.yaml");
  EXPECT_TRUE(r.errors.empty()) << r.errors.front().to_string();
  return r.value ? *r.value : config{};
}

const std::string base =
    "queues:\n"
    "  general: {mode: pull}\n"
    "  billing: {mode: push, accept_timeout: 30s, overflow: [{after: 5m, to: general}]}\n"
    "  old: {mode: pull}\n";

TEST(ConfigChanges, NamesQueuesAddedRemovedAndTheKeysThatDiffer) {
  const auto next = parsed(
      "server: {listen: 127.0.0.1:9090}\n"
      "queues:\n"
      "  general: {mode: pull, wait_weight: 0.5, rank_offset: -1h}\n"
      "  billing: {mode: push, accept_timeout: 45s, overflow: [{after: 10m, to: general}]}\n"
      "  extra: {mode: pull}\n");
  const auto c = changes_between(parsed(base), next);
  EXPECT_EQ(c.queues_added, std::vector<std::string>{"extra"});
  EXPECT_EQ(c.queues_removed, std::vector<std::string>{"old"});
  ASSERT_EQ(c.queues_changed.size(), 2u);
  EXPECT_EQ(c.queues_changed[0].name, "general");
  EXPECT_EQ(c.queues_changed[0].keys, (std::vector<std::string>{"wait_weight", "rank_offset"}));
  EXPECT_EQ(c.queues_changed[1].name, "billing");
  EXPECT_EQ(c.queues_changed[1].keys, (std::vector<std::string>{"accept_timeout", "overflow"}));
  EXPECT_EQ(c.restart_required, std::vector<std::string>{"server.listen"});
}

TEST(ConfigChanges, CorsOriginsNeedARestart) {
  const auto next = parsed(base + "server: {cors: {allowed_origins: [\"https://a.test\"]}}\n");
  EXPECT_EQ(changes_between(parsed(base), next).restart_required,
            std::vector<std::string>{"server.cors"});
}

TEST(ConfigChanges, TheSameFileChangesNothing) {
  const auto c = changes_between(parsed(base), parsed(base));
  EXPECT_TRUE(c.queues_added.empty());
  EXPECT_TRUE(c.queues_removed.empty());
  EXPECT_TRUE(c.queues_changed.empty());
  EXPECT_TRUE(c.restart_required.empty());
}

}  // namespace
}  // namespace ticketd::config
