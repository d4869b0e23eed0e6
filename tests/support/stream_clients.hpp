// Blocking clients of ticketd's two streams for tests: an agent's WebSocket and the SSE feed.
// Every read has a timeout, so a missing event fails the test instead of hanging it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

namespace ticketd::testing {

using headers_list = std::vector<std::pair<std::string, std::string>>;

class ws_client {
 public:
  // Connects and performs the handshake; ok() tells whether it was accepted and, if not,
  // refused_status() the HTTP status the server answered with.
  ws_client(std::uint16_t port, const std::string& target, const headers_list& headers = {});
  ~ws_client();
  ws_client(const ws_client&) = delete;
  ws_client& operator=(const ws_client&) = delete;

  bool ok() const;
  int refused_status() const;

  void send(const std::string& text);
  // The next frame as JSON; nullopt on timeout or close.
  std::optional<boost::json::value> next(
      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // The first frame, among those passed over before and then new ones, with "type" == type
  // (and matching `also`, when given); nullopt on timeout. A timeout leaves the client unusable.
  std::optional<boost::json::value> wait_for(
      const std::string& type, std::function<bool(const boost::json::object&)> also = {},
      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // True when the server closed the connection within the timeout (frames before are skipped).
  bool closed_by_server(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // The code of the server's close frame (1001 going away, ...); 0 when none came.
  int close_code() const;
  void close();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

struct sse_event {
  std::string id;
  std::string type;
  boost::json::value data;
};

class sse_client {
 public:
  sse_client(std::uint16_t port, const std::string& target, const headers_list& headers = {});
  ~sse_client();
  sse_client(const sse_client&) = delete;
  sse_client& operator=(const sse_client&) = delete;

  int status() const;  // of the response head
  // A header of the response head (name in any case); "" when absent.
  std::string header(const std::string& name) const;
  // The next event (comments skipped); nullopt on timeout or close.
  std::optional<sse_event> next(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Reads on (skipping events) until the server ends the response: false when `timeout` passes
  // without an event or the end.
  bool ended_by_server(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Reads the body of a non-stream (error) response.
  std::string error_body(std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace ticketd::testing
