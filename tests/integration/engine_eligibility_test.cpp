// Who may take what, through the real functions: skills with levels on agents, requirements on
// tickets (from the request and from routing rules) that relax as the ticket waits, and
// eligibility wherever a ticket meets an agent (next, push, a returning ticket), with each
// queue's requirement sets kept logarithmic and counted.
#include <gtest/gtest.h>

#include "daemon/api/render.hpp"
#include "tests/integration/engine_fixture.hpp"
#include "tests/support/text.hpp"

namespace ticketd::testing {
namespace {

using routing::skill_level;
using routing::ticket_action;
using routing::ticket_status;

class Eligibility : public EngineTest {
 protected:
  // Queue vip pushes (with `options`, e.g. "accept_timeout: 30s, ").
  void push_vip(const std::string& options = "") {
    configure(replaced(engine_config_yaml(), "  vip: {mode: pull, rank_offset: -1h}",
                       "  vip: {mode: push, " + options + "rank_offset: -1h}"));
  }

  routing::outcome<routing::create_result> create_requiring(
      const std::string& id, std::vector<config::requirement> reqs, const std::string& queue = "",
      std::optional<std::int64_t> created_at = std::nullopt) {
    routing::create_request r;
    r.id = id;
    r.queue = queue;
    r.requirements = std::move(reqs);
    r.created_at = created_at;
    return create(r);
  }

  // The id `next` gives the agent, or "" when nothing waits for it.
  std::string pulled(const std::string& agent) {
    auto r = next(agent);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
    if (!r || !r->has_value()) return "";
    return (*r)->id;
  }

