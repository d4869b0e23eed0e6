#include "daemon/transport/http_server.hpp"

#include <array>
#include <atomic>
#include <list>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "daemon/api/cors.hpp"
#include "daemon/api/error_response.hpp"
#include "daemon/api/http_rules.hpp"
#include "daemon/common/log.hpp"
#include "daemon/transport/agent_websocket.hpp"

namespace ticketd::daemon {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using boost::system::error_code;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

api::http_method method_of(http::verb v) {
  switch (v) {
    case http::verb::get:
      return api::http_method::get;
    case http::verb::post:
      return api::http_method::post;
    case http::verb::put:
      return api::http_method::put;
    case http::verb::patch:
      return api::http_method::patch;
    case http::verb::delete_:
      return api::http_method::del;
    default:
      return api::http_method::other;
  }
}

http_response error_response(routing::errc code, std::string message) {
  http_response r;
  r.status = api::http_status(code);
  r.body = api::error_body(routing::make_error(code, std::move(message)));
  if (const auto after = api::retry_after(code); !after.empty()) {
    r.headers.emplace_back("Retry-After", std::string{after});
  }
  return r;
}

// One connection's bookkeeping, shared with the server so stop() can close it while idle.
struct session_state {
  explicit session_state(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  bool busy = false;
  std::function<void()> on_stop;  // set while the connection carries a stream
};

// An agent's outbox holds this many frames before it counts as too slow and is closed.
constexpr std::size_t agent_outbox_limit = 1024;
// After refusing an oversized request: how long, and how much, the server reads and drops.
constexpr std::chrono::seconds linger_time{1};
constexpr std::size_t linger_bytes = 4 * 1024 * 1024;

}  // namespace

struct http_server::impl : std::enable_shared_from_this<impl> {
  impl(std::vector<asio::io_context*> w, config::server_config s, http_handler& h,
       task_supervisor* sup)
      : workers(std::move(w)),
        settings(std::move(s)),
        handler(h),
        supervisor(sup),
        acceptor(*workers.front()),
        sessions(workers.size()) {}

  std::vector<asio::io_context*> workers;
  config::server_config settings;
  http_handler& handler;
  task_supervisor* supervisor;
  tcp::acceptor acceptor;
  // Per worker, touched only on that worker's thread.
  std::vector<std::list<std::weak_ptr<session_state>>> sessions;
  std::atomic<std::size_t> connections{0};
  // Read and not yet answered: shutdown waits for these.
  std::atomic<std::size_t> in_flight{0};
  // Read and not yet handled (the response is not computed). Decremented before the write
  // starts, so a client holding a response never sees its own request still counted.
  std::atomic<std::size_t> in_handler{0};
  // Connections carrying an agent stream or an event feed: shutdown lets them say goodbye
  // (an agent's stream uncounts itself in Redis when it closes).
  std::atomic<std::size_t> streams{0};
  std::atomic<bool> stopping{false};
  std::size_t next_worker = 0;
  bool refusing = false;  // accept loop only: logs once per run of refusals

  // Over server.max_connections: a 503 the client can act on, written without waiting (a
  // fresh socket's send buffer takes it), then the connection is closed. (The accepted socket
  // is bound to a worker's io_context executor, hence the template.)
  template <typename Socket>
  void refuse(Socket& socket) {
    if (!refusing) {
      log_warning(
          "connection limit of {} reached (server.max_connections): refusing new "
          "connections with 503 until one closes",
          settings.max_connections);
      refusing = true;
    }
    static const std::string bytes = [] {
      const auto r = error_response(routing::errc::unavailable,
                                    "the server is at its connection limit; retry shortly");
      return response_head(r, 11, false) + r.body;
    }();
    error_code ignored;
    socket.non_blocking(true, ignored);
    socket.write_some(asio::buffer(bytes), ignored);
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    // A request already received is discarded, so closing does not reset the 503 away.
    std::array<char, 4096> sink{};
    while (socket.read_some(asio::buffer(sink), ignored) > 0) {
    }
    socket.close(ignored);
  }

