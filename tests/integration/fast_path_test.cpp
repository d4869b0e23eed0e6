// The functions' fast paths (next from one shared queue, resolve of a held ticket: written out
// command by command beside the general path, routing/lua/functions/next.lua and resolve.lua)
// against the general path. The same lifecycle runs twice from an empty Redis, once with the
// library as shipped and once with FAST_PATHS off; every answer and every key must come out the
// same.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "routing/lua_library.hpp"
#include "tests/integration/engine_fixture.hpp"

namespace ticketd::testing {
namespace {

using routing::ticket_action;

// SLA warnings (stages w1..w3), follow-ups (fc and the lifecycle slot), overflow (qs) and a
// second pull queue; `desk` adds a push queue, which sends agent changes through their records.
std::string config(bool with_push) {
  std::string yaml = R"(
workspace: test
sla:
  warn_before: 15m
priorities:
  urgent: {first_reply: 1h, next_reply: 1h, resolution: 4h}
  normal: {first_reply: 8h, next_reply: 8h, resolution: 3d}
agents: {max_concurrent: 3}
queues:
  general: {mode: pull, overflow: [{after: 30m, to: backup}]}
  backup: {mode: pull}
)";
  if (with_push) yaml += "  desk: {mode: push}\n";
  yaml += R"(lifecycle:
  affinity_wait: 2h
  customer_affinity: 7d
  pending: {followups: [1d, 3d], resolve_after: 4d}
  resolved: {reopen_window: 7d, close_after: 7d}
defaults: {queue: general, priority: normal}
)";
  return yaml;
}

std::string library(bool fast_paths) {
  std::string source{routing::lua::library_source()};
  if (fast_paths) return source;
  const std::string on = "local FAST_PATHS = true";
  const auto at = source.find(on);
  if (at == std::string::npos || source.find(on, at + 1) != std::string::npos) return {};
  source.replace(at, on.size(), "local FAST_PATHS = false");
  return source;
}

// The library as shipped, with each fast path counting the calls it took in the key
// <workspace prefix>fast:<name>: the comparison below cannot tell a fast path that has stopped
// taking its calls (both runs would then take the general path) from one that takes them.
std::string counting_library() {
  std::string source{routing::lua::library_source()};
  for (const auto& [call, name] :
       {std::pair<std::string, std::string>{"FAST_PATHS and assign_waiting(c, a, best)", "next"},
        {"FAST_PATHS and resolve_held(c, id, if_match, expect, reason, reopen_until, close_at)",
         "resolve"}}) {
    const auto at = source.find(call);
    if (at == std::string::npos || source.find(call, at + 1) != std::string::npos) return {};
    source.replace(at, call.size(),
                   "(function(r) if r then redis.call('INCR', c.P .. 'fast:" + name +
                       "') end return r end)(" + call + ")");
  }
  return source;
}

class FastPaths : public EngineTest {
 protected:
  // Later tests in this binary run the library as shipped.
  void TearDown() override { load(library(true)); }

  void load(const std::string& source) {
    ASSERT_FALSE(source.empty()) << "the library text this test replaces is not there exactly once";
    auto r = redis({"FUNCTION", "LOAD", "REPLACE", source});
    ASSERT_FALSE(r.is_error()) << r.str;
  }

  template <class Outcome>
  static std::string said(const Outcome& r, const std::string& what) {
    if (!r) return what + " -> " + std::string{routing::code_name(r.error().code)};
    return what + " -> ok";
  }

  // After every step: what it answered, and every key as it then stands (a difference a later
  // step would overwrite still shows).
  void record(std::string line) {
    log_.push_back(std::move(line));
    states_.push_back(state());
  }

  void note(const std::string& what, const routing::outcome<routing::ticket>& r) {
    record(said(r, what) + (r ? " v" + std::to_string(r->version) : ""));
  }

  void take(const std::string& agent) {
    auto r = next(agent);
    std::string line = said(r, "next " + agent);
    if (r) line += *r ? " " + (**r).id + " v" + std::to_string((**r).version) : " nothing";
    record(line);
  }

