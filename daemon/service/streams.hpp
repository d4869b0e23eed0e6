// The two streams of the API: an agent's WebSocket channel (its events out, accept/reject in,
// presence) and the Server-Sent Events feed of the workspace stream (resumable by stream id).
#pragma once

#include <memory>
#include <string>

#include "daemon/common/runtime.hpp"
#include "daemon/metrics/metrics.hpp"
#include "daemon/redis/ticket_store.hpp"
#include "daemon/service/event_feed.hpp"
#include "daemon/transport/http_types.hpp"

namespace ticketd::daemon::api {

std::shared_ptr<agent_channel> make_agent_channel(std::string agent, ticket_store& store,
                                                  runtime_holder& runtime, event_hub& hub,
                                                  metrics& m);

// `after`: the stream id to resume after ("0": from the oldest event held). `follow` false: the
// feed ends once a read finds nothing newer (an export), instead of waiting for more.
std::shared_ptr<event_stream> make_event_stream(std::string after, bool follow, ticket_store& store,
                                                runtime_holder& runtime, event_hub& hub,
                                                metrics& m);

}  // namespace ticketd::daemon::api