  void expect_verified() {
    const auto v = verify();
    ASSERT_OK(v);
    EXPECT_TRUE(v->violations.empty()) << v->violations.front();
  }
};

TEST_F(Eligibility, NextGivesTheLowestRankTicketTheAgentMeetsTheRequirementsOf) {
  ASSERT_OK(create_requiring("T-1", {need("spanish", 3)}));  // oldest: first in rank
  created("T-2");
  ASSERT_OK(create_requiring("T-3", {need("spanish", 3), need("billing")}));
  ASSERT_OK(put_agent("ada", {"general"}, {{"spanish", 5}, {"billing", 1}}));
  ASSERT_OK(put_agent("bob", {"general"}));
  ASSERT_OK(put_agent("cy", {"general"}, {{"spanish", 2}}));
  EXPECT_EQ(pulled("cy"), "T-2");  // spanish 2 is below level 3
  EXPECT_EQ(pulled("cy"), "");     // 204 while T-1 and T-3 wait: it may take neither
  EXPECT_EQ(pulled("bob"), "");
  EXPECT_EQ(pulled("ada"), "T-1");
  EXPECT_EQ(pulled("ada"), "T-3");
  expect_verified();
}

TEST_F(Eligibility, AtCapacityNextIs204WhenNothingItMayTakeWaitsAnd409WhenSomethingDoes) {
  ASSERT_OK(put_agent("bob", {"general"}, {}, 1));
  created("T-1");
  EXPECT_EQ(pulled("bob"), "T-1");  // full now
  EXPECT_EQ(pulled("bob"), "");     // nothing waits
  ASSERT_OK(create_requiring("T-2", {need("spanish")}));
  EXPECT_EQ(pulled("bob"), "");  // only what he may not take waits
  created("T-3");
  EXPECT_ERROR(next("bob"), capacity_exceeded);
}

TEST_F(Eligibility, TheTicketShowsItsRequirementsAndTheRulesAddTheirsTheRequestWinning) {
  configure(replaced(engine_config_yaml(), "routing:\n",
                     "routing:\n"
                     "  - when: {attributes: {language: es}}\n"
                     "    require: [{skill: spanish, level: 3, relax_after: 10m},\n"
                     "              {skill: billing}]\n"));
  routing::create_request r;
  r.id = "T-1";
  r.attributes = {{"language", "es"}};
  r.attributes_json = R"({"language":"es"})";
  r.requirements = {need("spanish", 5)};
  auto t = create(r);
  ASSERT_OK(t);
  EXPECT_EQ(t->value.requirements,
            (std::vector<config::requirement>{need("billing"), need("spanish", 5)}));
  auto read = get("T-1");
  ASSERT_OK(read);
  EXPECT_EQ(read->requirements, t->value.requirements);
  ASSERT_OK(put_agent("ada", {"general"}, {{"spanish", 5}}));
  EXPECT_EQ(pulled("ada"), "");  // no billing
  ASSERT_OK(put_agent("ada", {"general"}, {{"spanish", 5}, {"billing", 1}}));
  EXPECT_EQ(pulled("ada"), "T-1");
}

TEST_F(Eligibility, ARequirementRelaxesWhenTheWaitHasLastedItsTime) {
  ASSERT_OK(create_requiring("T-1", {need("spanish", 3, 10 * minute), need("billing")}));
  ASSERT_OK(put_agent("bob", {"general"}, {{"billing", 1}}));
  EXPECT_EQ(pulled("bob"), "");
  run_until(t0 + 10 * minute - 1);
  EXPECT_EQ(pulled("bob"), "");
  EXPECT_TRUE(events("ticket.relaxed").empty());
  run_until(t0 + 10 * minute);
  const auto relaxed = events("ticket.relaxed");
  ASSERT_EQ(relaxed.size(), 1u);
  EXPECT_EQ(relaxed[0].at("ticket"), "T-1");
  EXPECT_EQ(relaxed[0].at("skill"), "spanish");
  expect_verified();
  EXPECT_EQ(pulled("bob"), "T-1");
  expect_verified();
}

TEST_F(Eligibility, TheWaitThatRelaxesStartsAtCreatedAtAndGoesOnThroughAReturn) {
  // Created 20 minutes ago with a 10 minute relax: nothing is in force any more.
  ASSERT_OK(create_requiring("T-1", {need("spanish", 3, 10 * minute)}, "", now() - 20 * minute));
  ASSERT_OK(put_agent("bob", {"general"}));
  EXPECT_EQ(pulled("bob"), "T-1");
  // Given back, it keeps its wait: what relaxed stays relaxed.
  ASSERT_OK(create_requiring("T-2", {need("spanish", 3, 10 * minute)}));
  ASSERT_OK(put_agent("ada", {"general"}, {{"spanish", 3}}));
  EXPECT_EQ(pulled("ada"), "T-2");
  run_until(t0 + 15 * minute);
  ASSERT_OK(act(ticket_action::release, "T-2", with_agent("ada")));
  auto t = get("T-2");
  ASSERT_OK(t);
  EXPECT_EQ(t->status, ticket_status::queued);
  EXPECT_EQ(t->queued_at, t0);
  EXPECT_EQ(pulled("bob"), "T-2");
  expect_verified();
}

TEST_F(Eligibility, PushOffersOnlyToEligibleAgentsAndARelaxHandsTheTicketOutAtOnce) {
  push_vip();
  ASSERT_OK(put_agent("ada", {"vip"}));
  ASSERT_OK(create_requiring("T-1", {need("french")}, "vip"));
  EXPECT_TRUE(pushed().empty());
  EXPECT_EQ(get("T-1")->status, ticket_status::queued);
  // An agent who speaks French comes online: the waiting ticket goes to it.
  ASSERT_OK(put_agent("bob", {"vip"}, {{"french", 1}}));
  ASSERT_EQ(pushed().size(), 1u);
  EXPECT_EQ(pushed()[0].ticket, "T-1");
  EXPECT_EQ(pushed()[0].agent, "bob");
  // Only Ada is free; the German requirement relaxes after 5 minutes.
  ASSERT_OK(create_requiring("T-2", {need("german", 2, 5 * minute)}, "vip"));
  EXPECT_TRUE(pushed().empty());
  run_until(t0 + 5 * minute);
  auto t = get("T-2");
  ASSERT_OK(t);
  EXPECT_EQ(t->status, ticket_status::assigned);
  EXPECT_EQ(t->assignee, "ada");
  EXPECT_EQ(events("ticket.relaxed").size(), 1u);
  expect_verified();
}

// However far down the queue's order the one agent who may take a ticket is, push finds it: it
// looks among the agents having the ticket's rarest required skill.
TEST_F(Eligibility, PushFindsTheOneAbleAgentBehindAHundredOthers) {
  push_vip();
  for (int i = 0; i < 120; ++i) {
    ASSERT_OK(put_agent("n-" + std::to_string(1000 + i), {"vip"}, {{"german", 2}}));
  }
  ASSERT_OK(put_agent("zed", {"vip"}, {{"french", 2}, {"german", 1}}));
  ASSERT_OK(create_requiring("T-1", {need("french", 2), need("german")}, "vip"));
  ASSERT_EQ(pushed().size(), 1u);
  EXPECT_EQ(pushed()[0].agent, "zed");
  expect_verified();
  // zed full (3 of 3): the next one waits, and goes to zed when zed has room.
  ASSERT_OK(create_requiring("T-2", {need("french", 2)}, "vip"));
  ASSERT_OK(create_requiring("T-3", {need("french", 2)}, "vip"));
  ASSERT_OK(create_requiring("T-4", {need("french", 2)}, "vip"));
  EXPECT_TRUE(pushed().empty());
  routing::action_request solved;
  solved.reason = "solved";
  ASSERT_OK(act(ticket_action::resolve, "T-1", solved));
  ASSERT_EQ(pushed().size(), 1u);
  EXPECT_EQ(pushed()[0].ticket, "T-4");
  expect_verified();
}

TEST_F(Eligibility, AReturningTicketGoesBackToItsAgentOnlyWhenTheAgentStillMeetsItsRequirements) {
  ASSERT_OK(put_agent("ada", {"general"}, {{"spanish", 4}}));
  ASSERT_OK(create_requiring("T-1", {need("spanish", 4)}));
  ASSERT_OK(create_requiring("T-2", {need("spanish", 4)}));
  EXPECT_EQ(pulled("ada"), "T-1");
  EXPECT_EQ(pulled("ada"), "T-2");
  ASSERT_OK(act(ticket_action::reply, "T-1", with_agent("ada")));
  ASSERT_OK(act(ticket_action::reply, "T-2", with_agent("ada")));
  auto back = act(ticket_action::customer_reply, "T-1");
  ASSERT_OK(back);
  EXPECT_EQ(back->status, ticket_status::assigned);  // she still may take it
  ASSERT_OK(put_agent("ada", {"general"}, {{"spanish", 2}}));
  back = act(ticket_action::customer_reply, "T-2");
  ASSERT_OK(back);
  EXPECT_EQ(back->status, ticket_status::queued);  // she no longer may
  EXPECT_EQ(back->queues, std::vector<std::string>{"general"});
  expect_verified();
}

TEST_F(Eligibility, QueueFiguresCountTheTicketsOfEveryRequirementSetInRankOrder) {
  ASSERT_OK(create_requiring("T-1", {need("spanish")}));
  created("T-2");
  ASSERT_OK(create_requiring("T-3", {need("french")}));
  auto s = stats();
  ASSERT_OK(s);
  const auto general = std::find_if(s->queues.begin(), s->queues.end(),
                                    [](const auto& q) { return q.name == "general"; });
  ASSERT_NE(general, s->queues.end());
  EXPECT_EQ(general->depth, 3);
  ASSERT_TRUE(general->head_score.has_value());
  EXPECT_EQ(routing::rank_of_score(*general->head_score), get("T-1")->rank());
  const auto head = routing::decode_queue_head(
      run(routing::queue_head_call(rt_->plan.base(now()), "general", 10)));
  ASSERT_OK(head);
  EXPECT_EQ(head->depth, 3);
  std::vector<std::string> ids;
  for (const auto& t : head->tickets) ids.push_back(t.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"T-1", "T-2", "T-3"}));
}

