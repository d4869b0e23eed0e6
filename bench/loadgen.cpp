// loadgen: a load generator for ticketd's HTTP API (bench/README.md). One thread, one
// io_context, one coroutine per keep-alive connection; it speaks only HTTP/1.1 and never links
// the daemon. Latencies go into preallocated log-linear histograms: nothing on the request path
// allocates once the buffers have grown to the response sizes.
//
// Scenarios:
//   cycle    each connection repeats create -> next -> resolve with its own agent, bounded by
//            --cycles and --duration (after --warmup); --rate paces cycles open-loop
//   prefill  creates --count tickets as fast as the connections allow
// --queue-depth N prefills N tickets before the cycle scenario.

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <sys/resource.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace loadgen {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using steady = std::chrono::steady_clock;
using std::chrono::duration_cast;
using std::chrono::nanoseconds;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Options ----------------------------------------------------------------------------------------

constexpr std::string_view usage = R"(usage: loadgen [options]
  --scenario cycle|prefill   cycle: create -> next -> resolve per connection (default cycle)
  --host H                   default 127.0.0.1
  --port P                   default 8080
  --connections C            concurrent keep-alive connections (default 64)
  --agents A                 agents set up for the cycle scenario (default 64); connection i uses
                             agent i % A
  --agent-prefix S           agent ids are S-<i> (default loadgen)
  --cycles N                 bound on measured cycles (default 10000000)
  --duration S               bound on the measured seconds (default 10)
  --warmup S                 seconds of unmeasured cycles first (default 2)
  --rate R                   target cycles/s, paced open-loop over all connections; 0 saturates
                             (default 0)
  --prefix S                 ticket id prefix (default random: lg<8 hex>)
  --count N                  prefill: tickets to create
  --queue-depth N            cycle: prefill N waiting tickets first
  --prefill-timeout S        bound on any prefill (default 3600)
  --timeout S                per-request timeout (default 10)
  --workspaces W             spread the work over workspaces ws-0 .. ws-<W-1> (/v1/w/ws-k/...):
                             connection i works in ws-<i % W>, every agent is set up in each,
                             a prefill goes to each connection's workspace; 0 (default): the
                             main workspace (/v1/...)
  --workspace-prefix S       the workspaces' names are S0, S1, ... (default ws-)
  --before-measure CMD       shell command run after setup and prefill, before the first cycle
                             (run_load.sh snapshots Redis and daemon counters there)
)";

struct options {
  std::string scenario = "cycle";
  std::string host = "127.0.0.1";
  std::string port = "8080";
  unsigned connections = 64;
  unsigned agents = 64;
  std::string agent_prefix = "loadgen";
  std::uint64_t cycles = 10'000'000;
  double duration_s = 10;
  double warmup_s = 2;
  double rate = 0;
  std::string prefix;
  std::uint64_t count = 0;
  std::uint64_t queue_depth = 0;
  double prefill_timeout_s = 3600;
  double timeout_s = 10;
  std::string before_measure;
  unsigned workspaces = 0;
  std::string workspace_prefix = "ws-";
};

// The path prefix of connection `i`'s workspace.
std::string base_of(const options& o, std::size_t i) {
  if (o.workspaces == 0) return "/v1";
  return "/v1/w/" + o.workspace_prefix + std::to_string(i % o.workspaces);
}

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "loadgen: %s\n%.*s", message.c_str(), static_cast<int>(usage.size()),
               usage.data());
  std::exit(2);
}

template <class T>
T number_of(std::string_view name, std::string_view text) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    usage_error(std::string{name} + ": not a number: " + std::string{text});
  }
  return value;
}

std::string random_prefix() {
  std::random_device rd;
  char buf[16];
  std::snprintf(buf, sizeof buf, "lg%08x", static_cast<unsigned>(rd()));
  return buf;
}

