#include "daemon/api/requests.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/unit/routing/test_support.hpp"

namespace ticketd::daemon::api {
namespace {

using routing::errc;
using routing::ticket_action;
using strings = std::vector<std::string>;
using attribute_list = std::vector<std::pair<std::string, std::string>>;
using test::t0;

// Expects invalid_argument naming `field`.
template <class T>
void expect_invalid(const routing::outcome<T>& r, std::string_view field, std::string_view body) {
  ASSERT_TRUE(r.has_error()) << "accepted: " << body;
  EXPECT_EQ(r.error().code, errc::invalid_argument) << body;
  EXPECT_EQ(r.error().detail("field"), field) << body << ": " << r.error().message;
  EXPECT_FALSE(r.error().message.empty()) << body;
}

routing::create_request create_ok(std::string_view body) {
  auto r = parse_create(body);
  if (!r) {
    ADD_FAILURE() << "refused " << body << ": " << r.error().message;
    return {};
  }
  return *r;
}

// Bodies -------------------------------------------------------------------------------------

TEST(ParseAgentFrame, ReadsAcceptAndReject) {
  auto accept = parse_agent_frame(R"({"action":"accept","ticket":"T-1","token":"7"})");
  ASSERT_TRUE(accept.has_value());
  EXPECT_EQ(accept->action, ticket_action::accept);
  EXPECT_EQ(accept->ticket, "T-1");
  EXPECT_EQ(accept->request.token, "7");
  auto reject = parse_agent_frame(R"({"action":"reject","ticket":"T-1","reason":"busy"})");
  ASSERT_TRUE(reject.has_value());
  EXPECT_EQ(reject->action, ticket_action::reject);
  EXPECT_EQ(reject->request.reason, "busy");
}

TEST(ParseAgentFrame, RefusesWhatTheHttpActionsRefuse) {
  const std::pair<std::string, std::string_view> cases[] = {
      {R"([1])", "body"},
      {R"({"ticket":"T-1"})", "action"},
      {R"({"action":"resolve","ticket":"T-1"})", "action"},
      {R"({"action":"accept"})", "ticket"},
      {R"({"action":"accept","ticket":"T 1"})", "ticket"},
      {R"({"action":"accept","ticket":"T-1","token":7})", "token"},
      {R"({"action":"accept","ticket":"T-1","reason":"x"})", "reason"},  // accept has none
      {R"({"action":"reject","ticket":"T-1","reason":")" + std::string(257, 'x') + R"("})",
       "reason"},
      {R"({"action":"accept","ticket":"T-1","agent":"bob"})", "agent"},  // the stream's agent acts
  };
  for (const auto& [body, field] : cases) expect_invalid(parse_agent_frame(body), field, body);
}

TEST(ParseCreate, ReadsEveryField) {
  const auto r = create_ok(R"({"id": "T-1001", "queue": "billing", "priority": "urgent",
      "channel": "email", "skills": ["vip", "spanish", "vip"],
      "attributes": {"brand": "acme", "tier": 2, "vip": true},
      "created_at": "2026-11-22T10:00:00Z"})");
  EXPECT_EQ(r.id, "T-1001");
  EXPECT_EQ(r.queue, "billing");
  EXPECT_EQ(r.priority, "urgent");
  EXPECT_EQ(r.channel, "email");
  EXPECT_EQ(r.skills, (strings{"spanish", "vip"}));
  EXPECT_EQ(r.attributes, (attribute_list{{"brand", "acme"}, {"tier", "2"}, {"vip", "true"}}));
  EXPECT_EQ(r.attributes_json, R"({"brand":"acme","tier":2,"vip":true})");
  EXPECT_EQ(r.created_at, t0);
  EXPECT_FALSE(r.fingerprint.empty());
  EXPECT_EQ(r.fingerprint.find_first_not_of("0123456789"), std::string::npos) << r.fingerprint;
}

TEST(ParseCreate, OnlyIdIsRequired) {
  const auto r = create_ok(R"({"id": "T-1"})");
  EXPECT_EQ(r.id, "T-1");
  EXPECT_EQ(r.queue, "");
  EXPECT_EQ(r.priority, "");
  EXPECT_EQ(r.channel, "");
  EXPECT_TRUE(r.skills.empty());
  EXPECT_TRUE(r.attributes.empty());
  EXPECT_EQ(r.attributes_json, "");
  EXPECT_FALSE(r.created_at.has_value());
  // null is the same as absent; an empty object has no canonical text.
  EXPECT_EQ(create_ok(R"({"id": "T-1", "queue": null, "attributes": {}})").fingerprint,
            r.fingerprint);
}

TEST(ParseCreate, RefusesMissingOrInvalidFields) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"", "id"},
      {"  \r\n", "id"},
      {"{}", "id"},
      {R"({"id": null})", "id"},
      {R"({"id": 1001})", "id"},
      {R"({"id": ""})", "id"},
      {R"({"id": "T 1"})", "id"},
      {R"({"id": "T/1"})", "id"},
      {R"({"id": "caf\u00e9"})", "id"},
      {R"({"id": "T-1", "queue": 1})", "queue"},
      {R"({"id": "T-1", "queue": ""})", "queue"},
      {R"({"id": "T-1", "priority": "very urgent"})", "priority"},
      {R"({"id": "T-1", "channel": ["email"]})", "channel"},
      {R"({"id": "T-1", "skills": "spanish"})", "skills"},
      {R"({"id": "T-1", "skills": [1]})", "skills"},
      {R"({"id": "T-1", "skills": ["a b"]})", "skills"},
      {R"({"id": "T-1", "attributes": ["brand"]})", "attributes"},
      {R"({"id": "T-1", "attributes": {"brand": {"name": "acme"}}})", "attributes.brand"},
      {R"({"id": "T-1", "attributes": {"tags": ["a"]}})", "attributes.tags"},
      {R"({"id": "T-1", "attributes": {"x": 1e400}})", "attributes.x"},  // reads as infinity
      {R"({"id": "T-1", "created_at": 1795341600000})", "created_at"},
      {R"({"id": "T-1", "created_at": "yesterday"})", "created_at"},
      {R"({"id": "T-1", "created_at": "2026-02-30T00:00:00Z"})", "created_at"},
      {R"({"id": "T-1", "queue_name": "billing"})", "queue_name"},
      {R"({"id": "T-1", "Queue": "billing"})", "Queue"},
  };
  for (const auto& [body, field] : cases) expect_invalid(parse_create(body), field, body);
}

