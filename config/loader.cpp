#include "config/loader.hpp"

#include <arpa/inet.h>

#include <date/tz.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <string_view>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>
#include <variant>

#include "config/units.hpp"

namespace ticketd::config {
namespace {

// The system's time zone database (tzdata) knows the name.
bool known_time_zone(const std::string& name) {
  try {
    return date::locate_zone(name) != nullptr;
  } catch (const std::exception&) {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Diagnostics

// A value in the document together with its key path and the position errors should point at.
struct field {
  YAML::Node node;
  std::string path;
  YAML::Mark mark;
};

// Collects every error and warning of one load; nothing here throws or stops early.
class context {
 public:
  explicit context(std::string file) : file_(std::move(file)) {}

  void error(const YAML::Mark& at, std::string path, std::string message) {
    errors.push_back(make(at, std::move(path), std::move(message)));
  }
  void error(const field& at, std::string message) { error(at.mark, at.path, std::move(message)); }

  void warn(const field& at, std::string message) {
    warnings.push_back(make(at.mark, at.path, std::move(message)).to_string());
  }
  void warn(std::string message) { warnings.push_back(file_ + ": " + message); }

  std::vector<config_error> errors;
  std::vector<std::string> warnings;
  // Spans written as `... business`; they need sla.calendar, which may come later in the file.
  std::vector<field> business_spans;

 private:
  config_error make(const YAML::Mark& at, std::string path, std::string message) const {
    // yaml-cpp counts from 0 and uses -1 for "no position".
    const bool known = at.line >= 0;
    return {file_, known ? at.line + 1 : 0, known ? at.column + 1 : 0, std::move(path),
            std::move(message)};
  }

  std::string file_;
};

std::string join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string list_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

std::string_view kind_of(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    default:
      return "nothing";
  }
}

field child(const field& parent, std::string_view key, const YAML::Node& key_node,
            const YAML::Node& value) {
  // An empty value (`key:`) has no position of its own: yaml-cpp marks it where the next token
  // starts, usually the following line, so point at the key instead.
  return {value, join(parent.path, key), value.IsNull() ? key_node.Mark() : value.Mark()};
}

// Visits a mapping's entries in file order; reports non-string and duplicate keys. Returns false
// when the node is neither a mapping nor empty (reported too).
template <class Fn>
bool for_each_entry(context& cx, const field& map, Fn&& fn) {
  if (map.node.IsNull()) return true;
  if (!map.node.IsMap()) {
    cx.error(map, "expected a map, got " + std::string(kind_of(map.node)));
    return false;
  }
  std::map<std::string, int> first_line;
  for (const auto& entry : map.node) {
    const YAML::Node key = entry.first;
    if (!key.IsScalar()) {
      cx.error(key.Mark(), map.path,
               "keys must be plain strings, got " + std::string(kind_of(key)));
      continue;
    }
    const std::string& name = key.Scalar();
    const auto [seen, inserted] = first_line.emplace(name, key.Mark().line + 1);
    if (!inserted) {
      cx.error(key.Mark(), join(map.path, name),
               "duplicate key (first given on line " + std::to_string(seen->second) + ")");
      continue;
    }
    fn(name, key.Mark(), child(map, name, key, entry.second));
  }
  return true;
}

// Visits a sequence's items; an empty value counts as an empty list.
template <class Fn>
bool for_each_item(context& cx, const field& list, Fn&& fn) {
  if (list.node.IsNull()) return true;
  if (!list.node.IsSequence()) {
    cx.error(list, "expected a list, got " + std::string(kind_of(list.node)));
    return false;
  }
  for (std::size_t i = 0; i < list.node.size(); ++i) {
    const YAML::Node item = list.node[i];
    fn(field{item, list.path + "[" + std::to_string(i) + "]", item.Mark()});
  }
  return true;
}

// A mapping with a fixed set of keys. Unknown and duplicate keys are reported once, when it is
// constructed; the values are then handed out by name.
class object {
 public:
  object(context& cx, field self, std::initializer_list<std::string_view> known)
      : cx_(cx), self_(std::move(self)) {
    std::string expected;
    for (const auto key : known) expected += (expected.empty() ? "" : ", ") + std::string(key);
    is_map_ = for_each_entry(
        cx_, self_, [&](const std::string& key, const YAML::Mark& key_mark, const field& value) {
          if (std::find(known.begin(), known.end(), key) == known.end()) {
            cx_.error(key_mark, value.path, "unknown key (expected one of: " + expected + ")");
            return;
          }
          entries_.emplace_back(key, value);
        });
  }

  // False when the value was not a mapping at all (already reported).
  bool is_map() const { return is_map_; }
  bool has(std::string_view key) const { return get(key).has_value(); }

  std::optional<field> get(std::string_view key) const {
    for (const auto& [name, value] : entries_) {
      if (name == key) return value;
    }
    return std::nullopt;
  }

  std::optional<field> require(std::string_view key) const {
    auto value = get(key);
    if (!value && is_map_) cx_.error(self_.mark, join(self_.path, key), "is required");
    return value;
  }

  // Converts the value of `key` into `out`; leaves `out` alone when absent or invalid.
  template <class T, class Convert>
  bool read(std::string_view key, T& out, Convert convert) const {
    return assign(get(key), out, convert);
  }
  template <class T, class Convert>
  bool read_required(std::string_view key, T& out, Convert convert) const {
    return assign(require(key), out, convert);
  }

 private:
  template <class T, class Convert>
  bool assign(const std::optional<field>& value, T& out, Convert& convert) const {
    if (!value) return false;
    auto converted = convert(cx_, *value);
    if (!converted) return false;
    out = std::move(*converted);
    return true;
  }

  context& cx_;
  field self_;
  bool is_map_ = true;
  std::vector<std::pair<std::string, field>> entries_;
};

// ---------------------------------------------------------------------------------------------
// Value converters: callables (context&, const field&) -> std::optional<T> that report errors.

std::optional<std::string> scalar(context& cx, const field& f, std::string_view expected) {
  if (f.node.IsScalar()) return f.node.Scalar();
  cx.error(f, "expected " + std::string(expected) + ", got " + std::string(kind_of(f.node)));
  return std::nullopt;
}

bool is_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '@' || c == '-';
}

bool is_id(std::string_view s, std::size_t max_length) {
  return !s.empty() && s.size() <= max_length && std::all_of(s.begin(), s.end(), is_id_char);
}

std::string id_rule(std::size_t max_length) {
  return "use 1 to " + std::to_string(max_length) + " characters from A-Z a-z 0-9 . _ : @ -";
}

// Names of queues, priorities, calendars, agents: they end up in Redis keys and URLs.
constexpr std::size_t max_name_length = 128;

bool check_name(context& cx, std::string_view name, const YAML::Mark& at, const std::string& path) {
  if (is_id(name, max_name_length)) return true;
  cx.error(at, path, in_quotes(name) + " is not a valid name: " + id_rule(max_name_length));
  return false;
}

auto text() {
  return [](context& cx, const field& f) -> std::optional<std::string> {
    auto s = scalar(cx, f, "a string");
    if (s && s->empty()) {
      cx.error(f, "must not be empty");
      return std::nullopt;
    }
    return s;
  };
}

auto identifier(std::size_t max_length = max_name_length) {
  return [max_length](context& cx, const field& f) -> std::optional<std::string> {
    auto s = scalar(cx, f, "a name");
    if (!s) return std::nullopt;
    if (!is_id(*s, max_length)) {
      cx.error(f, in_quotes(*s) + " is not a valid name: " + id_rule(max_length));
      return std::nullopt;
    }
    return s;
  };
}

auto path_value() {
  return [](context& cx, const field& f) -> std::optional<std::filesystem::path> {
    auto s = text()(cx, f);
    if (!s) return std::nullopt;
    return std::filesystem::path(*s);
  };
}

template <class T>
auto integer(long long min, long long max) {
  return [min, max](context& cx, const field& f) -> std::optional<T> {
    auto s = scalar(cx, f, "an integer");
    if (!s) return std::nullopt;
    long long value = 0;
    const char* end = s->data() + s->size();
    const auto [stop, ec] = std::from_chars(s->data(), end, value);
    if (ec != std::errc{} || stop != end || value < min || value > max) {
      cx.error(f, "expected an integer from " + std::to_string(min) + " to " + std::to_string(max) +
                      ", got " + in_quotes(*s));
      return std::nullopt;
    }
    return static_cast<T>(value);
  };
}

auto number(double min, double max) {
  return [min, max](context& cx, const field& f) -> std::optional<double> {
    auto s = scalar(cx, f, "a number");
    if (!s) return std::nullopt;
    double value = 0;
    const char* end = s->data() + s->size();
    const auto [stop, ec] = std::from_chars(s->data(), end, value);
    if (ec != std::errc{} || stop != end || !std::isfinite(value) || value < min || value > max) {
      // std::to_string(double) prints 6 decimals; the bounds here are whole numbers.
      cx.error(f, "expected a number from " + std::to_string(static_cast<long long>(min)) + " to " +
                      std::to_string(static_cast<long long>(max)) + ", got " + in_quotes(*s));
      return std::nullopt;
    }
    return value;
  };
}

auto boolean() {
  return [](context& cx, const field& f) -> std::optional<bool> {
    auto s = scalar(cx, f, "true or false");
    if (!s) return std::nullopt;
    if (*s == "true" || *s == "True" || *s == "TRUE") return true;
    if (*s == "false" || *s == "False" || *s == "FALSE") return false;
    cx.error(f, "expected true or false, got " + in_quotes(*s));
    return std::nullopt;
  };
}

std::optional<span> span_of(context& cx, const field& f, sign_rule sign, business_rule business) {
  auto s = scalar(cx, f, "a duration");
  if (!s) return std::nullopt;
  auto parsed = parse_span(*s, sign, business);
  if (const auto* failure = std::get_if<parse_failure>(&parsed)) {
    cx.error(f, failure->message);
    return std::nullopt;
  }
  return std::get<span>(parsed);
}

// A wall-clock duration, zero allowed (`0s`: off).
auto duration_or_zero() {
  return [](context& cx, const field& f) -> std::optional<millis> {
    auto s = span_of(cx, f, sign_rule::positive_only, business_rule::wall_only);
    if (!s) return std::nullopt;
    return s->length;
  };
}

// A wall-clock duration greater than zero.
auto duration() {
  return [](context& cx, const field& f) -> std::optional<millis> {
    auto s = span_of(cx, f, sign_rule::positive_only, business_rule::wall_only);
    if (!s) return std::nullopt;
    if (s->length <= millis{0}) {
      cx.error(f, "must be greater than zero");
      return std::nullopt;
    }
    return s->length;
  };
}

// rank_offset: shifts a queue's tickets in the rank, so zero and negative values make sense.
auto offset() {
  return [](context& cx, const field& f) -> std::optional<millis> {
    auto s = span_of(cx, f, sign_rule::allow_negative, business_rule::wall_only);
    if (!s) return std::nullopt;
    return s->length;
  };
}

// A duration greater than zero that may run on the SLA calendar (`8h business`).
auto business_span() {
  return [](context& cx, const field& f) -> std::optional<span> {
    auto s = span_of(cx, f, sign_rule::positive_only, business_rule::allow_business);
    if (!s) return std::nullopt;
    if (s->length <= millis{0}) {
      cx.error(f, "must be greater than zero");
      return std::nullopt;
    }
    if (s->basis == time_basis::business) cx.business_spans.push_back(f);
    return s;
  };
}

auto size_at_least(std::size_t min, std::string_view min_text) {
  return [min, min_text](context& cx, const field& f) -> std::optional<std::size_t> {
    auto s = scalar(cx, f, "a size");
    if (!s) return std::nullopt;
    auto parsed = parse_size(*s);
    if (const auto* failure = std::get_if<parse_failure>(&parsed)) {
      cx.error(f, failure->message);
      return std::nullopt;
    }
    if (std::get<std::size_t>(parsed) < min) {
      cx.error(f, "must be at least " + std::string(min_text) + ", got " + in_quotes(*s));
      return std::nullopt;
    }
    return std::get<std::size_t>(parsed);
  };
}

template <class E, std::size_t N>
using name_table = std::array<std::pair<std::string_view, E>, N>;

template <class E, std::size_t N>
auto one_of(const name_table<E, N>& names) {
  return [&names](context& cx, const field& f) -> std::optional<E> {
    std::string expected;
    for (const auto& [name, value] : names) {
      expected += (expected.empty() ? "" : ", ") + std::string(name);
    }
    auto s = scalar(cx, f, "one of: " + expected);
    if (!s) return std::nullopt;
    for (const auto& [name, value] : names) {
      if (name == *s) return value;
    }
    cx.error(f, "expected one of: " + expected + "; got " + in_quotes(*s));
    return std::nullopt;
  };
}

constexpr name_table<queue_mode, 2> queue_modes{
    {{"push", queue_mode::push}, {"pull", queue_mode::pull}}};
constexpr name_table<push_strategy, 3> push_strategies{{
    {"least_loaded", push_strategy::least_loaded},
    {"longest_idle", push_strategy::longest_idle},
    {"round_robin", push_strategy::round_robin},
}};
constexpr name_table<presence_mode, 2> presence_modes{
    {{"api", presence_mode::api}, {"connection", presence_mode::connection}}};
constexpr name_table<token_role, 3> token_roles{{
    {"admin", token_role::admin},
    {"backend", token_role::backend},
    {"agent", token_role::agent},
}};
constexpr name_table<status_kind, 7> status_names{{
    {"queued", status_kind::queued},
    {"offered", status_kind::offered},
    {"assigned", status_kind::assigned},
    {"pending", status_kind::pending},
    {"postponed", status_kind::postponed},
    {"resolved", status_kind::resolved},
    {"closed", status_kind::closed},
}};

// ---------------------------------------------------------------------------------------------
// Text forms that are not plain units: addresses, URLs, times of day, dates.

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

template <class T>
std::optional<T> parse_unsigned(std::string_view s, T max) {
  T value = 0;
  if (!all_digits(s)) return std::nullopt;
  const auto [stop, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || stop != s.data() + s.size() || value > max) return std::nullopt;
  return value;
}

std::optional<std::uint16_t> parse_port(std::string_view s) {
  auto value = parse_unsigned<unsigned>(s, 65535);
  if (!value) return std::nullopt;
  return static_cast<std::uint16_t>(*value);
}

struct host_port {
  std::string host;
  std::optional<std::uint16_t> port;
};

// `host`, `host:port`, `[v6]` or `[v6]:port`; the brackets are dropped from the host.
std::variant<host_port, std::string> split_host_port(std::string_view s, bool port_required) {
  host_port out;
  std::string_view port_text;
  bool has_port = false;
  if (s.starts_with('[')) {
    const auto close = s.find(']');
    if (close == std::string_view::npos) return std::string("missing ] after the IPv6 address");
    out.host = std::string(s.substr(1, close - 1));
    const auto rest = s.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::string("expected :port after ]");
      port_text = rest.substr(1);
      has_port = true;
    }
  } else {
    const auto colon = s.rfind(':');
    if (colon != std::string_view::npos) {
      out.host = std::string(s.substr(0, colon));
      port_text = s.substr(colon + 1);
      has_port = true;
      if (out.host.find(':') != std::string::npos) {
        return std::string("write IPv6 addresses in brackets, e.g. [::1]:8080");
      }
    } else {
      out.host = std::string(s);
    }
  }
  if (out.host.empty()) return std::string("missing host");
  if (out.host.find_first_of(" \t/@?#") != std::string::npos) {
    return std::string("invalid host " + in_quotes(out.host));
  }
  if (port_required && !has_port) return std::string("missing :port");
  if (has_port) {
    out.port = parse_port(port_text);
    if (!out.port) return std::string("the port must be a number from 0 to 65535");
  }
  return out;
}

// What is wrong with `origin` (in lower case) as a browser origin, as CORS compares them:
// `http` or `https`, `://`, a host and an optional port, nothing after; "" when nothing is.
std::string origin_problem(std::string_view origin) {
  if (origin == "*") {
    return "list each origin: a wildcard would let every web page use ticketd with a token it "
           "finds in a browser";
  }
  std::string_view default_port;
  std::string_view authority;
  if (origin.starts_with("https://")) {
    default_port = ":443";
    authority = origin.substr(8);
  } else if (origin.starts_with("http://")) {
    default_port = ":80";
    authority = origin.substr(7);
  } else {
    return "an origin starts with https:// or http://";
  }
  if (authority.find_first_of("/?#") != std::string_view::npos) {
    return "an origin is scheme://host[:port], with no path (not even a final /)";
  }
  constexpr std::string_view port_rule = "the port must be a number from 1 to 65535";
  auto parsed = split_host_port(authority, false);
  if (const auto* message = std::get_if<std::string>(&parsed)) {
    return message->starts_with("the port") ? std::string{port_rule} : *message;
  }
  const auto& port = std::get<host_port>(parsed).port;
  if (port && *port == 0) return std::string{port_rule};
  if (port && authority.ends_with(default_port)) {
    return "leave out the default port " + std::string(default_port) +
           ": a browser sends the origin without it";
  }
  return {};
}

auto listen_address_value() {
  return [](context& cx, const field& f) -> std::optional<listen_address> {
    auto s = scalar(cx, f, "host:port");
    if (!s) return std::nullopt;
    auto parsed = split_host_port(*s, true);
    if (const auto* message = std::get_if<std::string>(&parsed)) {
      cx.error(f, *message +
                      " (expected host:port such as 127.0.0.1:8080 or [::1]:8080; port 0 "
                      "picks a free port), got " +
                      in_quotes(*s));
      return std::nullopt;
    }
    auto& hp = std::get<host_port>(parsed);
    // The daemon binds the address as written: a name would pass here and fail at start.
    unsigned char ignored[16];
    if (::inet_pton(AF_INET, hp.host.c_str(), ignored) != 1 &&
        ::inet_pton(AF_INET6, hp.host.c_str(), ignored) != 1) {
      cx.error(f,
               "the host to listen on must be an IP address (127.0.0.1, 0.0.0.0, [::1] ...), "
               "got " +
                   in_quotes(hp.host));
      return std::nullopt;
    }
    return listen_address{std::move(hp.host), *hp.port};
  };
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    unsigned value = 0;
    if (i + 2 >= s.size()) return std::nullopt;
    const auto [stop, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, value, 16);
    if (ec != std::errc{} || stop != s.data() + i + 3) return std::nullopt;
    out += static_cast<char>(value);
    i += 2;
  }
  return out;
}

