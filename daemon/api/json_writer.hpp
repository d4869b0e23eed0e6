// A small append-only JSON writer for responses and events: no tree, no allocation beyond the
// output string. Commas are tracked per nesting level. Rendering tickets is a large share of
// the daemon's work, so items are written through a cursor: while a value is being written the
// output string is kept longer than the text (grown by doubling), and each item is copied where
// the cursor is. The string holds exactly the text again once the outermost value is complete
// (or the writer goes away). Read or change the string then, not while a container is open:
// once a value is complete, the string may be read, appended to, cleared or moved away, and the
// writer carries on after whatever it then holds.
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
  explicit json_writer(std::string& out) : out_(out), length_(out.size()) {}
  json_writer(const json_writer&) = delete;
  json_writer& operator=(const json_writer&) = delete;
  ~json_writer() { finish(); }

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
  // Makes room for the next item of `size` characters after its separator (a comma when an
  // item precedes it at this level, nothing after a key); records the item and returns where it
  // goes.
  char* item(std::size_t size) {
    if (after_key_) {
      after_key_ = false;
      return take(size);
    }
    const std::uint64_t bit = std::uint64_t{1} << depth_;
    if ((has_items_ & bit) == 0) {
      has_items_ |= bit;
      return take(size);
    }
    char* p = take(size + 1);
    *p = ',';
    return p + 1;
  }
  // Takes the next `size` characters of the output; returns where they start.
  char* take(std::size_t size) {
    // Without room kept, the string is exactly the text: whatever the caller made of it since.
    if (!room_) length_ = out_.size();
    if (size > out_.size() - length_) grow(size);
    char* p = out_.data() + length_;
    length_ += size;
    return p;
  }
  void grow(std::size_t size);
  // Writes the item `"text"suffix`, text escaped as JSON needs.
  void write_string(std::string_view text, std::string_view suffix);
  // Outside every container, the value is complete: the output is trimmed to the text, and a
  // next value starts afresh (no comma before it).
  json_writer& settled() {
    if (depth_ == 0) {
      has_items_ = 0;
      finish();
    }
    return *this;
  }
  void finish() {
    if (!room_) return;
    out_.resize(length_);
    room_ = false;
  }

  std::string& out_;
  std::size_t length_;           // of the text, while room_
  bool room_ = false;            // out_ is longer than the text (grow() made room)
  std::uint64_t has_items_ = 0;  // bit per nesting level: something written at this level
  int depth_ = 0;
  bool after_key_ = false;
};

// Appends text as a JSON string literal (quotes included).
void append_json_string(std::string& out, std::string_view text);

}  // namespace ticketd::daemon::api
