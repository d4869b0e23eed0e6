// Stream entries as the feeds deliver them: decoding, who they concern, their JSON.
#include "daemon/events/stream_event.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "tests/unit/routing/test_support.hpp"

namespace ticketd::daemon {
namespace {

using routing::resp_value;

using test::array;
using test::bulk;

resp_value entry(std::string id, std::vector<std::string> kv) {
  std::vector<resp_value> fields;
  for (auto& s : kv) fields.push_back(bulk(std::move(s)));
  return array({bulk(std::move(id)), array(std::move(fields))});
}

TEST(StreamEvents, DecodeXrangeEntriesSkippingMalformedOnes) {
  const auto events = decode_entries(array({
      entry("1-0",
            {"type", "ticket.offered", "ticket", "T-1", "agent", "ada", "at", "1795424400000"}),
      array({bulk("2-0")}),
      entry("3-1", {"type", "agent.status", "agent", "bob", "status", "away"}),
  }));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].id, "1-0");
  EXPECT_EQ(events[0].type, "ticket.offered");
  EXPECT_EQ(events[0].field("agent"), "ada");
  EXPECT_EQ(events[0].field("missing"), "");
  EXPECT_EQ(events[1].field("status"), "away");
}

// The library writes an event as one field named by its type (include/events.lua); separate
// fields only when a free-text value holds the separator, and entries written before the packing
// are separate too.
TEST(StreamEvents, DecodePackedEntriesAsTheSeparateFieldsTheyStandFor) {
  const auto events = decode_entries(array({
      entry("1-0", {"ticket.resolved",
                    "T-1\x1f"
                    "1795424400000\x1freason\x1f"
                    "agent\x1f"
                    "agent\x1f"
                    "ada"}),
      entry("2-0", {"agent.ready",
                    "bob\x1f"
                    "1795424400001"}),
      entry("3-0", {"ticket.queued",
                    "T-2\x1f"
                    "1795424400002\x1fqueue\x1f"}),
      entry("4-0", {"type", "ticket.resolved", "ticket", "T-3", "at", "1795424400003", "reason",
                    "a\x1f"
                    "b",
                    "agent", "ada"}),
      entry("5-0", {"agent.wrap_up",
                    "ada\x1f"
                    "1795424400004\x1fticket\x1fT-4"}),
  }));
  ASSERT_EQ(events.size(), 5u);
  const std::vector<std::pair<std::string, std::string>> resolved{
      {"ticket", "T-1"}, {"at", "1795424400000"}, {"reason", "agent"}, {"agent", "ada"}};
  EXPECT_EQ(events[0].type, "ticket.resolved");
  EXPECT_EQ(events[0].fields, resolved);
  // The subject of an agent.* event is the agent.
  EXPECT_EQ(events[1].type, "agent.ready");
  EXPECT_EQ(events[1].field("agent"), "bob");
  EXPECT_EQ(events[1].field("at"), "1795424400001");
  EXPECT_EQ(events[1].fields.size(), 2u);
  // An empty value is a value.
  EXPECT_EQ(events[2].field("queue"), "");
  EXPECT_EQ(events[2].fields.size(), 3u);
  EXPECT_EQ(events[3].field("reason"),
            "a\x1f"
            "b");
  EXPECT_EQ(events[4].field("agent"), "ada");
  EXPECT_EQ(events[4].field("ticket"), "T-4");
  EXPECT_EQ(agents_of(events[4]), std::vector<std::string_view>{"ada"});
  // Both forms give the same JSON.
  EXPECT_EQ(event_data_json(events[0], true),
            event_data_json(decode_entries(array({entry(
                                "1-0", {"type", "ticket.resolved", "ticket", "T-1", "at",
                                        "1795424400000", "reason", "agent", "agent", "ada"})}))[0],
                            true));
}

// The library writes none of these; each still makes an event, so that a reader moves past it
// (an empty batch would look like the end of the stream).
TEST(StreamEvents, PackedEntriesShortOfPartsStillMakeEvents) {
  const auto events = decode_entries(array({
      entry("1-0", {"ticket.queued", "T-1"}),  // no time
      entry("2-0", {"ticket.queued",
                    "T-1\x1f"
                    "1795424400000\x1fqueue"}),
      entry("3-0", {"agent.ready", ""}),
  }));
  ASSERT_EQ(events.size(), 3u);
  const std::vector<std::pair<std::string, std::string>> no_time{{"ticket", "T-1"}};
  EXPECT_EQ(events[0].fields, no_time);
  const std::vector<std::pair<std::string, std::string>> no_value{
      {"ticket", "T-1"}, {"at", "1795424400000"}, {"queue", ""}};
  EXPECT_EQ(events[1].fields, no_value);
  EXPECT_EQ(events[2].type, "agent.ready");
  EXPECT_EQ(events[2].field("agent"), "");
  EXPECT_EQ(newest_stream_id(array({entry("4-0", {"ticket.queued", "T-1"})})), "4-0");
}

