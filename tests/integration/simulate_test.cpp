// ticketd simulate: workloads replayed through the real planner and functions on a real
// redis-server under the manual clock, with results that follow from the workload by hand.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <csignal>
#include <fstream>
#include <sstream>

#include "config/loader.hpp"
#include "daemon/common/runtime.hpp"
#include "routing/time_format.hpp"
#include "simulate/simulator.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/process.hpp"
#include "tests/support/redis_client.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/temp_dir.hpp"

namespace ticketd::testing {
namespace {

namespace json = boost::json;

// One agent taking one ticket at a time; pending does not count, so a reply frees it.
std::string one_agent_config(const std::string& mode, unsigned max = 1) {
  return "workspace: sim\n"
         "priorities:\n"
         "  normal: {first_reply: 1m, next_reply: 1h, resolution: 1d}\n"
         "agents:\n"
         "  max_concurrent: " +
         std::to_string(max) +
         "\n"
         "queues:\n"
         "  general: {mode: " +
         mode +
         "}\n"
         "defaults: {queue: general, priority: normal}\n";
}

std::string at(int seconds) {
  return routing::format_rfc3339(1795424400000 + static_cast<std::int64_t>(seconds) * 1000);
}

// A workload line `seconds` after 09:00: {"at": ..., `fields`}.
std::string line(int seconds, const std::string& fields) {
  return R"({"at": ")" + at(seconds) + R"(", )" + fields + "}\n";
}

// Three tickets 10 s apart, each answered 50 s after it reaches the agent and resolved 60 s
// after that.
std::string three_tickets() {
  std::string w = line(0, R"("op": "agent", "id": "ada", "queues": ["general"])");
  for (int i = 0; i < 3; ++i) {
    w += line(10 * i, R"("op": "create", "id": "T)" + std::to_string(i) +
                          R"(", "handle": {"reply_after": 50, "resolve_after": 60})");
  }
  return w;
}

class SimulateTest : public ::testing::Test {
 protected:
  simulate::report run(const std::string& yaml, const std::string& workload,
                       simulate::options o = {}) {
    auto loaded = config::load_config_text(yaml, "sim.yaml");
    EXPECT_TRUE(loaded.errors.empty()) << loaded.errors.front().to_string();
    std::istringstream in(workload);
    auto parsed = simulate::parse_workload(in);
    EXPECT_TRUE(parsed.errors.empty()) << parsed.errors.front().message;
    workload_ = std::move(parsed.value);
    return simulate::run_simulation(redis_, std::make_shared<const daemon::runtime>(loaded.value),
                                    workload_, o);
  }

