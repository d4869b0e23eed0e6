// Redis replies as plain values (built by the daemon's RESP reader) and commands as RESP bytes
// (built here, written by the daemon's connection). Sans-io: no hiredis, no Asio.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ticketd::routing {

struct resp_value {
  enum class kind : std::uint8_t { nil, integer, string, status, error, array };

  kind type = kind::nil;
  std::int64_t integer = 0;
  std::string str;                   // string, status, error
  std::vector<resp_value> elements;  // array

  bool is_nil() const { return type == kind::nil; }
  bool is_error() const { return type == kind::error; }
  bool is_array() const { return type == kind::array; }
  bool is_string() const { return type == kind::string || type == kind::status; }
};

// One command, its arguments already framed as RESP bulk strings; `encode` prepends the count.
class command {
 public:
  command() = default;
  // Room for a typical function call up front: growing 15 -> 30 -> ... -> 480 bytes cost five
  // allocations and copies per command.
  explicit command(std::string_view name) {
    body_.reserve(initial_capacity);
    arg(name);
  }

  command& arg(std::string_view value);
  command& arg(std::int64_t value);
  command& arg(int value) { return arg(static_cast<std::int64_t>(value)); }
  command& arg(unsigned value) { return arg(static_cast<std::int64_t>(value)); }
  command& arg(std::size_t value) { return arg(static_cast<std::int64_t>(value)); }
  // Shortest text that reads back as the same double.
  command& arg(double value);
  command& arg(const char* value) { return arg(std::string_view{value}); }
  command& arg(const std::string& value) { return arg(std::string_view{value}); }

  std::size_t size() const { return count_; }
  // The first argument (the command's name, as given); empty for an empty command.
  std::string_view name() const;
  // Appends the complete RESP array to out.
  void encode(std::string& out) const;
  std::string encoded() const;

 private:
  static constexpr std::size_t initial_capacity = 512;
  std::string body_;
  std::size_t count_ = 0;
};

}  // namespace ticketd::routing
