#include "routing/rules.hpp"

#include <gtest/gtest.h>

#include <map>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "tests/unit/routing/test_support.hpp"

namespace ticketd::routing {
namespace {

using strings = std::vector<std::string>;
using attribute_list = std::vector<std::pair<std::string, std::string>>;
using test::make_rule;

config::routing_match when_channel(std::string channel) {
  config::routing_match m;
  m.channel = std::move(channel);
  return m;
}

config::routing_match when_skills(strings skills) {
  config::routing_match m;
  m.skills = std::move(skills);
  return m;
}

config::routing_match when_attributes(std::map<std::string, std::string> attributes) {
  config::routing_match m;
  m.attributes = std::move(attributes);
  return m;
}

// Names of what route_ticket chose ("" for a null pointer).
struct chosen {
  std::string queue;
  std::string priority;
  friend bool operator==(const chosen&, const chosen&) = default;
  friend std::ostream& operator<<(std::ostream& os, const chosen& c) {
    return os << "{queue '" << c.queue << "', priority '" << c.priority << "'}";
  }
};

class RouteTicket : public ::testing::Test {
 protected:
  RouteTicket() : cfg_(test::sample_config()) {
    // Order matters: the first matching rule that sets a part wins it.
    cfg_.routing.push_back(make_rule(when_channel("phone"), std::nullopt, "urgent"));
    cfg_.routing.push_back(make_rule(when_attributes({{"tier", "1"}, {"vip", "true"}}), "tier2"));
    cfg_.routing.push_back(make_rule(when_skills({"spanish", "billing"}), "billing", "high"));
    cfg_.routing.push_back(make_rule(when_skills({"spanish"}), "spanish", "low"));
    cfg_.routing.push_back(make_rule(when_channel("email"), "general", "normal"));
  }

  chosen route(std::string_view channel, strings skills = {}, attribute_list attributes = {},
               std::string_view queue = {}, std::string_view priority = {}) const {
    skills_ = std::move(skills);
    attributes_ = std::move(attributes);
    const ticket_facts facts{channel, skills_, attributes_};
    const auto r = route_ticket(cfg_, facts, queue, priority);
    return {r.queue ? r.queue->name : "", r.priority ? r.priority->name : ""};
  }

