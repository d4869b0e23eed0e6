// pushgen: the push scenario of the load generator (bench/README.md). Agents connect over
// WebSocket and accept every offer they receive, then resolve the ticket over HTTP; creators
// post tickets to a push queue, paced open-loop (--rate) or as fast as they can. Prints tickets
// routed per second (created, offered, accepted and resolved) and the time from sending the
// create to the offer arriving on the agent's socket, and its own CPU per ticket routed in the
// measured window. One thread, one io_context; the window's hooks run on a thread of their own.

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <sys/resource.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>

namespace pushgen {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

constexpr std::string_view usage = R"(usage: pushgen [options]
  --port P          ticketd's port (default 8080)
  --queue Q         a push queue with accept_timeout (default sales)
  --agents A        agents connected over WebSocket (default 20)
  --max M           each agent's max_concurrent (default 20)
  --creators C      concurrent create connections (default 16)
  --rate R          tickets/s created, paced open-loop; 0 = as fast as the creators go (default 0)
  --duration S      measured seconds (default 10)
  --warmup S        unmeasured seconds first (default 2)
  --prefix S        ticket id prefix (default random)
  --before-measure CMD  a shell command run as the measured window opens (on its own thread)
  --after-measure CMD   and one run as it closes (run_push.sh reads the servers' CPU with them)
)";

struct options {
  std::uint16_t port = 8080;
  std::string queue = "sales";
  unsigned agents = 20;
  unsigned max = 20;
  unsigned creators = 16;
  double rate = 0;
  double duration = 10;
  double warmup = 2;
  std::string prefix;
  std::string before_measure;
  std::string after_measure;
};

options parse(int argc, char** argv) {
  options o;
  std::mt19937_64 rng(std::random_device{}());
  o.prefix = "pg" + std::to_string(rng() % 100000000);
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view k = argv[i];
    const std::string v = argv[i + 1];
    if (k == "--port")
      o.port = static_cast<std::uint16_t>(std::stoul(v));
    else if (k == "--queue")
      o.queue = v;
    else if (k == "--agents")
      o.agents = static_cast<unsigned>(std::stoul(v));
    else if (k == "--max")
      o.max = static_cast<unsigned>(std::stoul(v));
    else if (k == "--creators")
      o.creators = static_cast<unsigned>(std::stoul(v));
    else if (k == "--rate")
      o.rate = std::stod(v);
    else if (k == "--duration")
      o.duration = std::stod(v);
    else if (k == "--warmup")
      o.warmup = std::stod(v);
    else if (k == "--prefix")
      o.prefix = v;
    else if (k == "--before-measure")
      o.before_measure = v;
    else if (k == "--after-measure")
      o.after_measure = v;
    else {
      std::fputs(usage.data(), stderr);
      std::exit(2);
    }
  }
  if (argc % 2 == 0) {
    std::fputs(usage.data(), stderr);
    std::exit(2);
  }
  return o;
}

// Ticket ids are <prefix>-<n>: n indexes the send times.
struct state {
  options opt;
  std::vector<steady::time_point> sent;  // create sent, by ticket number
  std::vector<std::uint64_t> offer_ns;   // create -> offer on the socket, measured tickets only
  std::vector<std::uint64_t> create_ns;  // create round trip, measured tickets only
  std::uint64_t next = 0;
  std::uint64_t resolved_measured = 0;
  std::uint64_t errors = 0;
  steady::time_point measure_from, measure_to;
  double window_cpu_s = 0;         // pushgen's own CPU in the measured window
  std::vector<std::thread> hooks;  // --before-measure and --after-measure, joined at the end
  std::atomic<unsigned> hooks_failed{0};
  bool stop = false;
  bool in_window(steady::time_point t) const { return t >= measure_from && t < measure_to; }
};

// A minimal keep-alive HTTP/1.1 client: one request at a time.
struct http {
  explicit http(asio::io_context& io) : socket(io) {}
  tcp::socket socket;
  asio::streambuf in;

