#include "ctl/invocation.hpp"

#include <array>
#include <charconv>
#include <vector>

#include "routing/ids.hpp"
#include "routing/time_format.hpp"

namespace ticketd::ctl {
namespace {

// A control character (a newline included): a token is one line of printable text.
bool has_control_char(std::string_view text) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

constexpr std::string_view default_url = "http://127.0.0.1:8080";
constexpr std::size_t max_limit = 1000;
constexpr std::size_t max_token_file_size = 4096;
constexpr std::chrono::milliseconds max_timeout = std::chrono::minutes(10);

struct command_spec {
  command what;
  std::string_view name;
  std::string_view argument;  // "" when the command takes none
};

constexpr std::array<command_spec, 13> commands{{
    {command::help, "help", ""},
    {command::status, "status", ""},
    {command::queues, "queues", ""},
    {command::queue, "queue", "NAME"},
    {command::agents, "agents", ""},
    {command::agent, "agent", "ID"},
    {command::ticket, "ticket", "ID"},
    {command::explain, "explain", "ID"},
    {command::verify, "verify", ""},
    {command::reload, "reload", ""},
    {command::export_workload, "export-workload", ""},
    {command::workspaces, "workspaces", ""},
    {command::purge_workspace, "purge-workspace", "NAME"},
}};

const command_spec* find_command(std::string_view name) {
  for (const auto& c : commands) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string quoted(std::string_view s) { return "'" + std::string{s} + "'"; }

usage_error error(std::string message) { return usage_error{std::move(message)}; }

// std::string could make either side of the result: say which.
boost::system::result<endpoint, std::string> url_error(std::string message) {
  return {boost::system::in_place_error, std::move(message)};
}

// "tickets" -> "ticket", "agnt" -> nothing: only a name one contains in the other.
std::string suggestion(std::string_view name) {
  for (const auto& c : commands) {
    if (c.what == command::help || name.size() < 3) continue;
    if (c.name.starts_with(name) || name.starts_with(c.name)) {
      return "; did you mean " + quoted(c.name) + "?";
    }
  }
  return {};
}

std::optional<std::size_t> parse_count(std::string_view text) {
  std::size_t n = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), n);
  if (r.ec != std::errc{} || r.ptr != text.data() + text.size()) return std::nullopt;
  return n;
}

std::string_view id_kind(command c) {
  switch (c) {
    case command::queue:
      return "queue name";
    case command::agent:
      return "agent id";
    case command::purge_workspace:
      return "workspace name";
    default:
      return "ticket id";
  }
}

}  // namespace

