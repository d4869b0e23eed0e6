// Two daemons on one Redis, 8 agents with max_concurrent 3, 2,000 tickets, five clients per
// agent pulling and resolving through both daemons at once: no agent ever above 3, no ticket
// held twice, every ticket accounted for, verify clean. Then the same with random skills and
// levels, random requirements and requirements relaxing under load: no ticket handed to an
// agent who does not meet a requirement in force. Then channels: costs in units, a per-agent
// channel limit, presence by channel changing, wrap-ups and absent-assignee returns under load:
// no agent ever above its units or its channel limit, verify clean. The timers of the last two
// (a requirement relaxing, wrap-ups, returns) run on the daemons' manual clocks, moved by the
// agents' progress (work_clock).
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <boost/json.hpp>

#include "tests/support/daemon_process.hpp"
#include "tests/support/redis_client.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/text.hpp"

namespace ticketd::testing {
namespace {

constexpr int agents = 8;
// More clients than capacity, so every agent is pulled past its limit concurrently.
constexpr int clients_per_agent = 5;
constexpr int max_concurrent = 3;
constexpr int tickets = 2000;

std::string shared_config(const std::string& url) {
  return "workspace: race\n"
         "server:\n"
         "  listen: 127.0.0.1:0\n"
         "redis:\n"
         "  url: " +
         url +
         "\n"
         "agents:\n"
         "  max_concurrent: " +
         std::to_string(max_concurrent) +
         "\n"
         "queues:\n"
         "  general: {mode: pull, wait_weight: 1}\n"
         "defaults: {queue: general, priority: normal}\n";
}

// Two threads creating tickets 0..count-1 at once, the even ones through the first daemon and
// the odd ones through the second; a create that is not 201 counts in `failures`.
void create_through_both(std::vector<std::thread>& threads,
                         const std::array<std::uint16_t, 2>& ports, int count,
                         std::function<std::string(int)> body, std::atomic<int>& failures) {
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&ports, &failures, body, count, w] {
      http_client c(ports[w]);
      for (int i = w; i < count; i += 2) {
        if (c.post("/v1/tickets", body(i)).status != 201) ++failures;
      }
    });
  }
}

// Once the daemon on `port` is ready, puts agent-0 .. agent-7 with the profile `body`.
void put_agents_online(std::uint16_t port, const std::string& body) {
  http_client setup(port);
  ASSERT_TRUE(eventually([&] { return setup.get("/readyz").status == 200; }));
  for (int g = 0; g < agents; ++g) {
    ASSERT_EQ(setup.put("/v1/agents/agent-" + std::to_string(g), body).status, 200);
  }
}

// After the run: verify finds nothing wrong and no ticket waits.
void expect_clean(std::uint16_t port) {
  http_client check(port);
  auto verify = check.get("/v1/admin/verify");
  EXPECT_EQ(verify.status, 200) << verify.body;
  EXPECT_TRUE(verify.json().at("ok").as_bool()) << verify.body;
  EXPECT_EQ(check.get("/v1/queues/general").json().at("depth").as_int64(), 0);
}

// Both daemons' time, on manual clocks started at the same instant and moved together by the
// test: every `rounds_per_step` agent rounds move both `step_ms` forward (and fire what falls
// due). The timers so fall due with the work done, however fast or slow the machine, and no
// thread waits on wall time for them. A round that must see one time on both daemons runs as a
// `visit`: the clocks move only while no visit is under way, so between the two daemons' moves
// nobody asks either of them anything.
class work_clock {
 public:
  static constexpr const char* start = "2026-11-23T09:00:00Z";

  class visit {
   public:
    explicit visit(work_clock& clock) : clock_(clock) {
      std::unique_lock lock(clock_.gate_);
      clock_.turn_.wait(lock, [this] { return !clock_.moving_; });
      ++clock_.visits_;
    }
    ~visit() {
      std::lock_guard lock(clock_.gate_);
      if (--clock_.visits_ == 0) clock_.turn_.notify_all();
    }
    visit(const visit&) = delete;
    visit& operator=(const visit&) = delete;

