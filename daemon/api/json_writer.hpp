// A small append-only JSON writer for responses and events: no tree, no allocation beyond the
// output string. Commas are tracked per nesting level, and each item (comma included) is
// written in one resize of the output: rendering tickets is a large share of the daemon's work.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ticketd::daemon::api {

class json_writer {
 public:
  explicit json_writer(std::string& out) : out_(out) {}

  json_writer& begin_object() { return open('{'); }
  json_writer& end_object() { return close('}'); }
  json_writer& begin_array() { return open('['); }
  json_writer& end_array() { return close(']'); }
  // Any text as a key, escaped as it needs.
  json_writer& key(std::string_view name);
  // A key written in the code (a string literal) is a plain name, copied as it is: a response
  // has dozens of keys, and escaping them was most of the cost of rendering a ticket. Debug
  // builds (the sanitizer test run) check that it needs no escaping; text from elsewhere goes
  // through key(std::string_view).
  template <std::size_t N>
  json_writer& key(const char (&name)[N]) {
    assert(plain({name, N - 1}) && "a literal key must be a plain name");
    char* p = item(N + 2);  // "name":
    p[0] = '"';
    std::memcpy(p + 1, name, N - 1);
    p[N] = '"';
    p[N + 1] = ':';
    after_key_ = true;
    return *this;
  }

  json_writer& string(std::string_view text);
  json_writer& number(std::int64_t value);
  json_writer& number(double value);
  json_writer& boolean(bool value);
  json_writer& null();
  // Already valid JSON text (stored attributes).
  json_writer& raw(std::string_view json);
  json_writer& timestamp(std::int64_t epoch_ms);  // RFC 3339 string
  json_writer& optional_timestamp(const std::optional<std::int64_t>& epoch_ms);
  json_writer& optional_string(const std::optional<std::string>& text);
  json_writer& strings(std::span<const std::string> items);

  // key + value shorthands
  template <class T>
  json_writer& field(std::string_view name, const T& value) {
    key(name);
    return put(value);
  }
  template <std::size_t N, class T>
  json_writer& field(const char (&name)[N], const T& value) {
    key(name);
    return put(value);
  }

 private:
  json_writer& put(std::string_view v) { return string(v); }
  json_writer& put(const std::string& v) { return string(v); }
  json_writer& put(const char* v) { return string(v); }
  json_writer& put(std::int64_t v) { return number(v); }
  json_writer& put(int v) { return number(static_cast<std::int64_t>(v)); }
  json_writer& put(unsigned v) { return number(static_cast<std::int64_t>(v)); }
  json_writer& put(std::size_t v) { return number(static_cast<std::int64_t>(v)); }
  json_writer& put(double v) { return number(v); }
  json_writer& put(bool v) { return boolean(v); }

  static constexpr bool plain(std::string_view text) {
    for (const char c : text) {
      if (static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\') return false;
    }
    return true;
  }
  json_writer& open(char bracket);
  json_writer& close(char bracket);
  // "," when an item precedes the next one at this level ("" after a key); records the item.
  std::string_view separator();
  // Makes room for the next item of `size` characters after its separator; returns where the
  // item goes.
  char* item(std::size_t size);

  std::string& out_;
  std::uint64_t has_items_ = 0;  // bit per nesting level: something written at this level
  int depth_ = 0;
  bool after_key_ = false;
};

// Appends text as a JSON string literal (quotes included).
void append_json_string(std::string& out, std::string_view text);

}  // namespace ticketd::daemon::api