TEST(ParseCreate, RefusesIdsLongerThan128Characters) {
  const std::string ok = R"({"id": ")" + std::string(128, 'a') + R"("})";
  EXPECT_TRUE(parse_create(ok).has_value());
  const std::string long_id = R"({"id": ")" + std::string(129, 'a') + R"("})";
  expect_invalid(parse_create(long_id), "id", "129-character id");
}

TEST(ParseCreate, RefusesOversizedListsAndValues) {
  std::string skills = R"({"id": "T-1", "skills": [)";
  for (int i = 0; i < 65; ++i)
    skills += (i ? "," : "") + std::string{"\"s"} + std::to_string(i) + "\"";
  skills += "]}";
  expect_invalid(parse_create(skills), "skills", "65 skills");
  const std::string value =
      R"({"id": "T-1", "attributes": {"note": ")" + std::string(1025, 'x') + R"("}})";
  expect_invalid(parse_create(value), "attributes.note", "1025-character attribute");
}

TEST(ParseCreate, RefusesMalformedJsonAsBody) {
  for (const std::string_view body :
       {"{", "[1]", R"("T-1")", "null", R"({"id": "T-1",})", R"({"id": "T-1"} x)", "id=T-1"}) {
    expect_invalid(parse_create(body), "body", body);
  }
}

TEST(ParseCreate, CanonicalAttributesIgnoreKeyOrder) {
  const auto a =
      create_ok(R"({"id": "T-1", "attributes": {"brand": "acme", "tier": 2, "vip": true}})");
  const auto b =
      create_ok(R"({"attributes": {"vip": true, "tier": 2, "brand": "acme"}, "id": "T-1"})");
  EXPECT_EQ(a.attributes_json, b.attributes_json);
  EXPECT_EQ(a.attributes, b.attributes);
  EXPECT_EQ(a.fingerprint, b.fingerprint);
}

