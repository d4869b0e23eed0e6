// Text forms of durations (`30s`, `1h30m`, `8h business`) and sizes (`64KiB`), shared by the
// YAML loader and the HTTP API. Errors are values: the message says what was expected.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

#include "config/config.hpp"

namespace ticketd::config {

struct parse_failure {
  std::string message;
};

// `500ms`, `30s`, `5m`, `8h`, `2d`, `1w`, combinations such as `1h30m`, an optional leading
// `-` when allow_negative, and ` business` after the number when allow_business.
enum class sign_rule { positive_only, allow_negative };
enum class business_rule { wall_only, allow_business };
std::variant<span, parse_failure> parse_span(std::string_view text, sign_rule sign,
                                             business_rule business);

// `65536`, `64KiB`, `1MiB`, `64KB`, `1MB`.
std::variant<std::size_t, parse_failure> parse_size(std::string_view text);

// Renders a span the way the YAML writes it (`1h30m`, `8h business`), for messages.
std::string format_span(const span& s);

// `"text"`, for messages that quote what the file says.
std::string in_quotes(std::string_view s);

// `s` without its leading and trailing spaces and tabs.
std::string_view trim(std::string_view s);
// Equal but for ASCII case (header values, unit names).
bool iequals(std::string_view a, std::string_view b);

}  // namespace ticketd::config
