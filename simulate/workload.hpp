// A workload for `ticketd simulate` (docs/design.md "Simulation"): JSON lines in time order,
// each {"at": RFC 3339, "op": ...}, parsed and validated up front with the API's own request
// parsers, so a bad line is reported with its number before anything runs. Sans-io.
#pragma once

#include <cstdint>
#include <istream>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "routing/requests.hpp"

namespace ticketd::simulate {

// How a simulated agent works a ticket: from its assignment to its reply, then from the reply to
// resolving it. `spread` draws each duration uniformly from d*(1-spread) to d*(1+spread).
struct handling {
  std::int64_t reply_after_ms = 0;
  std::int64_t resolve_after_ms = 0;
  double spread = 0;
};

// {"op": "agent", "id", ...PUT /v1/agents/{id} body}: a shift starts (status online unless
// the line says otherwise).
struct agent_op {
  std::string id;
  routing::agent_request request;
};
// {"op": "status", "agent", "status"[, "channel"]}.
struct status_op {
  std::string agent;
  routing::status_request request;
};
// {"op": "create", ...POST /v1/tickets body..., "handle": {"reply_after", "resolve_after"}}.
struct create_op {
  routing::create_request request;
  std::optional<handling> handle;
};
// {"op": "customer-reply", "ticket"}.
struct customer_reply_op {
  std::string ticket;
};
// {"op": "handling", "channel", "reply_after", "resolve_after"[, "spread"]}: the default for the
// channel's tickets without `handle` from here on ("default": tickets of any other channel).
struct handling_op {
  std::string channel;
  handling value;
};

struct workload_op {
  std::int64_t at = 0;
  std::size_t line = 0;
  std::variant<agent_op, status_op, create_op, customer_reply_op, handling_op> what;
};

struct workload {
  std::vector<workload_op> ops;
};

struct workload_error {
  std::size_t line = 0;
  std::string message;
};

struct parsed_workload {
  workload value;
  std::vector<workload_error> errors;  // every bad line (at most 20), empty when valid
};

parsed_workload parse_workload(std::istream& in);

// A --handle value: CHANNEL=REPLY_S,RESOLVE_S[,SPREAD] (seconds; CHANNEL `default` for all).
std::optional<std::pair<std::string, handling>> parse_handle_option(std::string_view text);

}  // namespace ticketd::simulate