options parse_options(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fwrite(usage.data(), 1, usage.size(), stdout);
      std::exit(0);
    }
    if (i + 1 >= argc) usage_error(std::string{arg} + " needs a value (or is unknown)");
    const std::string_view v = argv[++i];
    if (arg == "--scenario") {
      o.scenario = v;
    } else if (arg == "--host") {
      o.host = v;
    } else if (arg == "--port") {
      o.port = v;
    } else if (arg == "--connections") {
      o.connections = number_of<unsigned>(arg, v);
    } else if (arg == "--agents") {
      o.agents = number_of<unsigned>(arg, v);
    } else if (arg == "--agent-prefix") {
      o.agent_prefix = v;
    } else if (arg == "--cycles") {
      o.cycles = number_of<std::uint64_t>(arg, v);
    } else if (arg == "--duration") {
      o.duration_s = number_of<double>(arg, v);
    } else if (arg == "--warmup") {
      o.warmup_s = number_of<double>(arg, v);
    } else if (arg == "--rate") {
      o.rate = number_of<double>(arg, v);
    } else if (arg == "--prefix") {
      o.prefix = v;
    } else if (arg == "--count") {
      o.count = number_of<std::uint64_t>(arg, v);
    } else if (arg == "--queue-depth") {
      o.queue_depth = number_of<std::uint64_t>(arg, v);
    } else if (arg == "--prefill-timeout") {
      o.prefill_timeout_s = number_of<double>(arg, v);
    } else if (arg == "--timeout") {
      o.timeout_s = number_of<double>(arg, v);
    } else if (arg == "--workspaces") {
      o.workspaces = number_of<unsigned>(arg, v);
    } else if (arg == "--workspace-prefix") {
      o.workspace_prefix = v;
    } else if (arg == "--before-measure") {
      o.before_measure = v;
    } else {
      usage_error("unknown option " + std::string{arg});
    }
  }
  if (o.scenario != "cycle" && o.scenario != "prefill")
    usage_error("unknown scenario " + o.scenario);
  if (o.connections == 0) usage_error("--connections must be at least 1");
  if (o.scenario == "cycle" && o.agents == 0) usage_error("--agents must be at least 1");
  if (o.scenario == "prefill" && o.count == 0) usage_error("prefill needs --count N");
  if (o.duration_s <= 0 || o.warmup_s < 0 || o.rate < 0 || o.timeout_s <= 0) {
    usage_error("durations and rates must be positive");
  }
  if (o.prefix.empty()) o.prefix = random_prefix();
  return o;
}

steady::duration seconds_of(double s) {
  return duration_cast<steady::duration>(std::chrono::duration<double>(s));
}

// Histogram ----------------------------------------------------------------------------------

// Log-linear nanosecond histogram (HdrHistogram's layout): values below 256 exact, above that
// 128 linear sub-buckets per power of two, so a reported percentile is within 0.8 % of the truth.
class histogram {
 public:
  void record(std::uint64_t ns) {
    ns = std::min(ns, max_value);
    ++counts_[index_of(ns)];
    ++total_;
    max_ = std::max(max_, ns);
  }

  std::uint64_t count() const { return total_; }
  std::uint64_t max() const { return max_; }

  // The smallest recorded bucket bound below which a fraction q of the values lie.
  std::uint64_t percentile(double q) const {
    if (total_ == 0) return 0;
    const auto rank = std::max<std::uint64_t>(
        1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total_))));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(upper_of(i), max_);
    }
    return max_;
  }

 private:
  static constexpr int sub_bits = 7;
  static constexpr std::uint64_t sub_count = 1u << sub_bits;
  static constexpr int max_bits = 40;  // about 18 minutes
  static constexpr std::uint64_t max_value = (std::uint64_t{1} << max_bits) - 1;
  static constexpr std::size_t bucket_count = 2 * sub_count + (max_bits - sub_bits - 1) * sub_count;

  static std::size_t index_of(std::uint64_t v) {
    if (v < 2 * sub_count) return v;
    const auto shift = static_cast<std::uint64_t>(std::bit_width(v) - (sub_bits + 1));
    return (shift + 1) * sub_count + ((v >> shift) - sub_count);
  }
  static std::uint64_t upper_of(std::size_t i) {
    if (i < 2 * sub_count) return i;
    const std::uint64_t shift = i / sub_count - 1;
    const std::uint64_t top = i % sub_count + sub_count;
    return ((top + 1) << shift) - 1;
  }

  std::array<std::uint64_t, bucket_count> counts_{};
  std::uint64_t total_ = 0;
  std::uint64_t max_ = 0;
};

std::uint64_t ns_between(steady::time_point from, steady::time_point to) {
  return static_cast<std::uint64_t>(
      std::max<std::int64_t>(0, duration_cast<nanoseconds>(to - from).count()));
}

// HTTP/1.1 client connection ------------------------------------------------------------------

struct response {
  int status = 0;
  std::string_view body;  // valid until the next request on the connection
};

