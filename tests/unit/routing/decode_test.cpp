// Decoding the replies of the function library (HGETALL-form tickets and agents, and each
// function's reply shape) into values; error replies become domain errors, anything else that
// does not fit becomes errc::internal.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "routing/agent.hpp"
#include "routing/functions.hpp"
#include "routing/ticket.hpp"
#include "tests/unit/routing/test_support.hpp"

namespace ticketd::routing {
namespace {

using test::array;
using test::bulk;
using test::error_reply;
using test::hash;
using test::integer;
using test::nil;
using test::t0;

using strings = std::vector<std::string>;

// A field whose value Redis may send as bulk text (HGETALL) or as an integer (a Lua table
// returned as is, as create does).
struct field {
  std::string name;
  std::variant<std::string, std::int64_t> value;
};

resp_value fields_of(const std::vector<field>& fields) {
  std::vector<resp_value> out;
  for (const auto& f : fields) {
    out.push_back(bulk(f.name));
    if (const auto* n = std::get_if<std::int64_t>(&f.value)) {
      out.push_back(integer(*n));
    } else {
      out.push_back(bulk(std::get<std::string>(f.value)));
    }
  }
  return array(std::move(out));
}

// Every field of a ticket; numbers as integers or as text.
std::vector<field> full_ticket(bool numbers_as_integers) {
  const auto num = [&](std::int64_t n) -> std::variant<std::string, std::int64_t> {
    if (numbers_as_integers) return n;
    return std::to_string(n);
  };
  return {
      {"s", "queued"},
      {"q", "billing"},
      {"qs", "billing,general"},
      {"p", "urgent"},
      {"ch", "email"},
      {"sk", "spanish,vip"},
      {"at", R"({"brand":"acme"})"},
      {"la", "bob"},
      {"r", "1795345200000001"},
      {"d1", num(t0 + 3'600'000)},
      {"d2", num(t0 + 7'200'000)},
      {"d3", num(t0 + 14'400'000)},
      {"f1", num(t0 + 60'000)},
      {"br", "first_reply,resolution"},
      {"fa", num(2)},
      {"ro", num(1)},
      {"es", num(1)},
      {"v", num(7)},
      {"ca", num(t0 - 1000)},
      {"ua", num(t0 + 5000)},
      {"qa", num(t0 + 4000)},
      {"pu", num(t0 + 86'400'000)},
      {"rz", num(t0 + 6000)},
      {"rw", num(t0 + 7 * 86'400'000LL)},
      {"rr", "agent"},
      {"fp", "123456789"},
      // Fields C++ does not show.
      {"lk", "wake"},
      {"zr", "1795345200000"},
      {"ot", "token"},
  };
}

void expect_full_ticket(const ticket& t) {
  EXPECT_EQ(t.id, "T-1");
  EXPECT_EQ(t.status, ticket_status::queued);
  EXPECT_EQ(t.queue, "billing");
  EXPECT_EQ(t.queues, (strings{"billing", "general"}));
  EXPECT_EQ(t.personal_queue, "");
  EXPECT_EQ(t.priority, "urgent");
  EXPECT_EQ(t.channel, "email");
  EXPECT_EQ(t.skills, (strings{"spanish", "vip"}));
  EXPECT_EQ(t.attributes_json, R"({"brand":"acme"})");
  EXPECT_FALSE(t.assignee.has_value());  // queued: nobody holds it
  EXPECT_EQ(t.last_agent, "bob");
  EXPECT_DOUBLE_EQ(t.score, 1795345200000001.0);
  EXPECT_EQ(t.rank(), 1'795'345'200'000);
  EXPECT_EQ(t.first_reply_due, t0 + 3'600'000);
  EXPECT_EQ(t.next_reply_due, t0 + 7'200'000);
  EXPECT_EQ(t.resolution_due, t0 + 14'400'000);
  EXPECT_EQ(t.first_replied_at, t0 + 60'000);
  EXPECT_EQ(t.breached, (strings{"first_reply", "resolution"}));
  EXPECT_EQ(t.followup_attempt, 2);
  EXPECT_EQ(t.reopens, 1);
  EXPECT_TRUE(t.escalated);
  EXPECT_EQ(t.version, 7);
  EXPECT_EQ(t.created_at, t0 - 1000);
  EXPECT_EQ(t.updated_at, t0 + 5000);
  EXPECT_EQ(t.queued_at, t0 + 4000);
  EXPECT_EQ(t.postponed_until, t0 + 86'400'000);
  EXPECT_EQ(t.resolved_at, t0 + 6000);
  EXPECT_EQ(t.reopen_until, t0 + 7 * 86'400'000LL);
  EXPECT_EQ(t.resolve_reason, "agent");
  EXPECT_EQ(t.fingerprint, "123456789");
  EXPECT_EQ(t.next_due(), t0 + 3'600'000);
}

// The smallest ticket the functions store.
resp_value minimal_ticket(std::string status = "queued") {
  return hash({{"s", status},
               {"q", "general"},
               {"p", "normal"},
               {"r", "1795345200000999"},
               {"v", "1"},
               {"ca", "1795338000000"},
               {"qa", "1795341600000"},
               {"d1", "1795370400000"},
               {"d3", "1795600800000"},
               {"fp", "42"}});
}

TEST(DecodeTicket, ReadsEveryFieldFromText) {
  const auto t = decode_ticket("T-1", fields_of(full_ticket(false)));
  ASSERT_TRUE(t.has_value());
  expect_full_ticket(*t);
}

TEST(DecodeTicket, ReadsNumbersSentAsIntegers) {
  const auto t = decode_ticket("T-1", fields_of(full_ticket(true)));
  ASSERT_TRUE(t.has_value());
  expect_full_ticket(*t);
}

TEST(DecodeTicket, ReadsWholeNumbersWrittenWithAFraction) {
  // Lua arithmetic may turn 1795341600000 into "1795341600000.0".
  const auto t =
      decode_ticket("T-1", hash({{"s", "assigned"}, {"d1", "1795341600000.0"}, {"v", "3"}}));
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->first_reply_due, 1'795'341'600'000);
}

TEST(DecodeTicket, LeavesAbsentFieldsEmpty) {
  const auto t = decode_ticket("T-2", minimal_ticket());
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->channel, "");
  EXPECT_TRUE(t->skills.empty());
  EXPECT_EQ(t->attributes_json, "");
  EXPECT_FALSE(t->assignee.has_value());
  EXPECT_FALSE(t->last_agent.has_value());
  EXPECT_FALSE(t->next_reply_due.has_value());
  EXPECT_FALSE(t->first_replied_at.has_value());
  EXPECT_FALSE(t->postponed_until.has_value());
  EXPECT_FALSE(t->resolved_at.has_value());
  EXPECT_FALSE(t->reopen_until.has_value());
  EXPECT_TRUE(t->breached.empty());
  EXPECT_EQ(t->followup_attempt, 0);
  EXPECT_EQ(t->reopens, 0);
  EXPECT_FALSE(t->escalated);
  EXPECT_EQ(t->next_due(), 1'795'370'400'000);
  EXPECT_EQ(t->rank(), 1'795'345'200'000);
}

TEST(DecodeTicket, ANeverChangedTicketWasUpdatedWhenQueued) {
  // Create writes no `ua`: the ticket was last updated when its wait began (`qa`), at creation;
  // this hash's `ca` differs, so the test tells the two apart.
  const auto fresh = decode_ticket("T-2", minimal_ticket());
  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ(fresh->created_at, 1'795'338'000'000);
  EXPECT_EQ(fresh->updated_at, 1'795'341'600'000);
  const auto changed = decode_ticket(
      "T-2", hash({{"s", "queued"}, {"qa", "1795341600000"}, {"ua", "1795341700000"}}));
  ASSERT_TRUE(changed.has_value());
  EXPECT_EQ(changed->updated_at, 1'795'341'700'000);
}

TEST(DecodeTicket, ATicketWithoutCreationTimeWasCreatedWhenItsWaitBegan) {
  // Create writes no `ca`: until its wait begins again, `qa` is the creation time.
  const auto fresh = decode_ticket("T-3", hash({{"s", "queued"}, {"qa", "1795341600000"}}));
  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ(fresh->created_at, 1'795'341'600'000);
  EXPECT_EQ(fresh->queued_at, 1'795'341'600'000);
  EXPECT_EQ(fresh->updated_at, 1'795'341'600'000);
  const auto waiting_again = decode_ticket("T-3", hash({{"s", "queued"},
                                                        {"qa", "1795345200000"},
                                                        {"ca", "1795341600000"},
                                                        {"ua", "1795345200000"}}));
  ASSERT_TRUE(waiting_again.has_value());
  EXPECT_EQ(waiting_again->created_at, 1'795'341'600'000);
  EXPECT_EQ(waiting_again->queued_at, 1'795'345'200'000);
}

TEST(DecodeTicket, TheAssigneeIsTheLastAgentWhileHeld) {
  for (const char* status : {"offered", "assigned", "pending", "postponed"}) {
    const auto t = decode_ticket("T-1", hash({{"s", status}, {"q", "general"}, {"la", "ada"}}));
    ASSERT_TRUE(t.has_value()) << status;
    EXPECT_EQ(t->assignee, "ada") << status;
  }
  for (const char* status : {"queued", "resolved", "closed"}) {
    const auto t = decode_ticket("T-1", hash({{"s", status}, {"q", "general"}, {"la", "ada"}}));
    ASSERT_TRUE(t.has_value()) << status;
    EXPECT_FALSE(t->assignee.has_value()) << status;
    EXPECT_EQ(t->last_agent, "ada") << status;
  }
}

TEST(DecodeTicket, RefusesRepliesWithoutAValidStatus) {
  EXPECT_FALSE(decode_ticket("T-1", hash({{"q", "general"}, {"v", "1"}})).has_value());
  EXPECT_FALSE(decode_ticket("T-1", hash({{"s", "lost"}, {"q", "general"}})).has_value());
  EXPECT_FALSE(decode_ticket("T-1", array({})).has_value());
  EXPECT_FALSE(decode_ticket("T-1", nil()).has_value());
  EXPECT_FALSE(decode_ticket("T-1", bulk("queued")).has_value());
  EXPECT_FALSE(decode_ticket("T-1", array({bulk("s"), bulk("queued"), bulk("q")})).has_value());
}

struct queues_case {
  std::string name;
  std::vector<std::pair<std::string, std::string>> fields;
  strings queues;
};

TEST(DecodeTicket, DerivesTheQueuesItWaitsIn) {
  const queues_case cases[] = {
      {"queued in its home queue", {{"s", "queued"}, {"q", "billing"}}, {"billing"}},
      {"queued after overflowing",
       {{"s", "queued"}, {"q", "billing"}, {"qs", "billing,general"}},
       {"billing", "general"}},
      {"queued in a personal queue", {{"s", "queued"}, {"q", "billing"}, {"pq", "ada"}}, {}},
      {"assigned", {{"s", "assigned"}, {"q", "billing"}, {"la", "ada"}}, {"billing"}},
      {"held with a leftover qs", {{"s", "pending"}, {"q", "billing"}, {"qs", "x,y"}}, {"billing"}},
      {"resolved", {{"s", "resolved"}, {"q", "tier2"}}, {"tier2"}},
  };
  for (const auto& c : cases) {
    std::vector<resp_value> elements;
    for (const auto& [k, v] : c.fields) {
      elements.push_back(bulk(k));
      elements.push_back(bulk(v));
    }
    const auto t = decode_ticket("T-1", array(std::move(elements)));
    ASSERT_TRUE(t.has_value()) << c.name;
    EXPECT_EQ(t->queues, c.queues) << c.name;
  }
}

TEST(DecodeTicket, SplitsCommaListsSkippingEmptyItems) {
  const auto t = decode_ticket("T-1", hash({{"s", "queued"}, {"sk", "a,,b,"}, {"br", ""}}));
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->skills, (strings{"a", "b"}));
  EXPECT_TRUE(t->breached.empty());
}

resp_value agent_reply(std::vector<field> fields, strings held) {
  std::vector<resp_value> ids;
  for (auto& id : held) ids.push_back(bulk(std::move(id)));
  return array({fields_of(fields), array(std::move(ids))});
}

TEST(DecodeAgent, ReadsEveryField) {
  const auto a = decode_agent("ada", agent_reply({{"n", "Ada"},
                                                  {"st", "online"},
                                                  {"qs", "billing,general"},
                                                  {"sk", "french,spanish:8"},
                                                  {"qe", "billing,general,spanish"},
                                                  {"m", std::int64_t{3}},
                                                  {"l", std::int64_t{2}},
                                                  {"lt", std::to_string(t0)},
                                                  {"ss", std::int64_t{t0 - 1000}},
                                                  {"fx", "1"}},
                                                 {"T-1", "T-2", "T-3"}));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->id, "ada");
  EXPECT_EQ(a->name, "Ada");
  EXPECT_EQ(a->status, agent_status::online);
  EXPECT_EQ(a->queues, (strings{"billing", "general"}));
  // A name without a level (version 1 stored names alone) is level 1.
  EXPECT_EQ(a->skills, (std::vector<skill_level>{{"french", 1}, {"spanish", 8}}));
  EXPECT_EQ(a->effective_queues, (strings{"billing", "general", "spanish"}));
  EXPECT_EQ(a->max_concurrent, 3u);
  EXPECT_EQ(a->load, 2u);
  EXPECT_EQ(a->tickets, (strings{"T-1", "T-2", "T-3"}));
  EXPECT_EQ(a->last_assigned_at, t0);
  EXPECT_EQ(a->status_since, t0 - 1000);
  EXPECT_TRUE(a->forced_excess);
}

TEST(DecodeAgent, DefaultsAbsentFields) {
  const auto a = decode_agent("bob", agent_reply({{"n", "Bob"}, {"st", "away"}}, {}));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->status, agent_status::away);
  EXPECT_FALSE(a->max_concurrent.has_value());
  EXPECT_FALSE(a->last_assigned_at.has_value());
  EXPECT_EQ(a->load, 0u);
  EXPECT_TRUE(a->tickets.empty());
  EXPECT_FALSE(a->forced_excess);
  const auto unknown = decode_agent("bob", agent_reply({{"st", "busy"}}, {}));
  ASSERT_TRUE(unknown.has_value());
  EXPECT_EQ(unknown->status, agent_status::offline);
}