namespace {

// A count and the unit after it: "500ms" -> {500, "ms"}; nullopt without digits.
std::optional<std::pair<std::size_t, std::string_view>> count_and_unit(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const auto number = parse_count(text.substr(0, digits));
  if (!number) return std::nullopt;
  return std::pair{*number, text.substr(digits)};
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_timeout(std::string_view text) {
  const auto parsed = count_and_unit(text);
  if (!parsed || parsed->first > 1'000'000'000) return std::nullopt;
  const auto [number, unit] = *parsed;
  std::chrono::milliseconds value{};
  if (unit.empty() || unit == "s") {
    value = std::chrono::seconds(number);
  } else if (unit == "ms") {
    value = std::chrono::milliseconds(number);
  } else if (unit == "m") {
    value = std::chrono::minutes(number);
  } else {
    return std::nullopt;
  }
  if (value.count() <= 0 || value > max_timeout) return std::nullopt;
  return value;
}

std::optional<std::chrono::milliseconds> parse_since(std::string_view text) {
  const auto parsed = count_and_unit(text);
  if (!parsed || parsed->first == 0 || parsed->first > 100'000) return std::nullopt;
  const auto [number, unit] = *parsed;
  const auto n = static_cast<long>(number);
  if (unit == "m") return std::chrono::minutes(n);
  if (unit == "h") return std::chrono::hours(n);
  if (unit == "d") return std::chrono::hours(24 * n);
  return std::nullopt;
}

boost::system::result<endpoint, std::string> parse_url(std::string_view text) {
  std::string_view rest = text;
  if (const auto scheme_end = rest.find("://"); scheme_end != std::string_view::npos) {
    const auto scheme = rest.substr(0, scheme_end);
    if (scheme == "https") {
      return url_error(
          "ticketctl speaks plain http; reach ticketd at its server.listen address (an SSH "
          "tunnel works for a remote host)");
    }
    if (scheme != "http")
      return url_error("the scheme must be http://, not " + std::string{scheme} + "://");
    rest.remove_prefix(scheme_end + 3);
  }
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return url_error("a query or fragment has no place in ticketd's address");
  }
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view prefix =
      slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  if (authority.find('@') != std::string_view::npos) {
    return url_error("credentials do not go in the URL; pass a token with --token-file");
  }
  endpoint e;
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return url_error("the IPv6 address lacks its ']'");
    e.host = std::string{authority.substr(1, close - 1)};
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return url_error("expected :PORT after the IPv6 address");
      port_text = after.substr(1);
      if (port_text.empty()) return url_error("the port is missing after ':'");
    }
  } else {
    const auto colon = authority.rfind(':');
    e.host = std::string{authority.substr(0, colon)};
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return url_error("the port is missing after ':'");
    }
  }
  if (e.host.empty()) return url_error("the host is missing");
  if (!port_text.empty()) {
    const auto port = parse_count(port_text);
    if (!port || *port < 1 || *port > 65535) {
      return url_error("the port must be a number from 1 to 65535, not " + quoted(port_text));
    }
    e.port = static_cast<std::uint16_t>(*port);
  }
  e.prefix = std::string{prefix};
  const bool v6 = e.host.find(':') != std::string::npos;
  e.text = "http://" + (v6 ? "[" + e.host + "]" : e.host) + ":" + std::to_string(e.port) + e.prefix;
  return e;
}

