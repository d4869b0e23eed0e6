// Capacity like a contact centre, through the real functions: channels with costs in units and
// a per-agent limit, presence by channel, wrap-up after an agent's or supervisor's act, missed
// offers, and assigned tickets given back by absent agents (no reply, offline too long).
#include <gtest/gtest.h>

#include "tests/integration/engine_fixture.hpp"
#include "tests/support/text.hpp"

namespace ticketd::testing {
namespace {

using routing::agent_status;
using routing::ticket_action;
using routing::ticket_status;

std::string channels_yaml() {
  return channels_config_yaml(
      "  max_concurrent: 5\n  capacity: 10\n  missed_offers_away: 2\n"
      "  offline_return_after: 15m\n",
      "  desk: {mode: push}\n  offers: {mode: push, accept_timeout: 30s, reject_cooldown: 1s}\n");
}

class Capacity : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    configure(channels_yaml());
  }

  // An agent of `queues`, online, with its own capacity and presence by channel.
  routing::outcome<routing::agent> put(const std::string& id, std::vector<std::string> queues,
                                       std::optional<unsigned> capacity = std::nullopt,
                                       std::vector<std::pair<std::string, agent_status>> ch = {}) {
    routing::agent_request r;
    r.queues = std::move(queues);
    r.status = agent_status::online;
    r.capacity = capacity;
    r.channels = std::move(ch);
    return put_agent_as(id, std::move(r));
  }

  routing::outcome<routing::agent> channel_status(const std::string& id, const std::string& channel,
                                                  agent_status s) {
    return agent_value(routing::decode_agent_reply(
        id, run(routing::agent_status_call(rt_->plan.base(now()), id, s, channel))));
  }

  routing::outcome<routing::agent> ready(const std::string& id) {
    return agent_value(
        routing::decode_agent_reply(id, run(routing::agent_ready_call(rt_->plan.base(now()), id))));
  }

  void make(const std::string& id, const std::string& channel, const std::string& queue = "") {
    ASSERT_OK(create(id, queue, "normal", channel));
  }

  std::string pulled(const std::string& agent) {
    auto r = next(agent);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
    if (!r || !r->has_value()) return "";
    return (*r)->id;
  }

  std::int64_t used(const std::string& id) {
    auto a = agent(id);
    EXPECT_TRUE(a.has_value());
    return a ? a->units_used : -1;
  }

  std::optional<std::string> holder(const std::string& id) {
    auto t = get(id);
    EXPECT_TRUE(t.has_value());
    return t ? t->assignee : std::nullopt;
  }

  void expect_verified() {
    const auto v = verify();
    ASSERT_OK(v);
    EXPECT_TRUE(v->violations.empty()) << v->violations.front();
  }
};

TEST_F(Capacity, ATicketCostsItsChannelsUnitsAndTheChannelLimitHolds) {
  ASSERT_OK(put("ada", {"general"}));
  make("T-1", "chat");
  make("T-2", "chat");
  make("T-3", "chat");
  make("T-4", "email");
  EXPECT_EQ(pulled("ada"), "T-1");
  EXPECT_EQ(pulled("ada"), "T-2");
  EXPECT_EQ(used("ada"), 6);
  // A third chat would pass chat's max_per_agent of 2 (6 + 3 units would still fit): next
  // gives the email behind it, then 409 for the chat alone.
  EXPECT_EQ(pulled("ada"), "T-4");
  EXPECT_EQ(used("ada"), 7);
  auto full = next("ada");
  ASSERT_FALSE(full.has_value());
  EXPECT_EQ(full.error().code, routing::errc::capacity_exceeded);
  EXPECT_EQ(full.error().detail("reason"), "channel_full");
  EXPECT_EQ(full.error().detail("channel"), "chat");
  expect_verified();
  // Supervisors are held to the same limit unless they force it.
  auto refused = act(ticket_action::reassign, "T-3", with_agent("ada"));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().detail("reason"), "channel_full");
  EXPECT_EQ(holder("T-3"), std::nullopt);
  // A chat resolved (30 s of wrap-up) still counts toward chat's limit until it ends.
  ASSERT_OK(act(ticket_action::resolve, "T-1"));
  EXPECT_FALSE(next("ada").has_value());
  advance(30'000);
  EXPECT_EQ(pulled("ada"), "T-3");
  expect_verified();
}