// One keep-alive connection: writes a request with Content-Length, reads the status line,
// the headers and a Content-Length body. No chunked bodies (ticketd never sends them).
// A watchdog closes the socket when `deadline` passes, which fails the pending operation.
class http_connection {
 public:
  http_connection(asio::any_io_executor ex, std::string host_header)
      : socket_(ex), host_header_(std::move(host_header)) {
    in_.resize(16 * 1024);
    out_.reserve(1024);
  }

  asio::awaitable<error_code> async_connect(const tcp::resolver::results_type& endpoints) {
    close();
    auto [ec, ep] = co_await asio::async_connect(socket_, endpoints, use_tuple);
    if (ec) co_return ec;
    socket_.set_option(tcp::no_delay(true), ec);
    begin_ = end_ = consumed_ = 0;
    reconnect_ = false;
    co_return ec;
  }

  bool needs_reconnect() const { return reconnect_ || !socket_.is_open(); }

  void close() {
    error_code ignored;
    socket_.close(ignored);
  }

  asio::awaitable<error_code> async_request(std::string_view method, std::string_view target,
                                            std::string_view body, response& r) {
    discard_previous();
    out_.clear();
    out_.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ");
    out_.append(host_header_);
    out_.append("\r\nContent-Type: application/json\r\nContent-Length: ");
    char digits[24];
    const auto len = std::to_chars(digits, digits + sizeof digits, body.size()).ptr;
    out_.append(digits, len).append("\r\n\r\n").append(body);

    auto [wec, written] = co_await asio::async_write(socket_, asio::buffer(out_), use_tuple);
    if (wec) co_return fail(wec);

    // Headers.
    std::size_t header_end = 0;
    for (;;) {
      const std::string_view have(in_.data() + begin_, end_ - begin_);
      const auto at = have.find("\r\n\r\n");
      if (at != std::string_view::npos) {
        header_end = at + 4;
        break;
      }
      if (auto ec = co_await async_fill()) co_return fail(ec);
    }
    const std::string_view head(in_.data() + begin_, header_end);
    std::size_t content_length = 0;
    if (!parse_head(head, r.status, content_length)) {
      co_return fail(boost::system::errc::make_error_code(boost::system::errc::protocol_error));
    }
    while (end_ - begin_ < header_end + content_length) {
      if (auto ec = co_await async_fill()) co_return fail(ec);
    }
    r.body = std::string_view(in_.data() + begin_ + header_end, content_length);
    consumed_ = header_end + content_length;
    co_return error_code{};
  }

  asio::any_io_executor executor() { return socket_.get_executor(); }

  steady::time_point deadline = steady::time_point::max();

 private:
  static bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return (x | 0x20) == (y | 0x20);
           });
  }

  static std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  }

  bool parse_head(std::string_view head, int& status, std::size_t& content_length) {
    // HTTP/1.1 200 OK
    if (head.size() < 12 || !head.starts_with("HTTP/1.")) return false;
    const auto [p, ec] = std::from_chars(head.data() + 9, head.data() + 12, status);
    if (ec != std::errc{} || p != head.data() + 12) return false;
    auto line_end = head.find("\r\n");
    head.remove_prefix(line_end + 2);
    while (!head.empty()) {
      line_end = head.find("\r\n");
      const std::string_view line = head.substr(0, line_end);
      head.remove_prefix(line_end + 2);
      if (line.empty()) break;
      const auto colon = line.find(':');
      if (colon == std::string_view::npos) return false;
      const std::string_view name = line.substr(0, colon);
      const std::string_view value = trim(line.substr(colon + 1));
      if (iequals(name, "content-length")) {
        const auto [q, vec] =
            std::from_chars(value.data(), value.data() + value.size(), content_length);
        if (vec != std::errc{} || q != value.data() + value.size()) return false;
      } else if (iequals(name, "transfer-encoding")) {
        return false;  // chunked bodies are not expected from ticketd
      } else if (iequals(name, "connection") && iequals(value, "close")) {
        reconnect_ = true;
      }
    }
    return true;
  }

  void discard_previous() {
    begin_ += consumed_;
    consumed_ = 0;
    if (begin_ == end_) begin_ = end_ = 0;
  }

  // Reads more bytes, compacting or growing the buffer when it is full.
  asio::awaitable<error_code> async_fill() {
    if (end_ == in_.size()) {
      if (begin_ > 0) {
        std::memmove(in_.data(), in_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
      } else if (in_.size() < max_buffer) {
        in_.resize(in_.size() * 2);
      } else {
        co_return boost::system::errc::make_error_code(boost::system::errc::message_size);
      }
    }
    auto [ec, n] = co_await socket_.async_read_some(
        asio::buffer(in_.data() + end_, in_.size() - end_), use_tuple);
    end_ += n;
    co_return ec;
  }

  error_code fail(error_code ec) {
    reconnect_ = true;
    close();
    begin_ = end_ = consumed_ = 0;
    return ec;
  }

  static constexpr std::size_t max_buffer = 4 * 1024 * 1024;

  tcp::socket socket_;
  std::string host_header_;
  std::string out_;
  std::vector<char> in_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t consumed_ = 0;  // bytes of the last response, dropped before the next request
  bool reconnect_ = false;
};

