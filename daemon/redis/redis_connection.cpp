#include "daemon/redis/redis_connection.hpp"

#include <hiredis/read.h>

#include <array>
#include <atomic>
#include <charconv>
#include <deque>
#include <mutex>
#include <random>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "daemon/common/log.hpp"
#include "daemon/redis/cluster.hpp"
#include "routing/lua_library.hpp"

namespace ticketd::daemon {

namespace asio = boost::asio;
using boost::system::error_code;
using routing::resp_value;
using clock_type = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// The most bytes of queued requests one write offers the kernel.
constexpr std::size_t write_chunk = 256 * 1024;
// How long a sentinel has to answer where the primary is (one that hangs costs little).
constexpr std::chrono::milliseconds sentinel_timeout{500};

namespace {

class redis_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "ticketd.redis"; }
  std::string message(int ev) const override {
    switch (static_cast<redis_errc>(ev)) {
      case redis_errc::unavailable:
        return "not connected (reconnecting)";
      case redis_errc::timeout:
        return "no answer within redis.timeout";
      case redis_errc::overloaded:
        return "too many requests waiting for Redis (redis.max_pending)";
      case redis_errc::protocol:
        return "Redis protocol error";
      case redis_errc::dropped:
        return "the connection to Redis dropped before the answer came";
      case redis_errc::expired:
        return "Redis did not take the request within redis.timeout";
      case redis_errc::no_replicas:
        return "Redis refused the write: fewer replicas than its min-replicas-to-write";
    }
    return "unknown Redis error";
  }
};

// hiredis builds replies through these callbacks straight into resp_value trees: the root is
// allocated, children live inside their parent's elements (sized once, so pointers stay valid).
resp_value* slot_for(const redisReadTask* task) {
  if (task->parent != nullptr) {
    auto* parent = static_cast<resp_value*>(task->parent->obj);
    return &parent->elements[static_cast<std::size_t>(task->idx)];
  }
  return new resp_value;
}

void* create_string(const redisReadTask* task, char* str, size_t len) {
  resp_value* v = slot_for(task);
  switch (task->type) {
    case REDIS_REPLY_ERROR:
      v->type = resp_value::kind::error;
      break;
    case REDIS_REPLY_STATUS:
      v->type = resp_value::kind::status;
      break;
    default:
      v->type = resp_value::kind::string;
      break;
  }
  v->str.assign(str, len);
  return v;
}

void* create_array(const redisReadTask* task, int elements) {
  resp_value* v = slot_for(task);
  v->type = resp_value::kind::array;
  v->elements.resize(static_cast<std::size_t>(elements));
  return v;
}

void* create_integer(const redisReadTask* task, long long value) {
  resp_value* v = slot_for(task);
  v->type = resp_value::kind::integer;
  v->integer = value;
  return v;
}

void* create_nil(const redisReadTask* task) {
  resp_value* v = slot_for(task);
  v->type = resp_value::kind::nil;
  return v;
}

void free_object(void* obj) { delete static_cast<resp_value*>(obj); }

redisReplyObjectFunctions reply_functions{create_string, create_array, create_integer, create_nil,
                                          free_object};

struct reader_deleter {
  void operator()(redisReader* r) const { redisReaderFree(r); }
};
using reader_ptr = std::unique_ptr<redisReader, reader_deleter>;

reader_ptr make_reader() {
  reader_ptr r{redisReaderCreateWithFunctions(&reply_functions)};
  // Keep the reader's buffer after large replies instead of shrinking it each time.
  r->maxbuf = 0;
  return r;
}

// One request from exec() until its reply or failure. It waits in `queued` until its first byte
// goes to the kernel (while its deadline has not passed: an expired request is never sent), then
// in `pending` until its reply comes, in order.
struct request_slot {
  explicit request_slot(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;  // the deadline; cancelled when the request completes
  std::string bytes;         // the encoded command, until written
  resp_value reply;
  error_code ec;
  clock_type::time_point deadline;
  clock_type::time_point sent;
  bool written = false;
  bool done = false;
  bool abandoned = false;  // its caller stopped waiting: never sent, or its reply is dropped
};

}  // namespace