// Fills kind, host, port, socket, db, username, password; returns why the URL is unusable.
// `[user[:password]@]` at the start of `rest` (a part of `url`), %-decoded into `r` and taken off
// `rest`; r.url gets the password masked (it is printed in messages).
std::optional<std::string> take_userinfo(std::string_view url, std::string_view& rest,
                                         redis_config& r) {
  const auto at = rest.rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  const std::string_view userinfo = rest.substr(0, at);
  std::string_view user = userinfo;
  std::string_view password;
  if (const auto colon = userinfo.find(':'); colon != std::string_view::npos) {
    user = userinfo.substr(0, colon);
    password = userinfo.substr(colon + 1);
  }
  auto decoded_user = percent_decode(user);
  auto decoded_password = percent_decode(password);
  if (!decoded_user || !decoded_password) return std::string("invalid %-escape in user:password");
  r.username = std::move(*decoded_user);
  r.password = std::move(*decoded_password);
  if (!password.empty()) {
    const auto begin = static_cast<std::size_t>(password.data() - url.data());
    r.url = std::string(url.substr(0, begin)) + "***" +
            std::string(url.substr(begin + password.size()));
  }
  rest = rest.substr(at + 1);
  return std::nullopt;
}

// `host[:port][,host[:port]...]` (sentinels, cluster seeds): at least one, none on port 0.
std::optional<std::string> parse_addresses(std::string_view rest, std::uint16_t default_port,
                                           const std::string& what,
                                           std::vector<redis_address>& out) {
  out.clear();
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    auto parsed = split_host_port(rest.substr(0, comma), false);
    if (const auto* message = std::get_if<std::string>(&parsed)) return *message;
    auto& hp = std::get<host_port>(parsed);
    if (hp.port && *hp.port == 0) return what + "'s port cannot be 0";
    out.push_back({std::move(hp.host), hp.port.value_or(default_port)});
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  }
  if (out.empty()) return "name at least one " + what.substr(2) + ": host[:port]";
  return std::nullopt;
}