  redis_client redis_{shared_redis().socket()};
  simulate::workload workload_;
};

TEST_F(SimulateTest, PushQueueWaitsFollowTheAgentsReplies) {
  const auto r = run(one_agent_config("push"), three_tickets());
  const auto& q = r.queues.at("general");
  EXPECT_EQ(q.arrived, 3);
  EXPECT_EQ(q.assigned(), 3);
  // T0 at once; T1 (10 s) when ada replies to T0 at 50 s; T2 (20 s) when she replies at 100 s.
  EXPECT_EQ(q.waits, (std::vector<std::int64_t>{0, 40'000, 80'000}));
  EXPECT_EQ(simulate::percentile(q.waits, 0.5), 40'000);
  EXPECT_EQ(q.assignments.at("push"), 3);
  EXPECT_EQ(q.resolved, 3);
  // First replies at 50, 100 and 150 s for arrivals at 0, 10 and 20 s: a 1 m target is met once.
  EXPECT_EQ(q.sla.at("first_reply").measured, 3);
  EXPECT_EQ(q.sla.at("first_reply").breached, 2);
  EXPECT_EQ(q.breaches, 2);
  // Ada holds a ticket (assigned) from 0 to 150 s and the run ends when T2 is resolved at 210 s.
  EXPECT_EQ(r.ended - r.started, 210'000);
  const auto& ada = r.agents.at("ada");
  EXPECT_EQ(ada.assigned, 3);
  EXPECT_EQ(ada.resolved, 3);
  EXPECT_EQ(ada.online_ms, 210'000);
  EXPECT_EQ(ada.busy_ms, 150'000);
  EXPECT_EQ(ada.load_ms, 150'000);
}

TEST_F(SimulateTest, PullAgentsTakeWorkWhenTheyHaveRoom) {
  const auto r = run(one_agent_config("pull"), three_tickets());
  const auto& q = r.queues.at("general");
  EXPECT_EQ(q.waits, (std::vector<std::int64_t>{0, 40'000, 80'000}));
  EXPECT_EQ(q.assignments.at("pull"), 3);
  EXPECT_EQ(q.assignments.count("push"), 0u);
}

TEST_F(SimulateTest, MoreRoomPerAgentShowsAsShorterWaitsBesideTheBaseline) {
  const auto candidate = run(one_agent_config("push", 3), three_tickets());
  const auto baseline = run(one_agent_config("push", 1), three_tickets());
  EXPECT_EQ(candidate.queues.at("general").waits, (std::vector<std::int64_t>{0, 0, 0}));
  const auto doc = json::parse(simulate::report_json(candidate, &baseline));
  const auto& diff = doc.at("difference").at("queues").at("general");
  EXPECT_EQ(diff.at("wait_seconds").at("max").to_number<double>(), -80.0);
  EXPECT_EQ(diff.at("breaches").to_number<std::int64_t>(), -2);
  EXPECT_EQ(doc.at("baseline").at("queues").at("general").at("breaches").to_number<std::int64_t>(),
            2);
  const auto text = simulate::report_text(candidate, &baseline);
  EXPECT_NE(text.find("  difference"), std::string::npos) << text;
}

TEST_F(SimulateTest, ACustomerReplyStartsAnotherRoundWithTheSameAgent) {
  std::string w = three_tickets();
  // T0 is pending from 50 s (replied) until resolved at 110 s: the customer writes at 90 s.
  w += line(90, R"("op": "customer-reply", "ticket": "T0")");
  const auto r = run(one_agent_config("push", 3), w);
  const auto& q = r.queues.at("general");
  EXPECT_EQ(q.assignments.at("customer_reply"), 1);
  EXPECT_EQ(q.sla.at("next_reply").measured, 1);
  // Its second round: reply at 140 s, resolve at 200 s; the earlier resolve (110 s) is stale.
  EXPECT_EQ(r.ended - r.started, 200'000);
  EXPECT_EQ(r.agents.at("ada").resolved, 3);
}

TEST_F(SimulateTest, WhatTheApiRefusesIsCountedAndChangesNothing) {
  std::string w = three_tickets();
  w += line(30, R"("op": "customer-reply", "ticket": "T2")");
  w += line(30, R"("op": "create", "id": "X", "queue": "nowhere")");
  w += line(30, R"("op": "customer-reply", "ticket": "missing")");
  const auto r = run(one_agent_config("push"), w);
  EXPECT_EQ(r.refused.at("invalid_transition"), 1);  // T2 waits: nothing to reply to
  EXPECT_EQ(r.refused.at("not_found"), 2);           // the queue, the ticket
  EXPECT_EQ(r.queues.at("general").arrived, 3);
}

TEST_F(SimulateTest, TimersRunUntilEverySlaClockIsDecidedOrTheGivenEnd) {
  // Nobody is online: the ticket waits; its 1 m first reply target breaches at 09:01, its 1 d
  // resolution target the next day, and the run goes on until then (a ticket left waiting
  // counts against the candidate).
  const std::string w = line(0, R"("op": "create", "id": "T0")");
  auto r = run(one_agent_config("push"), w);
  EXPECT_EQ(r.queues.at("general").breaches, 2);
  EXPECT_EQ(r.queues.at("general").sla.at("resolution").breached, 1);
  EXPECT_EQ(r.ended - r.started, 24 * 3600'000);
  simulate::options o;
  o.until = 1795424400000 + 120'000;
  r = run(one_agent_config("push"), w, o);
  EXPECT_EQ(r.queues.at("general").breaches, 1);
  EXPECT_EQ(r.queues.at("general").sla.at("first_reply").breached, 1);
  EXPECT_EQ(r.ended, *o.until);
}

TEST_F(SimulateTest, AnAgentsTimeEndsWithItsWorkWhileTheClocksRunOn) {
  std::string w = three_tickets();
  // Nobody can take T9 (ada has no German): it waits until its clocks have breached.
  w += line(30, R"("op": "create", "id": "T9", "requires": [{"skill": "german"}])");
  const auto r = run(one_agent_config("push"), w);
  // Ada's work ends when she resolves T2 at 210 s; the run, when T9's 1 d resolution target
  // breaches.
  EXPECT_EQ(r.agents.at("ada").online_ms, 210'000);
  EXPECT_EQ(r.ended - r.started, 30'000 + 24 * 3600'000);
  EXPECT_EQ(r.queues.at("general").sla.at("resolution").breached, 1);
  EXPECT_EQ(r.queues.at("general").arrived - r.queues.at("general").assigned(), 1);
}

TEST_F(SimulateTest, APlanForATicketThatMovedOnIsDropped) {
  // Ada replies to T1 at 10 s and plans to resolve it at 610 s; she goes offline at 30 s, the
  // customer writes at 60 s, and T1 waits in the queue until she is back at 20 min.
  std::string w = line(0, R"("op": "agent", "id": "ada", "queues": ["general"])");
  w +=
      line(0, R"("op": "create", "id": "T1", "handle": {"reply_after": 10, "resolve_after": 600})");
  w += line(30, R"("op": "status", "agent": "ada", "status": "offline")");
  w += line(60, R"("op": "customer-reply", "ticket": "T1")");
  w += line(1200, R"("op": "status", "agent": "ada", "status": "online")");
  const auto r = run(one_agent_config("push", 3), w);
  const auto& q = r.queues.at("general");
  EXPECT_EQ(q.resolved, 1);
  EXPECT_EQ(q.assignments.at("push"), 2);  // at 0 s, and again at 20 min
  // The second round: reply at 1210 s, resolve at 1810 s; not resolved while it waited.
  EXPECT_EQ(r.agents.at("ada").resolved, 1);
  EXPECT_EQ(q.sla.at("next_reply").breached, 0);
}

TEST_F(SimulateTest, APullAgentComingBackOnlinePullsAtOnce) {
  std::string w = line(0, R"("op": "agent", "id": "ada", "queues": ["general"])");
  w += line(10, R"("op": "status", "agent": "ada", "status": "offline")");
  w += line(20, R"("op": "create", "id": "T1")");
  w += line(60, R"("op": "status", "agent": "ada", "status": "online")");
  const auto r = run(one_agent_config("pull", 3), w);
  EXPECT_EQ(r.queues.at("general").waits, (std::vector<std::int64_t>{40'000}));
}

TEST_F(SimulateTest, ARelaxedRequirementWakesAnIdlePullAgent) {
  const std::string yaml =
      "workspace: sim\nskills: [german]\npriorities:\n  normal: {first_reply: 1h, next_reply: 1h, "
      "resolution: 1d}\nqueues:\n  general: {mode: pull}\ndefaults: {queue: general, priority: "
      "normal}\n";
  std::string w = line(0, R"("op": "agent", "id": "ada", "queues": ["general"])");
  w += line(5,
            R"("op": "create", "id": "T0", "requires": [{"skill": "german", "relax_after": 600}])");
  simulate::options o;
  o.until = 1795424400000 + 700'000;  // the relax comes after the last line
  const auto r = run(yaml, w, o);
  EXPECT_EQ(r.queues.at("general").waits, (std::vector<std::int64_t>{600'000}));
  EXPECT_EQ(r.queues.at("general").assignments.at("pull"), 1);
}

// A day's worth of arrivals with drawn handling times.
std::string drawn_workload() {
  std::string w = line(
      0,
      R"("op": "handling", "channel": "default", "reply_after": 120, "resolve_after": 300, "spread": 0.9)");
  for (int a = 0; a < 3; ++a) {
    w += line(0, R"("op": "agent", "id": "a)" + std::to_string(a) + R"(", "queues": ["general"])");
  }
  for (int i = 0; i < 200; ++i) {
    w += line(20 * i, R"("op": "create", "id": "T)" + std::to_string(i) + R"(")");
  }
  return w;
}

TEST_F(SimulateTest, TheSameInputsGiveTheSameReportAndTheSeedDrawsTheTimes) {
  const auto yaml = one_agent_config("push", 2);
  const auto first = simulate::report_json(run(yaml, drawn_workload()), nullptr);
  const auto again = simulate::report_json(run(yaml, drawn_workload()), nullptr);
  EXPECT_EQ(first, again);
  simulate::options other;
  other.seed = 2;
  const auto reseeded = simulate::report_json(run(yaml, drawn_workload(), other), nullptr);
  EXPECT_NE(first, reseeded);
}

// The command line: files in, a table out, the JSON report written; bad input exits 2.
TEST(SimulateCommand, RunsFromFilesAndWritesTheReport) {
  temp_dir dir("ticketd-sim-cli");
  std::ofstream(dir.path() / "candidate.yaml") << one_agent_config("push", 3);
  std::ofstream(dir.path() / "baseline.yaml") << one_agent_config("push", 1);
  std::ofstream(dir.path() / "day.jsonl") << three_tickets();
  process run(
      {ticketd_binary(), "simulate", "--config", (dir.path() / "candidate.yaml").string(),
       "--baseline", (dir.path() / "baseline.yaml").string(), "--workload",
       (dir.path() / "day.jsonl").string(), "--report", (dir.path() / "report.json").string()},
      dir.path() / "out.log");
  ASSERT_EQ(run.wait_exit(std::chrono::seconds(60)), 0) << run.log();
  EXPECT_NE(run.log().find("general"), std::string::npos) << run.log();
  std::ifstream in(dir.path() / "report.json");
  const std::string text{std::istreambuf_iterator<char>(in), {}};
  const auto doc = json::parse(text);
  EXPECT_EQ(doc.at("candidate").at("queues").at("general").at("arrived").to_number<int>(), 3);
  EXPECT_EQ(doc.at("baseline").at("queues").at("general").at("breaches").to_number<int>(), 2);

  // Presence by connection: simulated agents have no sockets, their lines stand for them.
  std::string by_connection = one_agent_config("push", 3);
  by_connection.replace(by_connection.find("agents:\n"), 8, "agents:\n  presence: connection\n");
  std::ofstream(dir.path() / "connection.yaml") << by_connection;
  process connected(
      {ticketd_binary(), "simulate", "--config", (dir.path() / "connection.yaml").string(),
       "--workload", (dir.path() / "day.jsonl").string(), "--report",
       (dir.path() / "connection.json").string()},
      dir.path() / "connection.log");
  ASSERT_EQ(connected.wait_exit(std::chrono::seconds(60)), 0) << connected.log();
  std::ifstream conn_in(dir.path() / "connection.json");
  const auto conn = json::parse(std::string{std::istreambuf_iterator<char>(conn_in), {}});
  EXPECT_EQ(conn.at("candidate").at("queues").at("general").at("assigned").to_number<int>(), 3);

  std::ofstream(dir.path() / "bad.jsonl") << three_tickets() << R"({"at": ")" << at(0)
                                          << R"(", "op": "create", "id": "late"})"
                                             "\n"
                                          << R"({"at": "soon", "op": "create"})"
                                             "\n";
  process bad({ticketd_binary(), "simulate", "--config", (dir.path() / "candidate.yaml").string(),
               "--workload", (dir.path() / "bad.jsonl").string()},
              dir.path() / "bad.log");
  EXPECT_EQ(bad.wait_exit(std::chrono::seconds(60)), 2);
  EXPECT_NE(bad.log().find("bad.jsonl:5: at goes back in time"), std::string::npos) << bad.log();
  EXPECT_NE(bad.log().find("bad.jsonl:6: at must be an RFC 3339 time"), std::string::npos)
      << bad.log();
}

// ^C stops a run between two steps, and its redis-server and directory go with it.
TEST(SimulateCommand, AnInterruptedRunLeavesNothingBehind) {
  temp_dir dir("ticketd-sim-int");
  const auto tmp = dir.path() / "tmp";
  std::filesystem::create_directories(tmp);
  std::ofstream(dir.path() / "config.yaml") << one_agent_config("push");
  {
    std::ofstream w(dir.path() / "day.jsonl");
    for (int i = 0; i < 40'000; ++i)
      w << line(i, R"("op": "create", "id": "T)" + std::to_string(i) + "\"");
  }
  process run({ticketd_binary(), "simulate", "--config", (dir.path() / "config.yaml").string(),
               "--workload", (dir.path() / "day.jsonl").string()},
              dir.path() / "out.log", {"TMPDIR=" + tmp.string()});
  // Running once its private server's socket is there.
  auto socket_exists = [&] {
    for (const auto& entry : std::filesystem::directory_iterator(tmp)) {
      if (std::filesystem::exists(entry.path() / "redis.sock")) return true;
    }
    return false;
  };
  eventually([&] { return socket_exists() || !run.running(); }, std::chrono::seconds(30));
  ASSERT_TRUE(socket_exists()) << run.log();
  run.signal(SIGINT);
  EXPECT_EQ(run.wait_exit(std::chrono::seconds(30)), 130) << run.log();
  EXPECT_NE(run.log().find("interrupted"), std::string::npos) << run.log();
  EXPECT_TRUE(std::filesystem::is_empty(tmp));
}

}  // namespace
}  // namespace ticketd::testing