// The run ------------------------------------------------------------------------------------

enum call {
  create_call,
  next_call,
  resolve_call,
  cycle_total,
  prefill_call,
  agent_put_call,
  call_count
};
constexpr std::array<std::string_view, call_count> call_names = {
    "create", "next", "resolve", "cycle", "prefill create", "agent put"};

struct run_state {
  explicit run_state(options o) : opt(std::move(o)) {}

  options opt;
  tcp::resolver::results_type endpoints;
  std::vector<std::unique_ptr<http_connection>> connections;
  bool stop = false;      // SIGINT/SIGTERM
  bool finished = false;  // stops the watchdog

  std::array<histogram, call_count> latency;
  std::map<std::string, std::uint64_t>
      errors;  // "<call> <status|io error>"; touched on errors only
  std::uint64_t error_total = 0;

  // Cycle scenario.
  steady::time_point t0;             // schedule origin (warmup starts here)
  steady::time_point measure_start;  // t0 + warmup
  steady::time_point end_time;       // measure_start + duration
  steady::time_point last_measured_end;
  std::uint64_t next_slot = 0;
  std::uint64_t measured_started = 0;
  std::uint64_t measured_done = 0;
  std::uint64_t total_done = 0;  // including warmup
  std::uint64_t next_ticket = 0;
  std::uint64_t max_lag_ns = 0;  // paced: how late a cycle started against its schedule

  // Prefill.
  std::uint64_t prefill_next = 0;
  std::uint64_t prefill_done = 0;
  steady::time_point prefill_end;

  void error(call c, int status, const error_code& ec) {
    ++error_total;
    std::string key{call_names[c]};
    key += ' ';
    key += ec ? "io:" + ec.message() : std::to_string(status);
    ++errors[key];
  }
};

// Sends a request; counts a failure (I/O error or unexpected status) against `c`.
asio::awaitable<bool> async_call(run_state& r, http_connection& conn, call c,
                                 std::string_view method, std::string_view target,
                                 std::string_view body, int expect, response& out,
                                 std::uint64_t& ns, bool record = true) {
  if (conn.needs_reconnect()) {
    conn.deadline = steady::now() + seconds_of(r.opt.timeout_s);
    auto ec = co_await conn.async_connect(r.endpoints);
    conn.deadline = steady::time_point::max();
    if (ec) {
      r.error(c, 0, ec);
      co_return false;
    }
  }
  const auto start = steady::now();
  conn.deadline = start + seconds_of(r.opt.timeout_s);
  auto ec = co_await conn.async_request(method, target, body, out);
  conn.deadline = steady::time_point::max();
  const auto end = steady::now();
  ns = ns_between(start, end);
  if (ec || out.status != expect) {
    r.error(c, out.status, ec);
    co_return false;
  }
  if (record) r.latency[c].record(ns);
  co_return true;
}

// `"id":"<value>"`, the first one: the ticket's own id in {"ticket":{"id":...}}.
bool find_id(std::string_view json, std::string& out) {
  constexpr std::string_view key = "\"id\":";
  auto at = json.find(key);
  if (at == std::string_view::npos) return false;
  at += key.size();
  while (at < json.size() && json[at] == ' ') ++at;
  if (at >= json.size() || json[at] != '"') return false;
  const auto end = json.find('"', at + 1);
  if (end == std::string_view::npos) return false;
  out.assign(json.substr(at + 1, end - at - 1));
  return !out.empty();
}

void append_number(std::string& s, std::uint64_t n) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  s.append(digits, end);
}