const boost::system::error_category& redis_category() {
  static const redis_category_impl category;
  return category;
}

error_code make_error_code(redis_errc e) { return {static_cast<int>(e), redis_category()}; }

// Logs where the sentinels say the primary is, once per change for the whole process (every
// connection asks on its own).
void announce_primary(const std::string& name, const std::string& at, const std::string& from) {
  static std::mutex mutex;
  static std::string last;
  const std::lock_guard lock(mutex);
  if (last == name + "@" + at) return;
  last = name + "@" + at;
  log_info("Redis primary '{}' is at {} (from sentinel {})", name, at, from);
}

asio::awaitable<std::optional<std::vector<resp_value>>> ask_once(
    asio::any_io_executor ex, const config::redis_address& at,
    std::span<const routing::command> cmds, std::chrono::milliseconds timeout) {
  // Shared with the guard's handler, which may run after this returns.
  auto socket_ptr = std::make_shared<asio::ip::tcp::socket>(ex);
  auto& s = *socket_ptr;
  asio::steady_timer guard(ex);
  guard.expires_after(timeout);
  guard.async_wait([socket_ptr](error_code wait_ec) {
    if (!wait_ec) socket_ptr->close();
  });
  const auto deadline = guard.expiry();
  asio::ip::tcp::resolver resolver(ex);
  auto [rec, results] =
      co_await resolver.async_resolve(at.host, std::to_string(at.port), use_tuple);
  // A resolution that took the whole time left the guard nothing to close: give up here.
  if (rec || clock_type::now() >= deadline) co_return std::nullopt;
  auto [cec, connected] = co_await asio::async_connect(s, results, use_tuple);
  if (cec) co_return std::nullopt;
  std::string bytes;
  for (const auto& cmd : cmds) cmd.encode(bytes);
  auto [wec, written] = co_await asio::async_write(s, asio::buffer(bytes), use_tuple);
  if (wec) co_return std::nullopt;
  auto parser = make_reader();
  std::vector<resp_value> replies;
  std::vector<char> buf(16 * 1024);
  while (replies.size() < cmds.size()) {
    auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), use_tuple);
    if (ec || redisReaderFeed(parser.get(), buf.data(), n) != REDIS_OK) co_return std::nullopt;
    for (;;) {
      void* obj = nullptr;
      if (redisReaderGetReply(parser.get(), &obj) != REDIS_OK) co_return std::nullopt;
      if (obj == nullptr) break;
      std::unique_ptr<resp_value> reply{static_cast<resp_value*>(obj)};
      replies.push_back(std::move(*reply));
    }
  }
  guard.cancel();
  co_return replies;
}

routing::command library_load_command() {
  return std::move(
      routing::command{"FUNCTION"}.arg("LOAD").arg("REPLACE").arg(routing::lua::library_source()));
}

bool may_have_run(const error_code& ec) {
  return ec == redis_errc::timeout || ec == redis_errc::dropped;
}

struct redis_connection::impl : std::enable_shared_from_this<impl> {
  enum class state { idle, connecting, handshaking, ready, stopped };

  impl(asio::any_io_executor executor, redis_connection_options options, redis_observer* obs)
      : ex(std::move(executor)),
        opts(std::move(options)),
        observer(obs),
        socket(ex),
        write_kick(ex),
        broken(ex),
        backoff_timer(ex),
        heartbeat_timer(ex),
        reader(make_reader()),
        rng(std::random_device{}()) {}