  asio::awaitable<bool> connect(std::uint16_t port) {
    auto [ec] = co_await socket.async_connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), use_tuple);
    if (!ec) socket.set_option(tcp::no_delay(true));
    co_return !ec;
  }

  // Returns the status (0 on I/O failure); the body goes to `body`.
  asio::awaitable<int> call(std::string_view method, std::string_view target, std::string_view json,
                            std::string* body = nullptr) {
    std::string req;
    req.reserve(160 + json.size());
    req.append(method).append(" ").append(target).append(
        " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ");
    req.append(std::to_string(json.size())).append("\r\n\r\n").append(json);
    auto [wec, wn] = co_await asio::async_write(socket, asio::buffer(req), use_tuple);
    if (wec) co_return 0;
    auto [hec, hn] = co_await asio::async_read_until(socket, in, "\r\n\r\n", use_tuple);
    if (hec) co_return 0;
    std::string head(asio::buffers_begin(in.data()),
                     asio::buffers_begin(in.data()) + static_cast<std::ptrdiff_t>(hn));
    in.consume(hn);
    const int status = std::atoi(head.c_str() + 9);
    std::size_t length = 0;
    if (auto at = head.find("Content-Length: "); at != std::string::npos) {
      length = std::strtoul(head.c_str() + at + 16, nullptr, 10);
    }
    while (in.size() < length) {
      auto [rec, rn] = co_await asio::async_read(socket, in, asio::transfer_at_least(1), use_tuple);
      if (rec) co_return 0;
    }
    if (body)
      body->assign(asio::buffers_begin(in.data()),
                   asio::buffers_begin(in.data()) + static_cast<std::ptrdiff_t>(length));
    in.consume(length);
    co_return status;
  }
};

std::string_view json_string(std::string_view text, std::string_view key) {
  const std::string needle = "\"" + std::string{key} + "\":\"";
  const auto at = text.find(needle);
  if (at == std::string_view::npos) return {};
  const auto start = at + needle.size();
  const auto end = text.find('"', start);
  return text.substr(start, end - start);
}

std::uint64_t number_of(std::string_view id, std::string_view prefix) {
  std::uint64_t n = 0;
  if (id.size() <= prefix.size() + 1) return UINT64_MAX;
  const auto digits = id.substr(prefix.size() + 1);
  auto r = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  return r.ec == std::errc{} ? n : UINT64_MAX;
}

asio::awaitable<void> agent(state& s, asio::io_context& io, std::string id) {
  http api(io);
  if (!co_await api.connect(s.opt.port)) {
    ++s.errors;
    co_return;
  }
  websocket::stream<beast::tcp_stream> ws(io);
  auto [cec] = co_await beast::get_lowest_layer(ws).async_connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), s.opt.port), use_tuple);
  if (cec) {
    ++s.errors;
    co_return;
  }
  beast::get_lowest_layer(ws).socket().set_option(tcp::no_delay(true));
  auto [hec] = co_await ws.async_handshake("127.0.0.1", "/v1/agents/" + id + "/stream", use_tuple);
  if (hec) {
    std::fprintf(stderr, "pushgen: agent %s: handshake failed: %s\n", id.c_str(),
                 hec.message().c_str());
    ++s.errors;
    co_return;
  }
  ws.text(true);
  beast::flat_buffer buffer;
  std::deque<std::string> offers;  // offer frames not handled yet, oldest first
  std::string reply;
  // Reads one frame; offers are queued (with their arrival measured), the rest returned.
  auto read_frame = [&]() -> asio::awaitable<std::optional<std::string>> {
    auto [ec, n] = co_await ws.async_read(buffer, use_tuple);
    if (ec) co_return std::nullopt;
    const auto now = steady::now();
    std::string frame = beast::buffers_to_string(buffer.data());
    buffer.consume(buffer.size());
    if (json_string(frame, "type") == "ticket.offered") {
      const auto num = number_of(json_string(frame, "ticket"), s.opt.prefix);
      if (num < s.sent.size() && s.in_window(s.sent[num])) {
        s.offer_ns.push_back(static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(now - s.sent[num]).count()));
      }
      offers.push_back(std::move(frame));
      co_return std::string{};
    }
    co_return frame;
  };
  while (!s.stop) {
    if (offers.empty()) {
      if (!co_await read_frame()) break;
      continue;
    }
    const std::string frame = std::move(offers.front());
    offers.pop_front();
    const std::string ticket{json_string(frame, "ticket")};
    const std::string token{json_string(frame, "token")};
    const auto num = number_of(ticket, s.opt.prefix);
    const bool measured = num < s.sent.size() && s.in_window(s.sent[num]);
    const std::string accept =
        R"({"action":"accept","ticket":")" + ticket + R"(","token":")" + token + R"("})";
    auto [wec, wn] = co_await ws.async_write(asio::buffer(accept), use_tuple);
    if (wec) break;
    // The accept's reply frame, then the resolve over HTTP.
    bool answered = false;
    while (!answered) {
      auto other = co_await read_frame();
      if (!other) co_return;
      const auto type = json_string(*other, "type");
      answered = (type == "reply" || type == "error") && json_string(*other, "ticket") == ticket;
      if (answered && type == "error") ++s.errors;
    }
    const int status =
        co_await api.call("POST", "/v1/tickets/" + ticket + "/resolve", R"({"reason":"agent"})");
    if (status != 200) {
      ++s.errors;
    } else if (measured) {
      ++s.resolved_measured;
    }
  }
}

