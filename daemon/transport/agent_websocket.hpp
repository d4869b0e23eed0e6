// The WebSocket side of an agent stream: the handshake, a bounded outbox drained by one writer,
// and a reader passing the agent's frames to its channel. The only translation unit that
// includes Beast's WebSocket.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "daemon/transport/http_types.hpp"

namespace ticketd::daemon {

// Runs the stream until either side closes. `on_stop` is set to a function that closes it (the
// server calls it when stopping). `owner` keeps `stream` alive as long as the stream's writer
// may still run.
boost::asio::awaitable<void> run_agent_websocket(
    boost::beast::tcp_stream& stream,
    boost::beast::http::request<boost::beast::http::string_body> request,
    std::shared_ptr<agent_channel> channel, std::size_t outbox_limit,
    std::function<void()>& on_stop, std::shared_ptr<void> owner);

}  // namespace ticketd::daemon
