#include "daemon/api/json_writer.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "routing/time_format.hpp"

namespace ticketd::daemon::api {

namespace {

constexpr bool plain(unsigned char c) { return c >= 0x20 && c != '"' && c != '\\'; }

// True when one of the 8 bytes of x is below 0x20, '"' or '\\' (SWAR, as in "Bit Twiddling
// Hacks": a byte below n, a byte equal to n). A borrow can only flag a byte above one that is
// flagged already, so the answer for the word is exact.
constexpr bool needs_escape(std::uint64_t x) {
  constexpr std::uint64_t ones = 0x0101010101010101, highs = 0x8080808080808080;
  constexpr auto has_zero = [](std::uint64_t v) { return (v - ones) & ~v & highs; };
  return (((x - ones * 0x20) & ~x & highs) | has_zero(x ^ (ones * '"')) |
          has_zero(x ^ (ones * '\\'))) != 0;
}

// The index of the first character that needs escaping, or text.size(): 8 bytes per step.
std::size_t first_escape(std::string_view text) {
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + i, sizeof word);
    if (needs_escape(word)) break;
  }
  while (i < text.size() && plain(static_cast<unsigned char>(text[i]))) ++i;
  return i;
}

char* copy(std::string_view text, char* out) {
  if (!text.empty()) std::memcpy(out, text.data(), text.size());
  return out + text.size();
}

// The escape of a character that needs one (not plain): a two-character escape, or \u00XX
// written into `buf`.
std::string_view escape_of(unsigned char c, char (&buf)[6]) {
  static constexpr char hex[] = "0123456789abcdef";
  switch (c) {
    case '"':
      return "\\\"";
    case '\\':
      return "\\\\";
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    default:
      buf[0] = '\\';
      buf[1] = 'u';
      buf[2] = '0';
      buf[3] = '0';
      buf[4] = hex[c >> 4];
      buf[5] = hex[c & 0xf];
      return {buf, sizeof buf};
  }
}

// The length of text once escaped as JSON needs.
std::size_t escaped_size(std::string_view text) {
  std::size_t size = 0;
  char buf[6];
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    size += plain(c) ? 1 : escape_of(c, buf).size();
  }
  return size;
}

// Writes text escaped as JSON needs (escaped_size(text) characters); returns the end.
char* write_escaped(std::string_view text, char* out) {
  char buf[6];
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (plain(c)) {
      *out++ = ch;
    } else {
      out = copy(escape_of(c, buf), out);
    }
  }
  return out;
}

}  // namespace

// One item() when nothing needs escaping, which is every key and almost every value; otherwise
// the escaped part is measured first, and written in one item() too.
void json_writer::write_string(std::string_view text, std::string_view suffix) {
  const std::size_t clean = first_escape(text);
  const std::string_view tail = text.substr(clean);
  const std::size_t tail_size = tail.empty() ? 0 : escaped_size(tail);
  char* p = item(1 + clean + tail_size + 1 + suffix.size());
  *p++ = '"';
  p = copy(text.substr(0, clean), p);
  if (!tail.empty()) p = write_escaped(tail, p);
  *p++ = '"';
  copy(suffix, p);
}

void json_writer::grow(std::size_t size) {
  // Doubling keeps the resizes (and the zeroing each does) to a few per response; a string
  // reserved ahead is used whole from the start.
  out_.resize(std::max({length_ + size, out_.capacity(), out_.size() * 2, std::size_t{64}}));
  room_ = true;
}

void append_json_string(std::string& out, std::string_view text) { json_writer(out).string(text); }

json_writer& json_writer::open(char bracket) {
  *item(1) = bracket;
  ++depth_;
  has_items_ &= ~(std::uint64_t{1} << depth_);
  return *this;
}

json_writer& json_writer::close(char bracket) {
  --depth_;
  *take(1) = bracket;
  return settled();
}

json_writer& json_writer::key(std::string_view name) {
  write_string(name, ":");
  after_key_ = true;
  return *this;
}

json_writer& json_writer::string(std::string_view text) {
  write_string(text, {});
  return settled();
}

json_writer& json_writer::number(std::int64_t value) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  return raw({buf, r.ptr});
}

json_writer& json_writer::number(double value) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  return raw({buf, r.ptr});
}

json_writer& json_writer::boolean(bool value) { return raw(value ? "true" : "false"); }

json_writer& json_writer::null() { return raw("null"); }

json_writer& json_writer::raw(std::string_view json) {
  copy(json, item(json.size()));
  return settled();
}

json_writer& json_writer::timestamp(std::int64_t epoch_ms) {
  char* p = item(routing::rfc3339_size + 2);
  *p++ = '"';
  p = routing::write_rfc3339(p, epoch_ms);
  *p = '"';
  return settled();
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
