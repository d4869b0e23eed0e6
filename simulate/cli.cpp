#include "simulate/cli.hpp"

#include <sched.h>

#include <charconv>
#include <csignal>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include "config/loader.hpp"
#include "routing/time_format.hpp"
#include "simulate/private_redis.hpp"
#include "simulate/simulator.hpp"

namespace ticketd::simulate {

namespace {

constexpr std::string_view usage =
    R"(usage: ticketd simulate --config FILE --workload FILE [--baseline FILE] [--report FILE]
                        [--handle CHANNEL=REPLY_S,RESOLVE_S[,SPREAD]]... [--seed N]
                        [--until TIME] [--redis-server PATH]

  --config FILE      the configuration to try (the same YAML ticketd runs)
  --workload FILE    JSON lines in time order (docs/guides/try-a-routing-change.md); - for stdin
  --baseline FILE    a second configuration run on the same workload, shown side by side
                     with the differences (candidate minus baseline)
  --report FILE      also write the report as JSON
  --handle ...       how long agents take on a channel's tickets without their own `handle`:
                     seconds to the reply, then to resolving, and a spread from 0 to 1 (each
                     time drawn from d*(1-spread) to d*(1+spread)); CHANNEL `default` for the
                     rest. Built in: default=300,600
  --seed N           the seed of those draws (default 1): the same inputs, the same report
  --until TIME       after the workload, let the timers run up to TIME (RFC 3339)
  --redis-server P   the redis-server to start privately (default: the configuration's
                     redis.server_binary)
)";

std::optional<std::shared_ptr<const config::config>> load(const std::string& path) {
  auto r = config::load_config_file(path);
  for (const auto& w : r.warnings) std::cerr << path << ": warning: " << w << "\n";
  for (const auto& e : r.errors) std::cerr << e.to_string() << "\n";
  if (!r.errors.empty()) return std::nullopt;
  return r.value;
}

// The simulation and its redis-server take turns, never run together: on one CPU each hands the
// turn over directly, while across two every turn wakes the other CPU (twice as slow here).
// The server started after this inherits the choice.
void share_one_cpu() {
  const int cpu = ::sched_getcpu();
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  ::sched_setaffinity(0, sizeof set, &set);  // best effort: only speed depends on it
}

volatile std::sig_atomic_t stop_requested = 0;

extern "C" void request_stop(int) { stop_requested = 1; }

int bad(std::string_view message) {
  std::cerr << "ticketd simulate: " << message << "\n" << usage;
  return 2;
}

}  // namespace

int main(std::span<const std::string_view> args) {
  std::string config_file, workload_file, baseline_file, report_file, server;
  options opts;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << usage;
      return 0;
    }
    if (i + 1 >= args.size()) return bad(std::string{arg} + " needs a value");
    const std::string value{args[++i]};
    if (arg == "--config") {
      config_file = value;
    } else if (arg == "--workload") {
      workload_file = value;
    } else if (arg == "--baseline") {
      baseline_file = value;
    } else if (arg == "--report") {
      report_file = value;
    } else if (arg == "--redis-server") {
      server = value;
    } else if (arg == "--handle") {
      auto h = parse_handle_option(value);
      if (!h) return bad("--handle " + value + ": expected CHANNEL=REPLY_S,RESOLVE_S[,SPREAD]");
      opts.handlings[h->first] = h->second;
    } else if (arg == "--seed") {
      const auto r = std::from_chars(value.data(), value.data() + value.size(), opts.seed);
      if (value.empty() || r.ec != std::errc{} || r.ptr != value.data() + value.size()) {
        return bad("--seed must be a whole number");
      }
    } else if (arg == "--until") {
      opts.until = routing::parse_rfc3339(value);
      if (!opts.until) return bad("--until must be an RFC 3339 time");
    } else {
      return bad("unknown argument " + std::string{arg});
    }
  }
  if (config_file.empty() || workload_file.empty())
    return bad("--config and --workload are needed");
  auto candidate = load(config_file);
  std::optional<std::shared_ptr<const config::config>> baseline;
  if (!baseline_file.empty()) baseline = load(baseline_file);
  if (!candidate || (!baseline_file.empty() && !baseline)) return 2;

  std::ifstream file;
  if (workload_file != "-") {
    file.open(workload_file);
    if (!file) return bad("cannot read " + workload_file);
  }
  auto parsed = parse_workload(workload_file == "-" ? std::cin : file);
  for (const auto& e : parsed.errors) {
    std::cerr << workload_file << ":" << e.line << ": " << e.message << "\n";
  }
  if (!parsed.errors.empty()) return 2;
  if (server.empty()) server = (*candidate)->redis.server_binary.string();

  share_one_cpu();
  // ^C or a TERM stops the run between two steps, so its redis-server and directory go too.
  opts.stop = &stop_requested;
  std::signal(SIGINT, request_stop);
  std::signal(SIGTERM, request_stop);
  try {
    private_redis redis_server(server);
    sync_redis redis(redis_server.socket());
    auto run = [&](const std::shared_ptr<const config::config>& cfg) {
      // Simulated agents have no sockets: with presence by connection, the workload's status
      // lines stand for their connections coming and going.
      auto simulated = std::make_shared<config::config>(*cfg);
      simulated->agents.presence = config::presence_mode::api;
      return run_simulation(redis, std::make_shared<const daemon::runtime>(simulated), parsed.value,
                            opts);
    };
    const report c = run(*candidate);
    std::optional<report> b;
    if (baseline) b = run(*baseline);
    std::cout << report_text(c, b ? &*b : nullptr);
    if (!report_file.empty()) {
      std::ofstream out(report_file);
      out << report_json(c, b ? &*b : nullptr);
      if (!out) {
        std::cerr << "ticketd simulate: cannot write " << report_file << "\n";
        return 1;
      }
    }
  } catch (const interrupted&) {
    std::cerr << "ticketd simulate: interrupted\n";
    return 130;
  } catch (const std::exception& e) {
    std::cerr << "ticketd simulate: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace ticketd::simulate