  asio::any_io_executor ex;
  redis_connection_options opts;
  redis_observer* observer;
  on_connect_fn on_connect;
  asio::generic::stream_protocol::socket socket;
  asio::steady_timer write_kick;
  asio::steady_timer broken;
  asio::steady_timer backoff_timer;
  asio::steady_timer heartbeat_timer;
  reader_ptr reader;
  std::minstd_rand rng;
  std::vector<asio::const_buffer> offer;  // the queued requests the writer offers the kernel
  // The request the kernel took only part of, and how much of it went out.
  std::string partial;
  std::size_t partial_off = 0;
  // Not written yet, in order (the writer skips those whose caller gave up).
  std::deque<std::shared_ptr<request_slot>> queued;
  // Written and waiting for their replies, in order.
  std::deque<std::shared_ptr<request_slot>> pending;
  // Written on the connection's executor; read from any thread (readyz, the systemd status).
  std::atomic<state> st = state::idle;
  // The oldest written request passed its deadline unanswered: Redis is hung or overloaded,
  // whether or not the socket says so. Until a reply comes, requests are refused at once and
  // ready() says no (read from any thread: readyz, the systemd status).
  std::atomic<bool> stalled{false};
  std::uint64_t generation = 0;
  bool writer_idle = false;
  bool is_broken = false;
  // retry_now() while not ready: the next backoff wait (or the one under way) is skipped. Kept
  // as a flag, so a wake that comes during a connect attempt is not lost.
  bool retry_requested = false;
  int failures_logged = 0;
  bool counted_up = false;  // told the observer it is up (and not down since)
  // redis_kind::sentinel: the primary the sentinels named last.
  std::string primary_host;
  std::uint16_t primary_port = 0;

  // Up or down, told once per change: whichever of the loop and stop() sees a serving
  // connection end tells it.
  void report_state(bool up) {
    if (std::exchange(counted_up, up) == up) return;
    if (observer != nullptr) observer->connection_state(up);
  }

  void report_failure(redis_errc why) {
    if (observer != nullptr) observer->failed(why);
  }

  // After a reply: stalled while the oldest written request left still timed out unanswered.
  void note_stall() {
    stalled.store(!pending.empty() && pending.front()->abandoned, std::memory_order_relaxed);
  }

  std::string describe() const {
    const auto& e = opts.endpoint;
    if (opts.cluster || e.kind == config::redis_kind::sentinel) {
      // Found at each connect: what it follows, then where it was found last.
      return (opts.cluster ? "slot " + std::to_string(opts.slot) + " of the Redis Cluster"
                           : "primary '" + e.primary_name + "'") +
             (primary_host.empty()
                  ? std::string{}
                  : " (" + primary_host + ":" + std::to_string(primary_port) + ")");
    }
    if (e.kind == config::redis_kind::tcp) return e.host + ":" + std::to_string(e.port);
    return e.socket.string();
  }

  // The primary the cluster map names for the slot this connection follows, read again when
  // the map names none or the last attempt failed (a failover).
  asio::awaitable<error_code> find_slot_owner(bool failed_before) {
    auto table = opts.cluster->table();
    if (failed_before || table->primary_of(opts.slot) == nullptr) {
      co_await opts.cluster->refresh(ex, std::chrono::milliseconds(500));
      table = opts.cluster->table();
    }
    const auto* at = table->primary_of(opts.slot);
    if (at == nullptr) co_return make_error_code(redis_errc::unavailable);
    primary_host = at->host;
    primary_port = at->port;
    co_return error_code{};
  }

  // The primary's address, asked of each sentinel in turn (SENTINEL get-master-addr-by-name):
  // the first that answers with one wins.
  asio::awaitable<error_code> find_primary() {
    const auto& e = opts.endpoint;
    const std::array<routing::command, 1> ask{
        std::move(routing::command{"SENTINEL"}.arg("get-master-addr-by-name").arg(e.primary_name))};
    for (const auto& sentinel : e.sentinels) {
      // A sentinel answers at once or not at all: one that hangs costs little.
      auto replies = co_await ask_once(ex, sentinel, ask, std::min(e.timeout, sentinel_timeout));
      if (!replies) continue;
      const auto& reply = replies->front();
      if (reply.type != resp_value::kind::array || reply.elements.size() != 2) {
        continue;  // this sentinel does not know the primary: the next
      }
      std::uint16_t port = 0;
      const auto& port_text = reply.elements[1].str;
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
      if (port == 0) continue;
      announce_primary(e.primary_name, reply.elements[0].str + ":" + std::to_string(port),
                       sentinel.host + ":" + std::to_string(sentinel.port));
      primary_host = reply.elements[0].str;
      primary_port = port;
      co_return error_code{};
    }
    co_return make_error_code(redis_errc::unavailable);
  }

