// Editing a test's configuration text.
#pragma once

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ticketd::testing {

// `text` with its first `from` replaced by `to`; throws when `from` is not there, so a test
// never runs on a configuration it did not mean to write.
inline std::string replaced(std::string text, std::string_view from, std::string_view to) {
  const auto at = text.find(from);
  if (at == std::string::npos) {
    throw std::invalid_argument("no \"" + std::string{from} + "\" in the text to edit");
  }
  return text.replace(at, from.size(), to);
}

// `text` in lower case (ASCII): header names as the test clients keep them.
inline std::string lower_case(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

}  // namespace ticketd::testing
