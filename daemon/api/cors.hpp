// CORS (server.cors.allowed_origins): which browser origins get CORS headers on their answers,
// what a preflight is allowed, and which WebSocket upgrades are refused for their Origin.
// Sans-io: transport/http_server.cpp adds the headers, service/service.cpp answers preflights
// and refuses upgrades. A request without Origin (not a browser) is served as if CORS were not
// configured.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ticketd::daemon::api {

// `origin` is one of `allowed` (the configured list, in lower case), compared without regard to
// case.
bool origin_listed(const std::vector<std::string>& allowed, std::string_view origin);

// An upgrade to a WebSocket with this Origin and Host may go on: no Origin (not a browser), a
// listed origin, or ticketd's own (an origin whose host[:port] is the request's Host: a page
// that ticketd itself served).
bool upgrade_allowed(const std::vector<std::string>& allowed, std::string_view origin,
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
