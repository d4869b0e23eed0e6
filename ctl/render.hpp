// What ticketctl asks ticketd for each command, and how the answers become text for an operator
// (or the raw JSON with --json), messages with what to do, and the exit status. Sans-io: the
// HTTP exchange happens in ticketctl.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ctl/invocation.hpp"

namespace ticketd::ctl {

struct request_spec {
  std::string method;  // GET or POST
  std::string target;  // with the URL's prefix and the query
};

// The requests a command makes, in order (every one is made, then all are rendered).
std::vector<request_spec> requests_for(const invocation& inv);

struct http_answer {
  int status = 0;
  std::string body;
  std::string retry_after;  // the Retry-After header, or ""
};

// What to print and how to exit.
struct report {
  exit_status status = exit_status::ok;
  std::string out;  // stdout
  std::string err;  // stderr: failures and what to do about them
};

// `answers` holds one answer per request of requests_for(inv), in the same order.
report render(const invocation& inv, std::span<const http_answer> answers);

// export-workload: the agent pages one after the other (agent_page_request with the `next` of
// the answer before, until next_agent_page says none), then events_request; render_export
// writes the workload from the answers in that order.
request_spec agent_page_request(const invocation& inv, std::string_view after);
std::optional<std::string> next_agent_page(const http_answer& a);
request_spec events_request(const invocation& inv, std::int64_t since_ms);
// `verify --all`: the names in the answer to GET /v1/admin/workspaces, each workspace's verify
// request, and the report of them all (answers[0] is the list's).
std::vector<std::string> workspace_names(const http_answer& a);
request_spec workspace_verify_request(const invocation& inv, std::string_view workspace);
report render_verify_all(const invocation& inv, std::span<const request_spec> reqs,
                         std::span<const http_answer> answers);
report render_export(const invocation& inv, std::span<const request_spec> reqs,
                     std::span<const http_answer> answers, std::int64_t since_ms);

// ticketd could not be reached: `what` says how it failed (e.g. "Connection refused").
enum class failure_kind { resolve, connect, timeout, protocol };
report unreachable(const invocation& inv, const request_spec& request, failure_kind kind,
                   std::string_view what);

// A usage error: the message, then the help text.
report usage_failure(std::string_view message);

// The token could not be read from its file.
report token_failure(std::string_view message);

// Text helpers, shared with the tests.
std::string format_seconds(long long seconds);  // 0s, 59s, 1m05s, 2h03m, 3d04h

// Columns separated by two spaces; `numeric[i]` right-aligns column i.
std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows,
                         const std::vector<bool>& numeric);

}  // namespace ticketd::ctl
