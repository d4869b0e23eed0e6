// Process log lines on stderr: under systemd (JOURNAL_STREAM set) with a syslog priority
// prefix journald understands, otherwise with a UTC timestamp. Thread-safe; never on a hot path.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace ticketd::daemon {

enum class log_level { debug = 7, info = 6, warning = 4, error = 3 };

void write_log(log_level level, std::string_view message);
void set_log_threshold(log_level most_verbose);

namespace detail {

inline void format_into(std::ostringstream& out, std::string_view fmt) { out << fmt; }

template <class First, class... Rest>
void format_into(std::ostringstream& out, std::string_view fmt, const First& first,
                 const Rest&... rest) {
  const auto at = fmt.find("{}");
  if (at == std::string_view::npos) {
    out << fmt;
    return;
  }
  out << fmt.substr(0, at) << first;
  format_into(out, fmt.substr(at + 2), rest...);
}

}  // namespace detail

// "{}" placeholders are replaced by the arguments in order (streamed with <<).
template <class... Args>
std::string format_message(std::string_view fmt, const Args&... args) {
  std::ostringstream out;
  detail::format_into(out, fmt, args...);
  return out.str();
}

template <class... Args>
void log_debug(std::string_view fmt, const Args&... args) {
  write_log(log_level::debug, format_message(fmt, args...));
}
template <class... Args>
void log_info(std::string_view fmt, const Args&... args) {
  write_log(log_level::info, format_message(fmt, args...));
}
template <class... Args>
void log_warning(std::string_view fmt, const Args&... args) {
  write_log(log_level::warning, format_message(fmt, args...));
}
template <class... Args>
void log_error(std::string_view fmt, const Args&... args) {
  write_log(log_level::error, format_message(fmt, args...));
}

}  // namespace ticketd::daemon
