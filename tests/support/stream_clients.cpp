#include "tests/support/stream_clients.hpp"

#include <deque>
#include <map>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/parse.hpp>

#include "tests/support/text.hpp"

namespace ticketd::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

// Runs one async operation to completion or the timeout; false on timeout (the op is cancelled).
template <class Start>
bool run_with_timeout(asio::io_context& io, std::chrono::milliseconds timeout, Start start,
                      std::function<void()> cancel) {
  bool done = false;
  start(done);
  io.restart();
  io.run_for(timeout);
  if (!done) {
    cancel();
    io.restart();
    io.run_for(std::chrono::seconds(1));
    return false;
  }
  return true;
}

}  // namespace

struct ws_client::impl {
  asio::io_context io;
  websocket::stream<beast::tcp_stream> ws{io};
  beast::flat_buffer buffer;
  std::deque<boost::json::value> skipped;  // frames wait_for passed over, oldest first
  bool ok = false;
  bool closed = false;
  int refused = 0;
  int close_code = 0;
};

ws_client::ws_client(std::uint16_t port, const std::string& target, const headers_list& headers)
    : impl_(std::make_unique<impl>()) {
  auto& s = *impl_;
  error_code ec;
  beast::get_lowest_layer(s.ws).expires_after(std::chrono::seconds(5));
  beast::get_lowest_layer(s.ws).socket().connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return;
  s.ws.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
    for (const auto& [name, value] : headers) req.set(name, value);
  }));
  websocket::response_type res;
  s.ws.handshake(res, "127.0.0.1:" + std::to_string(port), target, ec);
  beast::get_lowest_layer(s.ws).expires_never();
  if (ec) {
    s.refused = static_cast<int>(res.result_int());
    return;
  }
  s.ok = true;
}

ws_client::~ws_client() {
  if (impl_->ok && !impl_->closed) close();
}

bool ws_client::ok() const { return impl_->ok; }
int ws_client::refused_status() const { return impl_->refused; }

void ws_client::send(const std::string& text) {
  error_code ec;
  impl_->ws.text(true);
  impl_->ws.write(asio::buffer(text), ec);
}

std::optional<boost::json::value> ws_client::next(std::chrono::milliseconds timeout) {
  auto& s = *impl_;
  if (!s.ok || s.closed) return std::nullopt;
  error_code result;
  const bool finished = run_with_timeout(
      s.io, timeout,
      [&](bool& done) {
        s.ws.async_read(s.buffer, [&](error_code ec, std::size_t) {
          result = ec;
          done = true;
        });
      },
      [&] { beast::get_lowest_layer(s.ws).socket().cancel(); });
  if (!finished) return std::nullopt;
  if (result) {
    s.closed = true;
    if (result == websocket::error::closed) s.close_code = static_cast<int>(s.ws.reason().code);
    return std::nullopt;
  }
  std::string text = beast::buffers_to_string(s.buffer.data());
  s.buffer.consume(s.buffer.size());
  error_code pec;
  auto v = boost::json::parse(text, pec);
  if (pec) return boost::json::value(text);
  return v;
}

std::optional<boost::json::value> ws_client::wait_for(
    const std::string& type, std::function<bool(const boost::json::object&)> also,
    std::chrono::milliseconds timeout) {
  auto matches = [&](const boost::json::value& frame) {
    if (!frame.is_object()) return false;
    const auto& o = frame.get_object();
    const auto* t = o.if_contains("type");
    return t && t->is_string() && t->get_string() == type && (!also || also(o));
  };
  for (auto it = impl_->skipped.begin(); it != impl_->skipped.end(); ++it) {
    if (matches(*it)) {
      auto found = std::move(*it);
      impl_->skipped.erase(it);
      return found;
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto frame = next(left);
    if (!frame) return std::nullopt;
    if (matches(*frame)) return frame;
    impl_->skipped.push_back(std::move(*frame));
  }
}

bool ws_client::closed_by_server(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!impl_->closed) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    if (!next(left) && !impl_->closed) return false;
  }
  return true;
}