   private:
    work_clock& clock_;
  };

  work_clock(const std::array<std::uint16_t, 2>& ports, int rounds_per_step, int step_ms)
      : clients_{http_client(ports[0]), http_client(ports[1])},
        rounds_per_step_(rounds_per_step),
        advance_(R"({"advance":")" + std::to_string(step_ms) + R"(ms"})"),
        step_ms_(step_ms) {}

  // One agent round done (called outside a visit).
  void round() {
    if (++rounds_ % rounds_per_step_ == 0) advance();
  }
  // Milliseconds the clocks have moved since the start.
  std::int64_t elapsed_ms() const { return elapsed_.load(); }
  // Waits until the agents' rounds have moved the clocks `ms` further (each move wakes it).
  bool wait(std::int64_t ms) {
    const auto until = elapsed_ms() + ms;
    std::unique_lock lock(gate_);
    return turn_.wait_for(lock, std::chrono::seconds(60), [&] { return elapsed_ms() >= until; });
  }
  int failures() const { return failures_.load(); }

 private:
  void advance() {
    std::unique_lock lock(gate_);
    turn_.wait(lock, [this] { return !moving_; });
    moving_ = true;
    turn_.wait(lock, [this] { return visits_ == 0; });
    lock.unlock();
    for (auto& c : clients_) {
      if (c.post("/v1/admin/clock", advance_).status != 200) ++failures_;
    }
    lock.lock();
    elapsed_ += step_ms_;
    moving_ = false;
    turn_.notify_all();
  }

  std::mutex gate_;
  std::condition_variable turn_;
  bool moving_ = false;
  int visits_ = 0;
  std::array<http_client, 2> clients_;
  const int rounds_per_step_;
  const std::string advance_;
  const int step_ms_;
  std::atomic<int> rounds_{0};
  std::atomic<std::int64_t> elapsed_{0};
  std::atomic<int> failures_{0};
};

std::string ticket_id_of(const std::string& body) {
  const auto at = body.find(R"("id":")");
  const auto end = body.find('"', at + 6);
  return body.substr(at + 6, end - at - 6);
}