  void resolve(const std::string& id, std::optional<std::int64_t> if_match = std::nullopt) {
    routing::action_request r;
    r.reason = "solved";
    note("resolve " + id, act(ticket_action::resolve, id, r, if_match));
  }

  // The whole lifecycle, from an empty Redis at t0; returns what every call answered.
  std::vector<std::string> scenario(bool with_push) {
    log_.clear();
    states_.clear();
    redis({"FLUSHALL"});
    clock_.set(t0);
    configure(config(with_push));
    for (const auto& [agent, queues] :
         std::vector<std::pair<std::string, std::vector<std::string>>>{
             {"ada", {"general", "backup"}}, {"bob", {"general"}}, {"cy", {"backup"}}}) {
      record(said(put_agent(agent, queues), "agent " + agent));
    }
    for (int i = 1; i <= 9; ++i) {
      // Each of its own customer: the fast paths keep the customer's agent as move() does.
      routing::create_request r;
      r.id = "T-" + std::to_string(i);
      r.priority = i % 3 == 0 ? "urgent" : "normal";
      r.customer = "c-" + std::to_string(i);
      record(said(create(r), "create " + r.id));
    }
    // Urgent tickets (T-3, T-6, T-9) rank first.
    take("bob");  // T-3, from general alone
    take("ada");  // T-6, from general or backup
    advance(20 * minute);
    take("bob");           // T-9
    advance(30 * minute);  // urgent first replies warned (w1); the rest overflowed to backup
    take("cy");            // T-1, waiting in general and backup (general path)
    take("ada");           // T-2, likewise
    take("ada");           // T-4
    take("bob");           // T-5: bob at 3
    take("bob");           // capacity_exceeded
    note("reply T-1", act(ticket_action::reply, "T-1", with_agent("cy")));  // pending, cadence on
    resolve("T-1");     // pending with a follow-up slot (not counted)
    resolve("T-2", 1);  // a stale If-Match
    resolve("T-9");     // assigned, first reply warned
    resolve("T-7");     // still waiting, in two queues (general path)
    note("postpone T-3", act(ticket_action::postpone, "T-3", until(now() + 3 * hour)));
    resolve("T-3");  // postponed (general path)
    note("customer-reply T-1", act(ticket_action::customer_reply, "T-1"));  // back to cy
    resolve("T-1");  // reopened: the resolution resumed, and pauses again
    note("reply T-6", act(ticket_action::reply, "T-6", with_agent("ada")));
    advance(day + minute);  // T-6's first follow-up falls due; more overflow
    resolve("T-6");         // pending, one follow-up sent
    resolve("T-2");         // assigned after a day: first reply breached
    take("cy");             // T-8
    take("cy");             // nothing left
    take("ada");
    resolve("T-5");
    // Tickets waiting under requirement sets: `next` takes them out of their set.
    record(said(put_agent("dan", {"general"}, {{"spanish", 2}}, 5), "agent dan"));
    for (const auto& [id, level] : {std::pair{"T-10", 1u}, std::pair{"T-11", 3u}}) {
      routing::create_request r;
      r.id = id;
      config::requirement spanish;
      spanish.skill = "spanish";
      spanish.level = level;
      spanish.relax_after = config::millis{hour};
      r.requirements = {spanish};
      record(said(create(r), std::string{"create "} + id));
    }
    take("dan");    // T-10, from its set
    take("dan");    // nothing: T-11 wants level 3
    advance(hour);  // T-11's requirement relaxes
    take("dan");    // T-11, now in the queue's own set
    const auto checked = verify();
    record(said(checked, "verify") +
           (checked ? " " + std::to_string(checked->violations.size()) : ""));
    return log_;
  }

  // How many calls the fast path `name` took (counting_library).
  std::int64_t taken(const std::string& name) {
    const auto keys = redis({"KEYS", "*fast:" + name}).elements;
    return keys.size() == 1 ? std::stoll(redis({"GET", keys[0].str}).str) : 0;
  }

