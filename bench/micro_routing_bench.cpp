// Micro-benchmarks of the engine's sans-io hot paths: rank, FCALL argument building and RESP
// encoding, reply decoding, RFC 3339 times. Single-threaded.
#include <benchmark/benchmark.h>

#include <string>

#include "bench/micro_fixtures.hpp"
#include "daemon/api/requests.hpp"
#include "routing/functions.hpp"
#include "routing/rank.hpp"
#include "routing/ticket.hpp"
#include "routing/time_format.hpp"

namespace ticketd::bench {
namespace {

static_assert(routing::days_from_civil(2026, 11, 22) * 86'400'000 + 10 * 3'600'000 == bench_now_ms);

void BM_ComputeRank(benchmark::State& state) {
  // Inputs the optimizer cannot fold: the lead varies and the weight is opaque.
  std::int64_t enqueued = bench_now_ms;
  double weight = 0.5;
  benchmark::DoNotOptimize(weight);
  for (auto _ : state) {
    benchmark::DoNotOptimize(enqueued);
    const auto due = enqueued + 8 * 3'600'000 + (enqueued & 0xffff);
    const auto rank = routing::compute_rank(due, enqueued, weight, 0);
    benchmark::DoNotOptimize(rank);
    enqueued += 7;
  }
}
BENCHMARK(BM_ComputeRank);

// parse_create's result through the planner: routing rules, SLA dues, rank, FCALL arguments.
void BM_PlanCreate(benchmark::State& state) {
  const auto& e = shared_engine();
  const auto request = daemon::api::parse_create(create_body);
  if (!request) {
    state.SkipWithError("parse_create failed");
    return;
  }
  for (auto _ : state) {
    auto cmd = e.plan.create(*request, bench_now_ms);
    if (!cmd) state.SkipWithError("planner::create failed");
    benchmark::DoNotOptimize(cmd);
  }
}
BENCHMARK(BM_PlanCreate);

// Planning plus the RESP bytes the connection writes.
void BM_PlanCreateEncoded(benchmark::State& state) {
  const auto& e = shared_engine();
  const auto request = daemon::api::parse_create(create_body);
  if (!request) {
    state.SkipWithError("parse_create failed");
    return;
  }
  for (auto _ : state) {
    auto cmd = e.plan.create(*request, bench_now_ms);
    if (!cmd) state.SkipWithError("planner::create failed");
    std::string bytes = cmd->call.encoded();
    benchmark::DoNotOptimize(bytes);
  }
}
BENCHMARK(BM_PlanCreateEncoded);

void BM_PlanAction(benchmark::State& state, routing::ticket_action a) {
  const auto& e = shared_engine();
  routing::action_request r;
  r.agent = "agent-7";
  if (a == routing::ticket_action::resolve) r.reason = "agent";
  for (auto _ : state) {
    auto cmd = e.plan.action(a, "T-1001234", std::nullopt, r, nullptr, bench_now_ms);
    if (!cmd) state.SkipWithError("planner::action failed");
    benchmark::DoNotOptimize(cmd);
  }
}
BENCHMARK_CAPTURE(BM_PlanAction, reply, routing::ticket_action::reply);
BENCHMARK_CAPTURE(BM_PlanAction, resolve, routing::ticket_action::resolve);

void BM_NextCall(benchmark::State& state) {
  const auto& e = shared_engine();
  for (auto _ : state) {
    auto cmd = routing::next_call(e.plan.base(bench_now_ms), "agent-7");
    benchmark::DoNotOptimize(cmd);
  }
}
BENCHMARK(BM_NextCall);

void BM_CommandEncoded(benchmark::State& state) {
  const auto& e = shared_engine();
  const auto request = daemon::api::parse_create(create_body);
  if (!request) {
    state.SkipWithError("parse_create failed");
    return;
  }
  const auto cmd = e.plan.create(*request, bench_now_ms);
  if (!cmd) {
    state.SkipWithError("planner::create failed");
    return;
  }
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string out = cmd->call.encoded();
    bytes += out.size();
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_CommandEncoded);

// encode() into a reused buffer, as a pipelining writer would.
void BM_CommandEncodeAppend(benchmark::State& state) {
  const auto& e = shared_engine();
  const auto cmd = routing::next_call(e.plan.base(bench_now_ms), "agent-7");
  std::string out;
  out.reserve(1024);
  for (auto _ : state) {
    out.clear();
    cmd.encode(out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_CommandEncodeAppend);

void BM_DecodeTicket(benchmark::State& state) {
  const auto fields = assigned_ticket_fields("T-1001234");
  for (auto _ : state) {
    auto t = routing::decode_ticket("T-1001234", fields);
    if (!t) state.SkipWithError("decode_ticket failed");
    benchmark::DoNotOptimize(t);
  }
}
BENCHMARK(BM_DecodeTicket);

// What the daemon decodes after every action: the function's version reply (bare, as a call
// that handed nothing out answers) and the ticket read by the HGETALL pipelined behind it.
void BM_DecodeActionAndTicket(benchmark::State& state) {
  const auto fields = assigned_ticket_fields("T-1001234");
  routing::resp_value version;
  version.type = routing::resp_value::kind::string;
  version.str = "7";
  for (auto _ : state) {
    auto v = routing::decode_action(version);
    auto t = routing::decode_ticket_reply("T-1001234", fields);
    if (!v || !t) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(t);
  }
}
BENCHMARK(BM_DecodeActionAndTicket);

void BM_FormatRfc3339(benchmark::State& state) {
  std::int64_t t = bench_now_ms;
  for (auto _ : state) {
    std::string s = routing::format_rfc3339(t);
    benchmark::DoNotOptimize(s);
    t += 1'001;
  }
}
BENCHMARK(BM_FormatRfc3339);

void BM_AppendRfc3339(benchmark::State& state) {
  std::string out;
  out.reserve(64);
  std::int64_t t = bench_now_ms;
  for (auto _ : state) {
    out.clear();
    routing::append_rfc3339(out, t);
    benchmark::DoNotOptimize(out.data());
    t += 1'001;
  }
}
BENCHMARK(BM_AppendRfc3339);

void BM_ParseRfc3339(benchmark::State& state) {
  const std::string text =
      state.range(0) == 0 ? "2026-11-22T10:00:00.123Z" : "2026-11-22T11:00:00.123456+01:00";
  for (auto _ : state) {
    auto t = routing::parse_rfc3339(text);
    if (!t) state.SkipWithError("parse_rfc3339 failed");
    benchmark::DoNotOptimize(t);
  }
}
BENCHMARK(BM_ParseRfc3339)->ArgName("offset")->Arg(0)->Arg(1);

}  // namespace
}  // namespace ticketd::bench