  asio::awaitable<error_code> connect_socket() {
    auto e = opts.endpoint;
    if (opts.cluster || e.kind == config::redis_kind::sentinel) {
      // Asked again at every connect: after a failover the sentinels (or the cluster) name the
      // new primary.
      error_code ec;
      if (opts.cluster) {
        ec = co_await find_slot_owner(generation > 0);
      } else {
        ec = co_await find_primary();
      }
      if (ec) co_return ec;
      e.kind = config::redis_kind::tcp;
      e.host = primary_host;
      e.port = primary_port;
    }
    error_code ec;
    socket = asio::generic::stream_protocol::socket(ex);
    asio::steady_timer guard(ex);
    guard.expires_after(e.timeout);
    auto self = shared_from_this();
    guard.async_wait([self](error_code wait_ec) {
      if (!wait_ec) self->socket.close();
    });
    if (e.kind == config::redis_kind::tcp) {
      asio::ip::tcp::resolver resolver(ex);
      auto [rec, results] =
          co_await resolver.async_resolve(e.host, std::to_string(e.port), use_tuple);
      ec = rec;
      if (!ec) {
        ec = asio::error::host_not_found;
        for (const auto& entry : results) {
          socket = asio::generic::stream_protocol::socket(ex);
          auto [cec] = co_await socket.async_connect(
              asio::generic::stream_protocol::endpoint(entry.endpoint()), use_tuple);
          ec = cec;
          if (!ec) break;
        }
        if (!ec) socket.set_option(asio::ip::tcp::no_delay(true), ec);
      }
    } else {
      auto [cec] = co_await socket.async_connect(
          asio::generic::stream_protocol::endpoint(
              asio::local::stream_protocol::endpoint(e.socket.string())),
          use_tuple);
      ec = cec;
    }
    guard.cancel();
    if (!ec && !socket.is_open()) ec = asio::error::timed_out;
    co_return ec;
  }

  static void complete(request_slot& slot, error_code ec) {
    slot.ec = ec;
    slot.done = true;
    slot.timer.cancel();
  }

  // Fails every request of the dropped connection: the written ones may have run, the others
  // never reached Redis.
  void fail_pending() {
    for (auto& slot : pending) {
      if (!slot->abandoned) complete(*slot, redis_errc::dropped);
    }
    for (auto& slot : queued) {
      if (!slot->abandoned) complete(*slot, redis_errc::unavailable);
    }
    pending.clear();
    queued.clear();
    stalled.store(false, std::memory_order_relaxed);
  }

  // The reader or writer of connection `gen` failed: stop serving at once, wake run().
  void break_connection(std::uint64_t gen) {
    if (gen != generation || is_broken) return;
    is_broken = true;
    if (st == state::ready || st == state::handshaking) st = state::connecting;
    error_code ignored;
    socket.close(ignored);
    fail_pending();
    broken.cancel();
  }

  enum class refused_by { nothing, not_primary, replicas };

  // An error reply by which Redis ran nothing: from a node that is no longer the primary
  // (demoted by a failover: READONLY, MASTERDOWN; or, for a connection that follows a cluster
  // slot, MOVED), after which the connection goes to the primary named now; or from a primary
  // short of the replicas its min-replicas-to-write asks for (NOREPLICAS).
  refused_by refusal(const resp_value& error) {
    if (error.str.starts_with("NOREPLICAS")) return refused_by::replicas;
    if (error.str.starts_with("READONLY") || error.str.starts_with("MASTERDOWN")) {
      log_warning("Redis at {} is no longer the primary ({}); reconnecting", describe(), error.str);
      return refused_by::not_primary;
    }
    if (opts.cluster) {
      if (const auto r = cluster_reply_of(error); r.what == cluster_reply::kind::moved) {
        log_info("Redis Cluster slot {} moved to {}:{}; reconnecting", r.slot, r.to.host,
                 r.to.port);
        opts.cluster->learn(r, primary_host);
        return refused_by::not_primary;
      }
    }
    return refused_by::nothing;
  }

