// CORS (server.cors.allowed_origins), sans-io: which browser origins get CORS headers, what a
// preflight allows, and which origins may act. transport/http_server.cpp adds the headers and
// service/service.cpp answers; a request without Origin (not a browser) is not affected.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ticketd::daemon::api {

// `origin` is one of `allowed` (the configured list, in lower case), compared without regard to
// case.
bool origin_listed(const std::vector<std::string>& allowed, std::string_view origin);

// A request with this Origin and Host may open a WebSocket or change anything (any method but
// GET): no Origin (not a browser), a listed origin, or ticketd's own (an origin whose host and
// port are the request's Host, a default port written or not: a page ticketd itself served).
bool origin_may_act(const std::vector<std::string>& allowed, std::string_view origin,
                    std::string_view host);

// What a preflight is allowed: the methods the API serves and the request headers it reads.
inline constexpr std::string_view cors_methods = "GET, POST, PUT, PATCH, DELETE";
inline constexpr std::string_view cors_request_headers =
    "Authorization, Content-Type, If-Match, Idempotency-Key, Last-Event-ID, X-Request-Id";
// The response headers a page may read besides the CORS-safelisted ones.
inline constexpr std::string_view cors_exposed_headers =
    "Retry-After, X-Request-Id, Idempotent-Replayed, WWW-Authenticate, Allow";
// How long a browser may keep a preflight's answer, in seconds.
inline constexpr std::string_view cors_max_age = "600";

}  // namespace ticketd::daemon::api
