// The HTTP/1.1 server: one acceptor, connections spread over the worker io_contexts, one
// coroutine per connection with keep-alive. Bounded: header and body size, read and idle
// timeouts, connection count. stop() stops accepting, lets in-flight requests finish and
// closes idle connections.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>

#include "config/config.hpp"
#include "daemon/async/supervisor.hpp"
#include "daemon/transport/http_types.hpp"

namespace ticketd::daemon {

class http_server {
 public:
  // `supervisor`: where the accept loop reports an unexpected failure (nullptr: logged only).
  http_server(std::vector<boost::asio::io_context*> workers, config::server_config settings,
              http_handler& handler, task_supervisor* supervisor = nullptr);
  ~http_server();

  // Binds and listens; the port actually bound (listen port 0 picks a free one).
  boost::system::error_code listen(const config::listen_address& address, std::uint16_t& bound);
  void start();
  void stop();

  std::size_t open_connections() const;
  // Read and not yet fully answered (what a graceful shutdown waits for).
  std::size_t requests_in_flight() const;
  // Read and still being handled: the ticketd_http_requests_in_flight gauge.
  std::size_t requests_in_handler() const;
  // Agent streams and event feeds still open (closing ones included).
  std::size_t streams_open() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace ticketd::daemon