boost::system::result<invocation, usage_error> parse_invocation(
    std::span<const std::string_view> args, const env_lookup& env) {
  const auto from_env = [&](std::string_view name) -> std::optional<std::string> {
    auto v = env ? env(name) : std::nullopt;
    if (v && v->empty()) return std::nullopt;
    return v;
  };
  invocation inv;
  std::optional<std::string> url_option;
  std::optional<std::string> token_option;
  std::optional<std::string> token_file_option;
  std::optional<std::string> limit_option;
  std::optional<std::string> after_option;
  std::optional<std::string> since_option;
  bool help = false;
  bool options_ended = false;
  std::vector<std::string_view> positional;

  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (options_ended || arg.size() < 2 || arg.front() != '-') {
      positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_ended = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      help = true;
      continue;
    }
    if (arg == "--json") {
      inv.json = true;
      continue;
    }
    if (arg == "--dry-run") {
      inv.dry_run = true;
      continue;
    }
    if (arg == "--all") {
      inv.all = true;
      continue;
    }
    std::string_view name = arg;
    std::optional<std::string_view> value;
    if (const auto eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    const bool takes_value = name == "--url" || name == "--token" || name == "--token-file" ||
                             name == "--timeout" || name == "--limit" || name == "--after" ||
                             name == "--since" || name == "--workspace";
    if (!takes_value) {
      return error("unknown option " + quoted(name) +
                   " (an id that starts with '-' goes after --, as in: ticketctl ticket -- " +
                   std::string{arg} + ")");
    }
    if (!value) {
      if (i + 1 == args.size()) return error(std::string{name} + " needs a value");
      value = args[++i];
    }
    if (name == "--url") url_option = std::string{*value};
    if (name == "--token") token_option = std::string{*value};
    if (name == "--token-file") token_file_option = std::string{*value};
    if (name == "--limit") limit_option = std::string{*value};
    if (name == "--after") after_option = std::string{*value};
    if (name == "--since") since_option = std::string{*value};
    if (name == "--workspace") inv.workspace = std::string{*value};
    if (name == "--timeout") {
      auto t = parse_timeout(*value);
      if (!t) {
        return error("--timeout " + quoted(*value) +
                     " is not a duration from 1ms to 10m; write it as 500ms, 5s or 1m");
      }
      inv.timeout = *t;
    }
  }

  if (help) {
    inv.what = command::help;
    return inv;
  }
  if (positional.empty()) return error("no command given");
  const command_spec* spec = find_command(positional.front());
  if (spec == nullptr) {
    return error("unknown command " + quoted(positional.front()) + suggestion(positional.front()));
  }
  inv.what = spec->what;
  const std::size_t wanted = spec->argument.empty() ? 0 : 1;
  if (positional.size() - 1 < wanted) {
    const std::string_view article = spec->what == command::agent ? "an " : "a ";
    return error(std::string{spec->name} + " needs " + std::string{article} +
                 std::string{id_kind(spec->what)} + ": ticketctl " + std::string{spec->name} + " " +
                 std::string{spec->argument});
  }
  if (positional.size() - 1 > wanted) {
    return error(
        std::string{spec->name} + " takes " +
        (wanted == 0 ? std::string{"no arguments"} : "one " + std::string{id_kind(spec->what)}) +
        "; " + quoted(positional[wanted + 1]) + " is one too many");
  }
  if (wanted == 1) {
    inv.argument = std::string{positional[1]};
    if (!routing::is_valid_id(inv.argument)) {
      return error(std::string{id_kind(spec->what)} + " " + quoted(inv.argument) +
                   " is not valid: ids are 1 to 128 of A-Z a-z 0-9 . _ : @ -");
    }
  }
  if (inv.what == command::help) return inv;

  if (inv.dry_run && inv.what != command::reload) return error("--dry-run applies only to reload");
  if (inv.all && inv.what != command::verify) return error("--all applies only to verify");
  if (inv.all && !inv.workspace.empty()) {
    return error("verify takes --all or --workspace NAME, not both");
  }
  if (!inv.workspace.empty() && !routing::is_valid_workspace(inv.workspace)) {
    return error("--workspace " + quoted(inv.workspace) +
                 " is not a workspace name: 1 to 64 of A-Z a-z 0-9 . _ : @ -");
  }
  if (since_option && inv.what != command::export_workload) {
    return error("--since applies only to export-workload");
  }
  if (inv.what == command::export_workload) {
    if (!since_option) return error("export-workload needs --since: a duration (24h) or a time");
    inv.since_ago = parse_since(*since_option);
    if (!inv.since_ago) inv.since_ms = routing::parse_rfc3339(*since_option);
    if (!inv.since_ago && !inv.since_ms) {
      return error("--since " + quoted(*since_option) +
                   " is neither a duration (30m, 24h, 7d) nor an RFC 3339 time");
    }
  }
  if (limit_option) {
    if (inv.what != command::queue && inv.what != command::agents && inv.what != command::explain) {
      return error("--limit applies only to queue NAME, agents and explain ID");
    }
    const auto n = parse_count(*limit_option);
    if (!n || *n < 1 || *n > max_limit) {
      return error("--limit must be a number from 1 to 1000, not " + quoted(*limit_option));
    }
    inv.limit = *n;
  }
  if (after_option) {
    if (inv.what != command::agents) return error("--after applies only to agents");
    if (!routing::is_valid_id(*after_option)) {
      return error("--after " + quoted(*after_option) +
                   " is not an agent id: ids are 1 to 128 of A-Z a-z 0-9 . _ : @ -");
    }
    inv.after = *after_option;
  }

  const bool url_from_env = !url_option;
  const std::string url_text =
      url_option ? *url_option : from_env("TICKETD_URL").value_or(std::string{default_url});
  auto url = parse_url(url_text);
  if (!url) {
    return error(std::string{url_from_env ? "TICKETD_URL " : "--url "} + quoted(url_text) +
                 " is not ticketd's address: " + url.error() +
                 "; write it as http://HOST:PORT, e.g. " + std::string{default_url});
  }
  inv.url = std::move(*url);

  if (token_option && token_file_option) {
    return error("give --token or --token-file, not both");
  }
  if (token_option) {
    if (token_option->empty()) return error("--token is empty; pass the token or use --token-file");
    inv.origin = token_origin::option;
    inv.token = std::move(*token_option);
  } else if (token_file_option) {
    if (token_file_option->empty()) return error("--token-file needs a file name");
    inv.origin = token_origin::option_file;
    inv.token_file = std::move(*token_file_option);
  } else if (auto t = from_env("TICKETD_TOKEN")) {
    inv.origin = token_origin::env;
    inv.token = std::move(*t);
  } else if (auto f = from_env("TICKETD_TOKEN_FILE")) {
    inv.origin = token_origin::env_file;
    inv.token_file = std::move(*f);
  }
  if (has_control_char(inv.token)) {
    return error("the token from " + describe_origin(inv) +
                 " contains a control character; a token is one line of text");
  }
  return inv;
}