  // Every key with its contents, in an order that does not depend on how they were written.
  std::map<std::string, std::string> state() {
    std::map<std::string, std::string> out;
    for (const auto& k : redis({"KEYS", "*"}).elements) {
      const auto type = redis({"TYPE", k.str}).str;
      std::vector<std::string> items;
      if (type == "hash") {
        const auto flat = redis({"HGETALL", k.str}).elements;
        for (std::size_t i = 0; i + 1 < flat.size(); i += 2) {
          items.push_back(flat[i].str + "=" + flat[i + 1].str);
        }
        std::sort(items.begin(), items.end());
      } else if (type == "zset") {
        for (const auto& e : redis({"ZRANGE", k.str, "0", "-1", "WITHSCORES"}).elements) {
          items.push_back(e.str);
        }
      } else if (type == "set") {
        for (const auto& e : redis({"SMEMBERS", k.str}).elements) items.push_back(e.str);
        std::sort(items.begin(), items.end());
      } else if (type == "stream") {  // entries in order, without their time-based ids
        for (const auto& entry : redis({"XRANGE", k.str, "-", "+"}).elements) {
          std::string fields;
          for (const auto& f : entry.elements[1].elements) fields += f.str + " ";
          items.push_back(fields);
        }
      } else {
        items.push_back(redis({"DUMP", k.str}).str);
      }
      std::string text = type + (redis({"PTTL", k.str}).integer > 0 ? " expiring:" : ":");
      for (const auto& item : items) text += " " + item;
      out[k.str] = text;
    }
    return out;
  }

  std::vector<std::string> log_;
  std::vector<std::map<std::string, std::string>> states_;
};

TEST_F(FastPaths, LeaveWhatTheGeneralPathLeaves) {
  for (const bool with_push : {false, true}) {
    SCOPED_TRACE(with_push ? "with a push queue" : "pull queues only");
    load(library(true));
    const auto fast_log = scenario(with_push);
    const auto fast_states = states_;
    load(library(false));
    const auto general_log = scenario(with_push);
    const auto& general_states = states_;

    EXPECT_EQ(fast_log, general_log);
    ASSERT_EQ(fast_states.size(), general_states.size());
    for (std::size_t step = 0; step < general_states.size(); ++step) {
      const auto& fast = fast_states[step];
      for (const auto& [k, text] : general_states[step]) {
        const auto it = fast.find(k);
        ASSERT_NE(it, fast.end()) << "after " << general_log[step] << ": " << k;
        ASSERT_EQ(it->second, text) << "after " << general_log[step] << ": " << k;
      }
      ASSERT_EQ(fast.size(), general_states[step].size()) << "after " << general_log[step];
    }
    // The scenario reaches what the fast paths must match: a pending ticket, warned SLA
    // stages, an overflowed ticket, tickets resolved and taken, and a clean verify.
    EXPECT_NE(std::find(general_log.begin(), general_log.end(), "verify -> ok 0"),
              general_log.end());
    EXPECT_GE(std::count_if(general_log.begin(), general_log.end(),
                            [](const std::string& l) {
                              return l.starts_with("resolve") && l.find("-> ok") != l.npos;
                            }),
              6);
  }
}

TEST_F(FastPaths, TakeTheCallsTheyAreWrittenFor) {
  for (const bool with_push : {false, true}) {
    SCOPED_TRACE(with_push ? "with a push queue" : "pull queues only");
    load(counting_library());
    scenario(with_push);
    // next: T-3, T-6 and T-9, each waiting in general alone, and T-10 under its requirement
    // set; the later ones (T-11 too, by the time it relaxed) have overflowed into backup.
    // resolve: T-1 twice, T-9, T-6, T-2 (in time) and T-5, each held; not T-2 with a stale
    // If-Match, the waiting T-7 or the postponed T-3.
    EXPECT_EQ(taken("next"), 4);
    EXPECT_EQ(taken("resolve"), 6);
  }
}

}  // namespace
}  // namespace ticketd::testing
