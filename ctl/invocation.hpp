// What one run of ticketctl was asked to do: its command line and environment parsed into a
// command, the ticketd address, the token's origin and the output options. Sans-io.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <boost/system/result.hpp>

namespace ticketd::ctl {

// ticketctl's exit statuses (README.md).
enum class exit_status : int { ok = 0, api_error = 1, usage = 2, unreachable = 3 };

enum class command {
  help,
  status,
  queues,
  queue,
  agents,
  agent,
  ticket,
  explain,
  verify,
  reload,
  export_workload,
  workspaces,
  purge_workspace
};

// ticketd's address: http://HOST[:PORT][/PREFIX].
struct endpoint {
  std::string host;  // without brackets for IPv6
  std::uint16_t port = 80;
  std::string prefix;  // "" or "/path" without a trailing slash, put before every target
  std::string text;    // normalized, for messages: http://127.0.0.1:8080
};

// An endpoint from an --url / TICKETD_URL value, or a sentence saying what is wrong with it.
boost::system::result<endpoint, std::string> parse_url(std::string_view text);

// Where the bearer token comes from; the token itself is never shown.
enum class token_origin { none, option, option_file, env, env_file };

struct invocation {
  command what = command::help;
  std::string argument;              // NAME of `queue`, ID of `agent` and `ticket`
  std::optional<std::size_t> limit;  // `queue --limit N`, `agents --limit N`
  std::string after;                 // `agents --after ID`: the page after that id
  bool dry_run = false;              // `reload --dry-run`: what it would change, applying nothing
  bool all = false;                  // `verify --all`: every workspace served
  std::string workspace;             // --workspace NAME: /v1/... requests go to /v1/w/NAME/...
  // `export-workload --since`: how far back (a duration), or from when (epoch ms).
  std::optional<std::chrono::milliseconds> since_ago;
  std::optional<std::int64_t> since_ms;
  endpoint url;
  token_origin origin = token_origin::none;
  std::string token;       // set with token_origin::option and ::env
  std::string token_file;  // set with token_origin::option_file and ::env_file; read by main
  bool json = false;
  std::chrono::milliseconds timeout{5000};
};

struct usage_error {
  std::string message;
};

// Looks up an environment variable; nullopt when unset.
using env_lookup = std::function<std::optional<std::string>(std::string_view name)>;

// `args` excludes the program name. Options may come before or after the command; `--` ends
// them (for an id that starts with '-').
boost::system::result<invocation, usage_error> parse_invocation(
    std::span<const std::string_view> args, const env_lookup& env);

// The token in a token file's content: trailing whitespace trimmed, one printable line. The
// error names `file`, never the content.
boost::system::result<std::string, usage_error> token_from_file(std::string_view content,
                                                                std::string_view file);

// A description of where the token came from, for messages: "--token-file /etc/x.token".
std::string describe_origin(const invocation& inv);

// The help text (commands, options, environment, exit statuses).
std::string usage_text();

// `--since` as a duration back from now: 30m, 24h, 7d.
std::optional<std::chrono::milliseconds> parse_since(std::string_view text);

// Durations as ticketctl reads them: 500ms, 5s, 2m, or plain seconds.
std::optional<std::chrono::milliseconds> parse_timeout(std::string_view text);

}  // namespace ticketd::ctl
