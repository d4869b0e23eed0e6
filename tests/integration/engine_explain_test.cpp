// GET /v1/tickets/{id}/explain through the real function: where a ticket stands in its queues,
// and for each agent of its queues every reason push routing (or a pull) could not hand it the
// ticket now, from the same helpers the hand-outs use. For random states, explain's eligible
// agents are exactly those a push chooses among.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "tests/integration/engine_fixture.hpp"
#include "tests/support/text.hpp"

namespace ticketd::testing {
namespace {

using routing::agent_status;
using routing::ticket_action;

std::string explain_yaml() {
  return channels_config_yaml("  max_concurrent: 3\n  capacity: 10\n", "  desk: {mode: push}\n");
}

class Explain : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    configure(explain_yaml());
  }

  routing::outcome<routing::explanation> explain(const std::string& id, std::size_t limit = 50) {
    return routing::decode_explain(id,
                                   run(routing::explain_call(rt_->plan.base(now()), id, limit)));
  }

  // An agent of `queues` with skills, status, capacity and presence by channel.
  void agent_with(const std::string& id, std::vector<std::string> queues,
                  std::vector<routing::skill_level> skills, agent_status status,
                  unsigned capacity = 10,
                  std::vector<std::pair<std::string, agent_status>> channels = {}) {
    routing::agent_request r;
    r.queues = std::move(queues);
    r.skills = routing::normalized(std::move(skills));
    r.status = status;
    r.capacity = capacity;
    r.channels = std::move(channels);
    ASSERT_OK(put_agent_as(id, std::move(r)));
  }

  void ticket(const std::string& id, const std::string& queue, const std::string& channel,
              std::vector<config::requirement> reqs = {}) {
    routing::create_request r;
    r.id = id;
    r.queue = queue;
    r.channel = channel;
    r.requirements = std::move(reqs);
    ASSERT_OK(create(r));
  }

  static std::map<std::string, std::vector<std::string>> reasons(const routing::explanation& x) {
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& a : x.agents) out[a.agent] = a.reasons;
    return out;
  }
};

TEST_F(Explain, SaysWhereAWaitingTicketStandsAndEveryReasonEachAgentCannotTakeIt) {
  // Two tickets ahead of T-3 in desk (older), nobody able to take any of them.
  ticket("T-1", "desk", "phone", {need("spanish", 3)});
  ticket("T-2", "desk", "phone", {need("spanish", 3)});
  ticket("T-3", "desk", "phone", {need("spanish", 3)});
  agent_with("ada", {"desk"}, {{"spanish", 5}}, agent_status::offline);
  agent_with("bob", {"desk"}, {{"spanish", 5}}, agent_status::online, 10,
             {{"phone", agent_status::away}});
  agent_with("cy", {"desk"}, {}, agent_status::online);
  agent_with("dee", {"desk"}, {{"spanish", 2}}, agent_status::online, 5);
  agent_with("eve", {"general"}, {{"spanish", 5}}, agent_status::online);
  const auto x = explain("T-3");
  ASSERT_OK(x);
  EXPECT_EQ(x->value.id, "T-3");
  ASSERT_EQ(x->positions.size(), 1u);
  EXPECT_EQ(x->positions[0].queue, "desk");
  EXPECT_EQ(x->positions[0].ahead, 2);
  const auto r = reasons(*x);
  EXPECT_EQ(r.size(), 4u);  // eve serves none of its queues: not listed
  EXPECT_EQ(r.at("ada"), std::vector<std::string>{"offline"});
  EXPECT_EQ(r.at("bob"), std::vector<std::string>{"channel_away"});
  EXPECT_EQ(r.at("cy"), std::vector<std::string>{"missing_skill"});
  EXPECT_EQ(r.at("dee"), (std::vector<std::string>{"no_room", "skill_level"}));
  for (const auto& a : x->agents) EXPECT_FALSE(a.pull.has_value()) << "desk pushes";
}