void create_body(std::string& body, std::string& id, const std::string& prefix,
                 std::string_view infix, std::uint64_t n) {
  id.assign(prefix).append(infix);
  append_number(id, n);
  body.assign(R"({"id":")").append(id).append(R"(","channel":"email"})");
}

asio::awaitable<void> async_prefill_worker(run_state& r, http_connection& conn, std::string base) {
  const std::string create_target = base + "/tickets";
  std::string body, id;
  body.reserve(256);
  id.reserve(128);
  response resp;
  std::uint64_t ns = 0;
  while (!r.stop && r.prefill_next < r.opt.count && steady::now() < r.prefill_end) {
    create_body(body, id, r.opt.prefix, "-q-", r.prefill_next++);
    if (co_await async_call(r, conn, prefill_call, "POST", create_target, body, 201, resp, ns)) {
      ++r.prefill_done;
    }
  }
}

asio::awaitable<void> async_cycle_worker(run_state& r, http_connection& conn, std::string agent,
                                         std::string base) {
  asio::steady_timer pace(conn.executor());
  std::string body, id, ticket, target;
  body.reserve(256);
  id.reserve(128);
  ticket.reserve(160);
  target.reserve(256);
  const std::string next_target = base + "/agents/" + agent + "/next";
  const std::string create_target = base + "/tickets";
  const bool paced = r.opt.rate > 0;
  const double slot_ns = paced ? 1e9 / r.opt.rate : 0;
  response resp;
  std::uint64_t ns = 0;
  while (!r.stop) {
    steady::time_point start;
    if (paced) {
      start =
          r.t0 + nanoseconds(static_cast<std::int64_t>(static_cast<double>(r.next_slot) * slot_ns));
      if (start >= r.end_time) break;
      ++r.next_slot;
      if (start > steady::now()) {
        pace.expires_at(start);
        co_await pace.async_wait(use_tuple);
      } else {
        // Behind schedule: the time bound still holds, so late slots past it are dropped.
        const auto now = steady::now();
        if (now >= r.end_time) break;
        if (start >= r.measure_start) r.max_lag_ns = std::max(r.max_lag_ns, ns_between(start, now));
      }
    } else {
      start = steady::now();
      if (start >= r.end_time) break;
    }
    const bool measured = start >= r.measure_start;
    if (measured) {
      if (r.measured_started >= r.opt.cycles) break;
      ++r.measured_started;
    }
    create_body(body, id, r.opt.prefix, "-", r.next_ticket++);
    if (!co_await async_call(r, conn, create_call, "POST", create_target, body, 201, resp, ns,
                             measured)) {
      continue;
    }
    if (!co_await async_call(r, conn, next_call, "POST", next_target, "", 200, resp, ns,
                             measured)) {
      continue;
    }
    if (!find_id(resp.body, ticket)) {
      r.error(next_call, -1, {});  // 200 without a ticket id: counted as status -1
      continue;
    }
    target.assign(base).append("/tickets/").append(ticket).append("/resolve");
    if (!co_await async_call(r, conn, resolve_call, "POST", target, "{}", 200, resp, ns,
                             measured)) {
      continue;
    }
    const auto end = steady::now();
    ++r.total_done;
    if (measured) {
      ++r.measured_done;
      r.latency[cycle_total].record(ns_between(start, end));
      r.last_measured_end = std::max(r.last_measured_end, end);
    }
  }
}

// Closes connections whose request outlived its deadline, failing the pending operation.
asio::awaitable<void> async_watchdog(run_state& r) {
  asio::steady_timer tick(co_await asio::this_coro::executor);
  while (!r.finished) {
    tick.expires_after(std::chrono::milliseconds(100));
    co_await tick.async_wait(use_tuple);
    const auto now = steady::now();
    for (auto& c : r.connections) {
      if (c->deadline <= now) c->close();
    }
  }
}

// Runs one worker per connection and waits for all of them.
template <class Worker>
asio::awaitable<void> async_run_all(run_state& r, Worker make_worker) {
  auto ex = co_await asio::this_coro::executor;
  std::size_t remaining = r.connections.size();
  asio::steady_timer all_done(ex, steady::time_point::max());
  for (std::size_t i = 0; i < r.connections.size(); ++i) {
    auto finished = [&remaining, &all_done, &r](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) {
          ++r.error_total;
          ++r.errors[std::string{"worker exception: "} + x.what()];
        }
      }
      // expires_at cancels the wait below and makes any later wait complete at once.
      if (--remaining == 0) all_done.expires_at(steady::time_point::min());
    };
    asio::co_spawn(ex, make_worker(i), finished);
  }
  while (remaining > 0) co_await all_done.async_wait(use_tuple);
}