TEST(DecodeAgent, RefusesMalformedReplies) {
  EXPECT_FALSE(decode_agent("a", nil()).has_value());
  EXPECT_FALSE(decode_agent("a", array({hash({{"n", "A"}})})).has_value());
  EXPECT_FALSE(decode_agent("a", array({hash({{"n", "A"}}), bulk("T-1")})).has_value());
  EXPECT_FALSE(decode_agent("a", array({array({bulk("n")}), array({})})).has_value());
  EXPECT_FALSE(decode_agent("a", array({hash({}), array({}), array({})})).has_value());
}

TEST(DecodeAgentList, ReadsEachAgentUnderItsIdAndWhereTheNextPageStarts) {
  const auto page = decode_agent_list(
      array({bulk("bob"), bulk("ada"), agent_reply({{"n", "Ada"}, {"st", "online"}}, {"T-1"}),
             bulk("bob"), agent_reply({{"n", "Bob"}, {"st", "away"}}, {})}));
  ASSERT_TRUE(page.has_value()) << page.error().message;
  ASSERT_EQ(page->agents.size(), 2u);
  EXPECT_EQ(page->agents[0].id, "ada");
  EXPECT_EQ(page->agents[0].tickets, (strings{"T-1"}));
  EXPECT_EQ(page->agents[1].id, "bob");
  EXPECT_EQ(page->agents[1].status, agent_status::away);
  EXPECT_EQ(page->next, "bob");
  const auto last = decode_agent_list(array({nil()}));
  ASSERT_TRUE(last.has_value());
  EXPECT_TRUE(last->agents.empty());
  EXPECT_FALSE(last->next.has_value());
}