int ws_client::close_code() const { return impl_->close_code; }

void ws_client::close() {
  auto& s = *impl_;
  if (!s.ok || s.closed) return;
  s.closed = true;
  error_code ec;
  beast::get_lowest_layer(s.ws).expires_after(std::chrono::seconds(2));
  s.ws.close(websocket::close_code::normal, ec);
}

struct sse_client::impl {
  asio::io_context io;
  tcp::socket socket{io};
  asio::streambuf buffer;
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  bool ended = false;                          // the server closed the response
};

sse_client::sse_client(std::uint16_t port, const std::string& target, const headers_list& headers)
    : impl_(std::make_unique<impl>()) {
  auto& s = *impl_;
  error_code ec;
  s.socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return;
  std::string req =
      "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
  for (const auto& [name, value] : headers) req += name + ": " + value + "\r\n";
  req += "\r\n";
  asio::write(s.socket, asio::buffer(req), ec);
  if (ec) return;
  bool got = run_with_timeout(
      s.io, std::chrono::seconds(5),
      [&](bool& done) {
        asio::async_read_until(s.socket, s.buffer, "\r\n\r\n",
                               [&](error_code, std::size_t) { done = true; });
      },
      [&] { s.socket.cancel(); });
  if (!got) return;
  std::istream in(&s.buffer);
  std::string line;
  std::getline(in, line);  // HTTP/1.1 200 OK
  if (line.size() > 12) s.status = std::stoi(line.substr(9, 3));
  while (std::getline(in, line) && line != "\r") {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    if (!value.empty() && value.back() == '\r') value.pop_back();
    s.headers[lower_case(line.substr(0, colon))] = value;
  }
}

sse_client::~sse_client() = default;

int sse_client::status() const { return impl_->status; }

std::string sse_client::header(const std::string& name) const {
  const auto found = impl_->headers.find(lower_case(name));
  return found == impl_->headers.end() ? std::string{} : found->second;
}

std::optional<sse_event> sse_client::next(std::chrono::milliseconds timeout) {
  auto& s = *impl_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    error_code result;
    const bool finished = run_with_timeout(
        s.io, left,
        [&](bool& done) {
          asio::async_read_until(s.socket, s.buffer, "\n\n", [&](error_code ec, std::size_t) {
            result = ec;
            done = true;
          });
        },
        [&] { s.socket.cancel(); });
    if (result == asio::error::eof) s.ended = true;
    if (!finished || result) return std::nullopt;
    std::istream in(&s.buffer);
    sse_event e;
    std::string data;
    bool any = false;
    for (std::string line; std::getline(in, line) && !line.empty();) {
      if (line.rfind("id: ", 0) == 0) {
        e.id = line.substr(4);
        any = true;
      } else if (line.rfind("event: ", 0) == 0) {
        e.type = line.substr(7);
      } else if (line.rfind("data: ", 0) == 0) {
        data += line.substr(6);
      }
    }
    if (!any) continue;  // a comment or retry line
    error_code pec;
    e.data = boost::json::parse(data, pec);
    return e;
  }
}

bool sse_client::ended_by_server(std::chrono::milliseconds timeout) {
  while (!impl_->ended) {
    if (!next(timeout) && !impl_->ended) return false;
  }
  return true;
}

std::string sse_client::error_body(std::chrono::milliseconds timeout) {
  auto& s = *impl_;
  // The body is Content-Length bytes (the connection may stay open after it); what the head's
  // read brought along counts.
  const auto length = header("content-length");
  const std::size_t wanted = length.empty() ? 1 : std::stoul(length);
  if (s.buffer.size() < wanted) {
    run_with_timeout(
        s.io, timeout,
        [&](bool& done) {
          asio::async_read(s.socket, s.buffer, asio::transfer_at_least(wanted - s.buffer.size()),
                           [&](error_code, std::size_t) { done = true; });
        },
        [&] { s.socket.cancel(); });
  }
  return std::string(asio::buffers_begin(s.buffer.data()), asio::buffers_end(s.buffer.data()));
}

}  // namespace ticketd::testing
