// HTTP/1.1 rules the server enforces on a request's head before it reads the body (RFC 9112),
// as plain checks on the header values: which framing it accepts, what a target means, what an
// Expect asks. Sans-io; transport/http_server.cpp applies them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ticketd::daemon::api {

// What the head of a request says about itself, as the server read it.
struct request_head {
  unsigned version = 11;             // 10 or 11
  int host_fields = 0;               // how many Host fields
  int transfer_encoding_fields = 0;  // how many Transfer-Encoding fields
  std::string_view transfer_encoding;
  bool has_content_length = false;
};

// Why the head cannot be served (answered 400, and the connection closed: what follows on the
// connection cannot be told apart from the body), or nullopt. A Transfer-Encoding other than
// exactly `chunked` would leave the body's end unknown (and smuggle it in as the next request);
// with Content-Length as well, the two could disagree.
std::optional<std::string> framing_error(const request_head& head);

// The path and query of a request target: absolute-form (`http://host/v1/queues`) is served as
// its origin-form (`/v1/queues`); anything else is returned as it is.
std::string_view origin_form(std::string_view target);

enum class expectation { none, continue_100, unsupported };
// What an Expect field asks for (absent: none).
expectation expectation_of(std::string_view expect);

}  // namespace ticketd::daemon::api