TEST(DecodeAgentList, RefusesMalformedReplies) {
  EXPECT_FALSE(decode_agent_list(nil()).has_value());
  EXPECT_FALSE(decode_agent_list(array({})).has_value());
  EXPECT_FALSE(decode_agent_list(array({nil(), bulk("ada")})).has_value());
  EXPECT_FALSE(
      decode_agent_list(array({nil(), integer(1), agent_reply({{"n", "A"}}, {})})).has_value());
  EXPECT_FALSE(decode_agent_list(array({nil(), bulk("ada"), bulk("x")})).has_value());
  EXPECT_EQ(decode_agent_list(error_reply("TICKETD_NOT_FOUND agent=x")).error().code,
            errc::not_found);
}

TEST(ReplyError, IsSetOnlyForErrorReplies) {
  EXPECT_FALSE(reply_error(minimal_ticket()).has_value());
  EXPECT_FALSE(reply_error(nil()).has_value());
  const auto e = reply_error(error_reply("TICKETD_NOT_FOUND ticket=T-9"));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, errc::not_found);
  EXPECT_EQ(e->detail("ticket"), "T-9");
}

resp_value offer_entry(std::string ticket, std::string agent) {
  return array({bulk(std::move(ticket)), bulk(std::move(agent)), bulk("offered"), bulk("8"),
                bulk(std::to_string(t0 + 30'000)), bulk(std::to_string(t0 - 5'000))});
}

