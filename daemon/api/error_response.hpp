// The one table from domain error codes to HTTP: status, JSON body `{"error": {...}}`, and a
// human sentence built from the details when the function did not give one.
#pragma once

#include <string>
#include <string_view>

#include "routing/errors.hpp"

namespace ticketd::daemon::api {

class json_writer;

int http_status(routing::errc code);

// The Retry-After value a response with this code carries, or empty: every 503 (Redis
// unreachable, or its configuration not stored yet) is worth retrying shortly.
std::string_view retry_after(routing::errc code);

// {"error": {"code", "message", ...details}}; numeric details (load, max_concurrent, version)
// render as numbers.
std::string error_body(const routing::error& e);
// Its `"error": {...}` member, into an object `w` is writing (the agent stream's error frames).
void write_error(json_writer& w, const routing::error& e);

// A sentence for errors the functions report with details only.
std::string describe(const routing::error& e);

}  // namespace ticketd::daemon::api