  asio::awaitable<void> read_loop(std::uint64_t gen) {
    auto self = shared_from_this();
    std::vector<char> buf(64 * 1024);
    for (;;) {
      auto [ec, n] = co_await socket.async_read_some(asio::buffer(buf), use_tuple);
      if (gen != generation) co_return;
      if (ec) {
        break_connection(gen);
        co_return;
      }
      if (redisReaderFeed(reader.get(), buf.data(), n) != REDIS_OK) {
        log_error("Redis reply parser: {}", reader->errstr);
        break_connection(gen);
        co_return;
      }
      for (;;) {
        void* obj = nullptr;
        if (redisReaderGetReply(reader.get(), &obj) != REDIS_OK) {
          log_error("Redis reply parser: {}", reader->errstr);
          break_connection(gen);
          co_return;
        }
        if (obj == nullptr) break;
        std::unique_ptr<resp_value> reply{static_cast<resp_value*>(obj)};
        if (pending.empty()) {
          log_error("Redis sent a reply nobody asked for; reconnecting");
          break_connection(gen);
          co_return;
        }
        auto slot = std::move(pending.front());
        pending.pop_front();
        note_stall();
        if (slot->abandoned) continue;
        if (observer != nullptr) observer->round_trip(clock_type::now() - slot->sent);
        if (reply->type == resp_value::kind::error) {
          const auto refused = refusal(*reply);
          if (refused == refused_by::not_primary) {
            complete(*slot, redis_errc::unavailable);
            break_connection(gen);
            co_return;
          }
          if (refused == refused_by::replicas) {
            complete(*slot, redis_errc::no_replicas);
            continue;
          }
        }
        slot->reply = std::move(*reply);
        complete(*slot, {});
      }
    }
  }

  // Hands the kernel what it takes now (a non-blocking write): the rest of a request already
  // started, from where it is, then queued requests back to back in one gather write (up to
  // write_chunk bytes). A request joins `pending` once its first byte went out (it must then be
  // finished, and its reply comes in order); one not started stays queued, so it can still be
  // dropped: those whose caller gave up or whose deadline passed (Redis did not take the earlier
  // writes in time) are dropped here, never sent. True when the socket took less than offered
  // (or failed, `ec`): the writer then waits until it takes bytes again.
  bool write_now(error_code& ec) {
    if (partial_off < partial.size()) {
      const std::size_t n = socket.write_some(
          asio::buffer(partial.data() + partial_off, partial.size() - partial_off), ec);
      if (ec) return true;
      partial_off += n;
      if (partial_off < partial.size()) return true;
      partial.clear();
      partial_off = 0;
    }
    const auto now = clock_type::now();
    offer.clear();
    std::size_t offered = 0;
    for (auto it = queued.begin(); it != queued.end();) {
      request_slot& slot = **it;
      if (slot.abandoned || now >= slot.deadline) {
        if (!slot.abandoned) {
          report_failure(redis_errc::expired);
          complete(slot, redis_errc::expired);
        }
        it = queued.erase(it);
        continue;
      }
      if (offered > 0 && offered + slot.bytes.size() > write_chunk) break;
      offer.push_back(asio::buffer(slot.bytes));
      offered += slot.bytes.size();
      ++it;
    }
    if (offered == 0) return false;
    std::size_t n = socket.write_some(offer, ec);
    if (ec) return true;
    const bool took_all = n == offered;
    while (n > 0) {
      auto slot = std::move(queued.front());
      queued.pop_front();
      slot->written = true;
      slot->sent = now;
      if (n < slot->bytes.size()) {
        partial = std::move(slot->bytes);
        partial_off = n;
        n = 0;
      } else {
        n -= slot->bytes.size();
        std::string{}.swap(slot->bytes);
      }
      pending.push_back(std::move(slot));
    }
    return !took_all;
  }