TEST_F(Capacity, UnitsRefuseWhatDoesNotFitAndTheLoadStillCounts) {
  ASSERT_OK(put("ada", {"general"}));
  make("T-1", "phone");
  make("T-2", "email");
  EXPECT_EQ(pulled("ada"), "T-1");
  EXPECT_EQ(used("ada"), 10);
  auto full = next("ada");
  ASSERT_FALSE(full.has_value());
  EXPECT_EQ(full.error().code, routing::errc::capacity_exceeded);
  EXPECT_EQ(full.error().detail("reason"), "no_room");
  EXPECT_EQ(full.error().detail("used"), "10");
  EXPECT_EQ(full.error().detail("cost"), "1");
  // Reassign refuses too, and a forced one is marked for verify.
  auto refused = act(ticket_action::reassign, "T-2", with_agent("ada"));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, routing::errc::capacity_exceeded);
  routing::action_request forced = with_agent("ada");
  forced.force = true;
  ASSERT_OK(act(ticket_action::reassign, "T-2", forced));
  EXPECT_EQ(used("ada"), 11);
  const auto v = verify();
  ASSERT_OK(v);
  EXPECT_TRUE(v->violations.empty()) << v->violations.front();
  ASSERT_EQ(v->forced.size(), 1u);
  EXPECT_NE(v->forced[0].find("units above capacity 10"), std::string::npos) << v->forced[0];
}

TEST_F(Capacity, AnAgentsOwnCapacityWinsOverTheDefault) {
  ASSERT_OK(put("ada", {"general"}, 20));
  make("T-1", "phone");
  make("T-2", "chat");
  EXPECT_EQ(pulled("ada"), "T-1");
  EXPECT_EQ(pulled("ada"), "T-2");
  auto a = agent("ada");
  ASSERT_OK(a);
  EXPECT_EQ(a->capacity, 20u);
  EXPECT_EQ(a->units_used, 13);
  expect_verified();
}