TEST_F(Explain, NamesTheLimitsOfUnitsChannelsWrapUpAndThePullsThatCouldStillTakeIt) {
  agent_with("ada", {"general"}, {}, agent_status::online);
  ticket("T-1", "general", "chat");
  ticket("T-2", "general", "chat");
  ticket("T-9", "general", "chat");
  ASSERT_EQ((*next("ada"))->id, "T-1");
  ASSERT_EQ((*next("ada"))->id, "T-2");
  ASSERT_OK(act(ticket_action::resolve, "T-1"));  // a chat wrap-up: 3 units, one of 2 chats
  agent_with("bob", {"general"}, {}, agent_status::away);
  auto x = explain("T-9");
  ASSERT_OK(x);
  const auto r = reasons(*x);
  EXPECT_EQ(r.at("ada"), (std::vector<std::string>{"channel_full", "wrap_up"}));
  EXPECT_EQ(r.at("bob"), std::vector<std::string>{"away"});
  for (const auto& a : x->agents) {
    ASSERT_TRUE(a.pull.has_value());
    // A pull ignores presence: bob's next could return it; ada's could not.
    EXPECT_EQ(*a.pull, a.agent == "bob") << a.agent;
    if (a.agent == "ada") {
      EXPECT_EQ(a.used, 6);
      EXPECT_EQ(a.capacity, 10);
    }
  }
  // What explain says, next does.
  EXPECT_EQ((*next("bob"))->id, "T-9");
}

TEST_F(Explain, AHeldTicketListsNoQueuePositionAndAnUnknownOneIsNotFound) {
  agent_with("ada", {"desk"}, {}, agent_status::online);
  ticket("T-1", "desk", "email");
  auto x = explain("T-1");
  ASSERT_OK(x);
  EXPECT_TRUE(x->positions.empty());
  EXPECT_EQ(x->value.assignee, "ada");
  const auto missing = explain("T-404");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, routing::errc::not_found);
  // The limit bounds the agents listed.
  agent_with("bob", {"desk"}, {}, agent_status::online);
  agent_with("cy", {"desk"}, {}, agent_status::online);
  x = explain("T-1", 2);
  ASSERT_OK(x);
  EXPECT_EQ(x->agents.size(), 2u);
}

// A push's runners-up are looked for among the 10 agents after its winner: with requirements in
// force each is a read of the agent's skills, and the list a push falls back to holds up to 100.
TEST_F(Explain, RunnersUpAreLookedForAmongTheTenAgentsAfterTheWinner) {
  // In the push order (equal scores: by name): a00-a09 (the head) and a11-a20 have spanish 1,
  // a10 and a21 spanish 3. None of the head meets spanish 3, so the push looks down the agents
  // having spanish: a10 wins, and a21, the eleventh after it, is past the runners-up's reach.
  for (int i = 0; i <= 21; ++i) {
    const std::string id = (i < 10 ? "a0" : "a") + std::to_string(i);
    agent_with(id, {"desk"}, {{"spanish", i == 10 || i == 21 ? 3u : 1u}}, agent_status::online);
  }
  ticket("T-1", "desk", "email", {need("spanish", 3)});
  auto x = get("T-1");
  ASSERT_OK(x);
  EXPECT_EQ(x->assignee, "a10");
  auto assigned = events("ticket.assigned");
  ASSERT_EQ(assigned.size(), 1u);
  EXPECT_EQ(assigned[0].at("runners_up"), "");
  // The candidates: the 22 agents having spanish, the index the push looked down.
  EXPECT_EQ(assigned[0].at("candidates"), "22");
  // a15 now meets it too and wins (a10 holds a ticket: it comes last); a21, sixth after it,
  // and a10, seventh, are within reach: the runners-up, in the push order.
  agent_with("a15", {"desk"}, {{"spanish", 3}}, agent_status::online);
  ticket("T-2", "desk", "email", {need("spanish", 3)});
  assigned = events("ticket.assigned");
  ASSERT_EQ(assigned.size(), 2u);
  EXPECT_EQ(assigned[1].at("agent"), "a15");
  const std::string runners = assigned[1].at("runners_up");
  EXPECT_EQ(runners.rfind("a21:", 0), 0u) << runners;
  EXPECT_NE(runners.find(",a10:"), std::string::npos) << runners;
}