TEST(ParseCreate, SkillOrderAndDuplicatesDoNotChangeTheFingerprint) {
  EXPECT_EQ(create_ok(R"({"id": "T-1", "skills": ["b", "a"]})").fingerprint,
            create_ok(R"({"id": "T-1", "skills": ["a", "b", "a"]})").fingerprint);
}

TEST(ParseCreate, DifferentPayloadsGiveDifferentFingerprints) {
  const std::string_view bodies[] = {
      R"({"id": "T-1"})",
      R"({"id": "T-2"})",
      R"({"id": "T-1", "queue": "billing"})",
      R"({"id": "T-1", "priority": "billing"})",
      R"({"id": "T-1", "channel": "billing"})",
      R"({"id": "T-1", "skills": ["billing"]})",
      R"({"id": "T-1", "skills": ["a", "b"]})",
      R"({"id": "T-1", "skills": ["ab"]})",
      R"({"id": "T-1", "attributes": {"brand": "acme"}})",
      R"({"id": "T-1", "attributes": {"brand": "acme2"}})",
      R"({"id": "T-1", "attributes": {"tier": 2}})",
      R"({"id": "T-1", "attributes": {"tier": "2"}})",
      R"({"id": "T-1", "created_at": "2026-11-22T10:00:00Z"})",
      R"({"id": "T-1", "created_at": "2026-11-22T10:00:01Z"})",
      R"({"id": "T-1", "requires": [{"skill": "spanish"}]})",
      R"({"id": "T-1", "requires": [{"skill": "spanish", "level": 2}]})",
      R"({"id": "T-1", "requires": [{"skill": "spanish", "relax_after": 60}]})",
  };
  std::set<std::string> seen;
  for (const auto body : bodies) {
    EXPECT_TRUE(seen.insert(create_ok(body).fingerprint).second) << "same fingerprint: " << body;
  }
}

TEST(ParseCreate, KeepsStringAndNumberAttributesApartInTheCanonicalText) {
  EXPECT_EQ(create_ok(R"({"id": "T-1", "attributes": {"tier": "2"}})").attributes_json,
            R"({"tier":"2"})");
  EXPECT_EQ(create_ok(R"({"id": "T-1", "attributes": {"tier": 2}})").attributes_json,
            R"({"tier":2})");
  EXPECT_EQ(create_ok(R"({"id": "T-1", "attributes": {"a\"b": "x\ny"}})").attributes_json,
            R"({"a\"b":"x\ny"})");
}

// Routing rules compare attribute values as the YAML wrote them (`tier: 1.5` is "1.5"); a
// ticket's number attribute must give the same text as JSON wrote it.
TEST(ParseCreate, NumberAttributesKeepTheirJsonText) {
  const auto r =
      create_ok(R"({"id": "T-1", "attributes": {"rate": 1.5, "count": 3, "neg": -0.25}})");
  EXPECT_EQ(r.attributes, (attribute_list{{"count", "3"}, {"neg", "-0.25"}, {"rate", "1.5"}}));
  EXPECT_EQ(r.attributes_json, R"({"count":3,"neg":-0.25,"rate":1.5})");
}

// Actions ------------------------------------------------------------------------------------

routing::action_request action_ok(ticket_action a, std::string_view body) {
  auto r = parse_action(a, body);
  if (!r) {
    ADD_FAILURE() << routing::to_string(a) << " refused " << body << ": " << r.error().message;
    return {};
  }
  return *r;
}

TEST(ParseAction, AcceptAndRejectNeedTheAgent) {
  const auto accept = action_ok(ticket_action::accept, R"({"agent": "ada", "token": "t-1"})");
  EXPECT_EQ(accept.agent, "ada");
  EXPECT_EQ(accept.token, "t-1");
  const auto reject =
      action_ok(ticket_action::reject, R"({"agent": "ada", "reason": "busy", "token": "t"})");
  EXPECT_EQ(reject.agent, "ada");
  EXPECT_EQ(reject.reason, "busy");
  EXPECT_EQ(reject.token, "t");
  // Without an agent they parse: an agent's token names it, and the service asks a backend for it.
  EXPECT_TRUE(parse_action(ticket_action::accept, "{}").has_value());
  EXPECT_TRUE(parse_action(ticket_action::reject, R"({"reason": "busy"})").has_value());
  expect_invalid(parse_action(ticket_action::accept, R"({"agent": "no spaces"})"), "agent",
                 "accept with a bad id");
  expect_invalid(parse_action(ticket_action::accept, R"({"agent": "ada", "reason": "x"})"),
                 "reason", "accept with reason");
  expect_invalid(parse_action(ticket_action::accept, R"({"agent": "ada", "token": 5})"), "token",
                 "numeric token");
  expect_invalid(parse_action(ticket_action::reject,
                              R"({"agent": "ada", "reason": ")" + std::string(257, 'r') + R"("})"),
                 "reason", "257-character reason");
}