boost::system::result<std::string, usage_error> token_from_file(std::string_view content,
                                                                std::string_view file) {
  const std::string name{file};
  if (content.size() > max_token_file_size) {
    return error("token file " + name + " is larger than 4KiB; is it the right file?");
  }
  while (!content.empty() && (content.back() == '\n' || content.back() == '\r' ||
                              content.back() == ' ' || content.back() == '\t')) {
    content.remove_suffix(1);
  }
  if (content.empty()) return error("token file " + name + " is empty; put the token in it");
  if (has_control_char(content)) {
    return error("token file " + name + " holds more than one line; put only the token in it");
  }
  return {boost::system::in_place_value, std::string{content}};
}

std::string describe_origin(const invocation& inv) {
  switch (inv.origin) {
    case token_origin::none:
      return "nowhere";
    case token_origin::option:
      return "--token";
    case token_origin::option_file:
      return "--token-file " + inv.token_file;
    case token_origin::env:
      return "TICKETD_TOKEN";
    case token_origin::env_file:
      return "TICKETD_TOKEN_FILE (" + inv.token_file + ")";
  }
  return "nowhere";
}

std::string usage_text() {
  return R"(usage: ticketctl [OPTIONS] COMMAND [ARG]

Looks at and operates a running ticketd over its HTTP API.

Commands:
  status             liveness (/healthz) and readiness (/readyz)
  queues             every queue: mode, depth, oldest wait, agents online and available
  queue NAME         the head of one queue, in rank order (--limit N: 1 to 1000, default 50)
  agents             the agents in id order (status, load, queues), and per queue how many
                     are online and available (--limit N: 1 to 1000, default 100;
                     --after ID: the agents after that id)
  agent ID           one agent: status, load of max, the tickets it holds
  ticket ID          one ticket: status, queue, priority, holder, SLA dues, version
  explain ID         why a ticket waits: its rank, its place in each queue, its requirements,
                     and for each agent of its queues what stops it taking the ticket now
                     (--limit N agents: 1 to 1000, default 50)
  verify             checks ticketd's invariants in Redis; exits 1 and lists the violations
                     when there are any (admin token); --all: in every workspace served
  reload             reloads ticketd's configuration file; prints the errors of a refused
                     file and the settings that need a restart (admin token); --dry-run:
                     what it would change (queues added, removed with their waiting
                     tickets, changed keys; restarts), applying nothing
  export-workload    a workload for `ticketd simulate` on stdout: the agents as they are now,
                     then the arrivals, customer replies, status changes and handling times
                     of the event stream since --since (30m, 24h, 7d, or an RFC 3339 time)
  workspaces         the workspaces ticketd serves (admin token)
  purge-workspace NAME
                     deletes every key of a workspace ticketd no longer serves (its file
                     removed and every daemon reloaded), in small batches (admin token)
  help               this text

Options (before or after the command):
  --url URL          ticketd's address (default: $TICKETD_URL, else http://127.0.0.1:8080)
  --token-file FILE  read the bearer token from FILE (default: $TICKETD_TOKEN_FILE)
  --token TOKEN      the bearer token (default: $TICKETD_TOKEN); other users can see
                     command lines, so prefer --token-file or the environment
  --workspace NAME   work in that workspace (default: ticketd's main workspace)
  --json             print the API's JSON instead of text
  --timeout T        how long to wait for each answer: 500ms, 5s, 1m (default 5s)
  -h, --help         this text

Exit status: 0 done; 1 ticketd answered with an error (or verify found violations);
2 usage error; 3 ticketd could not be reached.
)";
}

}  // namespace ticketd::ctl