TEST(Concurrency, TwoDaemonsEightAgentsNeverExceedCapacityOrDoubleAssign) {
  redis_server redis;
  daemon_process a(daemon_options{shared_config(redis.url()), false, {}, {}});
  daemon_process b(daemon_options{shared_config(redis.url()), false, {}, {}});
  const std::array<std::uint16_t, 2> ports{a.port(), b.port()};
  put_agents_online(a.port(), R"({"queues":["general"],"status":"online"})");

  std::array<std::atomic<int>, agents> holding{};
  std::atomic<int> worst{0};
  std::atomic<int> resolved{0};
  std::atomic<int> failures{0};
  std::atomic<int> refused{0};
  std::mutex mutex;
  std::multiset<std::string> taken;

  std::vector<std::thread> threads;
  create_through_both(
      threads, ports, tickets, [](int i) { return R"({"id":"T-)" + std::to_string(i) + R"("})"; },
      failures);
  for (int g = 0; g < agents; ++g) {
    for (int k = 0; k < clients_per_agent; ++k) {
      threads.emplace_back([&, g, k] {
        const std::string agent = "agent-" + std::to_string(g);
        std::array<http_client, 2> c{http_client(ports[0]), http_client(ports[1])};
        for (int round = 0; resolved.load() < tickets; ++round) {
          auto& via = c[(round + k) % 2];
          auto r = via.post("/v1/agents/" + agent + "/next");
          if (r.status == 409 && r.error_code() == "capacity_exceeded") ++refused;
          if (r.status == 204 || (r.status == 409 && r.error_code() == "capacity_exceeded")) {
            std::this_thread::yield();
            continue;
          }
          if (r.status != 200) {
            ++failures;
            continue;
          }
          const std::string id = ticket_id_of(r.body.substr(r.body.find("\"ticket\"")));
          // Tickets received and not yet handed back: each one is assigned on the server.
          const int now_holding = ++holding[g];
          int seen = worst.load();
          while (now_holding > seen && !worst.compare_exchange_weak(seen, now_holding)) {
          }
          {
            std::lock_guard lock(mutex);
            taken.insert(id);
          }
          auto& back = c[(round + k + 1) % 2];
          // Until some agent has been refused at capacity, a client keeps its ticket a moment
          // (until its agent is full): otherwise on a fast machine the clients may hand each
          // ticket back before the others pull, and the limit is never reached.
          const auto hold_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(2);
          while (refused.load() == 0 && holding[g].load() < max_concurrent &&
                 std::chrono::steady_clock::now() < hold_until) {
            std::this_thread::yield();
          }
          --holding[g];
          if (round % 2 == 0) {
            if (back.post("/v1/tickets/" + id + "/reply").status != 200) ++failures;
          }
          if (back.post("/v1/tickets/" + id + "/resolve").status != 200) ++failures;
          ++resolved;
        }
      });
    }
  }
  for (auto& t : threads) t.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(refused.load(), 0) << "no agent was ever pulled at capacity: the test proves nothing";
  EXPECT_LE(worst.load(), max_concurrent);
  EXPECT_EQ(resolved.load(), tickets);
  EXPECT_EQ(taken.size(), static_cast<std::size_t>(tickets));
  EXPECT_EQ(std::set<std::string>(taken.begin(), taken.end()).size(), taken.size())
      << "a ticket was handed out twice";
  expect_clean(b.port());
  http_client check(b.port());
  for (int g = 0; g < agents; ++g) {
    EXPECT_EQ(check.get("/v1/agents/agent-" + std::to_string(g)).json().at("load").as_int64(), 0);
  }
  EXPECT_EQ(a.terminate(), 0);
  EXPECT_EQ(b.terminate(), 0);
}