asio::awaitable<void> creator(state& s, asio::io_context& io, unsigned index) {
  http api(io);
  if (!co_await api.connect(s.opt.port)) {
    ++s.errors;
    co_return;
  }
  asio::steady_timer pace(io);
  const auto start = steady::now();
  std::string body;
  while (!s.stop) {
    const std::uint64_t n = s.next++;
    if (n >= s.sent.size()) break;
    if (s.opt.rate > 0) {
      const auto due =
          start + std::chrono::duration_cast<steady::duration>(
                      std::chrono::duration<double>(static_cast<double>(n) / s.opt.rate));
      if (due > steady::now()) {
        pace.expires_at(due);
        co_await pace.async_wait(use_tuple);
      }
    }
    const std::string id = s.opt.prefix + "-" + std::to_string(n);
    body = R"({"id":")" + id + R"(","queue":")" + s.opt.queue + R"("})";
    s.sent[n] = steady::now();
    const int status = co_await api.call("POST", "/v1/tickets", body);
    const auto done = steady::now();
    if (status != 201) {
      ++s.errors;
      if (s.errors < 5) std::fprintf(stderr, "pushgen: create %s: status %d\n", id.c_str(), status);
      continue;
    }
    if (s.in_window(s.sent[n])) {
      s.create_ns.push_back(static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(done - s.sent[n]).count()));
    }
  }
  (void)index;
}