double ms(std::uint64_t ns) { return static_cast<double>(ns) / 1e6; }

void print_latency_table(const run_state& r, std::initializer_list<call> calls) {
  std::printf("%-16s %10s %9s %9s %9s %9s %9s\n", "latency (ms)", "count", "p50", "p90", "p99",
              "p99.9", "max");
  for (const call c : calls) {
    const auto& h = r.latency[c];
    std::printf(
        "%-16.*s %10llu %9.3f %9.3f %9.3f %9.3f %9.3f\n", static_cast<int>(call_names[c].size()),
        call_names[c].data(), static_cast<unsigned long long>(h.count()), ms(h.percentile(0.5)),
        ms(h.percentile(0.9)), ms(h.percentile(0.99)), ms(h.percentile(0.999)), ms(h.max()));
  }
}

void print_errors(const run_state& r) {
  std::printf("errors: %llu\n", static_cast<unsigned long long>(r.error_total));
  for (const auto& [what, n] : r.errors) {
    std::printf("  %-40s %llu\n", what.c_str(), static_cast<unsigned long long>(n));
  }
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

asio::awaitable<void> async_prefill(run_state& r, std::uint64_t count) {
  r.opt.count = count;
  r.prefill_next = r.prefill_done = 0;
  const auto start = steady::now();
  r.prefill_end = start + seconds_of(r.opt.prefill_timeout_s);
  std::printf("prefill: creating %llu tickets (%s-q-N) over %zu connections...\n",
              static_cast<unsigned long long>(count), r.opt.prefix.c_str(), r.connections.size());
  auto make = [&r](std::size_t i) {
    return async_prefill_worker(r, *r.connections[i], base_of(r.opt, i));
  };
  co_await async_run_all(r, make);
  const double secs = std::chrono::duration<double>(steady::now() - start).count();
  std::printf("prefill: %llu of %llu tickets created in %.2f s = %.0f creates/s\n",
              static_cast<unsigned long long>(r.prefill_done),
              static_cast<unsigned long long>(count), secs,
              static_cast<double>(r.prefill_done) / secs);
  print_latency_table(r, {prefill_call});
  if (r.prefill_done < count) {
    ++r.error_total;
    ++r.errors["prefill incomplete (time bound or failures)"];
  }
}

asio::awaitable<bool> async_setup_agents(run_state& r) {
  auto& conn = *r.connections[0];
  response resp;
  std::uint64_t ns = 0;
  std::string target, body;
  bool ok = true;
  for (unsigned w = 0; w < std::max(1U, r.opt.workspaces); ++w) {
    for (unsigned i = 0; i < r.opt.agents; ++i) {
      const std::string id = r.opt.agent_prefix + "-" + std::to_string(i);
      target = base_of(r.opt, w) + "/agents/" + id;
      body = R"({"name":")" + id +
             R"(","queues":["general"],"max_concurrent":1000,"status":"online"})";
      ok = co_await async_call(r, conn, agent_put_call, "PUT", target, body, 200, resp, ns) && ok;
    }
  }
  co_return ok;
}