TEST(Concurrency, TwoDaemonsHandOutOnlyToAgentsMeetingTheRequirementsInForce) {
  constexpr int requiring_tickets = 1200;
  constexpr int skills = 4;
  redis_server redis;
  const daemon_options options{shared_config(redis.url()), true, work_clock::start, {}};
  daemon_process a(options);
  daemon_process b(options);
  const std::array<std::uint16_t, 2> ports{a.port(), b.port()};
  // 100 ms of clock per 32 rounds (one of each client): a requirement relaxes after about 320.
  work_clock clock(ports, 32, 100);
  std::mt19937 rng(20261206);
  // Agent g's level of each skill (0: does not have it); every skill is had by someone at 5.
  std::array<std::array<int, skills>, agents> level{};
  {
    http_client setup(a.port());
    ASSERT_TRUE(eventually([&] { return setup.get("/readyz").status == 200; }));
    for (int g = 0; g < agents; ++g) {
      std::string body = R"({"queues":["general"],"status":"online","skills":{)";
      for (int s = 0; s < skills; ++s) {
        level[g][s] = g % skills == s ? 5 : static_cast<int>(rng() % 6);
        if (level[g][s] == 0) continue;
        if (body.back() != '{') body += ',';
        body += R"("s)" + std::to_string(s) + R"(":)" + std::to_string(level[g][s]);
      }
      body += "}}";
      ASSERT_EQ(setup.put("/v1/agents/agent-" + std::to_string(g), body).status, 200);
    }
  }
  // Half the tickets require a skill at level 2 or 4 of an agent that has it (so someone may
  // take it); one in four asks for another skill at level 6, which nobody has, relaxing after a
  // second of the clock: only that lets them be taken. That makes at most 36 requirement sets,
  // within the queue's 64.
  std::vector<std::string> bodies;
  for (int i = 0; i < requiring_tickets; ++i) {
    const auto& target = level[rng() % agents];
    std::vector<std::string> reqs;
    std::set<int> named;
    if (rng() % 2 == 0) {
      const int s = static_cast<int>(rng() % skills);
      const int want = rng() % 2 == 0 ? 2 : 4;
      if (target[s] >= want && named.insert(s).second) {
        reqs.push_back(R"({"skill":"s)" + std::to_string(s) + R"(","level":)" +
                       std::to_string(want) + "}");
      }
    }
    if (rng() % 4 == 0) {
      const int s = static_cast<int>(rng() % skills);
      if (named.insert(s).second) {
        reqs.push_back(R"({"skill":"s)" + std::to_string(s) + R"(","level":6,"relax_after":1})");
      }
    }
    std::string body = R"({"id":"R-)" + std::to_string(i) + R"(","requires":[)";
    for (std::size_t k = 0; k < reqs.size(); ++k) body += (k ? "," : "") + reqs[k];
    bodies.push_back(body + "]}");
  }

  std::atomic<int> resolved{0};
  std::atomic<int> failures{0};
  std::atomic<int> ineligible{0};
  std::atomic<int> checked_requirements{0};
  std::mutex mutex;
  std::multiset<std::string> taken;
  std::vector<std::thread> threads;
  create_through_both(
      threads, ports, requiring_tickets, [&bodies](int i) { return bodies[i]; }, failures);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (int g = 0; g < agents; ++g) {
    for (int k = 0; k < 4; ++k) {
      threads.emplace_back([&, g, k] {
        const std::string agent = "agent-" + std::to_string(g);
        std::array<http_client, 2> c{http_client(ports[0]), http_client(ports[1])};
        for (int round = 0;
             resolved.load() < requiring_tickets && std::chrono::steady_clock::now() < deadline;
             ++round) {
          clock.round();
          // The hand-out and the answer's in_force on one time, whichever daemon answers.
          const work_clock::visit on_one_time(clock);
          auto r = c[(round + k) % 2].post("/v1/agents/" + agent + "/next");
          if (r.status == 204 || (r.status == 409 && r.error_code() == "capacity_exceeded")) {
            std::this_thread::yield();
            continue;
          }
          if (r.status != 200) {
            ++failures;
            continue;
          }
          const auto ticket = r.json().at("ticket");
          const std::string id{ticket.at("id").as_string()};
          // What the answer still shows in force was in force when the ticket was handed out:
          // a requirement relaxes once, and the wait it counts from goes on while held.
          for (const auto& req : ticket.at("requires").as_array()) {
            if (!req.at("in_force").as_bool()) continue;
            ++checked_requirements;
            const std::string skill{req.at("skill").as_string()};
            const int needed = static_cast<int>(req.at("level").as_int64());
            if (level[g][std::stoi(skill.substr(1))] < needed) ++ineligible;
          }
          {
            std::lock_guard lock(mutex);
            taken.insert(id);
          }
          if (c[(round + k + 1) % 2].post("/v1/tickets/" + id + "/resolve").status != 200) {
            ++failures;
          }
          ++resolved;
        }
      });
    }
  }
  for (auto& t : threads) t.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(clock.failures(), 0) << "a daemon refused to move its clock";
  EXPECT_EQ(resolved.load(), requiring_tickets) << "tickets left waiting after 60 s";
  EXPECT_GT(checked_requirements.load(), requiring_tickets / 4)
      << "few requirements were in force at hand-out: the test proves little";
  EXPECT_EQ(ineligible.load(), 0) << "a ticket went to an agent below a requirement in force";
  EXPECT_EQ(std::set<std::string>(taken.begin(), taken.end()).size(), taken.size())
      << "a ticket was handed out twice";
  expect_clean(b.port());
  EXPECT_EQ(a.terminate(), 0);
  EXPECT_EQ(b.terminate(), 0);
}