double percentile_ms(std::vector<std::uint64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  return static_cast<double>(v[i]) / 1e6;
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Runs a hook without holding up the event loop (a shell and redis-cli take milliseconds).
void run_hook(state& s, const std::string& cmd) {
  if (cmd.empty()) return;
  s.hooks.emplace_back([cmd, &failed = s.hooks_failed] {
    if (std::system(cmd.c_str()) == 0) return;
    std::fprintf(stderr, "pushgen: hook failed: %s\n", cmd.c_str());
    ++failed;
  });
}

// Notes pushgen's CPU and runs the hooks as the measured window opens and closes.
asio::awaitable<void> window(state& s, asio::io_context& io) {
  asio::steady_timer t(io);
  t.expires_at(s.measure_from);
  co_await t.async_wait(use_tuple);
  const double cpu0 = cpu_seconds();
  run_hook(s, s.opt.before_measure);
  t.expires_at(s.measure_to);
  co_await t.async_wait(use_tuple);
  s.window_cpu_s = cpu_seconds() - cpu0;
  run_hook(s, s.opt.after_measure);
}

asio::awaitable<void> run(state& s, asio::io_context& io) {
  http setup(io);
  if (!co_await setup.connect(s.opt.port)) {
    std::fprintf(stderr, "pushgen: cannot connect to 127.0.0.1:%u\n", s.opt.port);
    s.errors = 1;
    co_return;
  }
  for (unsigned i = 0; i < s.opt.agents; ++i) {
    const std::string body = R"({"queues":[")" + s.opt.queue +
                             R"("],"status":"online","max_concurrent":)" +
                             std::to_string(s.opt.max) + "}";
    if (co_await setup.call("PUT", "/v1/agents/" + s.opt.prefix + "-agent-" + std::to_string(i),
                            body) != 200) {
      std::fprintf(stderr, "pushgen: cannot set up the agents\n");
      s.errors = 1;
      co_return;
    }
  }
  for (unsigned i = 0; i < s.opt.agents; ++i) {
    asio::co_spawn(io, agent(s, io, s.opt.prefix + "-agent-" + std::to_string(i)), asio::detached);
  }
  asio::steady_timer wait(io);
  wait.expires_after(std::chrono::milliseconds(300));  // the sockets connect
  co_await wait.async_wait(use_tuple);
  const auto start = steady::now();
  s.measure_from = start + std::chrono::duration_cast<steady::duration>(
                               std::chrono::duration<double>(s.opt.warmup));
  s.measure_to = s.measure_from + std::chrono::duration_cast<steady::duration>(
                                      std::chrono::duration<double>(s.opt.duration));
  asio::co_spawn(io, window(s, io), asio::detached);
  for (unsigned i = 0; i < s.opt.creators; ++i)
    asio::co_spawn(io, creator(s, io, i), asio::detached);
  wait.expires_at(s.measure_to + std::chrono::seconds(1));  // the last offers drain
  co_await wait.async_wait(use_tuple);
  s.stop = true;
  io.stop();
}

}  // namespace
}  // namespace pushgen

int main(int argc, char** argv) {
  using namespace pushgen;
  state s;
  s.opt = parse(argc, argv);
  const double total_s = s.opt.warmup + s.opt.duration;
  const double cap = s.opt.rate > 0 ? s.opt.rate * total_s * 1.1 + 100 : 30000.0 * total_s;
  s.sent.resize(static_cast<std::size_t>(cap));
  s.offer_ns.reserve(s.sent.size());
  s.create_ns.reserve(s.sent.size());
  asio::io_context io(1);
  asio::co_spawn(io, run(s, io), asio::detached);
  io.run();
  for (auto& h : s.hooks) h.join();
  s.errors += s.hooks_failed;  // a failed hook makes the window's figures wrong
  std::printf(
      "push scenario: %u agents (max %u) on queue %s, %u creators, rate %s, %.0f s measured\n",
      s.opt.agents, s.opt.max, s.opt.queue.c_str(), s.opt.creators,
      s.opt.rate > 0 ? std::to_string(static_cast<int>(s.opt.rate)).c_str() : "max",
      s.opt.duration);
  std::printf("tickets routed (created, offered, accepted, resolved): %.0f/s\n",
              static_cast<double>(s.resolved_measured) / s.opt.duration);
  std::printf(
      "create -> offer on the socket: p50 %.2f ms  p99 %.2f ms  p999 %.2f ms  (%zu offers)\n",
      percentile_ms(s.offer_ns, 0.50), percentile_ms(s.offer_ns, 0.99),
      percentile_ms(s.offer_ns, 0.999), s.offer_ns.size());
  std::printf("create call:                   p50 %.2f ms  p99 %.2f ms  p999 %.2f ms\n",
              percentile_ms(s.create_ns, 0.50), percentile_ms(s.create_ns, 0.99),
              percentile_ms(s.create_ns, 0.999));
  std::printf(
      "pushgen cpu: %.2f s in the measured window, %.1f us per ticket routed\n", s.window_cpu_s,
      s.resolved_measured > 0 ? s.window_cpu_s * 1e6 / static_cast<double>(s.resolved_measured)
                              : 0.0);
  std::printf("errors: %llu\n", static_cast<unsigned long long>(s.errors));
  std::printf("RESULT routed=%llu duration=%.3f pushgen_cpu=%.4f errors=%llu\n",
              static_cast<unsigned long long>(s.resolved_measured), s.opt.duration, s.window_cpu_s,
              static_cast<unsigned long long>(s.errors));
  return s.errors == 0 ? 0 : 1;
}