TEST_F(Explain, TheCandidatesAreTheWholeAvailabilityIndexNotTheHeadAPushReads) {
  // A push reads the first ten of the index: with twelve agents there, the count is the
  // index's, not the head's; with nine (one goes offline, two away), the head is all of it.
  for (int i = 0; i < 12; ++i) {
    agent_with("a" + std::to_string(10 + i), {"desk"}, {}, agent_status::online);
  }
  ticket("T-1", "desk", "email");
  auto assigned = events("ticket.assigned");
  ASSERT_EQ(assigned.size(), 1u);
  EXPECT_EQ(assigned[0].at("candidates"), "12");
  agent_with("a21", {"desk"}, {}, agent_status::offline);
  agent_with("a20", {"desk"}, {}, agent_status::away);
  agent_with("a19", {"desk"}, {}, agent_status::away);
  ticket("T-2", "desk", "email");
  assigned = events("ticket.assigned");
  ASSERT_EQ(assigned.size(), 2u);
  EXPECT_EQ(assigned[1].at("candidates"), "9");
  auto x = explain("T-2");
  ASSERT_OK(x);
  ASSERT_TRUE(x->value.decision.has_value());
  EXPECT_EQ(x->value.decision->candidates, 9);
}

TEST_F(Explain, EveryHandOutRecordsHowItsAgentGotIt) {
  configure(replaced(explain_yaml(), "  desk: {mode: push}\n",
                     "  desk: {mode: push}\n  offers: {mode: push, accept_timeout: 30s}\n"));
  for (const char* id : {"ada", "bob", "cy"}) {
    agent_with(id, {"desk", "offers", "general"}, {}, agent_status::online);
  }
  // Push: three agents with room, least loaded first; the others are the runners-up.
  ticket("T-1", "desk", "email");
  auto x = explain("T-1");
  ASSERT_OK(x);
  ASSERT_TRUE(x->value.decision.has_value());
  EXPECT_EQ(x->value.decision->mode, "push");
  EXPECT_EQ(x->value.decision->strategy, "least_loaded");
  EXPECT_FALSE(x->value.decision->score.empty());
  EXPECT_EQ(x->value.decision->candidates, 3);
  EXPECT_EQ(x->value.decision->at, now());
  const auto assigned = events("ticket.assigned");
  ASSERT_EQ(assigned.size(), 1u);
  EXPECT_EQ(assigned[0].at("strategy"), "least_loaded");
  EXPECT_EQ(assigned[0].at("candidates"), "3");
  const std::string runners = assigned[0].at("runners_up");
  EXPECT_EQ(std::count(runners.begin(), runners.end(), ','), 1) << runners;  // two runners-up
  EXPECT_EQ(runners.find(*x->value.last_agent), std::string::npos) << runners;
  // An offer, then its accept: the push decided, the accept is recorded as such.
  ticket("T-2", "offers", "email");
  const auto offered = events("ticket.offered");
  ASSERT_EQ(offered.size(), 1u);
  EXPECT_EQ(offered[0].at("candidates"), "3");
  ASSERT_OK(act(ticket_action::accept, "T-2", with_agent(offered[0].at("agent"))));
  x = explain("T-2");
  ASSERT_OK(x);
  EXPECT_EQ(x->value.decision->mode, "accept");
  EXPECT_EQ(x->value.decision->strategy, "least_loaded");
  EXPECT_EQ(x->value.decision->candidates, 3);
  // A pull, then a supervisor's reassign.
  ticket("T-3", "general", "email");
  const auto pulled = next("cy");
  ASSERT_OK(pulled);
  ASSERT_TRUE(pulled->has_value());
  EXPECT_EQ((*pulled)->decision->mode, "pull");
  EXPECT_EQ((*pulled)->decision->candidates, 1);
  EXPECT_TRUE((*pulled)->decision->strategy.empty());
  ASSERT_OK(act(ticket_action::reassign, "T-3", with_agent("ada")));
  EXPECT_EQ(get("T-3")->decision->mode, "reassign");
  // A customer's reply going back to its agent.
  ASSERT_OK(act(ticket_action::reply, "T-3", with_agent("ada")));
  ASSERT_OK(act(ticket_action::customer_reply, "T-3"));
  EXPECT_EQ(get("T-3")->decision->mode, "return");
  EXPECT_EQ(get("T-3")->assignee, "ada");
}

