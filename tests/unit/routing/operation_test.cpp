// The round trips around a function call, fed by hand: what an operation sends after each
// reply, and what it comes to. Sans-io: no Redis.
#include "routing/operation.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "routing/lua_library.hpp"
#include "routing/sla.hpp"
#include "tests/unit/routing/test_support.hpp"

namespace ticketd::routing {
namespace {

using test::argv_of;
using test::bulk;
using test::error_reply;
using test::hash;
using test::t0;

class Operation : public ::testing::Test {
 protected:
  Operation() : cfg_(test::sample_config()), sla_(cfg_), plan_(cfg_, sla_, keys_, settings_) {
    settings_.epoch = "e1";
  }

  // What the batch asks for: each command's first words (FCALL ticketd_v1_close, HGETALL key).
  static std::vector<std::string> sent(const operation& op) {
    std::vector<std::string> out;
    for (const auto& cmd : op.batch()) {
      const auto argv = argv_of(cmd);
      out.push_back(argv.at(0) + " " + argv.at(1));
    }
    return out;
  }

  static resp_value ticket_fields(std::int64_t version, std::string status = "assigned") {
    return hash({{"s", status},
                 {"v", std::to_string(version)},
                 {"q", "billing"},
                 {"p", "normal"},
                 {"la", "ada"},
                 {"ca", std::to_string(t0)},
                 {"qa", std::to_string(t0)},
                 {"d1", std::to_string(t0 + 8 * test::hour_ms)},
                 {"d3", std::to_string(t0 + 3 * test::day_ms)}});
  }

  // One assignment of a function's reply (settle): {ticket, agent, status, token, expires,
  // queued_at}.
  static resp_value assignment(const std::string& id, const std::string& status,
                               const std::string& token = "", const std::string& expires = "") {
    return test::array({bulk(id), bulk("ada"), bulk(status), bulk(token), bulk(expires),
                        bulk(std::to_string(t0))});
  }

  std::string fn(const lua::function_info& f) const { return "FCALL " + std::string{f.name}; }
  std::string hgetall(const std::string& id) const {
    return "HGETALL " + keys_.key(key_part::ticket, id);
  }

  config::config cfg_;
  sla_clock sla_;
  keyspace keys_{"acme"};
  call_settings settings_;
  planner plan_;
  action_request request_;
};

TEST_F(Operation, AnActionThatNeedsTheTicketReadsItCallsAndReadsItBack) {
  request_.agent = "ada";
  auto op = action_operation(plan_, ticket_action::release, "T-1", std::nullopt, request_, t0);
  EXPECT_EQ(sent(op), std::vector<std::string>{hgetall("T-1")});
  op.receive({ticket_fields(5)});
  EXPECT_EQ(sent(op), (std::vector<std::string>{fn(lua::fn::release), hgetall("T-1")}));
  // The plan names the version it was made from (ARGV[7]).
  EXPECT_EQ(test::lua_argv(argv_of(op.batch()[0]), 7), "5");
  op.receive({test::integer(6), ticket_fields(6, "queued")});
  ASSERT_TRUE(op.done());
  auto r = ticket_result_of(op);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->value.version, 6);
  EXPECT_EQ(r->value.status, ticket_status::queued);
}

// An agent's stream shows only the ticket's status and version: an accept there is answered
// from the function's reply, with no read of the ticket; the HTTP API's accept, and a reject
// (queued, or waiting for a preferred agent), still read it.
TEST_F(Operation, ABriefAcceptIsAnsweredFromTheReplyWithoutReadingTheTicket) {
  request_.agent = "ada";
  auto brief = action_operation(plan_, ticket_action::accept, "T-2", std::nullopt, request_, t0, {},
                                action_view::brief);
  ASSERT_EQ(sent(brief), std::vector<std::string>{fn(lua::fn::accept)});
  brief.receive({bulk("4")});
  ASSERT_TRUE(brief.done());
  auto r = ticket_result_of(brief);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->value.id, "T-2");
  EXPECT_EQ(r->value.status, ticket_status::assigned);
  EXPECT_EQ(r->value.version, 4);
  EXPECT_EQ(r->value.assignee, "ada");
  EXPECT_TRUE(r->assignments.empty());

