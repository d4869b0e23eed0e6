#include "daemon/api/json_writer.hpp"

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

// Appends text[from..] escaped, and the closing quote.
void append_escaped_tail(std::string& out, std::string_view text, std::size_t from) {
  static constexpr char hex[] = "0123456789abcdef";
  std::size_t run = from;  // start of the current run of characters needing no escape
  for (std::size_t i = from; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (plain(c)) continue;
    out.append(text.substr(run, i - run));
    run = i + 1;
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default: {
        const char u[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
        out.append(u, sizeof u);
      }
    }
  }
  out.append(text.substr(run));
  out.push_back('"');
}

// Writes prefix, then `"text"`, then suffix: one resize when nothing needs escaping, which is
// every key and almost every value.
void write_string(std::string& out, std::string_view prefix, std::string_view text,
                  std::string_view suffix) {
  const std::size_t clean = first_escape(text);
  const bool whole = clean == text.size();
  const std::size_t start = out.size();
  out.resize(start + prefix.size() + 1 + clean + (whole ? 1 + suffix.size() : 0));
  char* p = copy(prefix, out.data() + start);
  *p++ = '"';
  p = copy(text.substr(0, clean), p);
  if (whole) {
    *p++ = '"';
    copy(suffix, p);
    return;
  }
  append_escaped_tail(out, text, clean);
  out.append(suffix);
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  write_string(out, {}, text, {});
}

std::string_view json_writer::separator() {
  if (after_key_) {
    after_key_ = false;
    return {};
  }
  const std::uint64_t bit = std::uint64_t{1} << depth_;
  const bool comma = (has_items_ & bit) != 0;
  has_items_ |= bit;
  return comma ? std::string_view{","} : std::string_view{};
}

char* json_writer::item(std::size_t size) {
  const std::string_view comma = separator();
  const std::size_t start = out_.size();
  out_.resize(start + comma.size() + size);
  return copy(comma, out_.data() + start);
}

json_writer& json_writer::open(char bracket) {
  *item(1) = bracket;
  ++depth_;
  has_items_ &= ~(std::uint64_t{1} << depth_);
  return *this;
}

json_writer& json_writer::close(char bracket) {
  --depth_;
  out_.push_back(bracket);
  return *this;
}

json_writer& json_writer::key(std::string_view name) {
  write_string(out_, separator(), name, ":");
  after_key_ = true;
  return *this;
}

json_writer& json_writer::string(std::string_view text) {
  write_string(out_, separator(), text, {});
  return *this;
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
  return *this;
}

json_writer& json_writer::timestamp(std::int64_t epoch_ms) {
  char* p = item(routing::rfc3339_size + 2);
  *p++ = '"';
  p = routing::write_rfc3339(p, epoch_ms);
  *p = '"';
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
