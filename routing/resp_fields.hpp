// Small readers for decoding function replies: field-name switch codes, numbers that arrive as
// integers or text, comma lists. Internal to the decoders.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "routing/resp.hpp"

namespace ticketd::routing {

// A switchable code for field names of up to four characters.
constexpr std::uint32_t field_code(std::string_view name) {
  std::uint32_t code = 0;
  for (std::size_t i = 0; i < name.size() && i < 4; ++i) {
    code = code << 8 | static_cast<unsigned char>(name[i]);
  }
  return name.size() > 4 ? 0 : code;
}

inline std::int64_t to_int(const resp_value& v) {
  if (v.type == resp_value::kind::integer) return v.integer;
  // Stops at a fraction: whole numbers may come back as `1795000000000.0` from Lua arithmetic.
  std::int64_t out = 0;
  std::from_chars(v.str.data(), v.str.data() + v.str.size(), out);
  return out;
}

inline double to_double(const resp_value& v) {
  if (v.type == resp_value::kind::integer) return static_cast<double>(v.integer);
  double out = 0;
  std::from_chars(v.str.data(), v.str.data() + v.str.size(), out);
  return out;
}

inline std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    if (comma != 0) out.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace ticketd::routing
