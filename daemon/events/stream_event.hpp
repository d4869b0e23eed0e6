// Events of the workspace stream (Redis XADD by the functions) as the daemon delivers them:
// decoding XRANGE/XREAD entries, who an event concerns, and the JSON the feeds send. Sans-io.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "routing/resp.hpp"

namespace ticketd::daemon {

struct stream_event {
  std::string id;  // the stream id, "<ms>-<seq>"
  std::string type;
  std::vector<std::pair<std::string, std::string>> fields;  // in stream order, without `type`

  std::string_view field(std::string_view name) const;
};

// The entries of an XRANGE reply ([[id, [field, value, ...]], ...]), in either form the library
// writes (routing/lua/include/events.lua); entries of another shape are skipped.
std::vector<stream_event> decode_entries(const routing::resp_value& entries);
// The entries of an XREAD reply for one stream ([[key, entries]] or nil).
std::vector<stream_event> decode_xread(const routing::resp_value& reply);

// The newest entry of stream `key` (XREVRANGE key + - COUNT 1), and its id from that reply,
// "0-0" when there is none: where a reader that wants only what comes next starts.
routing::command newest_entry_query(std::string_view key);
std::string newest_stream_id(const routing::resp_value& xrevrange_reply);

// A stream id as two numbers, for ordering; nullopt when `id` is not one.
std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_stream_id(std::string_view id);

// The agents an event concerns: the one it names (`agent`) and the one it took a ticket from
// (`holder`, or `from` of a reassignment). At most two, without duplicates or empties.
std::vector<std::string_view> agents_of(const stream_event& e);

// The event's data object (API.md "Queues and events"): its fields, times as RFC 3339, counts
// as numbers. `with_header` adds "type" and "id" (the WebSocket frame form).
std::string event_data_json(const stream_event& e, bool with_header);

// One Server-Sent Events record: `id:`, `event:`, `data:`, blank line.
std::string sse_record(const stream_event& e);

}  // namespace ticketd::daemon
