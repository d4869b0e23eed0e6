// Domain errors as values: the codes of API.md, parsed from the functions' error replies
// (`TICKETD_<CODE> key=value ...`). daemon/api/error_response.cpp maps them to HTTP.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/system/result.hpp>

namespace ticketd::routing {

enum class errc {
  invalid_argument,
  unauthenticated,
  forbidden,
  not_found,
  invalid_transition,
  capacity_exceeded,
  conflict,
  version_mismatch,
  idempotency_conflict,  // an Idempotency-Key reused for a different request
  payload_too_large,
  unavailable,
  stale,         // internal: the ticket changed between a read and the function call; retried
  unconfigured,  // internal: Redis lost this configuration's settings (flush); stored again
  internal,      // a bug or a reply the decoder did not expect
};

// The snake_case API code, e.g. "invalid_transition".
std::string_view code_name(errc code);

struct error {
  errc code = errc::internal;
  std::string message;
  std::vector<std::pair<std::string, std::string>> details;  // e.g. {"status", "pending"}

  std::optional<std::string_view> detail(std::string_view name) const;
};

error make_error(errc code, std::string message);

// A value or the domain error that prevented it.
template <class T>
using outcome = boost::system::result<T, error>;

// Parses `TICKETD_INVALID_TRANSITION status=pending script: ...`; anything else (a Redis or Lua
// error) becomes errc::internal carrying the text.
error from_function_error(std::string_view text);

}  // namespace ticketd::routing