TEST_F(Eligibility, AQueueHoldsAtMost64RequirementSetsAtOnce) {
  for (int i = 0; i < 64; ++i) {
    ASSERT_OK(create_requiring("T-" + std::to_string(i), {need("skill" + std::to_string(i))}));
  }
  EXPECT_ERROR(create_requiring("T-64", {need("skill64")}), conflict);
  EXPECT_FALSE(get("T-64").has_value());
  // A set already in use, or none, still goes in; so does a transfer into another queue.
  ASSERT_OK(create_requiring("T-65", {need("skill1")}));
  created("T-66");
  ASSERT_OK(create_requiring("T-67", {need("skill64")}, "billing"));
  EXPECT_ERROR(act(ticket_action::transfer, "T-67",
                   [] {
                     routing::action_request r;
                     r.queue = "general";
                     return r;
                   }()),
               conflict);
  EXPECT_EQ(get("T-67")->queue, "billing");
  expect_verified();
}

TEST_F(Eligibility, ASupervisorsReassignIgnoresRequirementsButNotCapacity) {
  ASSERT_OK(create_requiring("T-1", {need("spanish", 5)}));
  ASSERT_OK(create_requiring("T-2", {need("spanish", 5)}));
  ASSERT_OK(put_agent("bob", {"general"}, {}, 1));
  EXPECT_EQ(pulled("bob"), "");
  auto t = act(ticket_action::reassign, "T-1", with_agent("bob"));
  ASSERT_OK(t);
  EXPECT_EQ(t->assignee, "bob");
  EXPECT_ERROR(act(ticket_action::reassign, "T-2", with_agent("bob")), capacity_exceeded);
  routing::action_request forced = with_agent("bob");
  forced.force = true;
  ASSERT_OK(act(ticket_action::reassign, "T-2", forced));
  EXPECT_EQ(get("T-2")->assignee, "bob");
  expect_verified();
}