  asio::awaitable<void> write_loop(std::uint64_t gen) {
    auto self = shared_from_this();
    error_code ignored;
    socket.non_blocking(true, ignored);
    while (gen == generation) {
      if (queued.empty() && partial.empty()) {
        writer_idle = true;
        write_kick.expires_at(asio::steady_timer::time_point::max());
        co_await write_kick.async_wait(use_tuple);
        writer_idle = false;
        continue;
      }
      error_code ec;
      const bool full = write_now(ec);
      if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
        break_connection(gen);
        co_return;
      }
      if (!full) continue;
      // The socket is full (Redis is not reading): wait until it takes bytes again. Nothing is
      // handed over meanwhile, so what times out while waiting is never sent.
      auto [wec] = co_await socket.async_wait(asio::socket_base::wait_write, use_tuple);
      if (gen != generation) co_return;
      if (wec) {
        break_connection(gen);
        co_return;
      }
    }
  }

  // A connection with nothing in flight says nothing, so a Redis that stops answering would go
  // unnoticed until the next request: once a second of quiet, a PING, which ready() then sees
  // unanswered (stalled) within redis.timeout. A connection stalled past the stall limit is
  // dropped and made again: a stalled one sends nothing more, and a peer that vanished without
  // a reset (a host gone, a failover behind an address) would otherwise never be noticed.
  asio::awaitable<void> heartbeat_loop(std::uint64_t gen) {
    auto self = shared_from_this();
    static const routing::command ping{"PING"};
    while (gen == generation && st != state::stopped) {
      heartbeat_timer.expires_after(opts.heartbeat);
      co_await heartbeat_timer.async_wait(use_tuple);
      if (gen != generation || st != state::ready) continue;
      const auto waited =
          pending.empty() ? clock_type::duration{} : clock_type::now() - pending.front()->sent;
      if (waited > stall_limit()) {
        log_warning("Redis at {} has not answered for {} ms; reconnecting", describe(),
                    std::chrono::duration_cast<std::chrono::milliseconds>(waited).count());
        break_connection(gen);
        co_return;
      }
      if (queued.empty() && pending.empty()) co_await exec(ping, false);
    }
  }

  std::chrono::milliseconds stall_limit() const {
    if (opts.stall_limit.count() > 0) return opts.stall_limit;
    return std::max(3 * opts.endpoint.timeout, std::chrono::milliseconds(3000));
  }

  // Fails everything in flight and forgets the partial state of the dropped connection.
  void teardown() {
    ++generation;
    error_code ignored;
    socket.close(ignored);
    write_kick.cancel();
    heartbeat_timer.cancel();
    fail_pending();
    offer.clear();
    partial.clear();
    partial_off = 0;
    reader = make_reader();
  }

  // Whether Redis has ticketd's function library already.
  asio::awaitable<bool> library_loaded() {
    auto r = co_await exec(
        routing::command{"FUNCTION"}.arg("LIST").arg("LIBRARYNAME").arg(routing::lua::library_name),
        true);
    co_return r && r->type == resp_value::kind::array && !r->elements.empty();
  }

  asio::awaitable<error_code> handshake() {
    const auto& e = opts.endpoint;
    std::vector<routing::command> steps;
    if (!e.password.empty()) {
      routing::command auth{"AUTH"};
      if (!e.username.empty()) auth.arg(e.username);
      steps.push_back(std::move(auth.arg(e.password)));
    }
    if (e.db != 0) steps.push_back(std::move(routing::command{"SELECT"}.arg(e.db)));
    steps.push_back(std::move(routing::command{"CLIENT"}.arg("SETNAME").arg(opts.client_name)));
    if (opts.load_library) steps.push_back(library_load_command());
    for (const auto& step : steps) {
      auto r = co_await exec(step, true);
      if (!r && r.error() == redis_errc::no_replicas && step.name() == "FUNCTION") {
        // A primary without its replicas refuses the load (a write); the library it has may
        // be this one, loaded before: then serve (reads work; writes get 503 meanwhile).
        if (co_await library_loaded()) continue;
      }
      if (!r) co_return r.error();
      if (r->is_error()) {
        log_error("Redis at {} refused the handshake: {}", describe(), r->str);
        co_return make_error_code(redis_errc::protocol);
      }
    }
    if (on_connect) {
      auto fn = on_connect;
      co_return co_await fn();
    }
    co_return error_code{};
  }

  std::chrono::milliseconds jittered(std::chrono::milliseconds base) {
    std::uniform_int_distribution<long> dist(base.count() / 2, base.count());
    return std::chrono::milliseconds{dist(rng)};
  }

  asio::awaitable<void> run() {
    auto self = shared_from_this();
    auto backoff = opts.connect_backoff_min;
    while (st != state::stopped) {
      st = state::connecting;
      error_code ec = co_await connect_socket();
      if (st == state::stopped) break;
      if (!ec) {
        const auto gen = ++generation;
        is_broken = false;
        reader = make_reader();
        st = state::handshaking;
        spawn_task(opts.supervisor, ex, "redis connection", read_loop(gen));
        spawn_task(opts.supervisor, ex, "redis connection", write_loop(gen));
        broken.expires_at(asio::steady_timer::time_point::max());
        ec = co_await handshake();
        if (!ec && st == state::handshaking && gen == generation) {
          st = state::ready;
          retry_requested = false;
          backoff = opts.connect_backoff_min;
          if (failures_logged > 0) log_info("Redis at {} is reachable again", describe());
          failures_logged = 0;
          report_state(true);
          spawn_task(opts.supervisor, ex, "redis connection", heartbeat_loop(gen));
          if (!is_broken) co_await broken.async_wait(use_tuple);
          if (st == state::stopped) break;
          log_warning("lost the connection to Redis at {}; reconnecting", describe());
          st = state::connecting;
          report_state(false);
        }
      }
      if (st == state::stopped) break;
      teardown();
      if (ec && failures_logged++ % 20 == 0) {
        log_warning(
            "cannot reach Redis at {}: {} (retrying; requests get 503 meanwhile: check that "
            "Redis runs there, or redis.url)",
            describe(), ec.message());
      }
      if (!std::exchange(retry_requested, false)) {
        backoff_timer.expires_after(jittered(backoff));
        co_await backoff_timer.async_wait(use_tuple);
        retry_requested = false;  // a wake during the wait ended it
      }
      backoff = std::min(backoff * 2, opts.connect_backoff_max);
    }
  }

  // Why a request cannot be sent now, if it cannot. A stalled connection refuses at once: its
  // callers learn that nothing was sent instead of piling up requests a hung Redis may run later.
  std::optional<redis_errc> refusal(bool during_handshake, std::size_t count) {
    const bool allowed = st == state::ready || (during_handshake && st == state::handshaking);
    if (!allowed || (!during_handshake && stalled.load(std::memory_order_relaxed))) {
      return redis_errc::unavailable;
    }
    if (queued.size() + pending.size() + count > opts.endpoint.max_pending) {
      return redis_errc::overloaded;
    }
    return std::nullopt;
  }

  std::shared_ptr<request_slot> send(const routing::command& cmd, clock_type::time_point deadline) {
    auto slot = std::make_shared<request_slot>(ex);
    slot->deadline = deadline;
    slot->timer.expires_at(deadline);
    cmd.encode(slot->bytes);
    queued.push_back(slot);
    return slot;
  }

  asio::awaitable<redis_result> receive(std::shared_ptr<request_slot> slot) {
    if (!slot->done) co_await slot->timer.async_wait(use_tuple);
    if (slot->done) {
      if (slot->ec) co_return slot->ec;
      co_return std::move(slot->reply);
    }
    // The deadline passed first. Not written yet: the writer skips it, it never runs. Written:
    // Redis may still run it; its reply, should it come, is dropped by the reader.
    slot->abandoned = true;
    if (slot->written) note_stall();
    const auto why = slot->written ? redis_errc::timeout : redis_errc::expired;
    report_failure(why);
    co_return make_error_code(why);
  }

  asio::awaitable<redis_result> exec(const routing::command& cmd, bool during_handshake,
                                     std::optional<std::chrono::milliseconds> timeout = {}) {
    if (auto why = refusal(during_handshake, 1)) {
      report_failure(*why);
      co_return make_error_code(*why);
    }
    auto self = shared_from_this();
    auto slot = send(cmd, clock_type::now() + (timeout ? std::min(*timeout, opts.endpoint.timeout)
                                                       : opts.endpoint.timeout));
    if (writer_idle) write_kick.cancel();
    co_return co_await receive(std::move(slot));
  }

  asio::awaitable<std::vector<redis_result>> exec_all(std::span<const routing::command> cmds) {
    std::vector<redis_result> out;
    if (auto why = refusal(false, cmds.size())) {
      report_failure(*why);
      for (std::size_t i = 0; i < cmds.size(); ++i) out.emplace_back(make_error_code(*why));
      co_return out;
    }
    auto self = shared_from_this();
    std::vector<std::shared_ptr<request_slot>> slots;
    // One deadline for all: they are written back to back, and expire together. (Only a batch
    // split at write_chunk by a socket Redis stopped reading can lose its tail to the deadline:
    // the operation then reports the call as maybe applied.)
    const auto deadline = clock_type::now() + opts.endpoint.timeout;
    for (const auto& cmd : cmds) slots.push_back(send(cmd, deadline));
    if (writer_idle) write_kick.cancel();
    for (auto& slot : slots) out.push_back(co_await receive(std::move(slot)));
    co_return out;
  }
};