TEST(ParseAction, ReplyAndReleaseTakeAnOptionalAgent) {
  for (const auto a : {ticket_action::reply, ticket_action::release}) {
    EXPECT_EQ(action_ok(a, "").agent, "");
    EXPECT_EQ(action_ok(a, R"({"agent": null})").agent, "");
    EXPECT_EQ(action_ok(a, R"({"agent": "ada"})").agent, "ada");
    expect_invalid(parse_action(a, R"({"agent": "ada lovelace"})"), "agent", "bad agent id");
    expect_invalid(parse_action(a, R"({"agent": 7})"), "agent", "numeric agent");
    expect_invalid(parse_action(a, R"({"queue": "billing"})"), "queue", "unknown field");
  }
}

TEST(ParseAction, BodilessActionsRefuseAnyField) {
  for (const auto a :
       {ticket_action::customer_reply, ticket_action::reopen, ticket_action::close}) {
    EXPECT_TRUE(parse_action(a, "").has_value()) << routing::to_string(a);
    EXPECT_TRUE(parse_action(a, "{}").has_value()) << routing::to_string(a);
    expect_invalid(parse_action(a, R"({"agent": "ada"})"), "agent", routing::to_string(a));
    expect_invalid(parse_action(a, "[]"), "body", routing::to_string(a));
  }
}

TEST(ParseAction, PostponeNeedsAnRfc3339Until) {
  EXPECT_EQ(action_ok(ticket_action::postpone, R"({"until": "2026-11-22T11:00:00+01:00"})").until,
            t0);
  expect_invalid(parse_action(ticket_action::postpone, "{}"), "until", "no until");
  expect_invalid(parse_action(ticket_action::postpone, R"({"until": "tomorrow"})"), "until",
                 "tomorrow");
  expect_invalid(parse_action(ticket_action::postpone, R"({"until": 1795341600000})"), "until",
                 "epoch number");
}

TEST(ParseAction, ResolveTakesAnOptionalReason) {
  // The planner fills in "agent" when none is given.
  EXPECT_EQ(action_ok(ticket_action::resolve, "").reason, "");
  EXPECT_EQ(action_ok(ticket_action::resolve, R"({"reason": "duplicate"})").reason, "duplicate");
  expect_invalid(parse_action(ticket_action::resolve, R"({"reason": true})"), "reason", "bool");
}

TEST(ParseAction, TransferNeedsAQueue) {
  EXPECT_EQ(action_ok(ticket_action::transfer, R"({"queue": "billing"})").queue, "billing");
  expect_invalid(parse_action(ticket_action::transfer, "{}"), "queue", "no queue");
  expect_invalid(parse_action(ticket_action::transfer, R"({"queue": "bill ing"})"), "queue",
                 "bad queue id");
}

TEST(ParseAction, EscalateFieldsAreOptional) {
  const auto none = action_ok(ticket_action::escalate, "");
  EXPECT_EQ(none.queue, "");
  EXPECT_EQ(none.priority, "");
  EXPECT_EQ(none.reason, "");
  const auto all = action_ok(ticket_action::escalate,
                             R"({"queue": "tier2", "priority": "urgent", "reason": "angry"})");
  EXPECT_EQ(all.queue, "tier2");
  EXPECT_EQ(all.priority, "urgent");
  EXPECT_EQ(all.reason, "angry");
  expect_invalid(parse_action(ticket_action::escalate, R"({"priority": 1})"), "priority", "num");
  expect_invalid(parse_action(ticket_action::escalate, R"({"agent": "ada"})"), "agent", "agent");
}