  // Its errors are the call's, as for any action.
  auto refused = action_operation(plan_, ticket_action::accept, "T-2", std::nullopt, request_, t0,
                                  {}, action_view::brief);
  refused.receive({error_reply("TICKETD_CONFLICT reason=offer offered_to=bob")});
  ASSERT_TRUE(refused.done());
  ASSERT_TRUE(refused.failure());
  EXPECT_EQ(refused.failure()->code, errc::conflict);

  // A reply that is not a version: the ticket is read after the call, as a full answer reads it.
  for (const auto& reply : {test::array({}), bulk("none")}) {
    auto odd = action_operation(plan_, ticket_action::accept, "T-2", std::nullopt, request_, t0, {},
                                action_view::brief);
    odd.receive({reply});
    ASSERT_EQ(sent(odd), std::vector<std::string>{hgetall("T-2")});
  }

  auto full = action_operation(plan_, ticket_action::accept, "T-2", std::nullopt, request_, t0);
  EXPECT_EQ(sent(full), (std::vector<std::string>{fn(lua::fn::accept), hgetall("T-2")}));
  auto reject = action_operation(plan_, ticket_action::reject, "T-2", std::nullopt, request_, t0,
                                 {}, action_view::brief);
  EXPECT_EQ(sent(reject), (std::vector<std::string>{fn(lua::fn::reject), hgetall("T-2")}));
}

// create.lua says whether it stored the ticket as planned (`created`: the planned ticket is the
// answer, no read) or moved it further (`routed`: read back).
TEST_F(Operation, ACreateReadsBackOnlyWhatTheCallMovedFurther) {
  create_request r;
  r.id = "T-7";
  r.fingerprint = "fp-7";
  auto as_planned = create_operation(plan_, r, t0);
  ASSERT_EQ(sent(as_planned), std::vector<std::string>{fn(lua::fn::create)});
  as_planned.receive({bulk("created")});
  ASSERT_TRUE(as_planned.done());
  auto created = create_result_of(as_planned);
  ASSERT_TRUE(created.has_value()) << created.error().message;
  EXPECT_EQ(created->value.status, ticket_status::queued);
  EXPECT_EQ(created->value.version, 1);

  auto moved = create_operation(plan_, r, t0);
  moved.receive({test::array({bulk("routed"), assignment("T-7", "assigned")})});
  ASSERT_EQ(sent(moved), std::vector<std::string>{hgetall("T-7")});
  moved.receive({ticket_fields(2)});
  auto routed = create_result_of(moved);
  ASSERT_TRUE(routed.has_value()) << routed.error().message;
  EXPECT_EQ(routed->value.status, ticket_status::assigned);
  EXPECT_EQ(routed->value.version, 2);
  EXPECT_EQ(routed->assignments.size(), 1u);
}