  asio::awaitable<void> accept_loop() {
    auto self = shared_from_this();
    while (!stopping.load()) {
      const std::size_t w = next_worker++ % workers.size();
      auto [ec, socket] = co_await acceptor.async_accept(*workers[w], use_tuple);
      if (ec) {
        if (stopping.load() || ec == asio::error::operation_aborted) co_return;
        // Out of descriptors and the like: back off briefly rather than spin.
        log_warning("accept failed: {}", ec.message());
        asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(50));
        co_await pause.async_wait(use_tuple);
        continue;
      }
      if (connections.load() >= settings.max_connections) {
        refuse(socket);
        continue;
      }
      refusing = false;
      ++connections;
      auto state = std::make_shared<session_state>(std::move(socket));
      asio::co_spawn(*workers[w], session(state, w), [self](std::exception_ptr e) {
        --self->connections;
        if (e) log_error("HTTP session failed: {}", what_of(e));
      });
    }
  }

  asio::awaitable<void> session(std::shared_ptr<session_state> state, std::size_t worker) {
    auto self = shared_from_this();
    auto& registry = sessions[worker];
    registry.push_front(state);
    const auto entry = registry.begin();
    auto& stream = state->stream;
    beast::flat_buffer buffer;
    error_code ignored;
    stream.socket().set_option(tcp::no_delay(true), ignored);
    // Its writes are tried at once before they wait on the event loop (write()).
    stream.socket().non_blocking(true, ignored);

    for (;;) {
      if (stopping.load()) break;
      if (buffer.size() == 0) {
        // Waiting for the next request: the idle timeout applies.
        stream.expires_after(settings.idle_timeout);
        auto [ec, n] = co_await stream.async_read_some(buffer.prepare(8192), use_tuple);
        if (ec) break;
        buffer.commit(n);
      }
      // A request has started: all of it must arrive within the read timeout.
      state->busy = true;
      stream.expires_after(settings.read_timeout);
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(settings.header_limit));
      parser.body_limit(settings.body_limit);
      http_request request;
      auto refused = co_await read_request(stream, buffer, parser, request);
      if (refused) {
        if (refused->status != 0) {
          co_await write(stream, *refused, 11, false, request.origin);
          // The connection closes after a refusal, with the rest of the request (a body sent
          // regardless of a 413 or 417, what follows a malformed head) maybe unread: a close
          // with unread data would reset the connection under the answer.
          co_await linger(stream);
        }
        break;
      }
      auto& req = parser.get();
      request.method = method_of(req.method());
      request.target = api::origin_form({req.target().data(), req.target().size()});
      request.body = req.body();
      request.worker = worker;
      request.websocket_upgrade = beast::websocket::is_upgrade(req);
      // In flight until its response is written: shutdown waits for that.
      ++in_flight;
      ++in_handler;
      http_response response = co_await handler.handle(request);
      --in_handler;
      if ((response.websocket || response.sse) && stopping.load()) {
        // No new streams once stopping: the client reconnects, to another daemon if need be.
        http_response refused =
            error_response(routing::errc::unavailable, "the server is stopping");
        co_await write(stream, refused, req.version(), false, request.origin);
        --in_flight;
        break;
      }
      if (response.websocket || response.sse) {
        // The connection now carries a stream: it is no longer a request in flight, and
        // stopping the server closes it.
        ++streams;
        --in_flight;
        state->busy = false;
        if (response.websocket) {
          // Named, not temporaries in the co_await (GCC 12 coroutine pitfall, TOOLCHAIN.md).
          // The origin is copied first: `request` points into the parser's fields.
          const std::string origin{request.origin};
          auto upgrade = parser.release();
          auto channel = std::move(response.websocket);
          const bool prepared = co_await channel->prepare();
          if (!prepared || stopping.load()) {
            // The server began stopping while the channel got ready (it had no on_stop to
            // close it by): the agent reconnects, to another daemon if need be.
            if (prepared) co_await channel->closed(false);
            http_response refused = error_response(
                routing::errc::unavailable,
                prepared ? "the server is stopping"
                         : "the agent stream cannot start: the event stream cannot be read from "
                           "Redis");
            co_await write(stream, refused, upgrade.version(), false, origin);
            --streams;
            break;
          }
          co_await run_agent_websocket(stream, std::move(upgrade), std::move(channel),
                                       agent_outbox_limit, state->on_stop, state);
        } else {
          co_await serve_events(*state, response, request.origin);
        }
        --streams;
        break;
      }
      const bool keep_alive = req.keep_alive() && !stopping.load();
      stream.expires_after(settings.read_timeout);
      const bool written =
          co_await write(stream, response, req.version(), keep_alive, request.origin);
      --in_flight;
      if (!written || !keep_alive) break;
      state->busy = false;
    }
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.close();
    registry.erase(entry);
  }

  // Reads one request into `parser`: its head (whose fields the API reads go into `request`, in
  // one pass over them), the checks of api/http_rules.hpp, an answer to `Expect: 100-continue`,
  // then its body. nullopt when the request is whole; otherwise the answer to send before
  // closing (status 0: close without one, the client left or timed out).
  asio::awaitable<std::optional<http_response>> read_request(
      beast::tcp_stream& stream, beast::flat_buffer& buffer,
      http::request_parser<http::string_body>& parser, http_request& request) {
    // What of the head is in the buffer already (usually all of it: the session's read brought
    // it) is parsed where it lies; reading it would cost a completion handed through the event
    // loop for no I/O. The parser may take part of a head (its start line) and ask for more:
    // that part is consumed, and the read goes on from there.
    std::size_t head_bytes = 0;
    if (buffer.size() > 0) {
      error_code hec;
      head_bytes = parser.put(buffer.data(), hec);
      buffer.consume(head_bytes);
      if (hec && hec != http::error::need_more) co_return read_failure(hec);
    }
    if (!parser.is_header_done()) {
      auto [rec, read_bytes] = co_await http::async_read_header(stream, buffer, parser, use_tuple);
      if (rec) co_return read_failure(rec);
      head_bytes += read_bytes;
    }
    // Beast limits the start line and the fields each on their own: the limit is on the whole.
    if (head_bytes > settings.header_limit) co_return read_failure(http::error::header_limit);
    const auto& req = parser.get();
    api::request_head head;
    head.version = req.version();
    std::string_view expect;
    std::string_view preflight_method;
    for (const auto& f : req) {
      const std::string_view value{f.value().data(), f.value().size()};
      switch (f.name()) {
        case http::field::host:
          ++head.host_fields;
          request.host = value;
          break;
        case http::field::origin:
          request.origin = value;
          break;
        case http::field::access_control_request_method:
          preflight_method = value;
          break;
        case http::field::transfer_encoding:
          ++head.transfer_encoding_fields;
          head.transfer_encoding = value;
          break;
        case http::field::content_length:
          head.has_content_length = true;
          break;
        case http::field::expect:
          expect = value;
          break;
        case http::field::authorization:
          request.authorization = value;
          break;
        case http::field::if_match:
          request.if_match = value;
          break;
        case http::field::unknown: {
          const auto name = f.name_string();
          if (beast::iequals(name, "Idempotency-Key")) {
            request.idempotency_key = value;
          } else if (beast::iequals(name, "X-Request-Id")) {
            request.request_id = value;
          } else if (beast::iequals(name, "Last-Event-ID")) {
            request.last_event_id = value;
          }
          break;
        }
        default:
          break;
      }
    }
    if (req.method() == http::verb::options && !request.origin.empty()) {
      request.preflight_method = preflight_method;
    }
    if (auto problem = api::framing_error(head)) {
      co_return error_response(routing::errc::invalid_argument, std::move(*problem));
    }
    switch (api::expectation_of(expect)) {
      case api::expectation::none:
        break;
      case api::expectation::continue_100:
        if (!parser.is_done()) {
          static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
          auto [wec, n] = co_await asio::async_write(stream, asio::buffer(go_on), use_tuple);
          if (wec) co_return closed_silently();
        }
        break;
      case api::expectation::unsupported: {
        http_response r = error_response(routing::errc::invalid_argument,
                                         "the only expectation served is 100-continue");
        r.status = 417;
        co_return r;
      }
    }
    if (!parser.is_done() && buffer.size() > 0) {
      // A body that came with its head (most do) is parsed where it lies, without another read.
      parser.eager(true);
      error_code ec;
      buffer.consume(parser.put(buffer.data(), ec));
      if (ec && ec != http::error::need_more) co_return read_failure(ec);
    }
    if (!parser.is_done()) {
      auto [bec, body_bytes] = co_await http::async_read(stream, buffer, parser, use_tuple);
      if (bec) co_return read_failure(bec);
    }
    co_return std::nullopt;
  }

  // The client left or timed out: the connection closes without an answer.
  static http_response closed_silently() {
    http_response r;
    r.status = 0;
    return r;
  }

  http_response read_failure(const error_code& ec) const {
    if (ec == http::error::body_limit) {
      return error_response(routing::errc::payload_too_large,
                            "the request body is over the limit of " +
                                std::to_string(settings.body_limit) + " bytes");
    }
    if (ec == http::error::header_limit) {
      http_response r = error_response(routing::errc::payload_too_large,
                                       "the request headers are over the limit of " +
                                           std::to_string(settings.header_limit) + " bytes");
      r.status = 431;
      return r;
    }
    if (ec == beast::error::timeout || ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
      return closed_silently();
    }
    return error_response(routing::errc::invalid_argument,
                          "malformed HTTP request: " + ec.message());
  }

  // Lingering close: stop sending, then read and drop what the client still sends, up to a
  // second and a bounded amount, so the answer already written is not lost to a reset.
  static asio::awaitable<void> linger(beast::tcp_stream& stream) {
    error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.expires_after(linger_time);
    std::array<char, 16 * 1024> sink{};
    for (std::size_t drained = 0; drained < linger_bytes;) {
      auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), use_tuple);
      if (ec) break;
      drained += n;
    }
  }

  // The status line and headers of a response with a known length.
  static std::string response_head(const http_response& r, unsigned version, bool keep_alive) {
    std::string head;
    head.reserve(160);
    head.append("HTTP/1.1 ").append(std::to_string(r.status)).push_back(' ');
    const auto reason = http::obsolete_reason(static_cast<http::status>(r.status));
    head.append(reason.data(), reason.size());
    head.append("\r\nServer: ticketd\r\nContent-Type: ").append(r.content_type);
    head.append("\r\nContent-Length: ").append(std::to_string(r.body.size()));
    if (!keep_alive) {
      head.append("\r\nConnection: close");
    } else if (version < 11) {
      head.append("\r\nConnection: keep-alive");
    }
    end_head(head, r);
    return head;
  }

  // The response's own headers and the blank line that ends a head.
  static void end_head(std::string& head, const http_response& r) {
    for (const auto& [name, value] : r.headers) {
      head.append("\r\n").append(name).append(": ").append(value);
    }
    head.append("\r\n\r\n");
  }

  // Writes the head and the body in one gather write: every response has a known length, so
  // Beast's general serializer would only add work. `origin`: the request's (CORS headers).
  asio::awaitable<bool> write(beast::tcp_stream& stream, http_response& r, unsigned version,
                              bool keep_alive, std::string_view origin) {
    add_cors_headers(r, origin);
    const std::string head = response_head(r, version, keep_alive);
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(head), asio::buffer(r.body)};
    // Most answers fit the socket's send buffer: written now (the session's socket does not
    // block), without a completion handed through the event loop. The rest, if any, goes
    // through the asynchronous write.
    error_code ec;
    const std::size_t total = head.size() + r.body.size();
    const std::size_t n = stream.socket().write_some(buffers, ec);
    if (!ec && n == total) co_return true;
    if (ec && ec != asio::error::would_block && ec != asio::error::try_again) co_return false;
    beast::buffers_suffix<std::array<asio::const_buffer, 2>> rest(buffers);
    rest.consume(ec ? 0 : n);
    auto [wec, m] = co_await asio::async_write(stream, rest, use_tuple);
    co_return !wec;
  }

  // A browser's request (it sent Origin) when CORS is configured: its answer varies with the
  // origin, and a listed origin may read it (api/cors.hpp).
  void add_cors_headers(http_response& r, std::string_view origin) const {
    if (origin.empty() || settings.cors_origins.empty()) return;
    r.headers.emplace_back("Vary", "Origin");
    if (!api::origin_listed(settings.cors_origins, origin)) return;
    r.headers.emplace_back("Access-Control-Allow-Origin", std::string{origin});
    r.headers.emplace_back("Access-Control-Expose-Headers", std::string{api::cors_exposed_headers});
  }

  // Server-Sent Events: the head (with the response's headers), then whatever the stream yields
  // until it ends or the client leaves. The body runs until the connection closes (no length, no
  // chunking).
  asio::awaitable<void> serve_events(session_state& state, http_response& response,
                                     std::string_view origin) {
    add_cors_headers(response, origin);
    auto& events = *response.sse;
    auto& stream = state.stream;
    state.on_stop = [&events] { events.stop(); };
    stream.expires_never();
    std::string head =
        "HTTP/1.1 200 OK\r\nServer: ticketd\r\nContent-Type: text/event-stream\r\n"
        "Cache-Control: no-cache\r\nX-Accel-Buffering: no\r\nConnection: close";
    end_head(head, response);
    auto [hec, hn] = co_await asio::async_write(stream, asio::buffer(head), use_tuple);
    if (hec) {
      state.on_stop = nullptr;
      co_return;
    }
    for (;;) {
      auto text = co_await events.next();
      if (!text || stopping.load()) break;
      stream.expires_after(settings.read_timeout);
      auto [ec, n] = co_await asio::async_write(stream, asio::buffer(*text), use_tuple);
      stream.expires_never();
      if (ec) break;
    }
    state.on_stop = nullptr;
  }

  void close_idle_sessions(std::size_t worker) {
    for (auto& weak : sessions[worker]) {
      if (auto s = weak.lock(); s && !s->busy) {
        if (s->on_stop) {
          s->on_stop();
          continue;
        }
        error_code ignored;
        s->stream.socket().cancel(ignored);
      }
    }
  }
};

