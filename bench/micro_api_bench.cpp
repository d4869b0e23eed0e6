// Micro-benchmarks of the daemon's sans-io request path: parsing request bodies into typed
// requests, and rendering tickets as the API's JSON. Single-threaded.
#include <benchmark/benchmark.h>

#include <string>

#include "bench/micro_fixtures.hpp"
#include "daemon/api/auth.hpp"
#include "daemon/api/json_writer.hpp"
#include "daemon/api/render.hpp"
#include "daemon/api/requests.hpp"
#include "routing/ticket.hpp"

namespace ticketd::bench {
namespace {

namespace api = daemon::api;

void BM_ParseCreate(benchmark::State& state) {
  for (auto _ : state) {
    auto r = api::parse_create(create_body);
    if (!r) state.SkipWithError("parse_create failed");
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * create_body.size()));
}
BENCHMARK(BM_ParseCreate);

void BM_ParseCreateMinimal(benchmark::State& state) {
  // The load generator's body.
  constexpr std::string_view body = R"({"id":"lg1a2b3c4d-123456","channel":"email"})";
  for (auto _ : state) {
    auto r = api::parse_create(body);
    if (!r) state.SkipWithError("parse_create failed");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ParseCreateMinimal);

void BM_ParseActionReply(benchmark::State& state) {
  constexpr std::string_view body = R"({"agent":"agent-7"})";
  for (auto _ : state) {
    auto r = api::parse_action(routing::ticket_action::reply, body);
    if (!r) state.SkipWithError("parse_action failed");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ParseActionReply);

void BM_ParseActionResolve(benchmark::State& state) {
  const std::string body = state.range(0) != 0 ? R"({"reason":"agent"})" : "{}";
  for (auto _ : state) {
    auto r = api::parse_action(routing::ticket_action::resolve, body);
    if (!r) state.SkipWithError("parse_action failed");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ParseActionResolve)->ArgName("with_reason")->Arg(0)->Arg(1);

void BM_TicketJson(benchmark::State& state) {
  const auto& e = shared_engine();
  const auto t = routing::decode_ticket("T-1001234", assigned_ticket_fields("T-1001234"));
  if (!t) {
    state.SkipWithError("decode_ticket failed");
    return;
  }
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string json = api::ticket_json(*t, e.cfg, t->updated_at);
    bytes += json.size();
    benchmark::DoNotOptimize(json);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_TicketJson);

void BM_NextJson(benchmark::State& state) {
  const auto& e = shared_engine();
  const auto t = routing::decode_ticket("T-1001234", assigned_ticket_fields("T-1001234"));
  if (!t) {
    state.SkipWithError("decode_ticket failed");
    return;
  }
  for (auto _ : state) {
    std::string json = api::next_json(*t, e.cfg, t->updated_at);
    benchmark::DoNotOptimize(json);
  }
}
BENCHMARK(BM_NextJson);

// The writer alone, into a reused buffer: an event-sized object.
void BM_JsonWriterEvent(benchmark::State& state) {
  std::string out;
  out.reserve(512);
  const std::string skills[] = {"billing", "spanish"};
  for (auto _ : state) {
    out.clear();
    api::json_writer w(out);
    w.begin_object();
    w.field("ticket", "T-1001234");
    w.field("agent", "agent-7");
    w.field("queue", "general");
    w.key("skills").strings(skills);
    w.field("version", std::int64_t{3});
    w.field("escalated", false);
    w.key("at").timestamp(bench_now_ms);
    w.key("due").optional_timestamp(std::nullopt);
    w.field("note", "a \"quoted\" reason\nwith a newline");
    w.end_object();
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_JsonWriterEvent);

void BM_AppendJsonString(benchmark::State& state) {
  std::string out;
  out.reserve(256);
  const std::string text(static_cast<std::size_t>(state.range(0)), 'x');
  for (auto _ : state) {
    out.clear();
    api::append_json_string(out, text);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_AppendJsonString)->Arg(16)->Arg(128);

// Finding a request's token among N (a platform with a token per tenant): the index against
// comparing the header with every token in constant time, as ticketd did before it.
config::auth_config many_tokens(int n) {
  config::auth_config a;
  for (int i = 0; i < n; ++i) {
    a.tokens.push_back({"tenant-" + std::to_string(i),
                        config::token_role::backend,
                        "",
                        "",
                        {},
                        "0123456789abcdef-secret-of-tenant-" + std::to_string(i)});
  }
  return a;
}

void BM_TokenIndexFind(benchmark::State& state) {
  const auto a = many_tokens(static_cast<int>(state.range(0)));
  const api::token_index index(a);
  const std::string header = "Bearer " + a.tokens[a.tokens.size() / 2].secret;
  for (auto _ : state) benchmark::DoNotOptimize(index.find(header));
}
BENCHMARK(BM_TokenIndexFind)->ArgName("tokens")->Arg(3)->Arg(10000);

void BM_TokenScan(benchmark::State& state) {
  const auto a = many_tokens(static_cast<int>(state.range(0)));
  const std::string secret = a.tokens[a.tokens.size() / 2].secret;
  for (auto _ : state) {
    const config::token_config* found = nullptr;
    for (const auto& t : a.tokens) {
      if (api::constant_time_equal(secret, t.secret) && found == nullptr) {
        found = &t;
      }
    }
    benchmark::DoNotOptimize(found);
  }
}
BENCHMARK(BM_TokenScan)->ArgName("tokens")->Arg(3)->Arg(10000);

}  // namespace
}  // namespace ticketd::bench
