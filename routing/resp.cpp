#include "routing/resp.hpp"

#include <charconv>
#include <cstdio>
#include <cstring>

namespace ticketd::routing {
namespace {

void append_number(std::string& out, std::int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace

command& command::arg(std::string_view value) {
  // $<length>\r\n<value>\r\n, in one resize.
  char length[24];
  const auto r = std::to_chars(length, length + sizeof length, value.size());
  const auto digits = static_cast<std::size_t>(r.ptr - length);
  const std::size_t start = body_.size();
  body_.resize(start + 1 + digits + 2 + value.size() + 2);
  char* p = body_.data() + start;
  *p++ = '$';
  std::memcpy(p, length, digits);
  p += digits;
  *p++ = '\r';
  *p++ = '\n';
  if (!value.empty()) std::memcpy(p, value.data(), value.size());
  p += value.size();
  *p++ = '\r';
  *p = '\n';
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

std::string_view command::name() const {
  // $<length>\r\n<name>\r\n
  const auto line_end = body_.find("\r\n");
  if (count_ == 0 || line_end == std::string::npos) return {};
  std::size_t length = 0;
  std::from_chars(body_.data() + 1, body_.data() + line_end, length);
  return std::string_view{body_}.substr(line_end + 2, length);
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