TEST_F(Eligibility, EscalationDropsTheRequirementsAndTransferKeepsThem) {
  ASSERT_OK(create_requiring("T-1", {need("spanish", 5)}, "billing"));
  ASSERT_OK(create_requiring("T-2", {need("spanish", 5)}));
  ASSERT_OK(put_agent("sup", {"supervisors", "billing"}));
  EXPECT_EQ(pulled("sup"), "");
  routing::action_request to_billing;
  to_billing.queue = "billing";
  ASSERT_OK(act(ticket_action::transfer, "T-2", to_billing));
  EXPECT_EQ(get("T-2")->requirements.size(), 1u);
  ASSERT_OK(act(ticket_action::escalate, "T-1"));
  EXPECT_TRUE(get("T-1")->requirements.empty());
  EXPECT_EQ(pulled("sup"), "T-1");
  EXPECT_EQ(pulled("sup"), "");
  expect_verified();
}

TEST_F(Eligibility, AnOverflowedTicketWaitsUnderItsSetInEveryQueueAndRelaxesInEach) {
  configure(replaced(engine_config_yaml(), "  general: {mode: pull, wait_weight: 0}",
                     "  general: {mode: pull, wait_weight: 0, overflow: [{after: 5m, to: vip}]}"));
  ASSERT_OK(create_requiring("T-1", {need("spanish", 2, 10 * minute)}));
  run_until(t0 + 6 * minute);
  EXPECT_EQ(get("T-1")->queues, (std::vector<std::string>{"general", "vip"}));
  ASSERT_OK(put_agent("vic", {"vip"}));
  EXPECT_EQ(pulled("vic"), "");
  expect_verified();
  run_until(t0 + 10 * minute);
  expect_verified();
  EXPECT_EQ(pulled("vic"), "T-1");
  expect_verified();
}