std::optional<std::string> parse_redis_url(std::string_view url, redis_config& r) {
  const std::string expected =
      "expected embedded, redis://[user[:password]@]host[:port][/db], "
      "redis+sentinel://host[:port][,host[:port]...]/NAME, "
      "redis+cluster://host[:port][,host[:port]...] or unix:///path.sock[?db=N]";
  r.url = std::string(url);
  if (url == "embedded") {
    r.kind = redis_kind::embedded;
    return std::nullopt;
  }
  if (url.starts_with("rediss://")) {
    return std::string("TLS (rediss://) is not supported; use redis:// or unix://");
  }
  for (const std::string_view scheme : {"unix://", "redis+unix://"}) {
    if (!url.starts_with(scheme)) continue;
    std::string_view rest = url.substr(scheme.size());
    std::string_view query;
    if (const auto q = rest.find('?'); q != std::string_view::npos) {
      query = rest.substr(q + 1);
      rest = rest.substr(0, q);
    }
    if (!rest.starts_with('/') || rest.size() < 2) {
      return std::string("the socket path must be absolute, e.g. unix:///run/redis/redis.sock");
    }
    r.kind = redis_kind::unix_socket;
    r.socket = std::string(rest);
    if (!query.empty()) {
      if (!query.starts_with("db=")) return std::string("the only query parameter is db=N");
      auto db = parse_unsigned<unsigned>(query.substr(3), std::numeric_limits<int>::max());
      if (!db) return std::string("db must be a number");
      r.db = *db;
    }
    return std::nullopt;
  }
  if (url.starts_with("redis+cluster://")) {
    // redis+cluster://[user[:password]@]host[:port][,host[:port]...]
    std::string_view rest = url.substr(std::string_view("redis+cluster://").size());
    if (rest.find_first_of("?#") != std::string_view::npos) {
      return std::string("query parameters are not supported in redis+cluster:// URLs");
    }
    if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
      if (slash + 1 != rest.size()) {
        return std::string("a Redis Cluster has database 0 only: drop the /db from the URL");
      }
      rest = rest.substr(0, slash);
    }
    if (auto problem = take_userinfo(url, rest, r)) return problem;
    if (auto problem = parse_addresses(rest, 6379, "a seed", r.seeds)) return problem;
    r.kind = redis_kind::cluster;
    return std::nullopt;
  }
  if (url.starts_with("redis+sentinel://")) {
    // redis+sentinel://[user[:password]@]host[:port][,host[:port]...]/NAME[/db]
    std::string_view rest = url.substr(std::string_view("redis+sentinel://").size());
    if (rest.find_first_of("?#") != std::string_view::npos) {
      return std::string("query parameters are not supported in redis+sentinel:// URLs");
    }
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos || slash + 1 == rest.size()) {
      return std::string(
          "name the primary the sentinels monitor: redis+sentinel://s1:26379,s2:26379/mymaster");
    }
    std::string_view name = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (const auto db_slash = name.find('/'); db_slash != std::string_view::npos) {
      auto db =
          parse_unsigned<unsigned>(name.substr(db_slash + 1), std::numeric_limits<int>::max());
      if (!db) return std::string("the database after the primary's name must be a number");
      r.db = *db;
      name = name.substr(0, db_slash);
    }
    if (auto problem = take_userinfo(url, rest, r)) return problem;
    if (auto problem = parse_addresses(rest, 26379, "a sentinel", r.sentinels)) return problem;
    r.kind = redis_kind::sentinel;
    r.primary_name = std::string(name);
    return std::nullopt;
  }
  if (!url.starts_with("redis://")) return expected + ", got " + in_quotes(url);

  std::string_view rest = url.substr(std::string_view("redis://").size());
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return std::string("query parameters are not supported in redis:// URLs");
  }
  std::string_view db_text;
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    db_text = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  if (auto problem = take_userinfo(url, rest, r)) return problem;
  auto parsed = split_host_port(rest, false);
  if (const auto* message = std::get_if<std::string>(&parsed)) return *message;
  auto& hp = std::get<host_port>(parsed);
  r.kind = redis_kind::tcp;
  r.host = std::move(hp.host);
  r.port = hp.port.value_or(6379);
  if (!db_text.empty()) {
    auto db = parse_unsigned<unsigned>(db_text, std::numeric_limits<int>::max());
    if (!db) return std::string("the database after / must be a number");
    r.db = *db;
  }
  return std::nullopt;
}

std::vector<std::string_view> split(std::string_view s, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    const auto at = s.find(separator);
    parts.push_back(trim(s.substr(0, at)));
    if (at == std::string_view::npos) return parts;
    s.remove_prefix(at + 1);
  }
}

constexpr std::array<std::string_view, 7> day_names{"mon", "tue", "wed", "thu",
                                                    "fri", "sat", "sun"};

