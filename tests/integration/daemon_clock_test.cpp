// Timers held in Redis, fired by real daemons on manual clocks: a timer due while every daemon
// was down fires at the next start; two daemons fire each timer exactly once (SLA timers, and
// the capacity timers: wrap-up ends, the offline and no-reply returns).
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include <array>
#include <latch>
#include <thread>

#include "tests/support/daemon_process.hpp"
#include "tests/support/redis_client.hpp"
#include "tests/support/redis_server.hpp"

namespace ticketd::testing {
namespace {

std::string clock_config(const std::string& url) {
  return "workspace: clocks\n"
         "server:\n"
         "  listen: 127.0.0.1:0\n"
         "redis:\n"
         "  url: " +
         url +
         "\n"
         "sla: {warn_before: 15m}\n"
         "queues:\n"
         "  general: {mode: pull}\n"
         "defaults: {queue: general, priority: urgent}\n";  // first reply 1h
}

// How many events of a type the workspace stream holds.
std::size_t count_events(redis_client& redis, const std::string& type) {
  return count_stream_events(redis, "clocks", type);
}

// Two daemons on manual clocks move them forward together, `steps` times 5 minutes each, each
// firing what falls due on its own.
void walk_together(const std::array<std::uint16_t, 2>& ports, int steps) {
  std::latch go(2);
  const auto walk = [&go, steps](std::uint16_t port) {
    http_client c(port);
    go.arrive_and_wait();
    for (int step = 0; step < steps; ++step) {
      const auto r = c.post("/v1/admin/clock", R"({"advance":"5m"})");
      if (r.status != 200) ADD_FAILURE() << r.body;
    }
  };
  std::thread ta(walk, ports[0]);
  std::thread tb(walk, ports[1]);
  ta.join();
  tb.join();
}

void create_tickets(http_client& c, int n) {
  for (int i = 0; i < n; ++i) {
    const auto r = c.post("/v1/tickets", R"({"id":"T-)" + std::to_string(i) + R"("})");
    ASSERT_EQ(r.status, 201) << r.body;
  }
}

TEST(DaemonClocks, TimersDueWhileEveryDaemonWasDownFireAtTheNextStart) {
  redis_server redis;
  redis_client check(redis.socket());
  {
    daemon_process first(
        daemon_options{clock_config(redis.url()), true, "2026-11-23T09:00:00Z", {}});
    http_client c(first.port());
    create_tickets(c, 20);
    ASSERT_EQ(first.terminate(), 0) << first.log();
  }
  EXPECT_EQ(count_events(check, "sla.breached"), 0u);
  // Nobody ran while the warnings (09:45) and breaches (10:00) fell due.
  daemon_process later(daemon_options{clock_config(redis.url()), true, "2026-11-23T10:30:00Z", {}});
  ASSERT_TRUE(eventually([&] { return count_events(check, "sla.breached") == 20; })) << later.log();
  // A warning that falls due with its breach is not sent late: only the breach is.
  EXPECT_EQ(count_events(check, "sla.warning"), 0u);
  http_client c(later.port());
  const auto t = c.get("/v1/tickets/T-7").json();
  EXPECT_EQ(boost::json::serialize(t.at("sla").at("breached")), R"(["first_reply"])");
  EXPECT_EQ(later.terminate(), 0);
}

TEST(DaemonClocks, TwoDaemonsFireEachTimerExactlyOnce) {
  constexpr int tickets = 300;
  redis_server redis;
  redis_client check(redis.socket());
  daemon_process a(daemon_options{clock_config(redis.url()), true, "2026-11-23T09:00:00Z", {}});
  daemon_process b(daemon_options{clock_config(redis.url()), true, "2026-11-23T09:00:00Z", {}});
  {
    http_client c(a.port());
    create_tickets(c, tickets);
  }
  // Both daemons walk to the due times together, in small steps, each ticking on its own.
  walk_together({a.port(), b.port()}, 14);
  // Moving a manual clock fires what is due before it answers: all of it has fired now.
  EXPECT_EQ(count_events(check, "sla.warning"), static_cast<std::size_t>(tickets));
  EXPECT_EQ(count_events(check, "sla.breached"), static_cast<std::size_t>(tickets));
  // Each daemon counts what it fired: together, every breach once.
  const std::string series =
      R"(ticketd_sla_breaches_total{queue="general",target="first_reply",workspace="clocks"})";
  http_client ca(a.port());
  http_client cb(b.port());
  EXPECT_EQ(
      metric_value(ca.get("/metrics").body, series) + metric_value(cb.get("/metrics").body, series),
      tickets);
  EXPECT_EQ(a.terminate(), 0);
  EXPECT_EQ(b.terminate(), 0);
}

TEST(DaemonClocks, WrapUpsAndAbsentAssigneesFireAfterARestartAndOnceAcrossDaemons) {
  redis_server redis;
  redis_client check(redis.socket());
  const std::string config = clock_config(redis.url()) +
                             "agents: {capacity: 10, offline_return_after: 15m}\n"
                             "channels:\n  email: {cost: 1}\n  phone: {cost: 10, wrap_up: 1m}\n"
                             "lifecycle: {assigned: {return_after: 30m}}\n";
  {
    daemon_process first(daemon_options{config, true, "2026-11-23T09:00:00Z", {}});
    http_client c(first.port());
    for (const char* agent : {"ada", "bob", "cy"}) {
      ASSERT_EQ(
          c.put(std::string{"/v1/agents/"} + agent, R"({"queues":["general"],"status":"online"})")
              .status,
          200);
    }
    for (const char* body :
         {R"({"id":"T-1","channel":"email"})", R"({"id":"T-2","channel":"email"})",
          R"({"id":"T-3","channel":"email"})", R"({"id":"T-4","channel":"phone"})"}) {
      ASSERT_EQ(c.post("/v1/tickets", body).status, 201);
    }
    // ada holds two and goes offline; bob holds one and never replies; cy ends a call.
    ASSERT_EQ(c.post("/v1/agents/ada/next").status, 200);
    ASSERT_EQ(c.post("/v1/agents/ada/next").status, 200);
    ASSERT_EQ(c.post("/v1/agents/bob/next").status, 200);
    ASSERT_EQ(c.post("/v1/agents/cy/next").status, 200);
    ASSERT_EQ(c.post("/v1/agents/ada/status", R"({"status":"offline"})").status, 200);
    ASSERT_EQ(c.post("/v1/tickets/T-4/resolve").status, 200);
    EXPECT_EQ(c.get("/v1/agents/cy").json().at("used").as_int64(), 10);
    ASSERT_EQ(first.terminate(), 0) << first.log();
  }
  // Nobody ran while cy's wrap-up (09:01) and ada's 15 minutes offline (09:15) ended.
  daemon_process a(daemon_options{config, true, "2026-11-23T09:20:00Z", {}});
  daemon_process b(daemon_options{config, true, "2026-11-23T09:20:00Z", {}});
  ASSERT_TRUE(eventually([&] { return count_events(check, "ticket.returned") == 2; })) << a.log();
  ASSERT_TRUE(eventually([&] { return count_events(check, "agent.ready") == 1; }));
  http_client ca(a.port());
  EXPECT_EQ(ca.get("/v1/agents/cy").json().at("used").as_int64(), 0);
  EXPECT_EQ(ca.get("/v1/agents/ada").json().at("load").as_int64(), 0);
  // bob's ticket goes back at 09:30, once, whichever daemon's clock gets there first.
  walk_together({a.port(), b.port()}, 3);
  EXPECT_EQ(count_events(check, "ticket.returned"), 3u);
  EXPECT_EQ(count_events(check, "agent.ready"), 1u);
  const std::string series = R"(ticketd_returns_total{reason="no_reply",workspace="clocks"})";
  EXPECT_EQ(metric_value(ca.get("/metrics").body, series) +
                metric_value(http_client(b.port()).get("/metrics").body, series),
            1);
  EXPECT_EQ(json_str(ca.get("/v1/tickets/T-3").json(), "status"), "queued");
  auto verify = ca.get("/v1/admin/verify");
  EXPECT_TRUE(verify.json().at("ok").as_bool()) << verify.body;
  EXPECT_EQ(a.terminate(), 0);
  EXPECT_EQ(b.terminate(), 0);
}

}  // namespace
}  // namespace ticketd::testing