TEST_F(Eligibility, PatchedRequirementsTakeEffectAtOnce) {
  push_vip("accept_timeout: 30s, ");
  ASSERT_OK(create_requiring("T-1", {need("spanish", 3)}));
  ASSERT_OK(put_agent("bob", {"general"}));
  EXPECT_EQ(pulled("bob"), "");
  routing::patch_request none;
  none.requirements = std::vector<config::requirement>{};
  auto t = patch("T-1", none);
  ASSERT_OK(t);
  EXPECT_TRUE(t->requirements.empty());
  EXPECT_EQ(events("ticket.updated").back().at("changed"), "requires");
  expect_verified();
  EXPECT_EQ(pulled("bob"), "T-1");

  // Added to a waiting ticket: only agents who meet them may take it.
  created("T-2");
  routing::patch_request french;
  french.requirements = std::vector<config::requirement>{need("french", 2)};
  ASSERT_OK(patch("T-2", french));
  EXPECT_EQ(pulled("bob"), "");
  expect_verified();

  // Removed from a ticket waiting in a push queue with a free agent: handed out at once.
  ASSERT_OK(put_agent("vic", {"vip"}));
  ASSERT_OK(create_requiring("T-3", {need("german")}, "vip"));
  EXPECT_TRUE(pushed().empty());
  ASSERT_OK(patch("T-3", none));
  ASSERT_EQ(pushed().size(), 1u);
  EXPECT_EQ(pushed()[0].ticket, "T-3");
  EXPECT_EQ(pushed()[0].agent, "vic");

  // Offered to an agent who no longer meets them: the offer is withdrawn.
  EXPECT_EQ(get("T-3")->status, ticket_status::offered);
  ASSERT_OK(patch("T-3", french));
  auto back = get("T-3");
  ASSERT_OK(back);
  EXPECT_EQ(back->status, ticket_status::queued);
  const auto withdrawn = events("offer.withdrawn");
  ASSERT_EQ(withdrawn.size(), 1u);
  EXPECT_EQ(withdrawn[0].at("reason"), "requirements");
  expect_verified();
}

TEST_F(Eligibility, APatchThatWouldAddA65thSetIsRefusedAndChangesNothing) {
  for (int i = 0; i < 64; ++i) {
    ASSERT_OK(create_requiring("T-" + std::to_string(i), {need("skill" + std::to_string(i))}));
  }
  created("T-plain");
  routing::patch_request more;
  more.requirements = std::vector<config::requirement>{need("skill64")};
  EXPECT_ERROR(patch("T-plain", more), conflict);
  EXPECT_TRUE(get("T-plain")->requirements.empty());
  EXPECT_EQ(get("T-plain")->version, 1);
  more.requirements = std::vector<config::requirement>{need("skill7")};
  ASSERT_OK(patch("T-plain", more));
  expect_verified();
}

class CustomerAffinity : public Eligibility {
 protected:
  void SetUp() override {
    Eligibility::SetUp();
    configure(
        replaced(engine_config_yaml(), "lifecycle:\n",
                 "lifecycle:\n  customer_affinity: 7d\n  customer_affinity_wait: " + wait_ + "\n"));
  }
  routing::outcome<routing::create_result> create_for(const std::string& id,
                                                      const std::string& customer,
                                                      std::vector<config::requirement> reqs = {}) {
    routing::create_request r;
    r.id = id;
    r.customer = customer;
    r.requirements = std::move(reqs);
    return create(r);
  }
  // Ada took T-1 of customer c-1 and resolved it: she is c-1's agent for 7 days.
  void ada_solved_one() {
    ASSERT_OK(put_agent("ada", {"general"}, {{"spanish", 3}}, 2));
    ASSERT_OK(put_agent("bob", {"general"}));
    ASSERT_OK(create_for("T-1", "c-1"));
    EXPECT_EQ(pulled("ada"), "T-1");
    routing::action_request solved;
    solved.reason = "solved";
    ASSERT_OK(act(ticket_action::resolve, "T-1", solved));
  }
  std::string wait_ = "0s";
};

class CustomerAffinityWait : public CustomerAffinity {
 protected:
  void SetUp() override {
    wait_ = "10m";
    CustomerAffinity::SetUp();
  }
};

