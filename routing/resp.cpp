#include "routing/resp.hpp"

#include <charconv>
#include <cstdio>

namespace ticketd::routing {
namespace {

void append_number(std::string& out, std::int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace

command& command::arg(std::string_view value) {
  body_.push_back('$');
  append_number(body_, static_cast<std::int64_t>(value.size()));
  body_.append("\r\n");
  body_.append(value);
  body_.append("\r\n");
  ++count_;
  return *this;
}

command& command::arg(std::int64_t value) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  return arg(std::string_view{buf, static_cast<std::size_t>(r.ptr - buf)});
}

command& command::arg(double value) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  return arg(std::string_view{buf, static_cast<std::size_t>(r.ptr - buf)});
}

void command::encode(std::string& out) const {
  out.push_back('*');
  append_number(out, static_cast<std::int64_t>(count_));
  out.append("\r\n");
  out.append(body_);
}

std::string command::encoded() const {
  std::string out;
  out.reserve(body_.size() + 8);
  encode(out);
  return out;
}

}  // namespace ticketd::routing
