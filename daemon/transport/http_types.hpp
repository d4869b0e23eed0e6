// Requests and responses as plain values between the Beast server (http_server.cpp, the only
// translation unit that includes Beast for HTTP) and the API it serves.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "daemon/api/routes.hpp"

namespace ticketd::daemon {

struct http_request {
  api::http_method method = api::http_method::other;
  std::string_view target;
  std::string_view body;
  std::string_view authorization;
  std::string_view if_match;
  std::string_view last_event_id;
  std::string_view idempotency_key;
  std::string_view request_id;  // X-Request-Id as sent (the service checks it)
  std::string_view origin;      // Origin: sent by browsers (api/cors.hpp)
  std::string_view host;        // Host
  // A CORS preflight's Access-Control-Request-Method; set only for OPTIONS with an Origin.
  std::string_view preflight_method;
  bool websocket_upgrade = false;  // a WebSocket handshake request
  std::size_t worker = 0;          // index of the worker thread serving the connection
};

// A Server-Sent Events body: after the response head the server writes what next() yields
// until it yields nothing or the client leaves.
class event_stream {
 public:
  virtual ~event_stream() = default;
  // The next text to write (records, or a comment line to keep the connection alive);
  // nullopt ends the stream.
  virtual boost::asio::awaitable<std::optional<std::string>> next() = 0;
  // The server is stopping: next() should end soon. Called on the stream's thread.
  virtual void stop() = 0;
};

// An agent's WebSocket (GET /v1/agents/{id}/stream) once the handshake is done. Every call
// comes on the thread of the connection.
class agent_channel {
 public:
  // Queues one text frame; false when the outbox is full (the connection then closes).
  using send_fn = std::function<bool(std::string)>;

  virtual ~agent_channel() = default;
  // Before the handshake is answered: everything that happens after the answer must reach the
  // socket, so the channel starts listening first. False refuses the handshake (503).
  virtual boost::asio::awaitable<bool> prepare() = 0;
  // The handshake is answered: frames may go out (what came since prepare() first).
  virtual boost::asio::awaitable<void> opened(send_fn send) = 0;
  // A text frame from the agent; the reply frame to send ("" for none).
  virtual boost::asio::awaitable<std::string> received(std::string text) = 0;
  // `slow`: closed because the agent did not keep up with its events. Also after a prepare()
  // whose handshake then failed (or was refused): everything prepare() started ends here.
  virtual boost::asio::awaitable<void> closed(bool slow) = 0;
};

struct http_response {
  int status = 200;
  std::string body;
  std::string_view content_type = "application/json";
  std::vector<std::pair<std::string_view, std::string>> headers;
  // Set when the request opened a stream instead of getting a body.
  std::shared_ptr<event_stream> sse;
  std::shared_ptr<agent_channel> websocket;
};

class http_handler {
 public:
  virtual ~http_handler() = default;
  // Runs on the worker's io_context; never throws.
  virtual boost::asio::awaitable<http_response> handle(const http_request& request) = 0;
};

}  // namespace ticketd::daemon