TEST_F(CustomerAffinity, ANewTicketOfTheCustomerGoesToItsLastAgentAtOnce) {
  ada_solved_one();
  run_until(t0 + 6 * day);
  auto t = create_for("T-2", "c-1");
  ASSERT_OK(t);
  EXPECT_EQ(t->value.status, ticket_status::assigned);
  EXPECT_EQ(t->value.assignee, "ada");
  EXPECT_EQ(t->value.customer, "c-1");
  ASSERT_EQ(pushed().size(), 1u);
  EXPECT_EQ(pushed()[0].agent, "ada");
  EXPECT_EQ(events("ticket.assigned").back().at("via"), "customer_affinity");
  ASSERT_TRUE(t->value.decision.has_value());
  EXPECT_EQ(t->value.decision->mode, "affinity");
  // Answered from the call's reply, not read (create.lua's 'handed'): as a read shows it.
  auto read = get("T-2");
  ASSERT_OK(read);
  EXPECT_EQ(daemon::api::ticket_json(t->value, *rt_->cfg, now()),
            daemon::api::ticket_json(*read, *rt_->cfg, now()));
  EXPECT_EQ(t->value.decision, read->decision);
  // Another customer, or none: the queue as usual.
  ASSERT_OK(create_for("T-3", "c-2"));
  EXPECT_EQ(get("T-3")->status, ticket_status::queued);
  ASSERT_OK(create_for("T-4", ""));
  EXPECT_EQ(get("T-4")->status, ticket_status::queued);
  expect_verified();
}

TEST_F(CustomerAffinity, NotWhenTheWindowPassedTheAgentIsAwayOrMayNotTakeIt) {
  ada_solved_one();
  run_until(t0 + 7 * day + minute);
  ASSERT_OK(create_for("T-2", "c-1"));
  EXPECT_EQ(get("T-2")->status, ticket_status::queued);  // the window has passed
  ASSERT_OK(put_agent("ada", {"general"}, {{"spanish", 3}}, 2));
  ASSERT_OK(create_for("T-3", "c-5"));
  EXPECT_EQ(pulled("ada"), "T-2");
  EXPECT_EQ(pulled("ada"), "T-3");  // ada holds c-5's ticket now: she is its agent
  ASSERT_OK(set_status("ada", routing::agent_status::away));
  ASSERT_OK(create_for("T-4", "c-5"));
  EXPECT_EQ(get("T-4")->status, ticket_status::queued);  // away
  ASSERT_OK(set_status("ada", routing::agent_status::online));
  routing::action_request solved;
  solved.reason = "solved";
  ASSERT_OK(act(ticket_action::resolve, "T-2", solved));
  ASSERT_OK(create_for("T-5", "c-5", {need("spanish", 5)}));
  EXPECT_EQ(get("T-5")->status, ticket_status::queued);  // spanish 3 of 5
  ASSERT_OK(create_for("T-6", "c-5", {need("spanish", 3)}));
  EXPECT_EQ(get("T-6")->assignee, "ada");
  expect_verified();
}

TEST_F(CustomerAffinity, AFullAgentDoesNotMakeTheCustomerWaitWithoutAWait) {
  ada_solved_one();
  ASSERT_OK(create_for("T-2", "c-9"));
  ASSERT_OK(create_for("T-3", "c-9"));
  EXPECT_EQ(pulled("ada"), "T-2");
  EXPECT_EQ(pulled("ada"), "T-3");  // full: 2 of 2
  ASSERT_OK(create_for("T-4", "c-1"));
  EXPECT_EQ(get("T-4")->status, ticket_status::queued);
  EXPECT_EQ(get("T-4")->queues, std::vector<std::string>{"general"});
}

TEST_F(CustomerAffinityWait, AFullAgentsCustomerWaitsInItsPersonalQueueThenTheQueue) {
  ada_solved_one();
  ASSERT_OK(create_for("T-2", "c-9"));
  ASSERT_OK(create_for("T-3", "c-9"));
  EXPECT_EQ(pulled("ada"), "T-2");
  EXPECT_EQ(pulled("ada"), "T-3");
  ASSERT_OK(create_for("T-4", "c-1"));
  auto t = get("T-4");
  ASSERT_OK(t);
  EXPECT_EQ(t->personal_queue, "ada");
  EXPECT_EQ(pulled("bob"), "");  // bob may not take what waits for ada
  expect_verified();
  run_until(now() + 10 * minute);
  t = get("T-4");
  ASSERT_OK(t);
  EXPECT_TRUE(t->personal_queue.empty());
  EXPECT_EQ(t->queues, std::vector<std::string>{"general"});
  EXPECT_EQ(pulled("bob"), "T-4");
  expect_verified();
}

