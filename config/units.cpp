#include "config/units.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <limits>

namespace ticketd::config {
namespace {

constexpr std::int64_t ms_per_day = 24LL * 3600 * 1000;
// Far beyond any sensible setting, and far from overflowing int64 milliseconds.
constexpr std::int64_t max_span_ms = 100LL * 366 * ms_per_day;

struct time_unit {
  std::string_view suffix;
  std::int64_t ms;
};

// Largest first: components must follow this order, so `1h30m` is fine and `30m1h` is not.
constexpr std::array<time_unit, 6> time_units{{
    {"w", 7 * ms_per_day},
    {"d", ms_per_day},
    {"h", 3600 * 1000},
    {"m", 60 * 1000},
    {"s", 1000},
    {"ms", 1},
}};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_space(char c) { return c == ' ' || c == '\t'; }

parse_failure span_failure(std::string_view text) {
  return {"expected a duration such as 30s, 5m or 1h30m, got " + in_quotes(text)};
}

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::variant<span, parse_failure> parse_span(std::string_view text, sign_rule sign,
                                             business_rule business) {
  const std::string_view whole = trim(text);
  if (whole.empty()) return parse_failure{"empty duration (expected e.g. 30s, 5m or 1h30m)"};

  std::string_view amount = whole;
  std::string_view suffix;
  if (const auto blank = whole.find_first_of(" \t"); blank != std::string_view::npos) {
    amount = whole.substr(0, blank);
    suffix = trim(whole.substr(blank));
  }

  span result;
  if (!suffix.empty()) {
    if (suffix != "business") {
      return parse_failure{"unexpected " + in_quotes(suffix) + " after the duration in " +
                           in_quotes(whole) + " (only \"business\" may follow)"};
    }
    if (business == business_rule::wall_only) {
      return parse_failure{"business time is not allowed here: " + in_quotes(whole)};
    }
    result.basis = time_basis::business;
  }

  bool negative = false;
  if (!amount.empty() && amount.front() == '-') {
    if (sign == sign_rule::positive_only) {
      return parse_failure{"must not be negative: " + in_quotes(whole)};
    }
    negative = true;
    amount.remove_prefix(1);
  }
  if (amount.empty()) return span_failure(whole);

  std::int64_t total = 0;
  std::int64_t days = 0;
  bool only_days = true;
  std::size_t next_unit = 0;  // index into time_units of the smallest unit still allowed
  while (!amount.empty()) {
    std::size_t digits = 0;
    while (digits < amount.size() && is_digit(amount[digits])) ++digits;
    if (digits == 0) return span_failure(whole);
    if (digits < amount.size() && (amount[digits] == '.' || amount[digits] == ',')) {
      return parse_failure{"use whole numbers, e.g. 1h30m rather than 1.5h: " + in_quotes(whole)};
    }
    std::uint64_t number = 0;
    const auto [end, ec] = std::from_chars(amount.data(), amount.data() + digits, number);
    if (ec != std::errc{} || number > static_cast<std::uint64_t>(max_span_ms)) {
      return parse_failure{"duration too large: " + in_quotes(whole)};
    }
    amount.remove_prefix(digits);

    std::size_t letters = 0;
    while (letters < amount.size() && is_alpha(amount[letters])) ++letters;
    const std::string_view unit_text = amount.substr(0, letters);
    amount.remove_prefix(letters);
    if (unit_text.empty()) {
      return parse_failure{"missing unit in " + in_quotes(whole) + " (use ms, s, m, h, d or w)"};
    }
    std::size_t index = 0;
    while (index < time_units.size() && time_units[index].suffix != unit_text) ++index;
    if (index == time_units.size()) {
      return parse_failure{"unknown unit " + in_quotes(unit_text) + " in " + in_quotes(whole) +
                           " (use ms, s, m, h, d or w)"};
    }
    if (index < next_unit) {
      return parse_failure{"units must go from largest to smallest, each at most once: " +
                           in_quotes(whole)};
    }
    next_unit = index + 1;

    const std::int64_t unit_ms = time_units[index].ms;
    if (static_cast<std::int64_t>(number) > (max_span_ms - total) / unit_ms) {
      return parse_failure{"duration too large: " + in_quotes(whole)};
    }
    total += static_cast<std::int64_t>(number) * unit_ms;
    if (unit_ms % ms_per_day == 0) {
      days += static_cast<std::int64_t>(number) * (unit_ms / ms_per_day);
    } else {
      only_days = false;
    }
  }

  result.length = millis{negative ? -total : total};
  if (only_days) result.whole_days = static_cast<int>(negative ? -days : days);
  return result;
}

std::variant<std::size_t, parse_failure> parse_size(std::string_view text) {
  struct size_unit {
    std::string_view suffix;
    std::size_t bytes;
  };
  static constexpr std::array<size_unit, 7> size_units{{
      {"B", 1},
      {"KB", 1000},
      {"KiB", 1024},
      {"MB", 1000 * 1000},
      {"MiB", 1024 * 1024},
      {"GB", 1000 * 1000 * 1000},
      {"GiB", 1024 * 1024 * 1024},
  }};

  const std::string_view whole = trim(text);
  const auto failure = [&] {
    return parse_failure{"expected a size such as 65536, 64KiB or 1MiB, got " + in_quotes(whole)};
  };
  std::size_t digits = 0;
  while (digits < whole.size() && is_digit(whole[digits])) ++digits;
  if (digits == 0) return failure();

  std::size_t number = 0;
  const auto [end, ec] = std::from_chars(whole.data(), whole.data() + digits, number);
  if (ec != std::errc{}) return parse_failure{"size too large: " + in_quotes(whole)};

  const std::string_view unit_text = trim(whole.substr(digits));
  if (unit_text.empty()) return number;
  for (const auto& unit : size_units) {
    if (!iequals(unit.suffix, unit_text)) continue;
    if (number > std::numeric_limits<std::size_t>::max() / unit.bytes) {
      return parse_failure{"size too large: " + in_quotes(whole)};
    }
    return number * unit.bytes;
  }
  return parse_failure{"unknown unit " + in_quotes(unit_text) + " in " + in_quotes(whole) +
                       " (use B, KiB, MiB, GiB, KB, MB or GB)"};
}

std::string format_span(const span& s) {
  std::string out;
  std::int64_t ms = s.length.count();
  if (ms < 0) {
    out += '-';
    ms = -ms;
  }
  const std::int64_t days = s.whole_days < 0 ? -std::int64_t{s.whole_days} : s.whole_days;
  // Days only when the text said days: `48h business` and `2d business` mean different things.
  if (days != 0 && ms == days * ms_per_day) {
    out += std::to_string(days) + "d";
  } else if (ms == 0) {
    out += "0s";
  } else {
    for (const auto& unit : time_units) {
      if (unit.ms >= ms_per_day) continue;
      if (const std::int64_t count = ms / unit.ms; count > 0) {
        out += std::to_string(count);
        out += unit.suffix;
        ms %= unit.ms;
      }
    }
  }
  if (s.basis == time_basis::business) out += " business";
  return out;
}

// Appends rather than `"\"" + ...`: GCC 12 at -O3 reports a false -Wrestrict on the latter.
std::string in_quotes(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  out += s;
  out += '"';
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

}  // namespace ticketd::config