std::optional<int> day_index(std::string_view s) {
  for (std::size_t i = 0; i < day_names.size(); ++i) {
    if (day_names[i] == s) return static_cast<int>(i);
  }
  return std::nullopt;
}

// `mon`, `mon-fri`, `sat,sun`, `mon-wed,fri`.
std::variant<std::vector<int>, std::string> parse_day_spec(std::string_view spec) {
  std::vector<int> days;
  for (const auto part : split(spec, ',')) {
    const auto dash = part.find('-');
    const auto first = day_index(trim(part.substr(0, dash)));
    const auto last =
        dash == std::string_view::npos ? first : day_index(trim(part.substr(dash + 1)));
    if (!first || !last) {
      return "invalid day " + in_quotes(part) +
             " (use mon, tue, wed, thu, fri, sat, sun, a range such as mon-fri, or a list "
             "such as sat,sun)";
    }
    if (*first > *last) {
      return "the range " + in_quotes(part) + " must run forward from mon to sun";
    }
    for (int d = *first; d <= *last; ++d) {
      if (std::find(days.begin(), days.end(), d) != days.end()) {
        return std::string(day_names[d]) + " is given twice in " + in_quotes(spec);
      }
      days.push_back(d);
    }
  }
  return days;
}

// `HH:MM`, minutes after midnight; 24:00 is 1440.
std::optional<int> parse_time_of_day(std::string_view s) {
  const auto colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 2 || s.size() != colon + 3) {
    return std::nullopt;
  }
  const auto hours = parse_unsigned<int>(s.substr(0, colon), 24);
  const auto minutes = parse_unsigned<int>(s.substr(colon + 1), 59);
  if (!hours || !minutes || (*hours == 24 && *minutes != 0)) return std::nullopt;
  return *hours * 60 + *minutes;
}

std::string format_time_of_day(int minutes) {
  const auto two = [](int n) { return std::string(n < 10 ? "0" : "") + std::to_string(n); };
  return two(minutes / 60) + ":" + two(minutes % 60);
}

std::string format_interval(const time_of_day_interval& i) {
  return format_time_of_day(i.begin_minute) + "-" + format_time_of_day(i.end_minute);
}

std::variant<time_of_day_interval, std::string> parse_interval(std::string_view s) {
  const std::string expected = " (expected HH:MM-HH:MM, e.g. 09:00-17:00)";
  const auto dash = s.find('-');
  if (dash == std::string_view::npos) return "invalid interval " + in_quotes(s) + expected;
  const auto begin = parse_time_of_day(trim(s.substr(0, dash)));
  const auto end = parse_time_of_day(trim(s.substr(dash + 1)));
  if (!begin || !end) return "invalid interval " + in_quotes(s) + expected;
  if (*begin == 24 * 60) return "24:00 may only end an interval: " + in_quotes(s);
  if (*begin >= *end) {
    return "the interval " + in_quotes(s) +
           " must end after it begins (overnight hours are not "
           "supported; split them at 24:00)";
  }
  return time_of_day_interval{*begin, *end};
}

bool is_leap_year(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

std::optional<civil_date> parse_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  const auto year = parse_unsigned<int>(s.substr(0, 4), 9999);
  const auto month = parse_unsigned<unsigned>(s.substr(5, 2), 12);
  const auto day = parse_unsigned<unsigned>(s.substr(8, 2), 31);
  if (!year || !month || !day || *month == 0 || *day == 0) return std::nullopt;
  static constexpr std::array<unsigned, 12> month_days{31, 28, 31, 30, 31, 30,
                                                       31, 31, 30, 31, 30, 31};
  const unsigned last = month_days[*month - 1] + (*month == 2 && is_leap_year(*year) ? 1 : 0);
  if (*day > last) return std::nullopt;
  return civil_date{*year, *month, *day};
}