redis_connection::redis_connection(asio::any_io_executor ex, redis_connection_options options,
                                   redis_observer* observer)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(options), observer)) {}

redis_connection::~redis_connection() { stop(); }

void redis_connection::set_on_connect(on_connect_fn fn) { impl_->on_connect = std::move(fn); }

void redis_connection::start() {
  if (impl_->st != impl::state::idle) return;
  spawn_task(impl_->opts.supervisor, impl_->ex, "redis connection", impl_->run());
}

void redis_connection::stop() {
  if (impl_->st == impl::state::stopped) return;
  // A connection that served stops counting as up (a cluster node no longer a primary).
  impl_->st = impl::state::stopped;
  impl_->report_state(false);
  impl_->backoff_timer.cancel();
  impl_->broken.cancel();
  impl_->teardown();
}

void redis_connection::retry_now() {
  asio::post(impl_->ex, [self = impl_] {
    const auto st = self->st.load();
    if (st != impl::state::connecting && st != impl::state::handshaking) return;
    self->retry_requested = true;
    self->backoff_timer.cancel();
  });
}

asio::awaitable<redis_result> redis_connection::exec(
    const routing::command& cmd, std::optional<std::chrono::milliseconds> timeout) {
  return impl_->exec(cmd, false, timeout);
}

asio::awaitable<std::vector<redis_result>> redis_connection::exec_all(
    std::span<const routing::command> cmds) {
  return impl_->exec_all(cmds);
}

asio::awaitable<redis_result> redis_connection::exec_during_handshake(const routing::command& cmd) {
  return impl_->exec(cmd, true);
}

bool redis_connection::ready() const {
  return impl_->st == impl::state::ready && !impl_->stalled.load(std::memory_order_relaxed);
}

std::string redis_connection::host() const {
  return impl_->primary_host.empty() ? impl_->opts.endpoint.host : impl_->primary_host;
}

const asio::any_io_executor& redis_connection::executor() const { return impl_->ex; }

}  // namespace ticketd::daemon