resp_value assign_entry(std::string ticket, std::string agent) {
  return array({bulk(std::move(ticket)), bulk(std::move(agent)), bulk("assigned"), bulk(""),
                bulk(""), bulk(std::to_string(t0))});
}

TEST(DecodeCreate, ReadsCreatedRoutedHandedAndExisting) {
  const auto created = decode_create(array({bulk("created")}));
  ASSERT_TRUE(created.has_value()) << created.error().message;
  EXPECT_TRUE(created->created);
  EXPECT_TRUE(created->assignments.empty());
  const auto routed = decode_create(array({bulk("routed"), offer_entry("T-1", "ada")}));
  ASSERT_TRUE(routed.has_value()) << routed.error().message;
  EXPECT_TRUE(routed->created);
  EXPECT_EQ(routed->assignments.size(), 1u);
  // Handed out as created: its version and decision record come before the assignments.
  const auto handed = decode_create(array(
      {bulk("handed"), bulk("2"), bulk("push|longest_idle|5|3|9"), offer_entry("T-1", "ada")}));
  ASSERT_TRUE(handed.has_value()) << handed.error().message;
  EXPECT_TRUE(handed->created);
  ASSERT_EQ(handed->assignments.size(), 1u);
  EXPECT_EQ(handed->assignments[0].agent, "ada");
  const auto existing = decode_create(array({bulk("existing")}));
  ASSERT_TRUE(existing.has_value()) << existing.error().message;
  EXPECT_FALSE(existing->created);
}

