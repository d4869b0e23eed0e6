#include "daemon/api/json_writer.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>

namespace ticketd::daemon::api {
namespace {

std::string json_quoted(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

TEST(JsonWriter, WritesEmptyContainers) {
  std::string out;
  json_writer(out).begin_object().end_object();
  EXPECT_EQ(out, "{}");
  out.clear();
  json_writer(out).begin_array().end_array();
  EXPECT_EQ(out, "[]");
}

TEST(JsonWriter, SeparatesItemsWithCommasAtEveryNestingLevel) {
  std::string out;
  json_writer w(out);
  w.begin_object();
  w.field("a", 1);
  w.key("b").begin_array();
  w.number(std::int64_t{1}).number(std::int64_t{2});
  w.begin_object().key("c").null().end_object();
  w.begin_array().end_array();
  w.end_array();
  w.key("d").begin_object().field("e", true).field("f", "x").end_object();
  w.key("g").begin_object().end_object();
  w.field("h", false);
  w.end_object();
  EXPECT_EQ(out, R"({"a":1,"b":[1,2,{"c":null},[]],"d":{"e":true,"f":"x"},"g":{},"h":false})");
  boost::system::error_code ec;
  boost::json::parse(out, ec);
  EXPECT_FALSE(ec) << out;
}

TEST(JsonWriter, SeparatesSiblingContainersInAnArray) {
  std::string out;
  json_writer w(out);
  w.begin_array();
  for (int i = 0; i < 3; ++i) w.begin_object().field("i", i).end_object();
  w.end_array();
  EXPECT_EQ(out, R"([{"i":0},{"i":1},{"i":2}])");
}

TEST(JsonWriter, KeepsCommaStateAcrossDeepNesting) {
  std::string out;
  json_writer w(out);
  w.begin_array();
  for (int depth = 0; depth < 20; ++depth) w.begin_array().number(std::int64_t{depth});
  for (int depth = 0; depth < 20; ++depth) w.end_array().number(std::int64_t{-depth});
  w.end_array();
  boost::system::error_code ec;
  boost::json::parse(out, ec);
  ASSERT_FALSE(ec) << out;
  EXPECT_TRUE(out.starts_with("[[0,[1,[2,")) << out;
  EXPECT_TRUE(out.ends_with("],-18],-19]")) << out;
}

TEST(AppendJsonString, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(json_quoted(""), R"("")");
  EXPECT_EQ(json_quoted("plain"), R"("plain")");
  EXPECT_EQ(json_quoted("say \"hi\""), R"("say \"hi\"")");
  EXPECT_EQ(json_quoted("C:\\tmp"), R"("C:\\tmp")");
  EXPECT_EQ(json_quoted("a\nb\rc\td"), R"("a\nb\rc\td")");
  EXPECT_EQ(json_quoted(std::string_view{"\x00\x01\x08\x0c\x1f", 5}),
            R"("\u0000\u0001\u0008\u000c\u001f")");
  EXPECT_EQ(json_quoted("\x7f/"), "\"\x7f/\"");
}

// The escaping rules written out byte by byte, to hold the word-at-a-time scan against.
std::string reference_quoted(std::string_view text) {
  std::string out = "\"";
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20) {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    } else {
      out += ch;
    }
  }
  return out + '"';
}

TEST(AppendJsonString, FindsEveryCharacterToEscapeAtEveryPosition) {
  // Bytes either side of each class boundary, UTF-8 lead and continuation bytes among them.
  const std::string probes{"\x00\x01\x1f\x20\x21\x22\x23\x5b\x5c\x5d\x7f\x80\x9f\xa0\xc3\xff\n",
                           17};
  for (std::size_t length = 1; length <= 40; ++length) {
    for (std::size_t pos = 0; pos < length; ++pos) {
      for (const char probe : probes) {
        std::string text(length, 'a');
        text[pos] = probe;
        ASSERT_EQ(json_quoted(text), reference_quoted(text))
            << "length " << length << ", byte " << int(static_cast<unsigned char>(probe)) << " at "
            << pos;
      }
    }
  }
  // Characters needing escapes next to each other and at both ends of 8-byte words.
  const std::string mixed{"\"\x01\xe2\x82\xac\\\x1f\"abcdefgh\x7f\x20\x00", 20};
  for (std::size_t start = 0; start < mixed.size(); ++start) {
    const auto text = std::string_view(mixed).substr(start);
    EXPECT_EQ(json_quoted(text), reference_quoted(text)) << "from " << start;
  }
}

TEST(AppendJsonString, PassesUnicodeThrough) {
  EXPECT_EQ(json_quoted("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  const std::string json = json_quoted("\xc3\xb1\n\"\\\x01");
  boost::system::error_code ec;
  const auto v = boost::json::parse(json, ec);
  ASSERT_FALSE(ec) << json;
  EXPECT_EQ(v.as_string(), "\xc3\xb1\n\"\\\x01");
}

// Keys from data (attribute names, event fields) are escaped like values.
TEST(JsonWriter, EscapesKeysToo) {
  std::string out;
  const std::string name = "a\"b";
  json_writer(out).begin_object().field(name, 1).end_object();
  EXPECT_EQ(out, R"({"a\"b":1})");
}

// Keys written in the code are copied as they are, among the rest.
TEST(JsonWriter, LiteralKeysAreCopiedAsTheyAre) {
  std::string out;
  json_writer w(out);
  w.begin_object().field("id", "T-1").key("queues").begin_array().string("a").end_array();
  w.key(std::string_view{"x"}).number(std::int64_t{2}).end_object();
  EXPECT_EQ(out, R"({"id":"T-1","queues":["a"],"x":2})");
}

// A literal key that would need escaping is a mistake in the code: debug builds stop on it.
TEST(JsonWriterDeathTest, ALiteralKeyThatNeedsEscapingStopsADebugBuild) {
  std::string out;
  EXPECT_DEBUG_DEATH(json_writer(out).begin_object().key("a\"b"), "plain name");
}

TEST(JsonWriter, WritesNumbers) {
  std::string out;
  json_writer w(out);
  w.begin_array();
  w.number(std::int64_t{0});
  w.number(std::int64_t{-42});
  w.number(std::numeric_limits<std::int64_t>::max());
  w.number(std::numeric_limits<std::int64_t>::min());
  w.number(0.5);
  w.number(-2.25);
  w.number(1.0);
  w.number(0.1);
  w.end_array();
  EXPECT_EQ(out, "[0,-42,9223372036854775807,-9223372036854775808,0.5,-2.25,1,0.1]");
}

TEST(JsonWriter, FieldShorthandsPickTheJsonType) {
  std::string out;
  json_writer w(out);
  const std::string s = "str";
  w.begin_object()
      .field("sv", std::string_view{"v"})
      .field("s", s)
      .field("c", "lit")
      .field("i", -3)
      .field("u", 4u)
      .field("z", std::size_t{5})
      .field("l", std::int64_t{6})
      .field("d", 2.5)
      .field("b", true)
      .end_object();
  EXPECT_EQ(out, R"({"sv":"v","s":"str","c":"lit","i":-3,"u":4,"z":5,"l":6,"d":2.5,"b":true})");
}

TEST(JsonWriter, WritesNullRawTimestampsAndStringLists) {
  std::string out;
  json_writer w(out);
  const std::vector<std::string> items{"a", "b\"c"};
  w.begin_object();
  w.key("n").null();
  w.key("raw").raw(R"({"x":[1,2]})");
  w.key("at").timestamp(1'795'341'600'000);
  w.key("maybe").optional_timestamp(std::nullopt);
  w.key("when").optional_timestamp(std::int64_t{-1});
  w.key("who").optional_string(std::nullopt);
  w.key("name").optional_string(std::string{"Ada"});
  w.key("list").strings(items);
  w.key("empty").strings({});
  w.end_object();
  EXPECT_EQ(out, R"({"n":null,"raw":{"x":[1,2]},"at":"2026-11-22T10:00:00.000Z","maybe":null,)"
                 R"("when":"1969-12-31T23:59:59.999Z","who":null,"name":"Ada","list":["a","b\"c"],)"
                 R"("empty":[]})");
}

