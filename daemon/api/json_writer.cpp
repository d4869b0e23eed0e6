#include "daemon/api/json_writer.hpp"

#include <charconv>

#include "routing/time_format.hpp"

namespace ticketd::daemon::api {

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t run = 0;  // start of the current run of characters needing no escape
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.substr(run, i - run));
    run = i + 1;
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default:
        out.append("\\u00");
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 0xf]);
    }
  }
  out.append(text.substr(run));
  out.push_back('"');
}

void json_writer::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  const std::uint64_t bit = std::uint64_t{1} << depth_;
  if (has_items_ & bit) out_.push_back(',');
  has_items_ |= bit;
}

json_writer& json_writer::begin_object() {
  separate();
  out_.push_back('{');
  ++depth_;
  has_items_ &= ~(std::uint64_t{1} << depth_);
  return *this;
}

json_writer& json_writer::end_object() {
  --depth_;
  out_.push_back('}');
  return *this;
}

json_writer& json_writer::begin_array() {
  separate();
  out_.push_back('[');
  ++depth_;
  has_items_ &= ~(std::uint64_t{1} << depth_);
  return *this;
}

json_writer& json_writer::end_array() {
  --depth_;
  out_.push_back(']');
  return *this;
}

json_writer& json_writer::key(std::string_view name) {
  separate();
  append_json_string(out_, name);
  out_.push_back(':');
  after_key_ = true;
  return *this;
}

json_writer& json_writer::string(std::string_view text) {
  separate();
  append_json_string(out_, text);
  return *this;
}

json_writer& json_writer::number(std::int64_t value) {
  separate();
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  out_.append(buf, r.ptr);
  return *this;
}

json_writer& json_writer::number(double value) {
  separate();
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  out_.append(buf, r.ptr);
  return *this;
}

json_writer& json_writer::boolean(bool value) {
  separate();
  out_.append(value ? "true" : "false");
  return *this;
}

json_writer& json_writer::null() {
  separate();
  out_.append("null");
  return *this;
}

json_writer& json_writer::raw(std::string_view json) {
  separate();
  out_.append(json);
  return *this;
}

json_writer& json_writer::timestamp(std::int64_t epoch_ms) {
  separate();
  out_.push_back('"');
  routing::append_rfc3339(out_, epoch_ms);
  out_.push_back('"');
  return *this;
}

json_writer& json_writer::optional_timestamp(const std::optional<std::int64_t>& epoch_ms) {
  return epoch_ms ? timestamp(*epoch_ms) : null();
}

json_writer& json_writer::optional_string(const std::optional<std::string>& text) {
  return text ? string(*text) : null();
}

json_writer& json_writer::strings(std::span<const std::string> items) {
  begin_array();
  for (const auto& item : items) string(item);
  return end_array();
}

}  // namespace ticketd::daemon::api