TEST(ParseAction, ReassignNeedsAnAgentAndABooleanForce) {
  const auto plain = action_ok(ticket_action::reassign, R"({"agent": "ada"})");
  EXPECT_EQ(plain.agent, "ada");
  EXPECT_FALSE(plain.force);
  EXPECT_TRUE(action_ok(ticket_action::reassign, R"({"agent": "ada", "force": true})").force);
  EXPECT_FALSE(action_ok(ticket_action::reassign, R"({"agent": "ada", "force": false})").force);
  expect_invalid(parse_action(ticket_action::reassign, R"({"force": true})"), "agent", "no agent");
  expect_invalid(parse_action(ticket_action::reassign, R"({"agent": "ada", "force": "yes"})"),
                 "force", "string force");
  expect_invalid(parse_action(ticket_action::reassign, R"({"agent": "ada", "force": 1})"), "force",
                 "numeric force");
}

TEST(ParseAction, RefusesMalformedJsonForEveryAction) {
  for (const auto a : routing::all_ticket_actions) {
    expect_invalid(parse_action(a, "{"), "body", routing::to_string(a));
    expect_invalid(parse_action(a, "42"), "body", routing::to_string(a));
  }
}

// Agents, status, clock ----------------------------------------------------------------------

TEST(ParseAgent, ReadsEveryField) {
  const auto r = parse_agent(R"({"name": "Ada", "queues": ["general", "billing", "general"],
      "skills": ["spanish"], "max_concurrent": 5, "status": "online"})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->name, "Ada");
  EXPECT_EQ(r->queues, (strings{"billing", "general"}));
  EXPECT_EQ(r->skills, (std::vector<routing::skill_level>{{"spanish", 1}}));
  EXPECT_EQ(r->max_concurrent, 5u);
  EXPECT_EQ(r->status, routing::agent_status::online);
}

TEST(ParseAgent, SkillsAreAListOfNamesAtLevelOneOrAnObjectOfLevels) {
  const auto listed = parse_agent(R"({"skills": ["spanish", "billing", "spanish"]})");
  ASSERT_TRUE(listed.has_value()) << listed.error().message;
  EXPECT_EQ(listed->skills, (std::vector<routing::skill_level>{{"billing", 1}, {"spanish", 1}}));
  const auto levels = parse_agent(R"({"skills": {"spanish": 8, "billing": 3, "vip": 10}})");
  ASSERT_TRUE(levels.has_value()) << levels.error().message;
  EXPECT_EQ(levels->skills,
            (std::vector<routing::skill_level>{{"billing", 3}, {"spanish", 8}, {"vip", 10}}));
}

