#include "daemon/transport/agent_websocket.hpp"

#include <deque>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include "daemon/common/log.hpp"

namespace ticketd::daemon {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

// Frames from an agent are small commands; anything larger is a mistake or an attack.
constexpr std::size_t max_frame = 16 * 1024;

struct ws_session : std::enable_shared_from_this<ws_session> {
  // Timers that only ever end by cancel(): far in the future, but not at the clock's maximum.
  static constexpr auto never = std::chrono::hours(24 * 365);

  explicit ws_session(beast::tcp_stream& s)
      : ws(s), wake(s.get_executor()), done(s.get_executor()), deadline(s.get_executor()) {
    wake.expires_after(never);
    done.expires_after(never);
  }
  websocket::stream<beast::tcp_stream&> ws;
  std::deque<std::string> outbox;
  asio::steady_timer wake;  // the writer sleeps on it while the outbox is empty
  asio::steady_timer done;  // cancelled when the writer has finished
  // Once closing: the socket is cancelled if the close handshake (or a blocked write to an agent
  // that stopped reading) takes longer than this.
  asio::steady_timer deadline;
  static constexpr auto close_grace = std::chrono::seconds(1);
  std::shared_ptr<void> owner;  // keeps the connection (and its stream) alive for the writer
  bool closing = false;
  bool slow = false;
  bool writer_running = false;

  // Ends the session: the writer sends what it is writing, then a close frame saying why, and
  // the agent's answer to it ends the reader. An agent that does not answer is cut off.
  void close_soon() {
    if (closing) return;
    closing = true;
    wake.cancel();
    deadline.expires_after(close_grace);
    deadline.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) beast::get_lowest_layer(self->ws).socket().cancel();
    });
  }

  asio::awaitable<void> writer() {
    // The writer keeps the session (and through it the connection) alive until it ends.
    auto self = shared_from_this();
    bool failed = false;
    while (!closing) {
      if (outbox.empty()) {
        co_await wake.async_wait(use_tuple);
        wake.expires_after(never);
        continue;
      }
      auto [ec, n] = co_await ws.async_write(asio::buffer(outbox.front()), use_tuple);
      if (ec) {
        failed = true;
        break;
      }
      outbox.pop_front();
    }
    if (!failed && ws.is_open()) {
      // 1013 "try again later" for an agent that did not keep up, 1001 "going away" otherwise
      // (the daemon stops, the agent was removed): the desktop knows to reconnect.
      const websocket::close_reason reason{slow ? websocket::close_code::try_again_later
                                                : websocket::close_code::going_away};
      co_await ws.async_close(reason, use_tuple);
    }
    writer_running = false;
    done.cancel();
    // The reader may be waiting for a frame: a failed write ends the session.
    close_soon();
  }
};

}  // namespace

asio::awaitable<void> run_agent_websocket(beast::tcp_stream& stream,
                                          beast::http::request<beast::http::string_body> request,
                                          std::shared_ptr<agent_channel> channel,
                                          std::size_t outbox_limit, std::function<void()>& on_stop,
                                          std::shared_ptr<void> owner) {
  auto session = std::make_shared<ws_session>(stream);
  ws_session& s = *session;
  s.owner = std::move(owner);
  stream.expires_never();
  // Pings an idle agent and drops it when the pong does not come (a vanished desktop).
  s.ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  s.ws.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(beast::http::field::server, "ticketd"); }));
  s.ws.read_message_max(max_frame);
  // A stop while the handshake is answered: its answer may already be on its way to this
  // coroutine, where cancelling the socket would find nothing to cancel, so it is noted too.
  bool stop_asked = false;
  on_stop = [&stop_asked, &stream] {
    stop_asked = true;
    boost::system::error_code ignored;
    stream.socket().cancel(ignored);
  };
  auto [aec] = co_await s.ws.async_accept(request, use_tuple);
  if (aec) {
    on_stop = nullptr;
    // The channel was prepared (watching, counted as connected): it ends without a socket.
    co_await channel->closed(false);
    co_return;
  }
  s.ws.text(true);

  on_stop = [&s] { s.close_soon(); };
  if (stop_asked) s.close_soon();  // opened and closed at once, with 1001 "going away"
  agent_channel::send_fn send = [weak = std::weak_ptr<ws_session>(session),
                                 outbox_limit](std::string frame) {
    auto alive = weak.lock();
    if (!alive || alive->closing) return false;
    ws_session& s = *alive;
    if (s.outbox.size() >= outbox_limit) {
      s.slow = true;
      s.close_soon();
      return false;
    }
    s.outbox.push_back(std::move(frame));
    s.wake.cancel();
    return true;
  };
  s.writer_running = true;
  asio::co_spawn(stream.get_executor(), s.writer(), asio::detached);
  co_await channel->opened(send);

  beast::flat_buffer buffer;
  while (!s.closing) {
    auto [ec, n] = co_await s.ws.async_read(buffer, use_tuple);
    if (ec) break;
    std::string text = beast::buffers_to_string(buffer.data());
    buffer.consume(buffer.size());
    std::string reply = co_await channel->received(std::move(text));
    if (!reply.empty()) send(std::move(reply));
  }
  send = nullptr;
  co_await channel->closed(s.slow);
  on_stop = nullptr;
  s.close_soon();
  while (s.writer_running) {
    co_await s.done.async_wait(use_tuple);
    s.done.expires_after(ws_session::never);
  }
  s.deadline.cancel();
  if (s.slow) {
    log_warning("agent stream closed: the agent did not keep up with its events");
  }
}

}  // namespace ticketd::daemon