routing::preference preferring(std::vector<std::string> agents, std::int64_t for_ms) {
  routing::preference p;
  p.agents = std::move(agents);
  p.for_ms = for_ms;
  return p;
}

TEST_F(Eligibility, OnlyPreferredAgentsTakeATicketUntilItsWaitHasLastedTheWindow) {
  ASSERT_OK(put_agent("ada", {"general"}));
  ASSERT_OK(put_agent("bob", {"general"}));
  ASSERT_OK(put_agent("cy", {"general"}, {{"spanish", 1}}));
  routing::create_request r;
  r.id = "T-1";
  r.preferred = preferring({"bob", "cy"}, 5 * minute);
  auto t = create(r);
  ASSERT_OK(t);
  auto read = get("T-1");
  ASSERT_OK(read);
  ASSERT_TRUE(read->preferred.has_value());
  EXPECT_EQ(read->preferred->agents, (std::vector<std::string>{"bob", "cy"}));
  EXPECT_TRUE(read->queues.empty());
  expect_verified();
  EXPECT_EQ(pulled("ada"), "");  // not preferred
  run_until(t0 + 5 * minute);    // the preference ends: the ticket joins its queue
  EXPECT_EQ(events("ticket.queued").back().at("via"), "preference_ended");
  expect_verified();
  EXPECT_EQ(pulled("ada"), "T-1");

  // Taken by a preferred agent inside the window, out of every preferred agent's queue.
  r.id = "T-2";
  ASSERT_OK(create(r));
  EXPECT_EQ(pulled("cy"), "T-2");
  EXPECT_EQ(pulled("bob"), "");
  expect_verified();

  // A preferred agent must still meet the requirements: bob lacks Spanish.
  r.id = "T-3";
  r.requirements = {need("spanish")};
  ASSERT_OK(create(r));
  EXPECT_EQ(pulled("bob"), "");
  EXPECT_EQ(pulled("cy"), "T-3");
  expect_verified();
}

TEST_F(Eligibility, APreferenceWinsOverThePushQueueAndIsChangedByPatch) {
  push_vip();
  ASSERT_OK(put_agent("ada", {"vip"}));
  ASSERT_OK(put_agent("bob", {"vip"}, {}, 3, routing::agent_status::away));
  routing::create_request r;
  r.id = "T-1";
  r.queue = "vip";
  r.preferred = preferring({"bob"}, hour);
  ASSERT_OK(create(r));
  EXPECT_TRUE(pushed().empty());  // ada is free, but only bob may take it for an hour
  ASSERT_OK(set_status("bob", routing::agent_status::online));
  ASSERT_EQ(pushed().size(), 1u);
  EXPECT_EQ(pushed()[0].agent, "bob");

  r.id = "T-2";
  ASSERT_OK(set_status("bob", routing::agent_status::away));
  ASSERT_OK(create(r));
  EXPECT_EQ(get("T-2")->status, ticket_status::queued);
  routing::patch_request none;
  none.preferred = std::optional<routing::preference>{};
  auto t = patch("T-2", none);
  ASSERT_OK(t);
  EXPECT_FALSE(t->preferred.has_value());
  ASSERT_EQ(pushed().size(), 1u);  // no preference: pushed to ada at once
  EXPECT_EQ(pushed()[0].agent, "ada");
  expect_verified();
}

// verify holds every hand-out to the requirements it met: a ticket held by an agent who, with
// the skills it had then, did not meet them is reported; a supervisor's reassign and a later
// change of the agent's skills are not violations.
TEST_F(Eligibility, VerifyReportsAHolderThatDidNotMeetTheRequirementsItGotTheTicketUnder) {
  ASSERT_OK(put_agent("ada", {"general"}, {{"spanish", 2}}));
  ASSERT_OK(put_agent("bob", {"general"}));
  ASSERT_OK(create_requiring("T-1", {need("spanish", 2)}));
  ASSERT_OK(create_requiring("T-2", {need("spanish", 4)}));
  EXPECT_EQ(pulled("ada"), "T-1");
  ASSERT_OK(act(ticket_action::reassign, "T-2", with_agent("bob")));  // bypasses them
  expect_verified();
  // As if a hand-out had ignored a requirement: the record says spanish 5 was in force.
  redis({"HSET", key(routing::key_part::ticket, "T-1"), "hs", "spanish:5|spanish:2"});
  auto v = verify();
  ASSERT_OK(v);
  ASSERT_EQ(v->violations.size(), 1u);
  EXPECT_EQ(v->violations[0], "agent ada holds ticket T-1 without meeting spanish:5");
  // Ada's skills changed since: what she met then cannot be judged by what she has now.
  ASSERT_OK(put_agent("ada", {"general"}, {{"spanish", 3}}));
  expect_verified();
}