  config::config cfg_;
  mutable strings skills_;
  mutable attribute_list attributes_;
};

TEST_F(RouteTicket, FallsBackToDefaultsWhenNoRuleMatches) {
  EXPECT_EQ(route("chat"), (chosen{"general", "normal"}));
  EXPECT_EQ(route(""), (chosen{"general", "normal"}));
}

TEST_F(RouteTicket, ExplicitQueueAndPriorityWin) {
  EXPECT_EQ(route("phone", {"spanish"}, {}, "billing", "low"), (chosen{"billing", "low"}));
  EXPECT_EQ(route("phone", {}, {}, "billing"), (chosen{"billing", "urgent"}));
  EXPECT_EQ(route("chat", {"spanish"}, {}, {}, "high"), (chosen{"spanish", "high"}));
}

TEST_F(RouteTicket, EachPartComesFromTheFirstRuleThatSetsIt) {
  // phone sets only the priority; the queue comes from the next matching rule.
  EXPECT_EQ(route("phone", {"spanish"}), (chosen{"spanish", "urgent"}));
  // phone sets the priority and nothing else matches: the queue is the default.
  EXPECT_EQ(route("phone"), (chosen{"general", "urgent"}));
  // Both skills rules match; the first (more specific) one wins both parts.
  EXPECT_EQ(route("email", {"billing", "spanish"}), (chosen{"billing", "high"}));
  EXPECT_EQ(route("email", {"spanish"}), (chosen{"spanish", "low"}));
  EXPECT_EQ(route("email"), (chosen{"general", "normal"}));
}

TEST_F(RouteTicket, SkillRulesNeedEverySkill) {
  EXPECT_EQ(route("chat", {"billing"}), (chosen{"general", "normal"}));
  EXPECT_EQ(route("chat", {"billing", "spanish", "vip"}), (chosen{"billing", "high"}));
}

TEST_F(RouteTicket, ChannelMustMatchExactly) {
  EXPECT_EQ(route("Phone"), (chosen{"general", "normal"}));
  EXPECT_EQ(route("phone2"), (chosen{"general", "normal"}));
}

TEST_F(RouteTicket, AttributeRulesNeedEveryAttributeAsText) {
  EXPECT_EQ(route("chat", {}, {{"tier", "1"}, {"vip", "true"}}), (chosen{"tier2", "normal"}));
  EXPECT_EQ(route("chat", {}, {{"brand", "acme"}, {"tier", "1"}, {"vip", "true"}}),
            (chosen{"tier2", "normal"}));
  EXPECT_EQ(route("chat", {}, {{"tier", "1"}}), (chosen{"general", "normal"}));
  EXPECT_EQ(route("chat", {}, {{"tier", "1.0"}, {"vip", "true"}}), (chosen{"general", "normal"}));
  EXPECT_EQ(route("chat", {}, {{"tier", "1"}, {"vip", "True"}}), (chosen{"general", "normal"}));
}

TEST_F(RouteTicket, UnknownExplicitNamesGiveNullPointers) {
  EXPECT_EQ(route("chat", {}, {}, "nope"), (chosen{"", "normal"}));
  EXPECT_EQ(route("chat", {}, {}, {}, "critical"), (chosen{"general", ""}));
}

TEST_F(RouteTicket, UnknownDefaultsGiveNullPointers) {
  cfg_.defaults = {"missing", "missing"};
  EXPECT_EQ(route("chat"), (chosen{"", ""}));
  EXPECT_EQ(route("phone", {"spanish"}), (chosen{"spanish", "urgent"}));
}

TEST_F(RouteTicket, ReturnsPointersIntoTheConfiguration) {
  const ticket_facts facts{"chat", {}, {}};
  const auto r = route_ticket(cfg_, facts, "billing", "high");
  EXPECT_EQ(r.queue, cfg_.find_queue("billing"));
  EXPECT_EQ(r.priority, cfg_.find_priority("high"));
  EXPECT_EQ(r.queue->wait_weight, 0.5);
}

class EffectiveQueues : public ::testing::Test {
 protected:
  EffectiveQueues() : cfg_(test::sample_config()) {
    cfg_.routing.push_back(make_rule(when_skills({"spanish"}), "spanish"));
    cfg_.routing.push_back(make_rule(when_skills({"spanish", "billing"}), "billing"));
    // Skills plus a channel or attributes: not a skill rule, an agent gains nothing from it.
    auto with_channel = when_skills({"french"});
    with_channel.channel = "email";
    cfg_.routing.push_back(make_rule(with_channel, "tier2"));
    auto with_attributes = when_skills({"german"});
    with_attributes.attributes = {{"tier", "1"}};
    cfg_.routing.push_back(make_rule(with_attributes, "tier2"));
    // Priority only: no queue to add.
    cfg_.routing.push_back(make_rule(when_skills({"vip"}), std::nullopt, "urgent"));
    cfg_.routing.push_back(make_rule(when_channel("phone"), "general"));
  }

  strings effective(strings queues, strings skills) const {
    return effective_queues(cfg_, queues, skills);
  }

  config::config cfg_;
};

TEST_F(EffectiveQueues, KeepsTheAgentsOwnQueuesSortedAndUnique) {
  EXPECT_EQ(effective({"tier2", "billing", "tier2"}, {}), (strings{"billing", "tier2"}));
  EXPECT_EQ(effective({}, {}), strings{});
}

TEST_F(EffectiveQueues, AddsQueuesOfSkillRulesWhenTheAgentHasEverySkill) {
  EXPECT_EQ(effective({"general"}, {"spanish"}), (strings{"general", "spanish"}));
  EXPECT_EQ(effective({"general"}, {"billing", "spanish"}),
            (strings{"billing", "general", "spanish"}));
  EXPECT_EQ(effective({"general"}, {"billing"}), (strings{"general"}));
  EXPECT_EQ(effective({"spanish"}, {"spanish"}), (strings{"spanish"}));
}

TEST_F(EffectiveQueues, IgnoresRulesWithChannelAttributesOrNoQueue) {
  EXPECT_EQ(effective({"general"}, {"french", "german", "vip"}), (strings{"general"}));
}

}  // namespace
}  // namespace ticketd::routing