bool is_env_name(std::string_view s) {
  if (s.empty() || (s.front() >= '0' && s.front() <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool is_loopback(std::string_view host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

void trim_trailing_whitespace(std::string& s) {
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.pop_back();
  }
}

// ---------------------------------------------------------------------------------------------
// The schema

constexpr std::size_t min_token_length = 16;
// A token file is a secret of a few dozen bytes; a large one is a wrong path.
constexpr std::size_t max_token_file_size = 4096;

class loader {
 public:
  loader(context& cx, const env_lookup& env, std::filesystem::path source) : cx_(cx), env_(env) {
    cfg_.source = std::move(source);
  }

  config run(const YAML::Node& root) {
    const object o(cx_, field{root, "", root.Mark()},
                   {"workspace", "workspaces_dir", "server", "redis", "priorities", "calendars",
                    "sla", "agents", "queues", "lifecycle", "routing", "skills", "channels",
                    "defaults", "auth", "events"});
    o.read("workspace", cfg_.workspace, identifier(64));
    o.read("workspaces_dir", cfg_.workspaces_dir, path_value());
    if (auto f = o.get("server")) read_server(*f);
    if (auto f = o.get("redis")) read_redis(*f);
    read_routing_keys(o);
    if (auto f = o.get("auth")) read_auth(*f);
    if (auto f = o.get("events")) read_events(*f);
    apply_defaults(o.get("priorities"), o.get("queues"));
    check_references();
    return std::move(cfg_);
  }

  // A workspace file (workspaces_dir/NAME.yaml): the routing keys only, the built-in defaults
  // for the rest; its name is the file's.
  config run_workspace(const YAML::Node& root, const std::string& name) {
    cfg_.workspace = name;
    const field top{root, "", root.Mark()};
    static constexpr std::array<std::string_view, 7> main_only{
        "workspace", "workspaces_dir", "server", "redis", "auth", "events", "webhooks"};
    if (root.IsMap()) {
      for (const auto& entry : root) {
        const auto& key = entry.first;
        if (key.IsScalar() &&
            std::find(main_only.begin(), main_only.end(), key.Scalar()) != main_only.end()) {
          cx_.error(key.Mark(), key.Scalar(),
                    "belongs in the main file: a workspace file holds its workspace's routing "
                    "keys only, and its name is the file's");
        }
      }
    }
    // The main file's keys are known here (reported above, not read), so they are not also
    // called unknown.
    const object o(cx_, top,
                   {"priorities", "calendars", "sla", "agents", "queues", "lifecycle", "routing",
                    "skills", "channels", "defaults", "workspace", "workspaces_dir", "server",
                    "redis", "auth", "events", "webhooks"});
    read_routing_keys(o);
    apply_defaults(o.get("priorities"), o.get("queues"));
    check_references();
    return std::move(cfg_);
  }

 private:
  // The keys a workspace has of its own: the main file's and each workspace file's.
  void read_routing_keys(const object& o) {
    if (auto f = o.get("priorities")) read_priorities(*f);
    if (auto f = o.get("calendars")) read_calendars(*f);
    if (auto f = o.get("sla")) read_sla(*f);
    if (auto f = o.get("agents")) read_agents(*f);
    if (auto f = o.get("queues")) read_queues(*f);
    if (auto f = o.get("lifecycle")) read_lifecycle(*f);
    if (auto f = o.get("skills")) read_skills(*f);
    if (auto f = o.get("channels")) read_channels(*f);
    if (auto f = o.get("routing")) read_routing(*f);
    if (auto f = o.get("defaults")) read_defaults(*f);
  }

  // A name used before the thing it names may have been read; checked once everything is.
  struct reference {
    field at;
    std::string name;
  };

  void read_server(const field& f) {
    const object o(
        cx_, f,
        {"listen", "threads", "body_limit", "header_limit", "read_timeout", "idle_timeout",
         "max_connections", "state_dir", "shutdown_grace", "access_log", "cors"});
    auto& s = cfg_.server;
    o.read("listen", s.listen, listen_address_value());
    if (o.read("threads", s.threads, integer<unsigned>(0, 256)) && s.threads == 0) {
      s.threads = std::clamp(std::thread::hardware_concurrency(), 1u, 256u);
    }
    o.read("body_limit", s.body_limit, size_at_least(1024, "1KiB"));
    o.read("header_limit", s.header_limit, size_at_least(1024, "1KiB"));
    o.read("read_timeout", s.read_timeout, duration());
    o.read("idle_timeout", s.idle_timeout, duration());
    o.read("max_connections", s.max_connections, integer<unsigned>(1, 1'000'000));
    o.read("state_dir", s.state_dir, path_value());
    o.read("shutdown_grace", s.shutdown_grace, duration());
    o.read("access_log", s.access_log, boolean());
    if (auto cors = o.get("cors")) read_cors(*cors);
  }

  void read_cors(const field& f) {
    const object o(cx_, f, {"allowed_origins"});
    const auto list = o.get("allowed_origins");
    if (!list) return;
    auto& origins = cfg_.server.cors_origins;
    for_each_item(cx_, *list, [&](const field& item) {
      auto s = scalar(cx_, item, "an origin such as https://desk.example.com");
      if (!s) return;
      // Scheme and host are compared without regard to case; browsers send them in lower case.
      std::string origin = *s;
      std::transform(origin.begin(), origin.end(), origin.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (auto problem = origin_problem(origin); !problem.empty()) {
        cx_.error(item, problem + ", got " + in_quotes(*s));
        return;
      }
      if (std::find(origins.begin(), origins.end(), origin) == origins.end()) {
        origins.push_back(std::move(origin));
      }
    });
  }

  void read_redis(const field& f) {
    const object o(cx_, f,
                   {"url", "connections", "timeout", "max_pending", "server_binary",
                    "wait_replicas", "wait_timeout"});
    auto& r = cfg_.redis;
    if (auto url = o.get("url")) {
      if (auto s = text()(cx_, *url)) {
        if (auto problem = parse_redis_url(*s, r)) cx_.error(*url, *problem);
      }
    }
    o.read("connections", r.connections, integer<unsigned>(1, 64));
    o.read("timeout", r.timeout, duration());
    o.read("max_pending", r.max_pending, integer<std::size_t>(1, 100'000'000));
    if (o.read("server_binary", r.server_binary, path_value()) && r.kind != redis_kind::embedded) {
      cx_.error(*o.get("server_binary"), "only used with url: embedded");
    }
    if (o.read("wait_replicas", r.wait_replicas, integer<unsigned>(0, 16)) && r.wait_replicas > 0 &&
        r.kind == redis_kind::embedded) {
      cx_.error(*o.get("wait_replicas"),
                "the embedded Redis has no replicas: wait_replicas needs a redis.url of a Redis "
                "with replicas (and min-replicas-to-write set there)");
    }
    o.read("wait_timeout", r.wait_timeout, duration());
    if (r.wait_replicas > 0 && (r.wait_timeout.count() < 1 || r.wait_timeout >= r.timeout)) {
      const auto where = o.get("wait_timeout") ? o.get("wait_timeout") : o.get("wait_replicas");
      cx_.error(*where, "wait_timeout (" + std::to_string(r.wait_timeout.count()) +
                            "ms) must be at least 1ms and shorter than redis.timeout (" +
                            std::to_string(r.timeout.count()) + "ms), which bounds the whole call");
    }
  }

  void read_priorities(const field& f) {
    const bool is_map = for_each_entry(
        cx_, f, [&](const std::string& name, const YAML::Mark& key_mark, const field& value) {
          check_name(cx_, name, key_mark, value.path);
          priority_config p;
          p.name = name;
          const object o(cx_, value, {"first_reply", "next_reply", "resolution"});
          o.read_required("first_reply", p.first_reply, business_span());
          o.read_required("next_reply", p.next_reply, business_span());
          o.read_required("resolution", p.resolution, business_span());
          // Kept even when invalid, so rules naming it do not report a second, misleading error.
          cfg_.priorities.push_back(std::move(p));
        });
    if (is_map && cfg_.priorities.empty()) {
      cx_.error(f, "at least one priority is required (omit the key for the default four)");
    }
  }

  void read_calendars(const field& f) {
    for_each_entry(
        cx_, f, [&](const std::string& name, const YAML::Mark& key_mark, const field& value) {
          check_name(cx_, name, key_mark, value.path);
          calendar_config c;
          c.name = name;
          const object o(cx_, value, {"timezone", "hours", "holidays"});
          if (auto tz = o.require("timezone")) {
            if (auto s = text()(cx_, *tz)) {
              if (s->find_first_of(" \t") != std::string::npos) {
                cx_.error(*tz, "expected an IANA time zone name such as Europe/Berlin, got " +
                                   in_quotes(*s));
              } else if (!known_time_zone(*s)) {
                cx_.error(*tz, "unknown time zone " + in_quotes(*s) +
                                   " (expected an IANA name such as Europe/Berlin)");
              } else {
                c.timezone = *s;
              }
            }
          }
          if (auto hours = o.require("hours")) read_hours(*hours, c);
          if (auto holidays = o.get("holidays")) read_holidays(*holidays, c);
          cfg_.calendars.push_back(std::move(c));
        });
  }

  void read_hours(const field& f, calendar_config& c) {
    std::array<std::string, 7> given_by;  // the day spec that already set each day
    bool any = false;
    const bool is_map = for_each_entry(
        cx_, f, [&](const std::string& spec, const YAML::Mark& key_mark, const field& value) {
          any = true;
          auto days = parse_day_spec(spec);
          if (const auto* message = std::get_if<std::string>(&days)) {
            cx_.error(key_mark, value.path, *message);
            return;
          }
          const auto intervals = read_intervals(value);
          for (const int day : std::get<std::vector<int>>(days)) {
            if (!given_by[day].empty()) {
              cx_.error(key_mark, value.path,
                        std::string(day_names[day]) + " is already given by " + given_by[day]);
              continue;
            }
            given_by[day] = spec;
            if (intervals) c.hours[day] = *intervals;
          }
        });
    if (is_map && !any) cx_.error(f, "at least one day is required, e.g. mon-fri: 09:00-17:00");
  }

  // `"09:00-17:00"`, `"09:00-12:00, 13:00-17:00"` or a list of such strings.
  std::optional<std::vector<time_of_day_interval>> read_intervals(const field& f) {
    std::vector<time_of_day_interval> out;
    bool ok = true;
    const auto add = [&](const field& at, std::string_view s) {
      for (const auto part : split(s, ',')) {
        auto parsed = parse_interval(part);
        if (const auto* message = std::get_if<std::string>(&parsed)) {
          cx_.error(at, *message);
          ok = false;
        } else {
          out.push_back(std::get<time_of_day_interval>(parsed));
        }
      }
    };
    if (f.node.IsSequence()) {
      for_each_item(cx_, f, [&](const field& item) {
        if (auto s = scalar(cx_, item, "\"HH:MM-HH:MM\"")) {
          add(item, *s);
        } else {
          ok = false;
        }
      });
    } else if (auto s = scalar(cx_, f, "\"HH:MM-HH:MM\" or a list of them")) {
      add(f, *s);
    } else {
      return std::nullopt;
    }
    if (!ok) return std::nullopt;

    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.begin_minute < b.begin_minute; });
    std::vector<time_of_day_interval> merged;
    for (const auto& interval : out) {
      if (!merged.empty() && interval.begin_minute < merged.back().end_minute) {
        cx_.error(f, "the intervals " + format_interval(merged.back()) + " and " +
                         format_interval(interval) + " overlap");
        return std::nullopt;
      }
      // Touching intervals are one stretch of working time.
      if (!merged.empty() && interval.begin_minute == merged.back().end_minute) {
        merged.back().end_minute = interval.end_minute;
      } else {
        merged.push_back(interval);
      }
    }
    return merged;
  }

  void read_holidays(const field& f, calendar_config& c) {
    for_each_item(cx_, f, [&](const field& item) {
      auto s = scalar(cx_, item, "a date YYYY-MM-DD");
      if (!s) return;
      if (auto date = parse_date(*s)) {
        c.holidays.push_back(*date);
      } else {
        cx_.error(item, "expected a calendar date YYYY-MM-DD, got " + in_quotes(*s));
      }
    });
    std::sort(c.holidays.begin(), c.holidays.end());
    c.holidays.erase(std::unique(c.holidays.begin(), c.holidays.end()), c.holidays.end());
  }

  void read_sla(const field& f) {
    const object o(cx_, f, {"calendar", "warn_before"});
    if (auto c = o.get("calendar")) {
      if (auto name = text()(cx_, *c)) {
        cfg_.sla.calendar = *name;
        calendar_refs_.push_back({*c, *name});
      }
    }
    o.read("warn_before", cfg_.sla.warn_before, duration());
  }

  void read_agents(const field& f) {
    const object o(cx_, f,
                   {"max_concurrent", "counted_statuses", "presence", "capacity",
                    "missed_offers_away", "offline_return_after"});
    auto& a = cfg_.agents;
    o.read("max_concurrent", a.max_concurrent, integer<unsigned>(1, 10'000));
    o.read("capacity", a.capacity, integer<unsigned>(1, 100'000));
    o.read("missed_offers_away", a.missed_offers_away, integer<unsigned>(0, 1'000));
    o.read("offline_return_after", a.offline_return_after, duration_or_zero());
    if (auto statuses = o.get("counted_statuses")) {
      std::vector<status_kind> out;
      bool ok = true;
      const bool is_list = for_each_item(cx_, *statuses, [&](const field& item) {
        const auto status = one_of(status_names)(cx_, item);
        if (!status) {
          ok = false;
        } else if (*status == status_kind::queued || *status == status_kind::resolved ||
                   *status == status_kind::closed) {
          cx_.error(item, "a ticket in status " + item.node.Scalar() + " has no agent");
          ok = false;
        } else if (std::find(out.begin(), out.end(), *status) == out.end()) {
          out.push_back(*status);
        }
      });
      if (is_list && ok && out.empty()) {
        cx_.error(*statuses, "at least one status is required, e.g. [offered, assigned]");
      } else if (is_list && ok) {
        a.counted_statuses = std::move(out);
      }
    }
    o.read("presence", a.presence, one_of(presence_modes));
  }

  void read_queues(const field& f) {
    for_each_entry(
        cx_, f, [&](const std::string& name, const YAML::Mark& key_mark, const field& value) {
          check_name(cx_, name, key_mark, value.path);
          queue_config q;
          q.name = name;
          const object o(cx_, value,
                         {"mode", "strategy", "wait_weight", "rank_offset", "accept_timeout",
                          "reject_cooldown", "away_on_timeout", "overflow", "escalate_to"});
          o.read("mode", q.mode, one_of(queue_modes));
          o.read("strategy", q.strategy, one_of(push_strategies));
          o.read("wait_weight", q.wait_weight, number(0, 1000));
          o.read("rank_offset", q.rank_offset, offset());
          o.read("accept_timeout", q.accept_timeout, duration());
          o.read("reject_cooldown", q.reject_cooldown, duration());
          o.read("away_on_timeout", q.away_on_timeout, boolean());
          if (auto overflow = o.get("overflow")) read_overflow(*overflow, q);
          if (auto escalate = o.get("escalate_to")) {
            if (auto target = text()(cx_, *escalate)) {
              if (*target == name) {
                cx_.error(*escalate, "a queue cannot escalate to itself");
              } else {
                q.escalate_to = *target;
                queue_refs_.push_back({*escalate, *target});
              }
            }
          }
          if (q.mode == queue_mode::pull) {
            for (const auto key :
                 {"strategy", "accept_timeout", "reject_cooldown", "away_on_timeout"}) {
              if (auto given = o.get(key)) cx_.warn(*given, "only used by push queues; ignored");
            }
          }
          cfg_.queues.push_back(std::move(q));
        });
  }

  void read_overflow(const field& f, queue_config& q) {
    std::optional<millis> previous;
    for_each_item(cx_, f, [&](const field& item) {
      const object o(cx_, item, {"after", "to"});
      overflow_step step;
      if (o.read_required("after", step.after, duration())) {
        if (previous && step.after <= *previous) {
          cx_.error(*o.get("after"), "must be greater than the previous step's after (" +
                                         format_span(span{*previous}) + ")");
        }
        previous = step.after;
      }
      if (auto to = o.require("to")) {
        if (auto target = text()(cx_, *to)) {
          if (*target == q.name) {
            cx_.error(*to, "overflow must go to another queue");
          } else {
            step.to = *target;
            queue_refs_.push_back({*to, *target});
          }
        }
      }
      q.overflow.push_back(std::move(step));
    });
  }

  // Ordering is only meaningful within one basis: 1d business may be longer than 3d wall time.
  bool check_later(const field& at, const span& earlier, const span& later, std::string_view what) {
    if (earlier.basis != later.basis) {
      cx_.error(at, "must use the same time basis as " + std::string(what) +
                        " (all business time or all wall-clock time)");
      return false;
    }
    if (later.length <= earlier.length) {
      cx_.error(at,
                "must be greater than " + std::string(what) + " (" + format_span(earlier) + ")");
      return false;
    }
    return true;
  }

  void read_lifecycle(const field& f) {
    const object o(cx_, f,
                   {"affinity_wait", "pending", "resolved", "closed", "customer_affinity",
                    "customer_affinity_wait", "assigned"});
    auto& l = cfg_.lifecycle;
    if (auto assigned = o.get("assigned")) {
      const object a(cx_, *assigned, {"return_after"});
      a.read("return_after", l.assigned_return_after, duration_or_zero());
    }
    o.read("affinity_wait", l.affinity_wait, business_span());
    o.read("customer_affinity", l.customer_affinity, duration_or_zero());
    o.read("customer_affinity_wait", l.customer_affinity_wait, duration_or_zero());
    if (auto pending = o.get("pending")) {
      const object p(cx_, *pending, {"followups", "resolve_after"});
      if (auto followups = p.get("followups")) {
        for_each_item(cx_, *followups, [&](const field& item) {
          auto s = business_span()(cx_, item);
          if (!s) return;
          if (l.followups.empty() || check_later(item, l.followups.back(), *s, "the one before")) {
            l.followups.push_back(*s);
          }
        });
      }
      if (auto resolve = p.get("resolve_after")) {
        auto s = business_span()(cx_, *resolve);
        if (s && (l.followups.empty() ||
                  check_later(*resolve, l.followups.back(), *s, "the last followup"))) {
          l.resolve_after = *s;
        }
      }
    }
    if (auto resolved = o.get("resolved")) {
      const object r(cx_, *resolved, {"reopen_window", "close_after"});
      r.read("reopen_window", l.reopen_window, business_span());
      r.read("close_after", l.close_after, business_span());
    }
    if (auto closed = o.get("closed")) {
      const object c(cx_, *closed, {"retention"});
      c.read("retention", l.closed_retention, duration());
    }
  }

  void read_routing(const field& f) {
    for_each_item(cx_, f, [&](const field& item) {
      routing_rule rule;
      rule.line = item.mark.line + 1;
      const object o(cx_, item, {"when", "queue", "priority", "require"});
      if (auto when = o.require("when")) read_match(*when, rule.when);
      if (auto require = o.get("require")) read_requirements(*require, rule.require);
      if (auto queue = o.get("queue")) {
        if (auto name = text()(cx_, *queue)) {
          rule.queue = *name;
          queue_refs_.push_back({*queue, *name});
        }
      }
      if (auto priority = o.get("priority")) {
        if (auto name = text()(cx_, *priority)) {
          rule.priority = *name;
          priority_refs_.push_back({*priority, *name});
        }
      }
      if (o.is_map() && !o.has("queue") && !o.has("priority") && !o.has("require")) {
        cx_.error(item, "a rule sets a queue, a priority, requirements or several of them");
      }
      cfg_.routing.push_back(std::move(rule));
    });
  }

  void read_channels(const field& f) {
    for_each_entry(cx_, f,
                   [&](const std::string& name, const YAML::Mark& key_mark, const field& value) {
                     check_name(cx_, name, key_mark, value.path);
                     channel_config ch;
                     ch.name = name;
                     const object o(cx_, value, {"cost", "wrap_up", "max_per_agent"});
                     o.read("cost", ch.cost, integer<unsigned>(1, 100'000));
                     o.read("wrap_up", ch.wrap_up, duration_or_zero());
                     o.read("max_per_agent", ch.max_per_agent, integer<unsigned>(1, 10'000));
                     cfg_.channels.push_back(std::move(ch));
                   });
  }

  void read_skills(const field& f) {
    std::vector<std::string> names;
    for_each_item(cx_, f, [&](const field& item) {
      auto name = identifier()(cx_, item);
      if (!name) return;
      if (std::find(names.begin(), names.end(), *name) != names.end()) {
        cx_.error(item, "skill " + in_quotes(*name) + " is declared twice");
        return;
      }
      names.push_back(*name);
    });
    cfg_.skills = std::move(names);
  }

  // A rule's `require`: [{skill, level (1-10, default 1), relax_after}], one entry per skill.
  void read_requirements(const field& f, std::vector<requirement>& out) {
    for_each_item(cx_, f, [&](const field& item) {
      const object o(cx_, item, {"skill", "level", "relax_after"});
      requirement r;
      if (auto skill = o.require("skill")) {
        auto name = identifier()(cx_, *skill);
        if (!name) return;
        r.skill = *name;
        skill_refs_.push_back({*skill, *name});
        for (const auto& other : out) {
          if (other.skill == r.skill) cx_.error(item, "skill " + in_quotes(r.skill) + " twice");
        }
      }
      o.read("level", r.level, integer<unsigned>(1, 10));
      std::optional<millis> relax;
      if (o.read("relax_after", relax, duration())) r.relax_after = relax;
      if (!r.skill.empty()) out.push_back(std::move(r));
    });
  }

  void read_match(const field& f, routing_match& m) {
    const object o(cx_, f, {"channel", "skills", "attributes"});
    o.read("channel", m.channel, text());
    if (auto skills = o.get("skills")) {
      for_each_item(cx_, *skills, [&](const field& item) {
        if (auto skill = text()(cx_, item)) m.skills.push_back(*skill);
      });
    }
    if (auto attributes = o.get("attributes")) {
      for_each_entry(cx_, *attributes,
                     [&](const std::string& key, const YAML::Mark&, const field& value) {
                       if (auto s = scalar(cx_, value, "a string")) m.attributes[key] = *s;
                     });
    }
    // A type error above is already reported; an empty condition would match every ticket.
    const auto non_empty = [](const std::optional<field>& c) {
      return c && !c->node.IsNull() && !(c->node.IsSequence() && c->node.size() == 0) &&
             !(c->node.IsMap() && c->node.size() == 0);
    };
    if (o.is_map() && !non_empty(o.get("channel")) && !non_empty(o.get("skills")) &&
        !non_empty(o.get("attributes"))) {
      cx_.error(f, "at least one condition is required (channel, skills or attributes)");
    }
  }

  void read_defaults(const field& f) {
    const object o(cx_, f, {"queue", "priority"});
    if (auto queue = o.get("queue")) {
      if (auto name = identifier()(cx_, *queue)) {
        cfg_.defaults.queue = *name;
        default_queue_ = *queue;
      }
    }
    if (auto priority = o.get("priority")) {
      if (auto name = identifier()(cx_, *priority)) {
        cfg_.defaults.priority = *name;
        default_priority_ = *priority;
      }
    }
  }

  void read_auth(const field& f) {
    const object o(cx_, f, {"tokens", "protect_operations"});
    if (auto tokens = o.get("tokens")) {
      for_each_item(cx_, *tokens, [&](const field& item) { read_token(item); });
    }
    o.read("protect_operations", cfg_.auth.protect_operations, boolean());
  }

  void read_token(const field& item) {
    const object o(cx_, item, {"name", "role", "agent", "workspace", "token_env", "token_file"});
    token_config t;
    if (auto name = o.require("name")) {
      if (auto s = identifier()(cx_, *name)) {
        const auto [seen, inserted] = token_lines_.emplace(*s, name->mark.line + 1);
        if (!inserted) {
          cx_.error(*name, "token name " + in_quotes(*s) + " is already used on line " +
                               std::to_string(seen->second));
        }
        t.name = *s;
      }
    }
    const bool role_known = o.read_required("role", t.role, one_of(token_roles));
    const auto agent = o.get("agent");
    if (role_known && t.role == token_role::agent && !agent) {
      cx_.error(item.mark, join(item.path, "agent"), "is required for role agent");
    }
    if (agent) {
      if (role_known && t.role != token_role::agent) {
        cx_.error(*agent, "only tokens with role agent name an agent");
      } else if (auto s = identifier()(cx_, *agent)) {
        t.agent = *s;
      }
    }
    if (auto ws = o.get("workspace")) {
      if (auto s = identifier(64)(cx_, *ws)) {
        t.workspace = *s;
        // Without workspaces_dir there is one workspace to name (with it, load_workspaces
        // checks the name once the files are read).
        if (cfg_.workspaces_dir.empty() && t.workspace != cfg_.workspace) {
          cx_.error(*ws, "no workspace named " + in_quotes(t.workspace) + " (the workspace is " +
                             in_quotes(cfg_.workspace) + ")");
        }
      }
    } else if (role_known && t.role == token_role::agent && !cfg_.workspaces_dir.empty()) {
      cx_.error(item.mark, join(item.path, "workspace"),
                "is required for role agent when workspaces_dir is set (an agent id is only "
                "unique within its workspace)");
    }

    const auto env = o.get("token_env");
    const auto file = o.get("token_file");
    std::optional<std::string> secret;
    std::string origin;
    if (env && file) {
      cx_.error(*file, "give either token_env or token_file, not both");
    } else if (env) {
      if (auto name = text()(cx_, *env)) {
        t.token_env = *name;
        origin = "environment variable " + *name;
        secret = resolve_env(*env, *name);
      }
    } else if (file) {
      if (auto path = path_value()(cx_, *file)) {
        // Relative to the config file, not to whatever directory the daemon was started in.
        t.token_file = path->is_relative() ? cfg_.source.parent_path() / *path : *path;
        origin = "token file " + t.token_file.string();
        secret = resolve_file(*file, t.token_file);
      }
    } else if (o.is_map()) {
      cx_.error(item, "token_env or token_file is required");
    }

    if (secret) {
      const field& at = env ? *env : *file;
      if (secret->size() < min_token_length) {
        cx_.error(at, "the token in " + origin + " must be at least " +
                          std::to_string(min_token_length) + " characters");
      } else if (const auto same = secret_owner_.find(*secret); same != secret_owner_.end()) {
        cx_.error(at, "the token in " + origin + " is the same as token " +
                          in_quotes(same->second) + "'s; every token needs its own secret");
      } else {
        secret_owner_.emplace(*secret, t.name);
        t.secret = std::move(*secret);
      }
    }
    cfg_.auth.tokens.push_back(std::move(t));
  }

  std::optional<std::string> resolve_env(const field& at, const std::string& name) {
    if (!is_env_name(name)) {
      cx_.error(at, in_quotes(name) + " is not a valid environment variable name");
      return std::nullopt;
    }
    auto value = env_ ? env_(name) : std::nullopt;
    if (!value) {
      cx_.error(at, "environment variable " + name + " is not set");
      return std::nullopt;
    }
    trim_trailing_whitespace(*value);
    if (value->empty()) {
      cx_.error(at, "environment variable " + name + " is empty");
      return std::nullopt;
    }
    return value;
  }

  std::optional<std::string> resolve_file(const field& at, const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      const int error = errno;
      cx_.error(at, "cannot read token file " + path.string() + ": " +
                        std::generic_category().message(error));
      return std::nullopt;
    }
    std::string content(max_token_file_size + 1, '\0');
    in.read(content.data(), static_cast<std::streamsize>(content.size()));
    if (in.bad()) {
      cx_.error(at, "cannot read token file " + path.string());
      return std::nullopt;
    }
    content.resize(static_cast<std::size_t>(in.gcount()));
    if (content.size() > max_token_file_size) {
      cx_.error(at, "token file " + path.string() + " is larger than 4KiB; is it the right file?");
      return std::nullopt;
    }
    trim_trailing_whitespace(content);
    if (content.empty()) {
      cx_.error(at, "token file " + path.string() + " is empty");
      return std::nullopt;
    }
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (!ec && (status.permissions() & std::filesystem::perms::others_read) !=
                   std::filesystem::perms::none) {
      cx_.warn(at, "token file " + path.string() + " is readable by every user; chmod 600 it");
    }
    return content;
  }

  void read_events(const field& f) {
    const object o(cx_, f, {"max_len"});
    o.read("max_len", cfg_.events.max_len, integer<std::size_t>(1000, 1'000'000'000));
  }

  void apply_defaults(const std::optional<field>& priorities, const std::optional<field>& queues) {
    if (!priorities) cfg_.priorities = default_priorities();
    if (!cfg_.priorities.empty() && !cfg_.find_priority(cfg_.defaults.priority)) {
      if (default_priority_) {
        priority_refs_.push_back({*default_priority_, cfg_.defaults.priority});
      } else {
        cx_.error(priorities->mark, "defaults.priority",
                  "the default priority " + in_quotes(cfg_.defaults.priority) +
                      " is not among priorities; add it or set defaults.priority");
      }
    }

    if (cfg_.queues.empty()) {
      queue_config q;
      q.name = cfg_.defaults.queue;
      cfg_.queues.push_back(std::move(q));
    } else if (!cfg_.find_queue(cfg_.defaults.queue)) {
      if (default_queue_) {
        queue_refs_.push_back({*default_queue_, cfg_.defaults.queue});
      } else {
        cx_.error(queues->mark, "defaults.queue",
                  "the default queue " + in_quotes(cfg_.defaults.queue) +
                      " is not among queues; add it or set defaults.queue");
      }
    }

    if (cfg_.auth.tokens.empty()) {
      if (!is_loopback(cfg_.server.listen.host)) {
        cx_.warn("auth is not configured: every /v1 request is allowed; bind to loopback only");
      }
      if (cfg_.auth.protect_operations) {
        cx_.warn("auth.protect_operations has no effect without auth.tokens");
      }
    }
  }

  void check_references() {
    const auto check = [&](const std::vector<reference>& refs, std::string_view kind,
                           std::string_view plural, const auto& items) {
      std::vector<std::string> names;
      for (const auto& item : items) names.push_back(item.name);
      for (const auto& ref : refs) {
        if (std::find(names.begin(), names.end(), ref.name) != names.end()) continue;
        cx_.error(ref.at, "no " + std::string(kind) + " named " + in_quotes(ref.name) + " (" +
                              std::string(plural) + ": " + list_names(names) + ")");
      }
    };
    check(queue_refs_, "queue", "queues", cfg_.queues);
    check(priority_refs_, "priority", "priorities", cfg_.priorities);
    check(calendar_refs_, "calendar", "calendars", cfg_.calendars);
    if (cfg_.skills) {
      for (const auto& ref : skill_refs_) {
        if (cfg_.knows_skill(ref.name)) continue;
        cx_.error(ref.at, "no skill named " + in_quotes(ref.name) +
                              " (skills: " + list_names(*cfg_.skills) + ")");
      }
    }
    if (!cfg_.sla.calendar) {
      for (const auto& at : cx_.business_spans) {
        cx_.error(at, "business time needs a calendar: set sla.calendar");
      }
    }
  }

  context& cx_;
  const env_lookup& env_;
  config cfg_;
  std::vector<reference> queue_refs_;
  std::vector<reference> priority_refs_;
  std::vector<reference> calendar_refs_;
  std::vector<reference> skill_refs_;
  std::optional<field> default_queue_;
  std::optional<field> default_priority_;
  std::map<std::string, int> token_lines_;           // token name -> line, for duplicates
  std::map<std::string, std::string> secret_owner_;  // secret -> token name, for duplicates
};

// Where each document of a stream starts; the nodes themselves come from YAML::Load.
class document_starts final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { marks.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  std::vector<YAML::Mark> marks;
};

// The first document of the text, and where a second one starts, if any. Not YAML::LoadAll:
// yaml-cpp 0.7 reads a `,` outside any flow collection as an empty document without consuming
// it, so LoadAll never returns and fills memory (yaml-cpp issue 1040). A document that starts
// where the previous one did is that case. Throws YAML::Exception on a syntax error.
YAML::Node first_document(const std::string& text, std::optional<YAML::Mark>& second) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  document_starts starts;
  // Two documents are enough to refuse the file; a third shows whether the second moved on.
  while (starts.marks.size() < 3 && parser.HandleNextDocument(starts)) {
    const auto n = starts.marks.size();
    if (n >= 2 && starts.marks[n - 1].pos == starts.marks[n - 2].pos) {
      const auto at = static_cast<std::size_t>(starts.marks.back().pos);
      throw YAML::ParserException(starts.marks.back(),
                                  at < text.size() ? "unexpected " + in_quotes(text.substr(at, 1))
                                                   : std::string("cannot parse the text here"));
    }
  }
  if (starts.marks.size() > 1) second = starts.marks[1];
  return YAML::Load(text);
}

// `workspace`: the text is a workspace file of that name (loader::run_workspace).
load_result load(std::string_view yaml, const std::string& file_name,
                 const std::filesystem::path& source, const env_lookup& env,
                 const std::optional<std::string>& workspace = std::nullopt) {
  context cx(file_name);
  std::optional<config> parsed;
  // yaml-cpp reports syntax errors by exception; nothing may escape to the caller.
  YAML::Node document;
  std::optional<YAML::Mark> second_document;
  try {
    document = first_document(std::string(yaml), second_document);
  } catch (const YAML::Exception& e) {
    cx.error(e.mark, "", e.msg);
  } catch (const std::exception& e) {
    cx.error(YAML::Mark::null_mark(), "", std::string("cannot parse: ") + e.what());
  }
  if (cx.errors.empty()) {
    try {
      if (second_document) {
        cx.error(*second_document, "", "only one YAML document is allowed per file");
      }
      loader l(cx, env, source);
      parsed = workspace ? l.run_workspace(document, *workspace) : l.run(document);
    } catch (const std::exception& e) {
      cx.error(YAML::Mark::null_mark(), "", std::string("internal error: ") + e.what());
    }
  }

  load_result result;
  std::stable_sort(cx.errors.begin(), cx.errors.end(), [](const auto& a, const auto& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  result.errors = std::move(cx.errors);
  result.warnings = std::move(cx.warnings);
  if (result.errors.empty() && parsed) result.value = std::make_shared<const config>(*parsed);
  return result;
}

}  // namespace

std::string config_error::to_string() const {
  std::string out = file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
  if (!path.empty()) out += path + ": ";
  return out + message;
}

env_lookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    if (const char* value = std::getenv(name.c_str())) return std::string(value);
    return std::nullopt;
  };
}

load_result load_config_text(std::string_view yaml, const std::string& file_name,
                             const env_lookup& env) {
  return load(yaml, file_name, file_name, env);
}

namespace {

// The text of a file, or the error saying why there is none.
std::variant<std::string, config_error> read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::error_code ec;
  if (in && std::filesystem::is_directory(file, ec)) {
    return config_error{file.string(), 0, 0, "", "cannot read the config file: it is a directory"};
  }
  if (!in) {
    const int error = errno;
    return config_error{file.string(), 0, 0, "",
                        "cannot read the config file: " + std::generic_category().message(error)};
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return config_error{file.string(), 0, 0, "", "cannot read the config file"};
  return text;
}

// The workspaces of `main`'s workspaces_dir (relative to the main file's folder), each
// NAME.yaml in name order, into `result`: their errors name their files.
void load_workspaces(const std::filesystem::path& main_file, load_result& result,
                     const env_lookup& env) {
  namespace fs = std::filesystem;
  auto main = std::make_shared<config>(*result.value);
  fs::path dir = main->workspaces_dir;
  if (dir.is_relative()) dir = main_file.parent_path() / dir;
  std::error_code ec;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".yaml") files.push_back(it->path());
  }
  if (ec) {
    result.errors.push_back({main_file.string(), 0, 0, "workspaces_dir",
                             "cannot read " + dir.string() + ": " + ec.message()});
    return;
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    const std::string name = file.stem().string();
    if (!is_id(name, 64)) {
      result.errors.push_back(
          {file.string(), 0, 0, "", "the file's name is its workspace's: " + id_rule(64)});
      continue;
    }
    if (name == main->workspace) {
      result.errors.push_back(
          {file.string(), 0, 0, "", "workspace '" + name + "' is the main file's workspace"});
      continue;
    }
    auto text = read_text(file);
    if (auto* e = std::get_if<config_error>(&text)) {
      result.errors.push_back(std::move(*e));
      continue;
    }
    auto ws = load(std::get<std::string>(text), file.string(), file, env, name);
    for (auto& e : ws.errors) result.errors.push_back(std::move(e));
    for (auto& w : ws.warnings) result.warnings.push_back(file.string() + ": " + w);
    if (ws.value) main->workspaces.push_back(std::move(ws.value));
  }
  for (const auto& t : main->auth.tokens) {
    if (t.workspace.empty() || t.workspace == main->workspace) continue;
    const bool known = std::any_of(main->workspaces.begin(), main->workspaces.end(),
                                   [&](const auto& w) { return w->workspace == t.workspace; });
    if (!known) {
      result.errors.push_back({main_file.string(), 0, 0, "auth.tokens." + t.name + ".workspace",
                               "no workspace named '" + t.workspace +
                                   "' (neither the main "
                                   "file's nor a file of workspaces_dir)"});
    }
  }
  result.value = result.errors.empty() ? std::shared_ptr<const config>(std::move(main)) : nullptr;
}

}  // namespace

load_result load_config_file(const std::filesystem::path& file, const env_lookup& env) {
  auto text = read_text(file);
  if (auto* e = std::get_if<config_error>(&text)) return {nullptr, {std::move(*e)}, {}};
  auto result = load(std::get<std::string>(text), file.string(), file, env);
  if (result.value && !result.value->workspaces_dir.empty()) load_workspaces(file, result, env);
  return result;
}

}  // namespace ticketd::config