// Into a push queue with room a create is handed out at once, and create.lua says how
// (`handed`: its version and decision record, and the assignment): the answer is the plan with
// that hand-out, with no read. A create with a preferred agent has its read ride behind the call,
// left unread when the call stored the ticket as planned after all.
TEST_F(Operation, ACreateHandedOutAtOnceIsAnsweredFromThePlanAndTheReply) {
  cfg_.queues[0].mode = config::queue_mode::push;  // general, the default queue
  create_request r;
  r.id = "T-8";
  r.fingerprint = "fp-8";
  r.priority = "urgent";
  auto handed = create_operation(plan_, r, t0 + 5);
  ASSERT_EQ(sent(handed), std::vector<std::string>{fn(lua::fn::create)});
  handed.receive({test::array({bulk("handed"), bulk("2"),
                               bulk("push|least_loaded|01733520000|7|" + std::to_string(t0 + 5)),
                               assignment("T-8", "offered", "2", std::to_string(t0 + 30'000))})});
  ASSERT_TRUE(handed.done());  // no read
  auto out = create_result_of(handed);
  ASSERT_TRUE(out.has_value()) << out.error().message;
  EXPECT_TRUE(out->created);
  EXPECT_EQ(out->value.id, "T-8");
  EXPECT_EQ(out->value.status, ticket_status::offered);
  EXPECT_EQ(out->value.assignee, "ada");
  EXPECT_EQ(out->value.last_agent, "ada");
  EXPECT_EQ(out->value.version, 2);
  EXPECT_EQ(out->value.updated_at, t0 + 5);
  EXPECT_EQ(out->value.priority, "urgent");  // the rest is the plan's
  EXPECT_EQ(out->value.queue, "general");
  ASSERT_TRUE(out->value.decision.has_value());
  EXPECT_EQ(out->value.decision->mode, "push");
  EXPECT_EQ(out->value.decision->strategy, "least_loaded");
  EXPECT_EQ(out->value.decision->score, "01733520000");
  EXPECT_EQ(out->value.decision->candidates, 7);
  EXPECT_EQ(out->value.decision->at, t0 + 5);
  ASSERT_EQ(out->assignments.size(), 1u);
  EXPECT_EQ(out->assignments[0].token, "2");

  // A `handed` reply without the new ticket's assignment, or with a version, decision record or
  // status no hand-out gives: read after the call.
  const std::vector<resp_value> odd_replies{
      test::array({bulk("handed"), bulk("2"), bulk("push||1|1|0")}),
      test::array({bulk("handed"), bulk("2x"), bulk("push||1|1|0"), assignment("T-8", "assigned")}),
      test::array({bulk("handed"), bulk("0"), bulk("push||1|1|0"), assignment("T-8", "assigned")}),
      test::array({bulk("handed"), bulk("2"), bulk("push|1|0"), assignment("T-8", "assigned")}),
      test::array({bulk("handed"), bulk("2"), bulk("push||1|1|0"), assignment("T-8", "queued")})};
  for (const auto& reply : odd_replies) {
    auto odd = create_operation(plan_, r, t0);
    odd.receive({reply});
    ASSERT_EQ(sent(odd), std::vector<std::string>{hgetall("T-8")});
    odd.receive({ticket_fields(2, "offered")});
    ASSERT_TRUE(odd.done());
    EXPECT_EQ(create_result_of(odd)->value.status, ticket_status::offered);
  }

  // `routed` (moved on in a way the reply does not describe) is read after the call, as
  // ACreateReadsBackOnlyWhatTheCallMovedFurther shows for any queue.

  // A preferred agent: the read rides along, and `created` leaves it unread.
  r.preferred = preference{{"ada"}, 60'000};
  auto preferred = create_operation(plan_, r, t0);
  ASSERT_EQ(sent(preferred), (std::vector<std::string>{fn(lua::fn::create), hgetall("T-8")}));
  preferred.receive({bulk("created"), ticket_fields(9, "assigned")});
  ASSERT_TRUE(preferred.done());
  auto kept = create_result_of(preferred);
  ASSERT_TRUE(kept.has_value()) << kept.error().message;
  EXPECT_EQ(kept->value.status, ticket_status::queued);
  EXPECT_EQ(kept->value.version, 1);
}

TEST_F(Operation, AStaleSnapshotIsReadAndPlannedAgainAFewTimesThenConflicts) {
  request_.agent = "ada";
  auto op = action_operation(plan_, ticket_action::release, "T-1", std::nullopt, request_, t0);
  for (int round = 0; round < 5; ++round) {
    ASSERT_EQ(sent(op), std::vector<std::string>{hgetall("T-1")}) << round;
    op.receive({ticket_fields(5 + round)});
    ASSERT_FALSE(op.done());
    op.receive({error_reply("TICKETD_STALE version=" + std::to_string(6 + round)),
                ticket_fields(6 + round)});
  }
  ASSERT_TRUE(op.done());
  ASSERT_TRUE(op.failure());
  EXPECT_EQ(op.failure()->code, errc::stale);
}

TEST_F(Operation, IfMatchIsAnsweredFromTheReadWithoutCalling) {
  auto op = action_operation(plan_, ticket_action::release, "T-1", 4, request_, t0);
  op.receive({ticket_fields(5)});
  ASSERT_TRUE(op.done());
  ASSERT_TRUE(op.failure());
  EXPECT_EQ(op.failure()->code, errc::version_mismatch);
  EXPECT_EQ(op.failure()->detail("version"), "5");
}

TEST_F(Operation, ALostConfigurationIsStoredAgainAndTheCallRepeatedOnce) {
  auto op = action_operation(plan_, ticket_action::close, "T-1", std::nullopt, request_, t0);
  ASSERT_EQ(sent(op), (std::vector<std::string>{fn(lua::fn::close), hgetall("T-1")}));
  op.receive({error_reply("TICKETD_UNCONFIGURED epoch=e1"), resp_value{}});
  ASSERT_EQ(sent(op), std::vector<std::string>{fn(lua::fn::configure)});
  op.receive({test::integer(0)});
  ASSERT_EQ(sent(op), (std::vector<std::string>{fn(lua::fn::close), hgetall("T-1")}));
  op.receive({error_reply("TICKETD_UNCONFIGURED epoch=e1"), resp_value{}});
  ASSERT_TRUE(op.done());  // once only
  ASSERT_TRUE(op.failure());
  EXPECT_EQ(op.failure()->code, errc::unconfigured);
}

TEST_F(Operation, NextReadsBackTheTicketItsReplyNames) {
  auto op = next_operation(plan_, "ada", t0);
  ASSERT_EQ(sent(op), std::vector<std::string>{fn(lua::fn::next)});
  op.receive({bulk("T-9")});
  ASSERT_EQ(sent(op), std::vector<std::string>{hgetall("T-9")});
  op.receive({ticket_fields(2)});
  auto r = next_result_of(op);
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->ticket.has_value());
  EXPECT_EQ(r->ticket->value.id, "T-9");
  // Nothing waiting: no read.
  auto none = next_operation(plan_, "ada", t0);
  none.receive({resp_value{}});
  ASSERT_TRUE(none.done());
  auto empty = next_result_of(none);
  ASSERT_TRUE(empty.has_value());
  EXPECT_FALSE(empty->ticket.has_value());
}

// The tickets an operation reads are decoded where it keeps them: what is not a ticket leaves
// nothing behind, and the operation ends with the reason.
TEST_F(Operation, ATicketReadThatFindsNoTicketEndsTheOperationWithNothingShown) {
  request_.agent = "ada";
  auto gone = action_operation(plan_, ticket_action::release, "T-1", std::nullopt, request_, t0);
  gone.receive({test::array({})});
  ASSERT_TRUE(gone.done());
  ASSERT_TRUE(gone.failure());
  EXPECT_EQ(gone.failure()->code, errc::not_found);
  EXPECT_EQ(gone.failure()->detail("ticket"), "T-1");

  auto action = action_operation(plan_, ticket_action::close, "T-1", std::nullopt, request_, t0);
  action.receive({test::integer(3), hash({{"v", "3"}})});  // no status: not a ticket
  ASSERT_TRUE(action.done());
  ASSERT_TRUE(action.failure());
  EXPECT_FALSE(action.result().value.has_value());
  EXPECT_FALSE(ticket_result_of(action).has_value());

  auto next = next_operation(plan_, "ada", t0);
  next.receive({bulk("T-9")});
  next.receive({test::array({})});  // deleted between the call and the read
  ASSERT_TRUE(next.done());
  ASSERT_TRUE(next.failure());
  EXPECT_EQ(next.failure()->code, errc::not_found);
  EXPECT_FALSE(next.result().value.has_value());
  auto pulled = next_result_of(next);
  ASSERT_FALSE(pulled.has_value());
  EXPECT_EQ(pulled.error().code, errc::not_found);
}

TEST_F(Operation, UnderAnIdempotencyKeyTheFunctionAnswersTheTicketItself) {
  const idempotency key{"k1", "POST /v1/agents/ada/next 00"};
  auto op = next_operation(plan_, "ada", t0, key);
  ASSERT_EQ(sent(op), std::vector<std::string>{fn(lua::fn::next)});
  EXPECT_EQ(test::lua_argv(argv_of(op.batch()[0]), 3), "k1");
  op.receive({test::array({bulk("replayed"), bulk("T-3"), ticket_fields(2)})});
  ASSERT_TRUE(op.done());
  auto r = next_result_of(op);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->replayed);
  ASSERT_TRUE(r->ticket.has_value());
  EXPECT_EQ(r->ticket->value.id, "T-3");
  EXPECT_EQ(r->ticket->value.version, 2);
}

// An action planned from the ticket first asks what its Idempotency-Key kept, with the ticket's
// read in the same write: a repeat is answered from there, a first request plans from the read.
TEST_F(Operation, UnderAnIdempotencyKeyAPlanFromTheTicketAsksTheKeyFirst) {
  request_.agent = "ada";
  const idempotency key{"k2", "POST /v1/tickets/T-1/release 00"};
  auto repeat =
      action_operation(plan_, ticket_action::release, "T-1", std::nullopt, request_, t0, key);
  ASSERT_EQ(sent(repeat), (std::vector<std::string>{"FCALL_RO " + std::string{lua::fn::kept.name},
                                                    hgetall("T-1")}));
  EXPECT_EQ(test::lua_argv(argv_of(repeat.batch()[0]), 3), "k2");
  repeat.receive({test::array({bulk("replayed"), bulk("ok"), ticket_fields(4, "queued")}),
                  ticket_fields(4, "queued")});
  ASSERT_TRUE(repeat.done());
  auto replayed = ticket_result_of(repeat);
  ASSERT_TRUE(replayed.has_value());
  EXPECT_TRUE(replayed->replayed);
  EXPECT_EQ(replayed->value.version, 4);

  auto first =
      action_operation(plan_, ticket_action::release, "T-1", std::nullopt, request_, t0, key);
  first.receive({resp_value{}, ticket_fields(3)});  // nothing kept
  ASSERT_EQ(sent(first), std::vector<std::string>{fn(lua::fn::release)});
  first.receive({test::array({bulk("kept"), bulk("ok"), ticket_fields(4, "queued")})});
  auto done = ticket_result_of(first);
  ASSERT_TRUE(done.has_value());
  EXPECT_FALSE(done->replayed);
  EXPECT_EQ(done->value.status, ticket_status::queued);
}

TEST_F(Operation, AFailedBatchSaysWhetherTheCallMayHaveRun) {
  request_.agent = "ada";
  // The read failed: nothing was called.
  auto reading = action_operation(plan_, ticket_action::release, "T-1", std::nullopt, request_, t0);
  reading.fail({"timeout", true});
  ASSERT_TRUE(reading.failure());
  EXPECT_EQ(reading.failure()->code, errc::unavailable);
  EXPECT_EQ(reading.failure()->detail("maybe_applied"), "false");
  // The call was written and its answer lost.
  auto calling = action_operation(plan_, ticket_action::close, "T-1", std::nullopt, request_, t0);
  calling.fail({"timeout", true});
  EXPECT_EQ(calling.failure()->detail("maybe_applied"), "true");
  // The call never reached Redis.
  auto unsent = action_operation(plan_, ticket_action::close, "T-1", std::nullopt, request_, t0);
  unsent.fail({"not connected", false});
  EXPECT_EQ(unsent.failure()->detail("maybe_applied"), "false");
}

// A call that answered made its change: losing the read of the ticket after it must not tell
// the client that nothing happened (a retried next would take a second ticket).
TEST_F(Operation, AFailedReadBackAfterTheCallSaysTheChangeMayBeApplied) {
  auto op = next_operation(plan_, "ada", t0);
  op.receive({bulk("T-9")});
  ASSERT_EQ(sent(op), std::vector<std::string>{hgetall("T-9")});
  op.fail({"too many requests waiting", false});
  ASSERT_TRUE(op.failure());
  EXPECT_EQ(op.failure()->detail("maybe_applied"), "true");
}

}  // namespace
}  // namespace ticketd::routing
