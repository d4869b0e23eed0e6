// How a Redis request can fail, and what a connection reports to whoever counts (the metrics).
// Plain values: no Asio, so the metrics need not include the client.
#pragma once

#include <chrono>
#include <type_traits>

#include <boost/system/error_code.hpp>

namespace ticketd::daemon {

enum class redis_errc {
  unavailable = 1,  // not connected (or the connection dropped with the request in flight)
  timeout,          // no reply within the request deadline
  overloaded,       // too many requests in flight on this connection
  protocol,         // Redis sent something the parser rejects
};
const boost::system::error_category& redis_category();
boost::system::error_code make_error_code(redis_errc e);

// Counters and timings the connection reports (the daemon's metrics implement it).
class redis_observer {
 public:
  virtual ~redis_observer() = default;
  virtual void round_trip(std::chrono::nanoseconds elapsed) = 0;
  virtual void failed(redis_errc why) = 0;
  virtual void connection_state(bool up) = 0;
};

}  // namespace ticketd::daemon

namespace boost::system {
template <>
struct is_error_code_enum<ticketd::daemon::redis_errc> : std::true_type {};
}  // namespace boost::system