TEST(ParseAgent, ReadsCapacityAndPresenceByChannel) {
  const auto r = parse_agent(
      R"({"capacity": 12, "channels": {"phone": "away", "chat": "online", "email": "offline"}})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->capacity, 12u);
  // Online follows the agent: only the others are kept, sorted.
  using presence = std::pair<std::string, routing::agent_status>;
  EXPECT_EQ(r->channels, (std::vector<presence>{{"email", routing::agent_status::offline},
                                                {"phone", routing::agent_status::away}}));
  const std::pair<std::string_view, std::string_view> bad[] = {
      {R"({"capacity": 0})", "capacity"},
      {R"({"capacity": 100001})", "capacity"},
      {R"({"capacity": "10"})", "capacity"},
      {R"({"channels": ["phone"]})", "channels"},
      {R"({"channels": {"phone": "busy"}})", "channels"},
      {R"({"channels": {"phone": 1}})", "channels"},
      {R"({"channels": {"bad name": "away"}})", "channels"},
  };
  for (const auto& [body, field] : bad) expect_invalid(parse_agent(body), field, body);
}

TEST(ParseCreate, ReadsRequirementsWithLevelsAndRelaxTimes) {
  const auto r = create_ok(R"({"id": "T-1", "requires": [
      {"skill": "spanish", "level": 3, "relax_after": 600}, {"skill": "billing"}]})");
  ASSERT_EQ(r.requirements.size(), 2u);
  EXPECT_EQ(r.requirements[0].skill, "billing");  // sorted by skill
  EXPECT_EQ(r.requirements[0].level, 1u);
  EXPECT_FALSE(r.requirements[0].relax_after.has_value());
  EXPECT_EQ(r.requirements[1].skill, "spanish");
  EXPECT_EQ(r.requirements[1].level, 3u);
  EXPECT_EQ(r.requirements[1].relax_after, config::millis{600'000});
  const std::string_view bad[] = {
      R"({"id": "T-1", "requires": {"skill": "spanish"}})",
      R"({"id": "T-1", "requires": ["spanish"]})",
      R"({"id": "T-1", "requires": [{"level": 3}]})",
      R"({"id": "T-1", "requires": [{"skill": "bad skill"}]})",
      R"({"id": "T-1", "requires": [{"skill": "spanish", "level": 0}]})",
      R"({"id": "T-1", "requires": [{"skill": "spanish", "level": 11}]})",
      R"({"id": "T-1", "requires": [{"skill": "spanish", "relax_after": 0}]})",
      R"({"id": "T-1", "requires": [{"skill": "spanish", "relax_after": "10m"}]})",
      R"({"id": "T-1", "requires": [{"skill": "spanish", "colour": "red"}]})",
      R"({"id": "T-1", "requires": [{"skill": "spanish"}, {"skill": "spanish", "level": 2}]})",
  };
  for (const auto body : bad) expect_invalid(parse_create(body), "requires", body);
}

TEST(ParseCreate, ReadsACustomerAndPreferredAgents) {
  const auto r = create_ok(
      R"({"id": "T-1", "customer": "c-9", "preferred_agents": {"agents": ["bob", "ada", "bob"],
          "for": 300}})");
  EXPECT_EQ(r.customer, "c-9");
  ASSERT_TRUE(r.preferred.has_value());
  EXPECT_EQ(r.preferred->agents, (strings{"ada", "bob"}));
  EXPECT_EQ(r.preferred->for_ms, 300'000);
  EXPECT_NE(r.fingerprint, create_ok(R"({"id": "T-1", "customer": "c-9"})").fingerprint);
  const std::string_view bad[] = {
      R"({"id": "T-1", "preferred_agents": ["ada"]})",
      R"({"id": "T-1", "preferred_agents": {"agents": ["ada"]}})",
      R"({"id": "T-1", "preferred_agents": {"agents": [], "for": 60}})",
      R"({"id": "T-1", "preferred_agents": {"for": 60}})",
      R"({"id": "T-1", "preferred_agents": {"agents": ["ada"], "for": 0}})",
      R"({"id": "T-1", "preferred_agents": {"agents": ["ada"], "for": 604801}})",
      R"({"id": "T-1", "preferred_agents": {"agents": ["a b"], "for": 60}})",
      R"({"id": "T-1", "preferred_agents": {"agents": ["ada"], "for": 60, "x": 1}})",
  };
  for (const auto body : bad) expect_invalid(parse_create(body), "preferred_agents", body);
  expect_invalid(parse_create(R"({"id": "T-1", "customer": "c 9"})"), "customer", "customer");
}

TEST(ParsePatch, ReadsWhatItNamesAndNullRemoves) {
  const auto r = parse_patch(
      R"({"priority": "urgent", "channel": null, "preferred_agents": null,
          "requires": [{"skill": "spanish", "level": 2}]})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->priority, "urgent");
  EXPECT_EQ(r->channel, "");
  ASSERT_TRUE(r->preferred.has_value());
  EXPECT_FALSE(r->preferred->has_value());
  ASSERT_TRUE(r->requirements.has_value());
  EXPECT_EQ(r->requirements->size(), 1u);
  EXPECT_FALSE(r->skills.has_value());
  expect_invalid(parse_patch("{}"), "body", "{}");
  expect_invalid(parse_patch(R"({"queue": "billing"})"), "queue", "queue");
  expect_invalid(parse_patch(R"({"priority": null})"), "priority", "priority null");
}

TEST(ParseAgent, EverythingIsOptional) {
  const auto r = parse_agent("");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->name, "");
  EXPECT_TRUE(r->queues.empty());
  EXPECT_FALSE(r->max_concurrent.has_value());
  EXPECT_FALSE(r->status.has_value());
}

