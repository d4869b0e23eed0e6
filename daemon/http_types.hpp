// Requests and responses as plain values between the Beast server (http_server.cpp, the only
// translation unit that includes Beast for HTTP) and the API it serves.
#pragma once

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
  std::size_t worker = 0;  // index of the worker thread serving the connection
};

struct http_response {
  int status = 200;
  std::string body;
  std::string_view content_type = "application/json";
  std::vector<std::pair<std::string_view, std::string>> headers;
};

class http_handler {
 public:
  virtual ~http_handler() = default;
  // Runs on the worker's io_context; never throws.
  virtual boost::asio::awaitable<http_response> handle(const http_request& request) = 0;
};

}  // namespace ticketd::daemon
