// The typed configuration of one ticketd process: plain structs, parsed once from YAML by
// load_config (config/loader.hpp) and shared read-only (std::shared_ptr<const config>).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ticketd::config {

using millis = std::chrono::milliseconds;

// How a duration is measured: wall-clock time, or business time on the SLA calendar.
enum class time_basis { wall, business };

// A configured duration such as `30s`, `8h` or `1d business`.
struct span {
  millis length{0};
  time_basis basis = time_basis::wall;
  // Set when the text was a whole number of days (`2d`): on a business calendar it then
  // means business days (the same business time of day, N working days later).
  int whole_days = 0;

  friend bool operator==(const span&, const span&) = default;
};

enum class status_kind { queued, offered, assigned, pending, postponed, resolved, closed };

struct listen_address {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
};

struct server_config {
  listen_address listen;
  unsigned threads = 2;  // 0 in YAML means the number of cores (resolved by the loader)
  std::size_t body_limit = 64 * 1024;
  std::size_t header_limit = 16 * 1024;
  millis read_timeout{10'000};  // a request's headers and body must arrive within this
  millis idle_timeout{60'000};  // keep-alive connection with no request in flight
  unsigned max_connections = 10'000;
  std::filesystem::path state_dir = "/var/lib/ticketd";
  millis shutdown_grace{10'000};  // SIGTERM: in-flight requests get this long to finish
  bool access_log = false;        // one log line per request (errors are always logged)
  // server.cors.allowed_origins: the browser origins (scheme://host[:port], lower case, as a
  // browser sends them) whose requests get CORS headers and whose preflights are answered; a
  // WebSocket upgrade from an origin neither listed nor ticketd's own is refused.
  std::vector<std::string> cors_origins;
};

// sentinel: the primary is asked of the sentinels (redis+sentinel://s1:26379,s2/NAME), and asked
// again at every reconnect. cluster: a Redis Cluster found from its seeds
// (redis+cluster://h1:7000,h2:7001), each workspace's calls sent to its slot's primary.
enum class redis_kind { embedded, tcp, unix_socket, sentinel, cluster };

struct redis_address {
  std::string host;
  std::uint16_t port = 6379;
  friend bool operator==(const redis_address&, const redis_address&) = default;
};

struct redis_config {
  redis_kind kind = redis_kind::embedded;
  std::string url = "embedded";  // as written, for messages
  std::string host;              // tcp (sentinel: the primary found last, set by the client)
  std::uint16_t port = 6379;     // tcp
  std::vector<redis_address> sentinels;  // sentinel
  std::vector<redis_address> seeds;      // cluster: nodes asked for the slot map
  std::string primary_name;              // sentinel: the name the sentinels monitor
  std::filesystem::path socket;          // unix_socket
  unsigned db = 0;
  std::string username;
  std::string password;
  unsigned connections = 2;
  millis timeout{2000};
  std::size_t max_pending = 10'000;  // requests in flight per connection before 503
  // > 0: a write is answered only once this many replicas have it (WAIT), within wait_timeout.
  unsigned wait_replicas = 0;
  millis wait_timeout{1000};
  std::filesystem::path server_binary = "redis-server";  // embedded only
};

struct priority_config {
  std::string name;
  span first_reply;
  span next_reply;
  span resolution;
};

struct time_of_day_interval {
  int begin_minute = 0;  // minutes after midnight, local time
  int end_minute = 0;    // exclusive; 24:00 is 1440
  friend bool operator==(const time_of_day_interval&, const time_of_day_interval&) = default;
};

struct civil_date {
  int year = 0;
  unsigned month = 0;
  unsigned day = 0;
  friend auto operator<=>(const civil_date&, const civil_date&) = default;
};

struct calendar_config {
  std::string name;
  std::string timezone;  // IANA name, e.g. Europe/Berlin
  // Index 0 is Monday ... 6 is Sunday; intervals sorted and disjoint.
  std::array<std::vector<time_of_day_interval>, 7> hours;
  std::vector<civil_date> holidays;  // sorted
};

struct sla_config {
  std::optional<std::string> calendar;  // none: 24/7 clocks
  millis warn_before{15 * 60 * 1000};
};

enum class presence_mode { api, connection };

struct agents_config {
  unsigned max_concurrent = 5;
  std::vector<status_kind> counted_statuses{status_kind::offered, status_kind::assigned};
  presence_mode presence = presence_mode::api;
  // Units per agent (an agent's own value wins); a limit only when `channels` is configured.
  unsigned capacity = 10;
  unsigned missed_offers_away = 0;  // consecutive offer timeouts before away (0: never)
  millis offline_return_after{0};   // offline this long: assigned tickets go back (0: never)
};

// A channel's weight in an agent's capacity. Tickets with no channel, or one not listed,
// are the `default` channel (cost 1, no wrap-up, no limit unless the YAML says otherwise).
struct channel_config {
  std::string name;
  unsigned cost = 1;
  millis wrap_up{0};
  unsigned max_per_agent = 0;  // 0: no limit

  friend bool operator==(const channel_config&, const channel_config&) = default;
};

enum class queue_mode { push, pull };
enum class push_strategy { least_loaded, longest_idle, round_robin };

struct overflow_step {
  millis after{0};
  std::string to;
};

struct queue_config {
  std::string name;
  queue_mode mode = queue_mode::pull;
  push_strategy strategy = push_strategy::least_loaded;
  double wait_weight = 0.0;
  millis rank_offset{0};  // may be negative: favours the queue
  std::optional<millis> accept_timeout;
  millis reject_cooldown{5 * 60 * 1000};
  bool away_on_timeout = false;
  std::vector<overflow_step> overflow;
  std::optional<std::string> escalate_to;
};

struct lifecycle_config {
  span affinity_wait{millis{24 * 3600 * 1000}};
  std::vector<span>
      followups;  // offsets from the first agent reply after the customer's last message
  std::optional<span> resolve_after;  // pending this long: resolved (unresponsive / inactivity)
  span reopen_window{millis{7LL * 24 * 3600 * 1000}, time_basis::wall, 7};
  span close_after{millis{7LL * 24 * 3600 * 1000}, time_basis::wall, 7};
  millis closed_retention{30LL * 24 * 3600 * 1000};  // closed tickets are forgotten after this
  // A new ticket of a customer goes to the agent who last held one of the customer's tickets,
  // if it left that agent within this window (0: off).
  millis customer_affinity{0};
  // That agent online but full: the new ticket waits in its personal queue this long (0: not).
  millis customer_affinity_wait{0};
  // An assigned ticket whose agent has not replied this long goes back to its queue (0: never).
  millis assigned_return_after{0};
};

struct routing_match {
  std::optional<std::string> channel;
  std::vector<std::string> skills;                // every one must be on the ticket
  std::map<std::string, std::string> attributes;  // every one must match exactly
};

// A skill a ticket requires of the agent that takes it, at a level (1-10), dropped once the
// ticket's wait has lasted relax_after.
struct requirement {
  std::string skill;
  unsigned level = 1;
  std::optional<millis> relax_after;

  friend bool operator==(const requirement&, const requirement&) = default;
};

struct routing_rule {
  routing_match when;
  std::optional<std::string> queue;
  std::optional<std::string> priority;
  std::vector<requirement> require;  // added to the ticket's (the request's entry wins)
  int line = 0;                      // 1-based line in the YAML file, for messages
};

struct defaults_config {
  std::string queue = "general";
  std::string priority = "normal";
};

enum class token_role { admin, backend, agent };

struct token_config {
  std::string name;
  token_role role = token_role::backend;
  std::string agent;  // role agent only
  std::string token_env;
  std::filesystem::path token_file;
  std::string secret;          // resolved from token_env / token_file at load time; never logged
  std::string workspace = {};  // the only workspace it may use; empty: every workspace
};

struct auth_config {
  std::vector<token_config> tokens;  // empty: no auth
  bool protect_operations = false;   // /healthz, /readyz, /metrics need a token too
};

struct events_config {
  std::size_t max_len = 1'000'000;  // approximate cap of the workspace event stream
};

struct config {
  std::filesystem::path source;  // the file it came from
  std::string workspace = "default";
  // workspaces_dir: one NAME.yaml per further workspace (empty: none); relative to the main
  // file's folder.
  std::filesystem::path workspaces_dir;
  // The main file's only: the workspaces of workspaces_dir in name order, each a configuration
  // of its own (its file's routing keys, the built-in defaults for everything else).
  std::vector<std::shared_ptr<const config>> workspaces;
  server_config server;
  redis_config redis;
  std::vector<priority_config> priorities;  // in the order of the YAML: first is most urgent
  std::vector<calendar_config> calendars;
  sla_config sla;
  agents_config agents;
  std::vector<queue_config> queues;
  lifecycle_config lifecycle;
  std::vector<routing_rule> routing;
  // The skill names of `skills:`; none: any name is accepted.
  std::optional<std::vector<std::string>> skills;
  // Channels and their costs; empty: capacity is a count only (version 1).
  std::vector<channel_config> channels;
  defaults_config defaults;
  auth_config auth;
  events_config events;

  const queue_config* find_queue(std::string_view name) const;
  const priority_config* find_priority(std::string_view name) const;
  const calendar_config* find_calendar(std::string_view name) const;
  const channel_config* find_channel(std::string_view name) const;
  // Whether a skill name may be used: declared in `skills:`, or nothing is declared.
  bool knows_skill(std::string_view name) const;
};

// The built-in priority table of CONFIG.md, used when the YAML has no `priorities`.
std::vector<priority_config> default_priorities();

}  // namespace ticketd::config