// A call that handed nothing out answers its result alone (settle in routing/lua/include/push.lua).
TEST(DecodeCreate, ReadsABareResult) {
  const auto created = decode_create(bulk("created"));
  ASSERT_TRUE(created.has_value()) << created.error().message;
  EXPECT_TRUE(created->created);
  EXPECT_TRUE(created->assignments.empty());
  const auto existing = decode_create(bulk("existing"));
  ASSERT_TRUE(existing.has_value()) << existing.error().message;
  EXPECT_FALSE(existing->created);
}

TEST(DecodeCreate, ReadsThePushThatFollowed) {
  const auto r = decode_create(array({bulk("created"), offer_entry("T-1", "ada")}));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_EQ(r->assignments.size(), 1u);
  const auto& a = r->assignments[0];
  EXPECT_EQ(a.ticket, "T-1");
  EXPECT_EQ(a.agent, "ada");
  EXPECT_EQ(a.status, ticket_status::offered);
  EXPECT_EQ(a.token, "8");
  EXPECT_EQ(a.expires_at, t0 + 30'000);
  EXPECT_EQ(a.queued_at, t0 - 5'000);
}

TEST(DecodeCreate, MapsErrorRepliesToTheirCode) {
  const auto r = decode_create(error_reply("TICKETD_CONFLICT reason=payload"));
  ASSERT_TRUE(r.has_error());
  EXPECT_EQ(r.error().code, errc::conflict);
  EXPECT_EQ(r.error().detail("reason"), "payload");
}

TEST(DecodeCreate, MalformedRepliesAreInternal) {
  for (const auto& reply : {nil(), bulk("made"), integer(1), array({bulk("made")}), array({})}) {
    const auto r = decode_create(reply);
    ASSERT_TRUE(r.has_error());
    EXPECT_EQ(r.error().code, errc::internal);
  }
}

TEST(DecodeAction, ReadsTheNewVersionAsTextOrInteger) {
  const auto text = decode_action(array({bulk("7")}));
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(text->version, 7);
  const auto number = decode_action(array({integer(8)}));
  ASSERT_TRUE(number.has_value());
  EXPECT_EQ(number->version, 8);
  const auto bare_text = decode_action(bulk("9"));
  ASSERT_TRUE(bare_text.has_value());
  EXPECT_EQ(bare_text->version, 9);
  EXPECT_TRUE(bare_text->assignments.empty());
  const auto bare_number = decode_action(integer(1));
  ASSERT_TRUE(bare_number.has_value());
  EXPECT_EQ(bare_number->version, 1);
}

TEST(DecodeAction, ReadsAssignmentsAndSkipsMalformedEntries) {
  const auto r = decode_action(
      array({bulk("3"), assign_entry("T-2", "bob"), array({bulk("x")}), offer_entry("T-3", "cy")}));
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->assignments.size(), 2u);
  EXPECT_EQ(r->assignments[0].ticket, "T-2");
  EXPECT_EQ(r->assignments[0].status, ticket_status::assigned);
  EXPECT_TRUE(r->assignments[0].token.empty());
  EXPECT_FALSE(r->assignments[0].expires_at.has_value());
  EXPECT_EQ(r->assignments[1].agent, "cy");
}

TEST(DecodeAction, MapsErrorsAndMalformedReplies) {
  const auto bad = decode_action(error_reply("TICKETD_INVALID_TRANSITION status=closed"));
  ASSERT_TRUE(bad.has_error());
  EXPECT_EQ(bad.error().code, errc::invalid_transition);
  EXPECT_EQ(bad.error().detail("status"), "closed");
  const auto stale = decode_action(error_reply("TICKETD_STALE version=4"));
  ASSERT_TRUE(stale.has_error());
  EXPECT_EQ(stale.error().code, errc::stale);
  for (const auto& reply : {nil(), array({}), array({nil()}), array({array({})})}) {
    const auto r = decode_action(reply);
    ASSERT_TRUE(r.has_error());
    EXPECT_EQ(r.error().code, errc::internal);
  }
}

TEST(DecodeTicketReply, ReadsTicketMissingAndMalformed) {
  const auto ok = decode_ticket_reply("T-1", minimal_ticket("pending"));
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->id, "T-1");
  EXPECT_EQ(ok->status, ticket_status::pending);

  const auto missing = decode_ticket_reply("T-9", array({}));
  ASSERT_TRUE(missing.has_error());
  EXPECT_EQ(missing.error().code, errc::not_found);
  EXPECT_EQ(missing.error().detail("ticket"), "T-9");

  const auto malformed = decode_ticket_reply("T-1", integer(1));
  ASSERT_TRUE(malformed.has_error());
  EXPECT_EQ(malformed.error().code, errc::internal);
}