http_server::http_server(std::vector<asio::io_context*> workers, config::server_config settings,
                         http_handler& handler, task_supervisor* supervisor)
    : impl_(std::make_shared<impl>(std::move(workers), std::move(settings), handler, supervisor)) {}

http_server::~http_server() = default;

error_code http_server::listen(const config::listen_address& address, std::uint16_t& bound) {
  error_code ec;
  const auto ip = asio::ip::make_address(address.host, ec);
  if (ec) return ec;
  const tcp::endpoint endpoint{ip, address.port};
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return ec;
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return ec;
  acceptor.bind(endpoint, ec);
  if (ec) return ec;
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return ec;
  bound = acceptor.local_endpoint().port();
  return {};
}

void http_server::start() {
  spawn_task(impl_->supervisor, impl_->acceptor.get_executor(), "accept loop",
             impl_->accept_loop());
}

void http_server::stop() {
  if (impl_->stopping.exchange(true)) return;
  auto self = impl_;
  asio::post(impl_->acceptor.get_executor(), [self] {
    error_code ignored;
    self->acceptor.close(ignored);
  });
  for (std::size_t w = 0; w < impl_->workers.size(); ++w) {
    asio::post(*impl_->workers[w], [self, w] { self->close_idle_sessions(w); });
  }
}

std::size_t http_server::open_connections() const { return impl_->connections.load(); }

std::size_t http_server::requests_in_flight() const { return impl_->in_flight.load(); }

std::size_t http_server::requests_in_handler() const { return impl_->in_handler.load(); }

std::size_t http_server::streams_open() const { return impl_->streams.load(); }

}  // namespace ticketd::daemon
