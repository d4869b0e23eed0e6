// Request bodies of the HTTP API parsed and validated into typed values (sans-io). Every
// failure is invalid_argument naming the field; unknown fields are refused so a typo never
// silently changes nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/api/routes.hpp"
#include "routing/errors.hpp"
#include "routing/requests.hpp"
#include "routing/status.hpp"
#include "routing/transitions.hpp"

namespace ticketd::daemon::api {

struct clock_request {
  std::optional<std::int64_t> set_ms;
  std::optional<std::int64_t> advance_ms;
};

routing::outcome<routing::create_request> parse_create(std::string_view body);
routing::outcome<routing::patch_request> parse_patch(std::string_view body);
routing::outcome<routing::action_request> parse_action(routing::ticket_action action,
                                                       std::string_view body);
routing::outcome<routing::agent_request> parse_agent(std::string_view body);
routing::outcome<routing::status_request> parse_status(std::string_view body);
routing::outcome<clock_request> parse_clock(std::string_view body);
// The body of POST /v1/stream-token (scope events): {"scope": "events"}, the one scope it
// issues; of POST /v1/agents/{id}/stream-token (scope agent): none, {}, or {"scope": "agent"}.
// What is wrong with it; nullopt when nothing.
std::optional<routing::error> check_stream_token_body(std::string_view body, stream_scope scope);

// A frame an agent sends on its stream: {"action": "accept"|"reject", "ticket", "token",
// "reason"}; the request acts as the stream's agent (an "agent" field is refused).
struct agent_frame {
  routing::ticket_action action = routing::ticket_action::accept;
  std::string ticket;
  routing::action_request request;
};
routing::outcome<agent_frame> parse_agent_frame(std::string_view text);

// `3` or `"3"` or `W/"3"`.
std::optional<std::int64_t> parse_if_match(std::string_view header);

// An Idempotency-Key or X-Request-Id: 1 to 128 visible ASCII characters.
bool is_valid_header_token(std::string_view value);

// What an Idempotency-Key is kept for: the method, the target, the caller (the bearer token's
// name, empty when the server asks for none) and a digest of the body
// (`POST /v1/agents/ada/next desk 7c1f...`); a repeat must match it. An agent token's request
// means that agent, so the same request from two tokens is two requests.
std::string request_fingerprint(std::string_view method, std::string_view target,
                                std::string_view body, std::string_view caller);

routing::error invalid_argument(std::string_view field, std::string message);

}  // namespace ticketd::daemon::api
