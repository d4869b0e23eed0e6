// RFC 3339 timestamps on the wire (`2026-11-22T10:00:00.000Z`) <-> epoch milliseconds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ticketd::routing {

// Always UTC with milliseconds: 2026-11-22T10:00:00.000Z, rfc3339_size characters. An instant
// outside years 0000-9999 is written as the nearest one inside them (no stored or computed time
// of ticketd comes near either end; parse_rfc3339 refuses such instants).
inline constexpr std::size_t rfc3339_size = 24;
inline constexpr std::int64_t rfc3339_min_ms = -62'167'219'200'000;  // 0000-01-01T00:00:00.000Z
inline constexpr std::int64_t rfc3339_max_ms = 253'402'300'799'999;  // 9999-12-31T23:59:59.999Z
// Writes exactly rfc3339_size characters at out; returns the end.
char* write_rfc3339(char* out, std::int64_t epoch_ms);
void append_rfc3339(std::string& out, std::int64_t epoch_ms);
std::string format_rfc3339(std::int64_t epoch_ms);

// Accepts `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, `t`/`z`/space separators too; refuses
// instants outside years 0000-9999 in UTC (what append_rfc3339 can write back).
std::optional<std::int64_t> parse_rfc3339(std::string_view text);

// Days since 1970-01-01 for a proleptic Gregorian date, and back (H. Hinnant's algorithms).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct civil_day {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

constexpr civil_day civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

}  // namespace ticketd::routing
