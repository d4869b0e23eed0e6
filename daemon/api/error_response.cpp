#include "daemon/api/error_response.hpp"

#include <charconv>

#include "daemon/api/json_writer.hpp"

namespace ticketd::daemon::api {
namespace {

using routing::errc;

bool is_numeric_detail(std::string_view name) {
  return name == "load" || name == "max_concurrent" || name == "version" || name == "cost" ||
         name == "used" || name == "capacity";
}

bool is_boolean_detail(std::string_view name) { return name == "maybe_applied"; }

std::string detail_or(const routing::error& e, std::string_view name, std::string_view fallback) {
  return std::string{e.detail(name).value_or(fallback)};
}

}  // namespace

std::string_view retry_after(errc code) {
  // A second is about how long a failover or a restart of the embedded server takes.
  return http_status(code) == 503 ? "1" : "";
}

int http_status(errc code) {
  switch (code) {
    case errc::invalid_argument:
      return 400;
    case errc::unauthenticated:
      return 401;
    case errc::forbidden:
      return 403;
    case errc::not_found:
      return 404;
    case errc::invalid_transition:
    case errc::capacity_exceeded:
    case errc::conflict:
    case errc::stale:
      return 409;
    case errc::version_mismatch:
      return 412;
    case errc::idempotency_conflict:
      return 422;
    case errc::payload_too_large:
      return 413;
    case errc::unconfigured:
    case errc::unavailable:
      return 503;
    case errc::internal:
      return 500;
  }
  return 500;
}

std::string describe(const routing::error& e) {
  if (!e.message.empty()) return e.message;
  switch (e.code) {
    case errc::invalid_transition:
      return "this action is not allowed while the ticket is " +
             detail_or(e, "status", "in its status");
    case errc::capacity_exceeded: {
      // With channels: which limit refused the ticket (include/capacity.lua).
      const auto reason = detail_or(e, "reason", "");
      if (reason == "no_room") {
        return "the ticket costs " + detail_or(e, "cost", "?") + " units (" +
               detail_or(e, "channel", "?") + ") and the agent uses " + detail_or(e, "used", "?") +
               " of its " + detail_or(e, "capacity", "?");
      }
      if (reason == "channel_full") {
        return "the agent already carries as many " + detail_or(e, "channel", "?") +
               " tickets as the channel's max_per_agent allows (wrap-ups count)";
      }
      return "the agent is at capacity (" + detail_or(e, "load", "?") + " of " +
             detail_or(e, "max", "?") + " tickets)";
    }
    case errc::version_mismatch:
      return "the ticket changed: its version is now " + detail_or(e, "version", "?");
    case errc::idempotency_conflict:
      return "this Idempotency-Key was used for a different request (method, path or body)";
    case errc::not_found:
      if (auto t = e.detail("ticket")) return "no ticket '" + std::string{*t} + "'";
      if (auto a = e.detail("agent")) return "no agent '" + std::string{*a} + "'";
      if (auto q = e.detail("queue")) return "no queue '" + std::string{*q} + "'";
      return "not found";
    case errc::conflict: {
      const auto reason = detail_or(e, "reason", "");
      if (reason == "payload") return "a ticket with this id exists with a different payload";
      if (reason == "closed") return "the ticket is closed; a new message needs a new ticket";
      if (reason == "reopen_window")
        return "the reopen window has passed; a new message needs a new ticket";
      if (reason == "assignee")
        return "the ticket is assigned to " + detail_or(e, "assignee", "another agent");
      if (reason == "offer")
        return "the ticket is offered to " + detail_or(e, "offered_to", "another agent");
      if (reason == "offer_token") return "the offer token is stale";
      if (detail_or(e, "field", "") == "requires") {
        return "the queue already holds tickets under " + std::string{detail_or(e, "sets", "64")} +
               " different sets of requirements; this one would be one more (let requirements "
               "relax, or use fewer levels)";
      }
      return "the request conflicts with the ticket's state";
    }
    case errc::stale:
      return "the ticket kept changing; try again";
    case errc::unconfigured:
      return "Redis lost the configuration; try again";
    case errc::unavailable:
      return "Redis is unavailable; try again shortly";
    case errc::payload_too_large:
      return "the request body is too large";
    case errc::unauthenticated:
      return "a valid bearer token is required";
    case errc::forbidden:
      return "this token may not do that";
    case errc::invalid_argument:
      return "invalid request";
    case errc::internal:
      return "internal error";
  }
  return "error";
}

std::string error_body(const routing::error& e) {
  std::string out;
  out.reserve(128);
  json_writer w(out);
  w.begin_object();
  write_error(w, e);
  w.end_object();
  return out;
}

void write_error(json_writer& w, const routing::error& e) {
  w.key("error").begin_object();
  w.field("code", routing::code_name(e.code == errc::stale ? errc::conflict : e.code));
  w.field("message", describe(e));
  for (const auto& [name, value] : e.details) {
    // Lua's `max` is the API's `max_concurrent`.
    const std::string_view key = name == "max" ? std::string_view{"max_concurrent"} : name;
    std::int64_t number = 0;
    const auto r = std::from_chars(value.data(), value.data() + value.size(), number);
    if (is_numeric_detail(key) && r.ec == std::errc{} && r.ptr == value.data() + value.size()) {
      w.field(key, number);
    } else if (is_boolean_detail(key) && (value == "true" || value == "false")) {
      w.field(key, value == "true");
    } else {
      w.field(key, value);
    }
  }
  w.end_object();
}

}  // namespace ticketd::daemon::api
