// The two streams of the API: an agent's WebSocket channel (its events out, accept/reject in,
// presence) and the Server-Sent Events feed of the workspace stream (resumable by stream id).
#pragma once

#include <memory>
#include <string>

#include "daemon/common/runtime.hpp"
#include "daemon/metrics/metrics.hpp"
#include "daemon/redis/ticket_store.hpp"
#include "daemon/service/event_feed.hpp"
#include "daemon/service/workspaces.hpp"
#include "daemon/transport/http_types.hpp"

namespace ticketd::daemon::api {

// Both keep `ws` while open.
std::shared_ptr<agent_channel> make_agent_channel(std::string agent, ticket_store& store,
                                                  std::shared_ptr<workspace> ws);

// `after`: the stream id to resume after ("0": from the oldest event held). `follow` false: the
// feed ends once a read finds nothing newer (an export), instead of waiting for more.
std::shared_ptr<event_stream> make_event_stream(std::string after, bool follow, ticket_store& store,
                                                std::shared_ptr<workspace> ws);

}  // namespace ticketd::daemon::api