TEST(Concurrency, TwoDaemonsKeepUnitsChannelLimitsWrapUpsAndReturnsUnderLoad) {
  constexpr int channel_tickets = 1500;
  constexpr int capacity = 10;
  redis_server redis;
  const std::string config =
      replaced(shared_config(redis.url()), "  general: {mode: pull, wait_weight: 1}\n",
               "  general: {mode: pull, wait_weight: 1}\n  desk: {mode: push}\n") +
      "agents:\n  max_concurrent: 5\n  capacity: 10\n  offline_return_after: 300ms\n"
      "channels:\n"
      "  email: {cost: 1}\n"
      "  chat: {cost: 3, wrap_up: 100ms, max_per_agent: 2}\n"
      "  phone: {cost: 6, wrap_up: 200ms, max_per_agent: 1}\n"
      "lifecycle:\n  assigned: {return_after: 400ms}\n";
  // shared_config names agents: once (max_concurrent 3): the second block is this test's.
  const std::string yaml = replaced(config, "agents:\n  max_concurrent: 3\n", "");
  const daemon_options options{yaml, true, work_clock::start, {}};
  daemon_process a(options);
  daemon_process b(options);
  const std::array<std::uint16_t, 2> ports{a.port(), b.port()};
  put_agents_online(a.port(), R"({"queues":["general","desk"],"status":"online"})");
  // 50 ms of clock per 4 agent rounds: a no-reply return (400 ms) after about 32.
  work_clock clock(ports, 4, 50);
  const std::array<std::string, 3> channel_names{"email", "chat", "phone"};
  std::atomic<int> failures{0};
  std::atomic<int> over_units{0};
  std::atomic<int> over_channel{0};
  std::atomic<int> presence_changes{0};
  std::atomic<int> worst_used{0};
  std::atomic<bool> done{false};
  std::mutex mutex;
  std::set<std::string> resolved;
  std::vector<std::thread> threads;
  create_through_both(
      threads, ports, channel_tickets,
      [&](int i) {
        return R"({"id":"C-)" + std::to_string(i) + R"(","queue":")" +
               (i % 2 ? "desk" : "general") + R"(","channel":")" + channel_names[i % 3] + R"("})";
      },
      failures);
  // Every agent response: units within capacity, at most one call and two chats held.
  const auto check_agent = [&](const boost::json::value& agent) {
    const auto used = static_cast<int>(agent.at("used").as_int64());
    int seen = worst_used.load();
    while (used > seen && !worst_used.compare_exchange_weak(seen, used)) {
    }
    if (used > agent.at("capacity").as_int64()) ++over_units;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  for (int g = 0; g < agents; ++g) {
    threads.emplace_back([&, g] {
      const std::string agent = "agent-" + std::to_string(g);
      std::array<http_client, 2> c{http_client(ports[0]), http_client(ports[1])};
      std::mt19937 rng(static_cast<unsigned>(g));
      std::map<std::string, std::int64_t> first_seen;  // clock ms
      for (int round = 0; !done.load() && std::chrono::steady_clock::now() < deadline; ++round) {
        clock.round();
        auto& via = c[round % 2];
        auto n = via.post("/v1/agents/" + agent + "/next");
        if (n.status != 200 && n.status != 204 &&
            !(n.status == 409 && n.error_code() == "capacity_exceeded")) {
          ++failures;
        }
        auto got = via.get("/v1/agents/" + agent);
        if (got.status != 200) {
          ++failures;
          continue;
        }
        const auto view = got.json();
        check_agent(view);
        std::map<std::string, int> held;
        for (const auto& id : view.at("tickets").as_array()) {
          const std::string tid{id.as_string()};
          auto t = c[(round + 1) % 2].get("/v1/tickets/" + tid);
          if (t.status != 200) continue;
          const auto tv = t.json();
          if (tv.at("status").as_string() != "assigned") continue;
          ++held[std::string{tv.at("channel").as_string()}];
          // One ticket in eight sits 600 ms of the clock with its first agent: the no-reply
          // return (400 ms) takes it back first.
          const auto seen = first_seen.try_emplace(tid, clock.elapsed_ms()).first;
          if (std::stoi(tid.substr(2)) % 8 == 0 && clock.elapsed_ms() - seen->second < 600) {
            continue;
          }
          auto r = c[(round + 1) % 2].post("/v1/tickets/" + tid + "/resolve");
          if (r.status == 200) {
            std::lock_guard lock(mutex);
            resolved.insert(tid);
          }
        }
        if (held["phone"] > 1 || held["chat"] > 2) ++over_channel;
        if (rng() % 16 == 0) via.post("/v1/agents/" + agent + "/ready");
      }
    });
  }
  // Presence changing under load: a channel away and back, the agent offline for a while (past
  // offline_return_after, 300 ms, one time in two). Each absence lasts while the agents' rounds
  // move the clock.
  threads.emplace_back([&] {
    http_client c(ports[1]);
    std::mt19937 rng(7);
    const auto absent = [&](int ms) {
      if (!clock.wait(ms)) ++failures;  // the agents stopped moving the clock
    };
    while (!done.load() && std::chrono::steady_clock::now() < deadline) {
      const std::string agent = "/v1/agents/agent-" + std::to_string(rng() % agents);
      const std::string channel = channel_names[rng() % 3];
      switch (rng() % 3) {
        case 0:
          c.post(agent + "/status", R"({"status":"away","channel":")" + channel + R"("})");
          absent(50);
          c.post(agent + "/status", R"({"status":"online","channel":")" + channel + R"("})");
          break;
        case 1:
          c.post(agent + "/status", R"({"status":"offline"})");
          absent(rng() % 2 ? 50 : 400);
          c.post(agent + "/status", R"({"status":"online"})");
          break;
        default:
          c.post(agent + "/status", R"({"status":"away"})");
          absent(50);
          c.post(agent + "/status", R"({"status":"online"})");
          break;
      }
      ++presence_changes;
      std::lock_guard lock(mutex);
      if (resolved.size() >= static_cast<std::size_t>(channel_tickets)) done = true;
    }
    done = true;
  });
  for (auto& t : threads) t.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(clock.failures(), 0) << "a daemon refused to move its clock";
  EXPECT_EQ(resolved.size(), static_cast<std::size_t>(channel_tickets))
      << "tickets left unresolved after 90 s";
  EXPECT_EQ(over_units.load(), 0) << "an agent used more units than its capacity";
  EXPECT_EQ(over_channel.load(), 0) << "an agent held more of a channel than its limit";
  EXPECT_GT(worst_used.load(), capacity / 2) << "agents never got busy: the test proves little";
  EXPECT_GT(presence_changes.load(), 10);
  http_client check(a.port());
  auto verify = check.get("/v1/admin/verify");
  EXPECT_EQ(verify.status, 200) << verify.body;
  EXPECT_TRUE(verify.json().at("ok").as_bool()) << verify.body;
  // Wrap-ups and absent assignees happened, not only straight resolves.
  // (Counted by the daemon whose timer loop fired them.)
  const auto metrics = check.get("/metrics").body + http_client(b.port()).get("/metrics").body;
  EXPECT_NE(metrics.find("ticketd_returns_total{reason=\"no_reply\",workspace=\"race\"}"),
            std::string::npos);
  int wrap_ups = 0;
  const auto stream =
      redis_client(redis.socket()).command({"XRANGE", "ticketd:{race}:events", "-", "+"});
  for (const auto& e : daemon::decode_entries(stream)) {
    if (e.type == "agent.wrap_up") ++wrap_ups;
  }
  EXPECT_GT(wrap_ups, 0);
  EXPECT_EQ(a.terminate(), 0);
  EXPECT_EQ(b.terminate(), 0);
}

}  // namespace
}  // namespace ticketd::testing