// Data written before agents were kept in id order: configure turns their set into the sorted
// set the list reads.
TEST_F(Eligibility, AgentsKeptAsASetBeforeAreListedAfterConfigure) {
  ASSERT_OK(put_agent("bob", {"general"}));
  ASSERT_OK(put_agent("ada", {"general"}));
  const auto every = key(routing::key_part::agents);
  redis({"DEL", every});
  redis({"SADD", every, "bob", "ada"});
  configure(engine_config_yaml() + "\n");  // another epoch, as a daemon of this build connecting
  EXPECT_EQ(redis({"TYPE", every}).str, "zset");
  const auto page =
      routing::decode_agent_list(run(routing::agent_list_call(rt_->plan.base(now()), {})));
  ASSERT_OK(page);
  ASSERT_EQ(page->agents.size(), 2u);
  EXPECT_EQ(page->agents[0].id, "ada");
  EXPECT_EQ(page->agents[1].id, "bob");
  expect_verified();
}

// Skills lowered while tickets wait for the agent: those it may no longer take leave its
// personal queue (for the queue, or for the other preferred agents).
TEST_F(Eligibility, AnAgentWhoseSkillsDropLosesTheTicketsWaitingForIt) {
  ASSERT_OK(put_agent("ada", {"general"}, {{"spanish", 3}}));
  ASSERT_OK(put_agent("bob", {"general"}, {{"spanish", 3}}));
  ASSERT_OK(put_agent("cy", {"general"}));
  routing::create_request r;
  r.id = "T-1";
  r.preferred = preferring({"ada"}, hour);
  r.requirements = {need("spanish", 3)};
  ASSERT_OK(create(r));
  r.id = "T-2";
  r.preferred = preferring({"ada", "bob"}, hour);
  ASSERT_OK(create(r));
  r.id = "T-3";
  r.requirements = {};
  r.preferred = preferring({"ada"}, hour);
  ASSERT_OK(create(r));  // requires nothing: stays with ada
  ASSERT_OK(put_agent("ada", {"general"}, {{"spanish", 1}}));
  auto t1 = get("T-1");
  ASSERT_OK(t1);
  EXPECT_EQ(t1->queues, std::vector<std::string>{"general"});  // in its queue now
  EXPECT_EQ(events("ticket.queued").back().at("via"), "requirements");
  expect_verified();
  EXPECT_EQ(pulled("ada"), "T-3");
  EXPECT_EQ(pulled("ada"), "");     // T-2 waits for bob alone now
  EXPECT_EQ(pulled("bob"), "T-1");  // from the queue, meeting spanish 3
  EXPECT_EQ(pulled("bob"), "T-2");
  expect_verified();
}

TEST_F(Eligibility, DeclaredSkillsRefuseUnknownNames) {
  configure(engine_config_yaml() + "skills: [spanish, billing]\n");
  EXPECT_ERROR(create_requiring("T-1", {need("klingon")}), invalid_argument);
  EXPECT_FALSE(get("T-1").has_value());
  ASSERT_OK(create_requiring("T-1", {need("spanish")}));
  EXPECT_ERROR(put_agent("ada", {"general"}, {{"klingon", 3}}), invalid_argument);
  ASSERT_OK(put_agent("ada", {"general"}, {{"spanish", 3}}));
  EXPECT_EQ(agent("ada")->skills, (std::vector<skill_level>{{"spanish", 3}}));
}

}  // namespace
}  // namespace ticketd::testing