TEST(StreamEvents, DecodeXreadOfOneStream) {
  const auto reply =
      array({array({bulk("ticketd:{w}:events"), array({entry("5-0", {"type", "x"})})})});
  const auto events = decode_xread(reply);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].id, "5-0");
  resp_value nil;
  EXPECT_TRUE(decode_xread(nil).empty());
}

TEST(StreamEvents, TheNewestIdOfAnXrevrangeReply) {
  EXPECT_EQ(newest_stream_id(array({entry("1795424400123-4", {"type", "ticket.queued"})})),
            "1795424400123-4");
  // An empty or missing stream: everything from the start is new.
  EXPECT_EQ(newest_stream_id(array({})), "0-0");
  resp_value nil;
  EXPECT_EQ(newest_stream_id(nil), "0-0");
}

TEST(StreamEvents, ParseStreamIds) {
  EXPECT_EQ(parse_stream_id("1795424400000-7"),
            (std::pair<std::uint64_t, std::uint64_t>{1795424400000, 7}));
  EXPECT_EQ(parse_stream_id("0"), (std::pair<std::uint64_t, std::uint64_t>{0, 0}));
  for (std::string_view bad : {"", "-", "1-", "-1", "x-1", "1-x", "1-2-3", "yesterday"}) {
    EXPECT_FALSE(parse_stream_id(bad).has_value()) << bad;
  }
}

TEST(StreamEvents, ConcernTheNamedAgentAndTheOneATicketWasTakenFrom) {
  stream_event offered{"1-0", "ticket.offered", {{"ticket", "T-1"}, {"agent", "ada"}}};
  EXPECT_EQ(agents_of(offered), (std::vector<std::string_view>{"ada"}));
  stream_event transferred{
      "1-1", "ticket.transferred", {{"queue", "b"}, {"from", "a"}, {"holder", "bob"}}};
  EXPECT_EQ(agents_of(transferred), (std::vector<std::string_view>{"bob"}));
  stream_event reassigned{
      "1-2", "ticket.assigned", {{"agent", "ada"}, {"via", "reassign"}, {"from", "bob"}}};
  EXPECT_EQ(agents_of(reassigned), (std::vector<std::string_view>{"ada", "bob"}));
  stream_event queued{"1-3", "ticket.queued", {{"ticket", "T-1"}, {"holder", ""}}};
  EXPECT_TRUE(agents_of(queued).empty());
}

TEST(StreamEvents, DataJsonRendersTimesCountsAndSkipsEmpties) {
  stream_event e{
      "9-0",
      "ticket.followup_due",
      {{"ticket", "T-1"}, {"at", "1795424400000"}, {"attempt", "2"}, {"of", "3"}, {"reason", ""}}};
  const auto data = boost::json::parse(event_data_json(e, false)).as_object();
  EXPECT_EQ(data.at("ticket").as_string(), "T-1");
  EXPECT_EQ(data.at("at").as_string(), "2026-11-23T09:00:00.000Z");
  EXPECT_EQ(data.at("attempt").as_int64(), 2);
  EXPECT_EQ(data.at("of").as_int64(), 3);
  EXPECT_FALSE(data.contains("reason"));
  EXPECT_FALSE(data.contains("type"));
  const auto frame = boost::json::parse(event_data_json(e, true)).as_object();
  EXPECT_EQ(frame.at("type").as_string(), "ticket.followup_due");
  EXPECT_EQ(frame.at("id").as_string(), "9-0");
}

TEST(StreamEvents, SseRecordHasIdEventAndData) {
  stream_event e{"9-0", "ticket.queued", {{"ticket", "T-1"}}};
  EXPECT_EQ(sse_record(e), "id: 9-0\nevent: ticket.queued\ndata: {\"ticket\":\"T-1\"}\n\n");
}

}  // namespace
}  // namespace ticketd::daemon