TEST_F(Capacity, WrapUpKeepsTheCostAfterAnAgentsActUntilItEndsOrTheAgentIsReady) {
  ASSERT_OK(put("ada", {"general"}));
  make("T-1", "phone");
  make("T-2", "email");
  EXPECT_EQ(pulled("ada"), "T-1");
  ASSERT_OK(act(ticket_action::resolve, "T-1"));
  auto a = agent("ada");
  ASSERT_OK(a);
  EXPECT_EQ(a->load, 0u);  // wrap-up is not load
  EXPECT_EQ(a->units_used, 10);
  EXPECT_EQ(a->wrap_up_until, now() + minute);
  const auto wrap = events("agent.wrap_up");
  ASSERT_EQ(wrap.size(), 1u);
  EXPECT_EQ(wrap[0].at("ticket"), "T-1");
  EXPECT_EQ(wrap[0].at("channel"), "phone");
  EXPECT_EQ(wrap[0].at("until"), std::to_string(now() + minute));
  expect_verified();
  // The phone's limit (1) holds through the wrap-up too.
  EXPECT_FALSE(next("ada").has_value());
  advance(59'000);
  EXPECT_EQ(used("ada"), 10);
  advance(1'000);
  EXPECT_EQ(used("ada"), 0);
  ASSERT_EQ(events("agent.ready").size(), 1u);
  EXPECT_EQ(events("agent.ready")[0].at("via"), "timer");
  EXPECT_EQ(pulled("ada"), "T-2");
  // Ending early: POST .../ready.
  ASSERT_OK(act(ticket_action::resolve, "T-2"));
  EXPECT_EQ(used("ada"), 0);  // email has no wrap-up
  make("T-3", "chat");
  EXPECT_EQ(pulled("ada"), "T-3");
  ASSERT_OK(act(ticket_action::close, "T-3"));
  EXPECT_EQ(used("ada"), 3);
  a = ready("ada");
  ASSERT_OK(a);
  EXPECT_EQ(a->units_used, 0);
  EXPECT_FALSE(a->wrap_up_until.has_value());
  EXPECT_EQ(events("agent.ready").back().at("via"), "ready");
  expect_verified();
}

TEST_F(Capacity, TimersStartNoWrapUp) {
  ASSERT_OK(put("ada", {"offers"}));
  make("T-1", "chat", "offers");
  ASSERT_EQ(holder("T-1"), "ada");  // offered
  EXPECT_EQ(used("ada"), 3);
  advance(30'000);  // the offer times out
  EXPECT_EQ(used("ada"), 0);
  EXPECT_TRUE(events("agent.wrap_up").empty());
  expect_verified();
}

TEST_F(Capacity, WrapUpEndingPushesWaitingWork) {
  ASSERT_OK(put("ada", {"desk"}));
  make("T-1", "phone", "desk");
  ASSERT_EQ(holder("T-1"), "ada");
  make("T-2", "chat", "desk");  // no room beside a phone call
  EXPECT_EQ(holder("T-2"), std::nullopt);
  ASSERT_OK(act(ticket_action::resolve, "T-1"));
  EXPECT_EQ(holder("T-2"), std::nullopt);  // the phone's wrap-up keeps its 10 units
  advance(minute);
  EXPECT_EQ(holder("T-2"), "ada");
  expect_verified();
}

TEST_F(Capacity, PushNeedsTheTicketsChannelOnlineForTheAgent) {
  ASSERT_OK(put("ada", {"desk"}, 20, {{"phone", agent_status::away}}));
  make("T-1", "phone", "desk");
  EXPECT_EQ(holder("T-1"), std::nullopt);
  make("T-2", "email", "desk");
  EXPECT_EQ(holder("T-2"), "ada");
  // Online on phone: the waiting phone ticket comes at once.
  auto a = channel_status("ada", "phone", agent_status::online);
  ASSERT_OK(a);
  EXPECT_EQ(holder("T-1"), "ada");
  EXPECT_TRUE(a->channel_presence.empty());
  const auto status = events("agent.status");
  ASSERT_FALSE(status.empty());
  EXPECT_EQ(status.back().at("channel"), "phone");
  EXPECT_EQ(status.back().at("status"), "online");
  expect_verified();
}

TEST_F(Capacity, PushFindsTheAgentWithTheChannelOnlineBehindTwentyWithout) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_OK(put("a" + std::to_string(100 + i), {"desk"}, 20, {{"phone", agent_status::away}}));
  }
  ASSERT_OK(put("zed", {"desk"}, 20));
  make("T-1", "phone", "desk");
  EXPECT_EQ(holder("T-1"), "zed");
  make("T-2", "phone", "desk");  // zed's one call is its channel's limit: T-2 waits
  EXPECT_EQ(holder("T-2"), std::nullopt);
  expect_verified();
}

TEST_F(Capacity, AwayOnAChannelWithdrawsItsOffersOfThatChannel) {
  ASSERT_OK(put("ada", {"offers"}));
  make("T-1", "chat", "offers");
  make("T-2", "email", "offers");
  ASSERT_EQ(holder("T-1"), "ada");
  ASSERT_EQ(holder("T-2"), "ada");
  ASSERT_OK(channel_status("ada", "chat", agent_status::away));
  EXPECT_EQ(holder("T-1"), std::nullopt);
  EXPECT_EQ(holder("T-2"), "ada");
  expect_verified();
}

TEST_F(Capacity, MissedOffersInARowSetTheAgentAwayAndAnAcceptResetsTheCount) {
  ASSERT_OK(put("ada", {"offers"}));
  make("T-1", "email", "offers");
  advance(30'000);  // missed 1
  auto a = agent("ada");
  ASSERT_OK(a);
  EXPECT_EQ(a->missed_offers, 1);
  EXPECT_EQ(a->status, agent_status::online);
  // Offered again once its cooldown (1 s) is over: accepted this time.
  advance(1'000);
  ASSERT_EQ(holder("T-1"), "ada");
  ASSERT_OK(act(ticket_action::accept, "T-1", with_agent("ada")));
  EXPECT_EQ(agent("ada")->missed_offers, 0);
  make("T-2", "email", "offers");
  advance(30'000);
  advance(1'000);
  ASSERT_EQ(holder("T-2"), "ada");
  advance(30'000);
  a = agent("ada");
  ASSERT_OK(a);
  EXPECT_EQ(a->missed_offers, 2);
  EXPECT_EQ(a->status, agent_status::away);
  const auto status = events("agent.status");
  ASSERT_FALSE(status.empty());
  EXPECT_EQ(status.back().at("reason"), "missed_offers");
  // Back online, the count starts again.
  a = set_status("ada", agent_status::online);
  ASSERT_OK(a);
  EXPECT_EQ(a->missed_offers, 0);
  expect_verified();
}

TEST_F(Capacity, AnAssignedTicketWithoutAReplyGoesBackWithItsRank) {
  configure(
      replaced(channels_yaml(), "lifecycle:\n", "lifecycle:\n  assigned: {return_after: 4h}\n"));
  ASSERT_OK(put("ada", {"general"}));
  make("T-1", "email");
  make("T-2", "email");
  const auto rank = get("T-1")->score;
  EXPECT_EQ(pulled("ada"), "T-1");
  EXPECT_EQ(pulled("ada"), "T-2");
  advance(hour);
  ASSERT_OK(act(ticket_action::reply, "T-2", with_agent("ada")));  // replied: stays
  advance(3 * hour);
  auto t = get("T-1");
  ASSERT_OK(t);
  EXPECT_EQ(t->status, ticket_status::queued);
  EXPECT_EQ(t->score, rank);
  EXPECT_EQ(get("T-2")->status, ticket_status::pending);
  const auto returned = events("ticket.returned");
  ASSERT_EQ(returned.size(), 1u);
  EXPECT_EQ(returned[0].at("reason"), "no_reply");
  EXPECT_EQ(returned[0].at("agent"), "ada");
  EXPECT_EQ(used("ada"), 0);  // a timer: no wrap-up
  auto fired = tick();
  ASSERT_OK(fired);
  expect_verified();
}

TEST_F(Capacity, AnAgentOfflineTooLongGivesBackItsAssignedTicketsUnlessItComesBack) {
  ASSERT_OK(put("ada", {"general"}));
  make("T-1", "email");
  make("T-2", "email");
  make("T-3", "email");
  EXPECT_EQ(pulled("ada"), "T-1");
  EXPECT_EQ(pulled("ada"), "T-2");
  EXPECT_EQ(pulled("ada"), "T-3");
  ASSERT_OK(act(ticket_action::reply, "T-2", with_agent("ada")));  // pending: it stays
  ASSERT_OK(set_status("ada", agent_status::offline));
  advance(10 * minute);
  ASSERT_OK(set_status("ada", agent_status::online));  // back in time
  ASSERT_OK(set_status("ada", agent_status::offline));
  advance(14 * minute);
  EXPECT_EQ(holder("T-1"), "ada");
  advance(minute);
  EXPECT_EQ(get("T-1")->status, ticket_status::queued);
  EXPECT_EQ(get("T-3")->status, ticket_status::queued);
  EXPECT_EQ(holder("T-2"), "ada");
  const auto returned = events("ticket.returned");
  ASSERT_EQ(returned.size(), 2u);
  EXPECT_EQ(returned[0].at("reason"), "agent_offline");
  expect_verified();
}

TEST_F(Capacity, ANewChannelMovesAHeldTicketsCost) {
  ASSERT_OK(put("ada", {"general"}));
  make("T-1", "email");
  EXPECT_EQ(pulled("ada"), "T-1");
  EXPECT_EQ(used("ada"), 1);
  routing::patch_request p;
  p.channel = "chat";
  ASSERT_OK(patch("T-1", p));
  EXPECT_EQ(used("ada"), 3);
  expect_verified();
  // A call beside another chat would be 13 units of 10: refused, nothing changes.
  make("T-2", "chat");
  EXPECT_EQ(pulled("ada"), "T-2");
  p.channel = "phone";
  auto refused = patch("T-1", p);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, routing::errc::capacity_exceeded);
  EXPECT_EQ(refused.error().detail("reason"), "no_room");
  EXPECT_EQ(get("T-1")->channel, "chat");
  EXPECT_EQ(used("ada"), 6);
  // A third chat would pass chat's limit of 2.
  ASSERT_OK(act(ticket_action::resolve, "T-2"));  // its wrap-up keeps it among ada's chats
  make("T-3", "email");
  EXPECT_EQ(pulled("ada"), "T-3");
  p.channel = "chat";
  refused = patch("T-3", p);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().detail("reason"), "channel_full");
  advance(30'000);
  ASSERT_OK(patch("T-3", p));
  EXPECT_EQ(used("ada"), 6);
  // Alone, the call fits: its cost moves, and resolving it keeps 10 for its wrap-up.
  ASSERT_OK(act(ticket_action::resolve, "T-3"));
  advance(30'000);
  p.channel = "phone";
  ASSERT_OK(patch("T-1", p));
  EXPECT_EQ(used("ada"), 10);
  ASSERT_OK(act(ticket_action::resolve, "T-1"));
  EXPECT_EQ(used("ada"), 10);
  advance(minute);
  EXPECT_EQ(used("ada"), 0);
  expect_verified();
}

TEST_F(Capacity, VerifyReportsUnitsThatDoNotAddUp) {
  ASSERT_OK(put("ada", {"general"}));
  make("T-1", "chat");
  EXPECT_EQ(pulled("ada"), "T-1");
  redis({"HSET", key(routing::key_part::agent, "ada"), "u", "5"});
  const auto v = verify();
  ASSERT_OK(v);
  ASSERT_FALSE(v->violations.empty());
  EXPECT_NE(v->violations[0].find("uses 5 units"), std::string::npos) << v->violations[0];
}

TEST_F(Capacity, TurningChannelsOnChargesWhatIsHeldAndOffForgetsUnits) {
  configure(engine_config_yaml());
  ASSERT_OK(put_agent("ada", {"general"}));
  ASSERT_OK(create("T-1", "", "normal", "phone"));
  EXPECT_EQ(pulled("ada"), "T-1");
  configure(channels_yaml());
  EXPECT_EQ(used("ada"), 10);
  expect_verified();
  configure(engine_config_yaml());
  EXPECT_EQ(used("ada"), 0);
  expect_verified();
}

TEST_F(Capacity, AReloadThatLowersALimitUnderTheLoadMarksTheExcessForced) {
  ASSERT_OK(put("ada", {"general"}));
  make("T-1", "chat");
  make("T-2", "chat");
  EXPECT_EQ(pulled("ada"), "T-1");
  EXPECT_EQ(pulled("ada"), "T-2");
  configure(replaced(replaced(channels_yaml(), "  capacity: 10\n", "  capacity: 4\n"),
                     "max_per_agent: 2}", "max_per_agent: 1}"));
  auto v = verify();
  ASSERT_OK(v);
  EXPECT_TRUE(v->violations.empty()) << v->violations.front();
  EXPECT_EQ(v->forced.size(), 2u);  // units and chat's limit
  ASSERT_OK(act(ticket_action::resolve, "T-1"));
  advance(30'000);  // its wrap-up over: 3 units of 4, one chat of 1: within limits again
  v = verify();
  ASSERT_OK(v);
  EXPECT_TRUE(v->violations.empty()) << v->violations.front();
  EXPECT_TRUE(v->forced.empty()) << v->forced.front();
}

TEST_F(Capacity, AProfileThatSetsAChannelAwayWithdrawsItsOffersOfThatChannel) {
  ASSERT_OK(put("ada", {"offers"}));
  make("T-1", "phone", "offers");
  make("T-2", "email", "offers");  // 10 + 1 units: it waits behind the call
  ASSERT_EQ(holder("T-1"), "ada");
  ASSERT_EQ(holder("T-2"), std::nullopt);
  ASSERT_OK(put("ada", {"offers"}, std::nullopt, {{"phone", agent_status::away}}));
  EXPECT_EQ(holder("T-1"), std::nullopt);
  EXPECT_EQ(holder("T-2"), "ada");  // the room the call left
  const auto withdrawn = events("offer.withdrawn");
  ASSERT_FALSE(withdrawn.empty());
  EXPECT_EQ(withdrawn.back().at("reason"), "channel_away");
  expect_verified();
}

TEST_F(Capacity, PresenceByChannelNeedsConfiguredChannels) {
  auto e = rt_->plan.check_channel("fax", "channel");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, routing::errc::invalid_argument);
  EXPECT_FALSE(rt_->plan.check_channel("phone", "channel").has_value());
  EXPECT_FALSE(rt_->plan.check_channel("default", "channel").has_value());
  configure(engine_config_yaml());
  EXPECT_TRUE(rt_->plan.check_channel("phone", "channel").has_value());
  // A profile naming channels (even all online) is refused without them.
  routing::agent_request r;
  r.channels_named = true;
  const auto put = rt_->plan.put_agent("ada", r, now());
  ASSERT_FALSE(put.has_value());
  EXPECT_EQ(put.error().code, routing::errc::invalid_argument);
}

}  // namespace
}  // namespace ticketd::testing