// The output grows while containers are open and holds exactly the text once the outermost
// one is closed: long and escaped strings across many growths read back as written.
TEST(JsonWriter, HoldsExactlyTheTextOnceTheOutermostValueIsComplete) {
  std::string out;
  std::vector<std::string> written;
  {
    json_writer w(out);
    w.begin_array();
    for (int i = 0; i < 300; ++i) {
      std::string text(static_cast<std::size_t>(i % 97), 'a');
      if (i % 3 == 0) text += "\"\n\x01\\";
      written.push_back(text);
      w.begin_object().field("i", i).field("text", text).end_object();
    }
    w.end_array();
    EXPECT_EQ(out.size(), std::strlen(out.c_str()));
    EXPECT_EQ(out.back(), ']');
  }
  boost::system::error_code ec;
  const auto v = boost::json::parse(out, ec);
  ASSERT_FALSE(ec) << out;
  const auto& items = v.as_array();
  ASSERT_EQ(items.size(), written.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(items[i].at("text").as_string(), written[i]) << i;
  }
}

// A complete value leaves the output exact; a writer that goes away mid-document leaves only
// what it wrote.
TEST(JsonWriter, ACompleteValueAndAnAbandonedWriterLeaveTheOutputExact) {
  std::string out;
  json_writer w(out);
  w.begin_object().field("s", "a\tb");
  EXPECT_GT(out.size(), std::string_view{R"({"s":"a\tb")"}.size());  // room kept while open
  w.end_object();
  EXPECT_EQ(out, R"({"s":"a\tb"})");
  std::string partial;
  json_writer(partial).begin_object().field("x", 1);
  EXPECT_EQ(partial, R"({"x":1)");
}

// Once a value is complete the string is the caller's again: what it appends stays, a string
// moved away is not written to when the writer goes, and a cleared one is written from its
// start. Each value starts afresh: no comma joins two top-level values.
TEST(JsonWriter, TheCallersChangesAfterACompleteValueStand) {
  std::string out;
  {
    json_writer w(out);
    w.begin_object().field("a", 1).end_object();
    out += "\n";
    w.begin_object().field("b", 2).end_object();
    out += "\n";
  }
  EXPECT_EQ(out, "{\"a\":1}\n{\"b\":2}\n");

  std::string moved;
  std::string body;
  {
    json_writer w(body);
    w.begin_object().field("id", "T-1").end_object();
    moved = std::move(body);
    body.clear();
  }
  EXPECT_EQ(moved, R"({"id":"T-1"})");
  EXPECT_TRUE(body.empty());

  std::string again;
  json_writer w(again);
  w.begin_array().string(std::string(200, 'x')).end_array();
  again.clear();
  w.begin_array().end_array();
  EXPECT_EQ(again, "[]");
}

TEST(JsonWriter, AppendsToExistingOutput) {
  std::string out = "data: ";
  json_writer(out).begin_object().field("a", 1).end_object();
  EXPECT_EQ(out, R"(data: {"a":1})");
}

}  // namespace
}  // namespace ticketd::daemon::api
