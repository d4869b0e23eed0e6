#include "routing/errors.hpp"

#include <array>

namespace ticketd::routing {
namespace {

struct code_entry {
  errc code;
  std::string_view name;
  std::string_view wire;  // as the Lua library spells it after TICKETD_
};

constexpr std::array<code_entry, 14> codes{{
    {errc::invalid_argument, "invalid_argument", "INVALID_ARGUMENT"},
    {errc::unauthenticated, "unauthenticated", "UNAUTHENTICATED"},
    {errc::forbidden, "forbidden", "FORBIDDEN"},
    {errc::not_found, "not_found", "NOT_FOUND"},
    {errc::invalid_transition, "invalid_transition", "INVALID_TRANSITION"},
    {errc::capacity_exceeded, "capacity_exceeded", "CAPACITY_EXCEEDED"},
    {errc::conflict, "conflict", "CONFLICT"},
    {errc::version_mismatch, "version_mismatch", "VERSION_MISMATCH"},
    {errc::idempotency_conflict, "idempotency_conflict", "IDEMPOTENCY_CONFLICT"},
    {errc::payload_too_large, "payload_too_large", "PAYLOAD_TOO_LARGE"},
    {errc::unavailable, "unavailable", "UNAVAILABLE"},
    {errc::stale, "stale", "STALE"},
    {errc::unconfigured, "unconfigured", "UNCONFIGURED"},
    {errc::internal, "internal", "INTERNAL"},
}};

std::string_view next_token(std::string_view& rest) {
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  const auto end = rest.find(' ');
  const auto token = rest.substr(0, end);
  rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  return token;
}

}  // namespace

std::string_view code_name(errc code) { return codes[static_cast<std::size_t>(code)].name; }

std::optional<std::string_view> error::detail(std::string_view name) const {
  for (const auto& [k, v] : details) {
    if (k == name) return v;
  }
  return std::nullopt;
}

error make_error(errc code, std::string message) { return error{code, std::move(message), {}}; }

error from_function_error(std::string_view text) {
  constexpr std::string_view prefix = "TICKETD_";
  std::string_view rest = text;
  const auto first = next_token(rest);
  if (first.substr(0, prefix.size()) != prefix) {
    return make_error(errc::internal, std::string{text});
  }
  const auto wire = first.substr(prefix.size());
  error e{errc::internal, std::string{text}, {}};
  bool known = false;
  for (const auto& entry : codes) {
    if (entry.wire == wire) {
      e.code = entry.code;
      known = true;
    }
  }
  // Details run until Redis's own suffix (` script: <name>, on @user_function:<line>.`).
  for (auto token = next_token(rest); !token.empty() && token != "script:";
       token = next_token(rest)) {
    const auto eq = token.find('=');
    if (eq == std::string_view::npos) continue;
    e.details.emplace_back(std::string{token.substr(0, eq)}, std::string{token.substr(eq + 1)});
  }
  // Known codes get their sentence from the API layer; an unknown one (a newer library
  // during a rolling upgrade) keeps its text for the log and the client.
  if (known) e.message.clear();
  return e;
}

}  // namespace ticketd::routing
