// Helpers shared by the routing and daemon unit tests: RESP values built by hand, commands
// decoded back into their arguments, a small hand-built configuration, source files read by path.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "routing/resp.hpp"

namespace ticketd::test {

using routing::resp_value;

inline resp_value bulk(std::string text) {
  resp_value v;
  v.type = resp_value::kind::string;
  v.str = std::move(text);
  return v;
}

inline resp_value integer(std::int64_t n) {
  resp_value v;
  v.type = resp_value::kind::integer;
  v.integer = n;
  return v;
}

inline resp_value error_reply(std::string text) {
  resp_value v;
  v.type = resp_value::kind::error;
  v.str = std::move(text);
  return v;
}

inline resp_value nil() { return resp_value{}; }

inline resp_value array(std::vector<resp_value> elements) {
  resp_value v;
  v.type = resp_value::kind::array;
  v.elements = std::move(elements);
  return v;
}

// A HGETALL-form reply whose values are all bulk strings.
inline resp_value hash(std::initializer_list<std::pair<std::string, std::string>> fields) {
  std::vector<resp_value> out;
  for (const auto& [name, value] : fields) {
    out.push_back(bulk(name));
    out.push_back(bulk(value));
  }
  return array(std::move(out));
}

// Decodes the RESP array of bulk strings a command encodes to; fails the test when the bytes
// are not exactly that.
inline std::vector<std::string> argv_of(const routing::command& cmd) {
  const std::string bytes = cmd.encoded();
  std::vector<std::string> argv;
  std::size_t pos = 0;
  auto read_line = [&]() -> std::string {
    const auto end = bytes.find("\r\n", pos);
    if (end == std::string::npos) {
      ADD_FAILURE() << "missing CRLF in " << bytes;
      pos = bytes.size();
      return {};
    }
    std::string line = bytes.substr(pos, end - pos);
    pos = end + 2;
    return line;
  };
  const std::string head = read_line();
  if (head.empty() || head[0] != '*') {
    ADD_FAILURE() << "not a RESP array: " << bytes;
    return argv;
  }
  const auto count = std::stoul(head.substr(1));
  for (std::size_t i = 0; i < count && pos < bytes.size(); ++i) {
    const std::string len = read_line();
    if (len.empty() || len[0] != '$') {
      ADD_FAILURE() << "argument " << i << " is not a bulk string in " << bytes;
      return argv;
    }
    const auto n = std::stoul(len.substr(1));
    argv.push_back(bytes.substr(pos, n));
    pos += n;
    if (bytes.compare(pos, 2, "\r\n") != 0) ADD_FAILURE() << "bulk string " << i << " not ended";
    pos += 2;
  }
  EXPECT_EQ(argv.size(), count) << bytes;
  EXPECT_EQ(pos, bytes.size()) << "trailing bytes in " << bytes;
  EXPECT_EQ(cmd.size(), count);
  return argv;
}

// The function arguments of an FCALL: ARGV[i] as the Lua contract numbers them (1-based).
// argv_of gives {FCALL, name, numkeys, KEYS[1], ARGV[1], ...}.
inline std::string lua_argv(const std::vector<std::string>& argv, std::size_t i) {
  constexpr std::size_t first_argv = 4;
  if (first_argv + i - 1 >= argv.size()) {
    ADD_FAILURE() << "no ARGV[" << i << "]: the command has " << argv.size() << " words";
    return {};
  }
  return argv[first_argv + i - 1];
}

inline std::size_t lua_argc(const std::vector<std::string>& argv) {
  return argv.size() < 4 ? 0 : argv.size() - 4;
}

// A file of the source tree (TICKETD_SOURCE_DIR is defined for the unit test binary).
inline std::string read_source_file(std::string_view relative) {
  const std::string path = std::string{TICKETD_SOURCE_DIR} + "/" + std::string{relative};
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline constexpr std::int64_t hour_ms = 3'600'000;
inline constexpr std::int64_t day_ms = 24 * hour_ms;
// 2026-11-22T10:00:00.000Z
inline constexpr std::int64_t t0 = 1'795'341'600'000;

inline config::queue_config make_queue(std::string name, double wait_weight = 0,
                                       std::int64_t rank_offset_ms = 0) {
  config::queue_config q;
  q.name = std::move(name);
  q.wait_weight = wait_weight;
  q.rank_offset = config::millis{rank_offset_ms};
  return q;
}

inline config::routing_rule make_rule(config::routing_match when, std::optional<std::string> queue,
                                      std::optional<std::string> priority = std::nullopt) {
  config::routing_rule r;
  r.when = std::move(when);
  r.queue = std::move(queue);
  r.priority = std::move(priority);
  return r;
}

// Queues general (EDF), billing (half wait weight, favoured by a minute, escalates to tier2),
// tier2 and spanish; priorities urgent/high/normal/low of default_priorities(); no rules.
inline config::config sample_config() {
  config::config cfg;
  cfg.workspace = "acme";
  cfg.priorities = config::default_priorities();
  cfg.queues.push_back(make_queue("general"));
  auto billing = make_queue("billing", 0.5, -60'000);
  billing.escalate_to = "tier2";
  cfg.queues.push_back(std::move(billing));
  cfg.queues.push_back(make_queue("tier2", 2.0, 1000));
  cfg.queues.push_back(make_queue("spanish"));
  cfg.defaults = {"general", "normal"};
  return cfg;
}

}  // namespace ticketd::test