TEST(ParseAgent, RefusesInvalidFields) {
  const std::string long_name = R"({"name": ")" + std::string(257, 'n') + R"("})";
  const std::pair<std::string_view, std::string_view> cases[] = {
      {R"({"name": 5})", "name"},
      {long_name, "name"},
      {R"({"queues": "billing"})", "queues"},
      {R"({"queues": ["bad queue"]})", "queues"},
      {R"({"skills": [true]})", "skills"},
      {R"({"skills": "spanish"})", "skills"},
      {R"({"skills": {"spanish": 0}})", "skills.spanish"},
      {R"({"skills": {"spanish": 11}})", "skills.spanish"},
      {R"({"skills": {"spanish": 2.5}})", "skills.spanish"},
      {R"({"skills": {"spanish": "8"}})", "skills.spanish"},
      {R"({"skills": {"bad skill": 3}})", "skills"},
      {R"({"max_concurrent": 0})", "max_concurrent"},
      {R"({"max_concurrent": -1})", "max_concurrent"},
      {R"({"max_concurrent": 10001})", "max_concurrent"},
      {R"({"max_concurrent": 2.5})", "max_concurrent"},
      {R"({"max_concurrent": "5"})", "max_concurrent"},
      {R"({"status": "busy"})", "status"},
      {R"({"status": 1})", "status"},
      {R"({"id": "ada"})", "id"},
      {"[", "body"},
  };
  for (const auto& [body, field] : cases) expect_invalid(parse_agent(body), field, body);
  const auto most = parse_agent(R"({"max_concurrent": 10000})");
  ASSERT_TRUE(most.has_value());
  EXPECT_EQ(most->max_concurrent, 10000u);
}

TEST(ParseStatus, ReadsTheStatus) {
  const std::pair<std::string_view, routing::agent_status> cases[] = {
      {R"({"status": "online"})", routing::agent_status::online},
      {R"({"status": "away"})", routing::agent_status::away},
      {R"({"status": "offline"})", routing::agent_status::offline},
  };
  for (const auto& [body, status] : cases) {
    const auto r = parse_status(body);
    ASSERT_TRUE(r.has_value()) << body;
    EXPECT_EQ(r->status, status) << body;
    EXPECT_EQ(r->channel, "") << body;
  }
  const auto phone = parse_status(R"({"status": "away", "channel": "phone"})");
  ASSERT_TRUE(phone.has_value());
  EXPECT_EQ(phone->status, routing::agent_status::away);
  EXPECT_EQ(phone->channel, "phone");
  expect_invalid(parse_status(R"({"status": "away", "channel": "no such"})"), "channel", "space");
  expect_invalid(parse_status(R"({"status": "away", "channel": 3})"), "channel", "number");
  expect_invalid(parse_status("{}"), "status", "{}");
  expect_invalid(parse_status(""), "status", "empty");
  expect_invalid(parse_status(R"({"status": "Online"})"), "status", "Online");
  expect_invalid(parse_status(R"({"status": "online", "since": "now"})"), "since", "extra");
  expect_invalid(parse_status("online"), "body", "not JSON");
}

