// A blocking HTTP/1.1 keep-alive client for tests: what a helpdesk backend sends, nothing more.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

namespace ticketd::testing {

struct http_reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  boost::json::value json() const;
  // error.code of an error body, or "" when there is none.
  std::string error_code() const;
  // The error's `field`, or "" when the body names none.
  std::string error_field() const;
  std::string header(const std::string& name) const;
};

class http_client {
 public:
  explicit http_client(std::uint16_t port, std::string host = "127.0.0.1");
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;
  http_client(http_client&& other) noexcept;

  http_reply request(std::string_view method, std::string_view target, std::string_view body = {},
                     const std::vector<std::pair<std::string, std::string>>& headers = {});
  http_reply get(std::string_view target) { return request("GET", target); }
  http_reply post(std::string_view target, std::string_view body = "{}") {
    return request("POST", target, body);
  }
  http_reply put(std::string_view target, std::string_view body) {
    return request("PUT", target, body);
  }
  http_reply del(std::string_view target) { return request("DELETE", target); }

  // A receive buffer of `bytes` (SO_RCVBUF) for the connections made from now on: a client whose
  // window is small takes a large answer in many pieces.
  void set_receive_buffer(int bytes) { receive_buffer_ = bytes; }

  // Raw bytes on a fresh connection (malformed requests); returns what came back until the
  // server closed it (throws when it does not within the receive timeout).
  std::string raw(std::string_view bytes);

 private:
  void connect();
  void close();

  std::uint16_t port_;
  std::string host_;
  int fd_ = -1;
  int receive_buffer_ = 0;  // 0: the system's
  std::string buffer_;
};

// A write sent with Idempotency-Key `key` again while it is answered 503 (for at most 10 s), as
// a client following Retry-After does: with redis.wait_replicas a replica slow to confirm (a busy
// machine) holds the answer back. Returns the first other answer, or the last 503.
http_reply until_confirmed(http_client& c, std::string_view method, std::string_view target,
                           std::string_view body, const std::string& key);

// The string member `key` of a JSON object, or "" when it is absent or not a string.
std::string json_str(const boost::json::value& v, std::string_view key);

// The value of one series (`name{labels}` exactly as printed) in a /metrics body; 0 when absent.
double metric_value(const std::string& metrics_text, const std::string& series);

}  // namespace ticketd::testing