// The at-risk count: waiting tickets falling due before the queue's expected wait (its depth
// over the rate tickets left it in the last few minutes).
TEST_F(Explain, AtRiskCountsTicketsDueBeforeTheQueuesExpectedWait) {
  const auto general = [this] {
    auto s = stats();
    EXPECT_TRUE(s.has_value());
    for (const auto& q : s->queues) {
      if (q.name == "general") return q;
    }
    return routing::queue_stat{};
  };
  for (const char* id : {"T-1", "T-2", "T-3"}) ticket(id, "general", "email");  // due in 8 h
  // Nothing left the queue lately: the wait is unknown and every ticket with a due time counts.
  auto q = general();
  EXPECT_EQ(q.depth, 3);
  EXPECT_FALSE(q.expected_wait_s.has_value());
  EXPECT_EQ(q.at_risk, 3);
  // One left now: 2 waiting over 1 departure in the last 200 to 300 s: 400 to 600 s of wait.
  agent_with("ada", {"general"}, {}, agent_status::online);
  ASSERT_OK(next("ada"));
  q = general();
  ASSERT_TRUE(q.expected_wait_s.has_value());
  EXPECT_GE(*q.expected_wait_s, 400);
  EXPECT_LT(*q.expected_wait_s, 600);
  EXPECT_EQ(q.at_risk, 0);
  // An urgent ticket the customer sent 55 minutes ago is due in 5 minutes: at risk.
  routing::create_request late;
  late.id = "T-4";
  late.queue = "general";
  late.priority = "urgent";
  late.created_at = now() - 55 * minute;
  ASSERT_OK(create(late));
  q = general();
  EXPECT_EQ(q.at_risk, 1);
  // Minutes later, with nothing leaving, the rate is unknown again: all four count.
  clock_.advance(std::chrono::milliseconds{10 * minute});
  q = general();
  EXPECT_FALSE(q.expected_wait_s.has_value());
  EXPECT_EQ(q.at_risk, 3);
}

// For random agents and a random ticket, the agents explain calls eligible are exactly those a
// push chooses among: the push hands the ticket to one of them, or to nobody when none is.
TEST_F(Explain, EligibleIsExactlyWhomAPushChoosesAmongForRandomStates) {
  std::mt19937 rng(20261206);
  const std::array<std::string, 3> channels{"email", "chat", "phone"};
  const std::array<agent_status, 3> statuses{agent_status::online, agent_status::away,
                                             agent_status::offline};
  int handed = 0;
  int nobody = 0;
  for (int round = 0; round < 40; ++round) {
    SetUp();
    const int agents = 2 + static_cast<int>(rng() % 7);
    for (int g = 0; g < agents; ++g) {
      std::vector<routing::skill_level> skills;
      for (const char* s : {"s0", "s1"}) {
        if (rng() % 2) skills.push_back({s, 1 + static_cast<unsigned>(rng() % 5)});
      }
      std::vector<std::pair<std::string, agent_status>> presence;
      if (rng() % 3 == 0) presence.emplace_back(channels[rng() % 3], agent_status::away);
      agent_with("a" + std::to_string(g), {"desk", "general"}, skills,
                 rng() % 4 ? agent_status::online : statuses[rng() % 3],
                 4 + static_cast<unsigned>(rng() % 12), presence);
    }
    // Some of them busy with pulled work.
    for (int k = 0; k < agents * 2; ++k) {
      const std::string id = "G-" + std::to_string(k);
      ticket(id, "general", channels[rng() % 3]);
      auto pulled = next("a" + std::to_string(rng() % agents));
      (void)pulled;  // 409 when it has no room: the ticket waits
    }
    // The ticket waits behind a skill nobody has (relaxing after a minute) and maybe another.
    std::vector<config::requirement> reqs{need("zz", 10, minute)};
    if (rng() % 2) reqs.push_back(need(rng() % 2 ? "s0" : "s1", 1 + rng() % 4));
    ticket("T-1", "desk", channels[rng() % 3], reqs);
    ASSERT_EQ(get("T-1")->status, routing::ticket_status::queued);
    clock_.advance(std::chrono::milliseconds{minute});
    const auto x = explain("T-1");
    ASSERT_OK(x);
    std::set<std::string> eligible;
    for (const auto& a : x->agents) {
      if (a.reasons.empty()) eligible.insert(a.agent);
    }
    ASSERT_OK(tick());  // the relax fires and desk pushes
    const auto t = get("T-1");
    ASSERT_OK(t);
    if (eligible.empty()) {
      EXPECT_EQ(t->status, routing::ticket_status::queued) << "round " << round;
      ++nobody;
    } else {
      ASSERT_TRUE(t->assignee.has_value()) << "round " << round;
      EXPECT_TRUE(eligible.contains(*t->assignee)) << "round " << round << ": " << *t->assignee;
      ++handed;
    }
  }
  // Both outcomes happened: the test proves something either way.
  EXPECT_GT(handed, 5);
  EXPECT_GT(nobody, 5);
}

}  // namespace
}  // namespace ticketd::testing