TEST(ParseClock, TakesExactlyOneOfNowOrAdvance) {
  const auto set = parse_clock(R"({"now": "2026-11-22T10:00:00Z"})");
  ASSERT_TRUE(set.has_value()) << set.error().message;
  EXPECT_EQ(set->set_ms, t0);
  EXPECT_FALSE(set->advance_ms.has_value());
  const auto advance = parse_clock(R"({"advance": "1h30m"})");
  ASSERT_TRUE(advance.has_value()) << advance.error().message;
  EXPECT_EQ(advance->advance_ms, 90 * 60'000);
  EXPECT_FALSE(advance->set_ms.has_value());
  expect_invalid(parse_clock("{}"), "body", "neither");
  expect_invalid(parse_clock(R"({"now": "2026-11-22T10:00:00Z", "advance": "1m"})"), "body",
                 "both");
  expect_invalid(parse_clock(R"({"advance": "-5m"})"), "advance", "negative");
  expect_invalid(parse_clock(R"({"advance": "soon"})"), "advance", "soon");
  expect_invalid(parse_clock(R"({"advance": "8h business"})"), "advance", "business");
  expect_invalid(parse_clock(R"({"now": "noon"})"), "now", "noon");
  expect_invalid(parse_clock(R"({"advance": "1m", "speed": 2})"), "speed", "extra");
}

TEST(StreamTokenBody, EventsNeedTheirScopeAndAnAgentsTokenNone) {
  constexpr auto events = stream_scope::events;
  constexpr auto agent = stream_scope::agent;
  EXPECT_FALSE(check_stream_token_body(R"({"scope": "events"})", events));
  EXPECT_FALSE(check_stream_token_body("", agent));
  EXPECT_FALSE(check_stream_token_body("{}", agent));
  EXPECT_FALSE(check_stream_token_body(R"({"scope": "agent"})", agent));
  const auto refused = [](std::string_view body, stream_scope scope, std::string_view field) {
    const auto e = check_stream_token_body(body, scope);
    ASSERT_TRUE(e.has_value()) << "accepted: " << body;
    EXPECT_EQ(e->code, errc::invalid_argument) << body;
    EXPECT_EQ(e->detail("field"), field) << body << ": " << e->message;
  };
  refused("", events, "scope");
  refused("{}", events, "scope");
  refused(R"({"scope": "agent"})", events, "scope");
  refused(R"({"scope": 1})", events, "scope");
  refused(R"({"scope": "events"})", agent, "scope");
  refused(R"({"scope": "events", "ttl": 600})", events, "ttl");
  refused("[]", events, "body");
  refused("{", agent, "body");
}

TEST(ParseIfMatch, ReadsPlainQuotedAndWeakVersions) {
  EXPECT_EQ(parse_if_match("3"), 3);
  EXPECT_EQ(parse_if_match("\"3\""), 3);
  EXPECT_EQ(parse_if_match("W/\"3\""), 3);
  EXPECT_EQ(parse_if_match("0"), 0);
  EXPECT_EQ(parse_if_match("1234567890123"), 1'234'567'890'123);
}

TEST(ParseIfMatch, RefusesAnythingElse) {
  for (const std::string_view header :
       {"", "\"\"", "W/", "W/\"\"", "abc", "3a", "a3", "\"3", "3\"", "-1", "+3", "3.0", " 3", "*",
        "\"3\", \"4\"", "99999999999999999999"}) {
    EXPECT_FALSE(parse_if_match(header).has_value()) << "'" << header << "'";
  }
}

TEST(HeaderToken, IsOneTo128VisibleCharacters) {
  EXPECT_TRUE(is_valid_header_token("a"));
  EXPECT_TRUE(is_valid_header_token("retry-7:ada@desk.example"));
  EXPECT_TRUE(is_valid_header_token(std::string(128, 'k')));
  EXPECT_FALSE(is_valid_header_token(""));
  EXPECT_FALSE(is_valid_header_token(std::string(129, 'k')));
  EXPECT_FALSE(is_valid_header_token("a b"));
  EXPECT_FALSE(is_valid_header_token("tab\there"));
  EXPECT_FALSE(is_valid_header_token("caf\xc3\xa9"));
}

TEST(RequestFingerprint, TellsMethodTargetCallerAndBodyApart) {
  const auto base = request_fingerprint("POST", "/v1/agents/ada/next", "", "desk");
  EXPECT_TRUE(base.starts_with("POST /v1/agents/ada/next desk ")) << base;
  EXPECT_EQ(base, request_fingerprint("POST", "/v1/agents/ada/next", "", "desk"));
  EXPECT_NE(base, request_fingerprint("PUT", "/v1/agents/ada/next", "", "desk"));
  EXPECT_NE(base, request_fingerprint("POST", "/v1/agents/bob/next", "", "desk"));
  EXPECT_NE(base, request_fingerprint("POST", "/v1/agents/ada/next", "{}", "desk"));
  EXPECT_NE(base, request_fingerprint("POST", "/v1/agents/ada/next", "", "ada-token"));
  EXPECT_NE(base, request_fingerprint("POST", "/v1/agents/ada/next", "", ""));
  EXPECT_NE(request_fingerprint("POST", "/v1/tickets", R"({"id":"T-1"})", ""),
            request_fingerprint("POST", "/v1/tickets", R"({"id":"T-2"})", ""));
  // Where the caller ends and the body starts is part of what is told apart.
  EXPECT_NE(request_fingerprint("POST", "/v1/tickets", "bc", "a"),
            request_fingerprint("POST", "/v1/tickets", "c", "ab"));
}

}  // namespace
}  // namespace ticketd::daemon::api