TEST(DecodeNext, NilMeansNothingWaits) {
  for (const auto& reply : {nil(), array({nil()})}) {
    const auto r = decode_next(reply);
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(r->id.has_value());
  }
}

TEST(DecodeNext, ReadsABareId) {
  const auto r = decode_next(bulk("T-7"));
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->id.has_value());
  EXPECT_EQ(*r->id, "T-7");
  EXPECT_TRUE(r->assignments.empty());
}

TEST(DecodeNext, ReadsTheAssignedTicketsId) {
  const auto r = decode_next(array({bulk("T-7"), offer_entry("T-8", "ada")}));
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->id.has_value());
  EXPECT_EQ(*r->id, "T-7");
  ASSERT_EQ(r->assignments.size(), 1u);
  EXPECT_EQ(r->assignments[0].ticket, "T-8");
}

TEST(DecodeNext, MapsErrorsAndMalformedReplies) {
  const auto full = decode_next(error_reply("TICKETD_CAPACITY_EXCEEDED load=5 max=5"));
  ASSERT_TRUE(full.has_error());
  EXPECT_EQ(full.error().code, errc::capacity_exceeded);
  EXPECT_EQ(full.error().detail("max"), "5");
  for (const auto& reply : {bulk(""), integer(3), array({bulk("")}), array({})}) {
    const auto r = decode_next(reply);
    ASSERT_TRUE(r.has_error());
    EXPECT_EQ(r.error().code, errc::internal);
  }
}

TEST(DecodeAgentReply, ReadsAgentErrorAndMalformed) {
  const auto ok = decode_agent_reply("ada", agent_reply({{"n", "Ada"}, {"st", "online"}}, {"T-1"}));
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->value.tickets, (strings{"T-1"}));
  EXPECT_TRUE(ok->assignments.empty());
  auto with_push = agent_reply({{"n", "Ada"}, {"st", "online"}}, {});
  with_push.elements.push_back(offer_entry("T-4", "ada"));
  const auto pushed = decode_agent_reply("ada", with_push);
  ASSERT_TRUE(pushed.has_value());
  ASSERT_EQ(pushed->assignments.size(), 1u);
  EXPECT_EQ(pushed->assignments[0].ticket, "T-4");
  const auto missing = decode_agent_reply("ada", error_reply("TICKETD_NOT_FOUND agent=ada"));
  ASSERT_TRUE(missing.has_error());
  EXPECT_EQ(missing.error().code, errc::not_found);
  const auto malformed = decode_agent_reply("ada", array({}));
  ASSERT_TRUE(malformed.has_error());
  EXPECT_EQ(malformed.error().code, errc::internal);
}

