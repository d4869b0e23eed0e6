// The plain parts of Redis Cluster support: the slot table and the answers a cluster node gives
// instead of running a command (no I/O).
#include <algorithm>
#include <charconv>

#include "daemon/redis/cluster.hpp"

namespace ticketd::daemon {

using config::redis_address;
using routing::resp_value;

namespace {

std::string text_of(const redis_address& a) { return a.host + ":" + std::to_string(a.port); }

// "host:port" (the host may be an IPv6 address: the port is after the last colon).
std::optional<redis_address> address_of(std::string_view s) {
  const auto colon = s.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::uint16_t port = 0;
  const auto p = s.substr(colon + 1);
  if (std::from_chars(p.data(), p.data() + p.size(), port).ec != std::errc{} || port == 0) {
    return std::nullopt;
  }
  return redis_address{std::string(s.substr(0, colon)), port};
}

std::optional<std::uint16_t> slot_number(std::string_view s) {
  std::uint16_t slot = 0;
  if (std::from_chars(s.data(), s.data() + s.size(), slot).ec != std::errc{} ||
      slot >= cluster_slot_count) {
    return std::nullopt;
  }
  return slot;
}

}  // namespace

const redis_address* slot_table::primary_of(std::uint16_t slot) const {
  const auto i = owner[slot];
  return i < 0 ? nullptr : &primaries[static_cast<std::size_t>(i)];
}

bool slot_table::covered() const {
  return std::none_of(owner.begin(), owner.end(), [](std::int16_t i) { return i < 0; });
}

std::string cluster_reply::describe() const {
  const std::string where = "the Redis Cluster slot " + std::to_string(slot);
  switch (what) {
    case kind::moved:
      return where + " moved to " + text_of(to);
    case kind::ask:
      return where + " is migrating to " + text_of(to) + " (resharding): retry when it is done";
    case kind::try_again:
      return where + " is migrating (resharding): retry when it is done";
    case kind::down:
      return "the Redis Cluster is down (a slot has no primary: a failover may be under way)";
    case kind::none:
      break;
  }
  return {};
}

cluster_reply cluster_reply_of(const resp_value& v) {
  cluster_reply r;
  if (v.type != resp_value::kind::error) return r;
  const std::string_view s = v.str;
  if (s.starts_with("CLUSTERDOWN")) {
    r.what = cluster_reply::kind::down;
    return r;
  }
  if (s.starts_with("TRYAGAIN")) {
    r.what = cluster_reply::kind::try_again;
    return r;
  }
  // MOVED <slot> <host:port> / ASK <slot> <host:port>
  const bool moved = s.starts_with("MOVED ");
  if (!moved && !s.starts_with("ASK ")) return r;
  const auto rest = s.substr(s.find(' ') + 1);
  const auto space = rest.find(' ');
  if (space == std::string_view::npos) return r;
  const auto slot = slot_number(rest.substr(0, space));
  auto to = address_of(rest.substr(space + 1));
  if (!slot || !to) return r;
  r.what = moved ? cluster_reply::kind::moved : cluster_reply::kind::ask;
  r.slot = *slot;
  r.to = std::move(*to);
  return r;
}

std::optional<slot_table> parse_cluster_slots(const resp_value& reply, const redis_address& asked) {
  if (reply.type != resp_value::kind::array) return std::nullopt;
  slot_table t;
  for (const auto& range : reply.elements) {
    // [first, last, [host, port, id, ...] of the primary, the replicas' ...]
    if (range.type != resp_value::kind::array || range.elements.size() < 3) return std::nullopt;
    const auto& first = range.elements[0];
    const auto& last = range.elements[1];
    const auto& node = range.elements[2];
    if (first.type != resp_value::kind::integer || last.type != resp_value::kind::integer ||
        node.type != resp_value::kind::array || node.elements.size() < 2 ||
        node.elements[1].type != resp_value::kind::integer || first.integer < 0 ||
        last.integer >= static_cast<std::int64_t>(cluster_slot_count) ||
        first.integer > last.integer) {
      return std::nullopt;
    }
    redis_address at{node.elements[0].str, static_cast<std::uint16_t>(node.elements[1].integer)};
    if (at.host.empty()) at.host = asked.host;     // the node asked does not know its own address
    if (at.host == "?" || at.port == 0) continue;  // an endpoint the node cannot name
    auto found = std::find(t.primaries.begin(), t.primaries.end(), at);
    if (found == t.primaries.end()) {
      t.primaries.push_back(at);
      found = std::prev(t.primaries.end());
    }
    const auto index = static_cast<std::int16_t>(found - t.primaries.begin());
    std::fill(t.owner.begin() + first.integer, t.owner.begin() + last.integer + 1, index);
  }
  return t;
}

}  // namespace ticketd::daemon