asio::awaitable<void> async_cycles(run_state& r) {
  if (r.opt.queue_depth > 0) co_await async_prefill(r, r.opt.queue_depth);
  if (!r.opt.before_measure.empty()) {
    std::fflush(stdout);
    if (const int rc = std::system(r.opt.before_measure.c_str()); rc != 0) {
      std::fprintf(stderr, "loadgen: --before-measure command exited with %d\n", rc);
    }
  }
  const double cpu0 = cpu_seconds();
  r.t0 = steady::now();
  r.measure_start = r.t0 + seconds_of(r.opt.warmup_s);
  r.end_time = r.measure_start + seconds_of(r.opt.duration_s);
  r.last_measured_end = r.measure_start;
  auto make = [&r](std::size_t i) {
    return async_cycle_worker(r, *r.connections[i],
                              r.opt.agent_prefix + "-" + std::to_string(i % r.opt.agents),
                              base_of(r.opt, i));
  };
  co_await async_run_all(r, make);
  const double cpu = cpu_seconds() - cpu0;
  const double secs = std::chrono::duration<double>(r.last_measured_end - r.measure_start).count();
  const double rate = secs > 0 ? static_cast<double>(r.measured_done) / secs : 0;
  std::printf("cycles: %llu measured in %.2f s = %.1f cycles/s (%.1f API calls/s)\n",
              static_cast<unsigned long long>(r.measured_done), secs, rate, 3 * rate);
  if (r.opt.rate > 0) {
    const auto scheduled = std::min<std::uint64_t>(
        r.opt.cycles, static_cast<std::uint64_t>(r.opt.rate * r.opt.duration_s));
    std::printf(
        "pacing: target %.0f cycles/s, %llu of %llu scheduled cycles started, max start "
        "lag %.3f ms (cycle latency counts from the scheduled start)\n",
        r.opt.rate, static_cast<unsigned long long>(r.measured_started),
        static_cast<unsigned long long>(scheduled), ms(r.max_lag_ns));
  }
  print_latency_table(r, {create_call, next_call, resolve_call, cycle_total});
  const double total = static_cast<double>(std::max<std::uint64_t>(1, r.total_done));
  std::printf("loadgen cpu: %.2f s, %.1f us per cycle\n", cpu, cpu * 1e6 / total);
  std::printf("RESULT cycles=%llu cycles_total=%llu seconds=%.3f rate=%.1f errors=%llu\n",
              static_cast<unsigned long long>(r.measured_done),
              static_cast<unsigned long long>(r.total_done), secs, rate,
              static_cast<unsigned long long>(r.error_total));
}

asio::awaitable<void> async_main(run_state& r) {
  auto ex = co_await asio::this_coro::executor;
  tcp::resolver resolver(ex);
  auto [rec, endpoints] = co_await resolver.async_resolve(r.opt.host, r.opt.port, use_tuple);
  if (rec) {
    std::fprintf(stderr, "loadgen: cannot resolve %s:%s: %s\n", r.opt.host.c_str(),
                 r.opt.port.c_str(), rec.message().c_str());
    r.error(cycle_total, 0, rec);
    co_return;
  }
  r.endpoints = endpoints;
  const std::string host_header = r.opt.host + ":" + r.opt.port;
  for (unsigned i = 0; i < r.opt.connections; ++i) {
    r.connections.push_back(std::make_unique<http_connection>(ex, host_header));
    if (auto ec = co_await r.connections.back()->async_connect(r.endpoints)) {
      std::fprintf(stderr, "loadgen: cannot connect to %s: %s\n", host_header.c_str(),
                   ec.message().c_str());
      r.error(cycle_total, 0, ec);
      co_return;
    }
  }
  asio::co_spawn(ex, async_watchdog(r), asio::detached);
  std::printf("loadgen: scenario %s, %u connections, prefix %s\n", r.opt.scenario.c_str(),
              r.opt.connections, r.opt.prefix.c_str());
  if (r.opt.scenario == "prefill") {
    co_await async_prefill(r, r.opt.count);
  } else if (co_await async_setup_agents(r)) {
    std::printf("cycle: %u agents (%s-N), warmup %.1f s, then up to %.1f s or %llu cycles, %s\n",
                r.opt.agents, r.opt.agent_prefix.c_str(), r.opt.warmup_s, r.opt.duration_s,
                static_cast<unsigned long long>(r.opt.cycles),
                r.opt.rate > 0
                    ? ("rate " + std::to_string(static_cast<long>(r.opt.rate)) + "/s").c_str()
                    : "saturating");
    co_await async_cycles(r);
  } else {
    std::fprintf(stderr, "loadgen: agent setup failed\n");
  }
  r.finished = true;
  for (auto& c : r.connections) c->close();
  print_errors(r);
}

}  // namespace
}  // namespace loadgen

int main(int argc, char** argv) {
  using namespace loadgen;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress interleaves with stderr in order
  run_state r(parse_options(argc, argv));
  asio::io_context io(1);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&r](const error_code& ec, int) {
    if (!ec) r.stop = true;
  });
  int fatal = 0;
  asio::co_spawn(io, async_main(r), [&](std::exception_ptr e) {
    signals.cancel();
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      std::fprintf(stderr, "loadgen: %s\n", x.what());
      fatal = 2;
    }
  });
  io.run();
  if (fatal != 0) return fatal;
  return r.error_total == 0 ? 0 : 1;
}
