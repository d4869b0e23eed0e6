#include "routing/time_format.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

namespace ticketd::routing {
namespace {

// Writes `value` as exactly `width` digits at out (value is in range).
char* write_digits(char* out, unsigned value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return out + width;
}

// Reads exactly `width` digits at text[pos], advancing pos.
std::optional<int> read_digits(std::string_view text, std::size_t& pos, int width) {
  if (pos + static_cast<std::size_t>(width) > text.size()) return std::nullopt;
  int value = 0;
  for (int i = 0; i < width; ++i) {
    const char c = text[pos++];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

constexpr bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

constexpr unsigned days_in_month(int y, unsigned m) {
  constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

}  // namespace

char* write_rfc3339(char* out, std::int64_t epoch_ms) {
  epoch_ms = std::clamp(epoch_ms, rfc3339_min_ms, rfc3339_max_ms);
  std::int64_t days = epoch_ms / 86'400'000;
  std::int64_t ms = epoch_ms % 86'400'000;
  if (ms < 0) {
    ms += 86'400'000;
    --days;
  }
  const auto ms_of_day = static_cast<unsigned>(ms);
  // The timestamps of a response mostly fall on one day or a few: each thread keeps the text of
  // the last date it wrote.
  struct date_text {
    std::int64_t days = std::numeric_limits<std::int64_t>::min();
    char text[11];  // YYYY-MM-DDT
  };
  thread_local date_text last;
  if (days != last.days) {
    const civil_day c = civil_from_days(days);
    char* d = write_digits(last.text, static_cast<unsigned>(c.year), 4);
    *d++ = '-';
    d = write_digits(d, c.month, 2);
    *d++ = '-';
    d = write_digits(d, c.day, 2);
    *d = 'T';
    last.days = days;
  }
  std::memcpy(out, last.text, sizeof last.text);
  out += sizeof last.text;
  out = write_digits(out, ms_of_day / 3'600'000, 2);
  *out++ = ':';
  out = write_digits(out, ms_of_day / 60'000 % 60, 2);
  *out++ = ':';
  out = write_digits(out, ms_of_day / 1000 % 60, 2);
  *out++ = '.';
  out = write_digits(out, ms_of_day % 1000, 3);
  *out++ = 'Z';
  return out;
}

void append_rfc3339(std::string& out, std::int64_t epoch_ms) {
  char buf[rfc3339_size];
  out.append(buf, write_rfc3339(buf, epoch_ms));
}

std::string format_rfc3339(std::int64_t epoch_ms) {
  char buf[rfc3339_size];
  return {buf, write_rfc3339(buf, epoch_ms)};
}

std::optional<std::int64_t> parse_rfc3339(std::string_view text) {
  std::size_t pos = 0;
  const auto year = read_digits(text, pos, 4);
  if (!year || !expect(text, pos, '-')) return std::nullopt;
  const auto month = read_digits(text, pos, 2);
  if (!month || !expect(text, pos, '-')) return std::nullopt;
  const auto day = read_digits(text, pos, 2);
  if (!day || pos >= text.size()) return std::nullopt;
  const char sep = text[pos++];
  if (sep != 'T' && sep != 't' && sep != ' ') return std::nullopt;
  const auto hour = read_digits(text, pos, 2);
  if (!hour || !expect(text, pos, ':')) return std::nullopt;
  const auto minute = read_digits(text, pos, 2);
  if (!minute || !expect(text, pos, ':')) return std::nullopt;
  const auto second = read_digits(text, pos, 2);
  if (!second) return std::nullopt;
  if (*month < 1 || *month > 12 || *day < 1 ||
      static_cast<unsigned>(*day) > days_in_month(*year, static_cast<unsigned>(*month)) ||
      *hour > 23 || *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  std::int64_t millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 3) millis = millis * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 3; ++i) millis *= 10;
  }
  std::int64_t offset_minutes = 0;
  if (pos >= text.size()) return std::nullopt;
  const char zone = text[pos++];
  if (zone == '+' || zone == '-') {
    const auto oh = read_digits(text, pos, 2);
    if (!oh || !expect(text, pos, ':')) return std::nullopt;
    const auto om = read_digits(text, pos, 2);
    if (!om || *oh > 23 || *om > 59) return std::nullopt;
    offset_minutes = (*oh * 60 + *om) * (zone == '+' ? 1 : -1);
  } else if (zone != 'Z' && zone != 'z') {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  const std::int64_t days =
      days_from_civil(*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day));
  // A leap second (:60) folds onto the next second; the wire keeps millisecond precision.
  const std::int64_t seconds =
      days * 86'400 + *hour * 3600 + *minute * 60 + *second - offset_minutes * 60;
  const std::int64_t ms = seconds * 1000 + millis;
  // An offset must not carry the instant outside the four-digit years times are written with.
  constexpr std::int64_t first_ms = days_from_civil(0, 1, 1) * 86'400'000;
  constexpr std::int64_t end_ms = days_from_civil(10000, 1, 1) * 86'400'000;
  if (ms < first_ms || ms >= end_ms) return std::nullopt;
  return ms;
}

}  // namespace ticketd::routing