resp_value stats_row(std::int64_t depth, std::int64_t oldest, std::string head, std::int64_t online,
                     std::int64_t available, std::int64_t used = 0, std::int64_t capacity = 0) {
  return array({integer(depth), integer(oldest), bulk(std::move(head)), integer(online),
                integer(available), integer(used), integer(capacity), integer(depth > 1 ? 1 : 0),
                integer(depth > 0 ? 90 : -1)});
}

TEST(DecodeQueueStats, ReadsRowsByNameAndAgentsByStatus) {
  const strings names{"billing", "general"};
  const auto r = decode_queue_stats(
      names,
      array({array({stats_row(3, 1'795'341'600, "1795345200000500", 2, 1, 7, 20),
                    stats_row(0, -1, "", 0, 0)}),
             array({integer(4), integer(1), integer(2)}),
             array({array({bulk("phone"), integer(3), integer(2), integer(2), integer(1)})})}));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_EQ(r->queues.size(), 2u);
  const auto& billing = r->queues[0];
  EXPECT_EQ(billing.name, "billing");
  EXPECT_EQ(billing.depth, 3);
  EXPECT_EQ(billing.oldest_enqueued_s, 1'795'341'600);
  ASSERT_TRUE(billing.head_score.has_value());
  EXPECT_DOUBLE_EQ(*billing.head_score, 1795345200000500.0);
  EXPECT_EQ(billing.agents_online, 2);
  EXPECT_EQ(billing.agents_available, 1);
  EXPECT_EQ(billing.units_used, 7);
  EXPECT_EQ(billing.at_risk, 1);
  EXPECT_EQ(billing.expected_wait_s, 90);
  EXPECT_EQ(billing.units_capacity, 20);
  ASSERT_EQ(r->channels.size(), 1u);
  EXPECT_EQ(r->channels[0].name, "phone");
  EXPECT_EQ(r->channels[0].online, 3);
  EXPECT_EQ(r->channels[0].away, 2);
  EXPECT_EQ(r->channels[0].offline, 2);
  EXPECT_EQ(r->channels[0].wrap_ups, 1);
  const auto& general = r->queues[1];
  EXPECT_EQ(general.name, "general");
  EXPECT_EQ(general.depth, 0);
  EXPECT_FALSE(general.oldest_enqueued_s.has_value());
  EXPECT_FALSE(general.head_score.has_value());
  EXPECT_FALSE(general.expected_wait_s.has_value());
  EXPECT_EQ(r->agents_online, 4);
  EXPECT_EQ(r->agents_away, 1);
  EXPECT_EQ(r->agents_offline, 2);
}

TEST(DecodeQueueStats, MapsErrorsAndMalformedReplies) {
  const strings names{"billing"};
  const auto by_status = array({integer(0), integer(0), integer(0)});
  const auto e = decode_queue_stats(names, error_reply("TICKETD_UNAVAILABLE"));
  ASSERT_TRUE(e.has_error());
  EXPECT_EQ(e.error().code, errc::unavailable);
  for (const auto& reply : {
           nil(),
           array({array({}), by_status, array({})}),  // a row missing
           array({array({stats_row(1, 1, "", 0, 0), stats_row(1, 1, "", 0, 0)}), by_status,
                  array({})}),
           array({array({array({integer(1), integer(1)})}), by_status, array({})}),  // short row
           array({array({stats_row(1, 1, "", 0, 0)}), array({integer(0)}), array({})}),
           array({array({stats_row(1, 1, "", 0, 0)}), by_status}),  // no channels
           array({array({stats_row(1, 1, "", 0, 0)}), by_status, array({array({bulk("x")})})}),
       }) {
    const auto r = decode_queue_stats(names, reply);
    ASSERT_TRUE(r.has_error());
    EXPECT_EQ(r.error().code, errc::internal);
  }
}

TEST(DecodeQueueHead, ReadsDepthOldestAndTicketsInOrder) {
  const auto r = decode_queue_head(
      array({integer(5), integer(1'795'341'600),
             array({array({bulk("T-1"), minimal_ticket()}), array({bulk("T-2"), minimal_ticket()}),
                    // A dangling entry (no hash) is skipped; verify reports it.
                    array({bulk("T-3"), array({})})})}));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->depth, 5);
  EXPECT_EQ(r->oldest_enqueued_s, 1'795'341'600);
  ASSERT_EQ(r->tickets.size(), 2u);
  EXPECT_EQ(r->tickets[0].id, "T-1");
  EXPECT_EQ(r->tickets[1].id, "T-2");
  const auto empty = decode_queue_head(array({integer(0), integer(-1), array({})}));
  ASSERT_TRUE(empty.has_value());
  EXPECT_FALSE(empty->oldest_enqueued_s.has_value());
  EXPECT_TRUE(empty->tickets.empty());
}

TEST(DecodeQueueHead, MapsErrorsAndMalformedReplies) {
  const auto e = decode_queue_head(error_reply("TICKETD_NOT_FOUND queue=x"));
  ASSERT_TRUE(e.has_error());
  EXPECT_EQ(e.error().code, errc::not_found);
  for (const auto& reply :
       {nil(), array({integer(0), integer(-1)}), array({integer(0), integer(-1), bulk("x")}),
        array({integer(1), integer(-1), array({array({bulk("T-1")})})})}) {
    const auto r = decode_queue_head(reply);
    ASSERT_TRUE(r.has_error());
    EXPECT_EQ(r.error().code, errc::internal);
  }
}

TEST(DecodeTick, ReadsFiredAndNextDue) {
  const auto r =
      decode_tick(array({array({integer(3), integer(t0 + 1000), integer(1), integer(2),
                                array({bulk("sla.breached|billing|first_reply"), bulk("followup"),
                                       bulk("resolved|unresponsive"), bulk("closed"),
                                       bulk("sla.warning"), bulk("something-new")})}),
                         assign_entry("T-5", "ada")}));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->fired, 3);
  EXPECT_EQ(r->next_due, t0 + 1000);
  EXPECT_EQ(r->offer_timeouts, 1);
  EXPECT_EQ(r->overflows, 2);
  ASSERT_EQ(r->assignments.size(), 1u);
  using kind = timer_note::kind;
  // Malformed and unknown notes are skipped.
  EXPECT_EQ(r->notes, (std::vector<timer_note>{{kind::sla_breached, "billing", "first_reply"},
                                               {kind::followup, "", ""},
                                               {kind::resolved, "", "unresponsive"},
                                               {kind::closed, "", ""}}));
  const auto idle =
      decode_tick(array({array({integer(0), integer(-1), integer(0), integer(0), array({})})}));
  ASSERT_TRUE(idle.has_value());
  EXPECT_EQ(idle->fired, 0);
  EXPECT_FALSE(idle->next_due.has_value());
}

TEST(DecodeTick, MapsErrorsAndMalformedReplies) {
  const auto e = decode_tick(error_reply("ERR Function not found"));
  ASSERT_TRUE(e.has_error());
  EXPECT_EQ(e.error().code, errc::internal);
  EXPECT_EQ(e.error().message, "ERR Function not found");
  const auto malformed = decode_tick(array({integer(3), integer(-1)}));
  ASSERT_TRUE(malformed.has_error());
  EXPECT_EQ(malformed.error().code, errc::internal);
}

TEST(DecodeVerify, ReadsViolationsForcedAndCounts) {
  const auto r = decode_verify(
      array({array({bulk("agent ada load 3 but holds 2 counted tickets")}),
             array({bulk("agent bob load 6 above max 5")}), integer(10), integer(2)}));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->violations, (strings{"agent ada load 3 but holds 2 counted tickets"}));
  EXPECT_EQ(r->forced, (strings{"agent bob load 6 above max 5"}));
  EXPECT_EQ(r->tickets_checked, 10);
  EXPECT_EQ(r->agents_checked, 2);
}

TEST(DecodeVerify, MapsErrorsAndMalformedReplies) {
  const auto e = decode_verify(error_reply("TICKETD_FORBIDDEN"));
  ASSERT_TRUE(e.has_error());
  EXPECT_EQ(e.error().code, errc::forbidden);
  const auto malformed = decode_verify(array({array({}), array({}), integer(0)}));
  ASSERT_TRUE(malformed.has_error());
  EXPECT_EQ(malformed.error().code, errc::internal);
}

}  // namespace
}  // namespace ticketd::routing
