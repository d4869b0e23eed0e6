// How a Redis request can fail, and what a connection reports to whoever counts (the metrics).
// Plain values: no Asio, so the metrics need not include the client.
#pragma once

#include <chrono>
#include <type_traits>

#include <boost/system/error_code.hpp>

namespace ticketd::daemon {

enum class redis_errc {
  unavailable = 1,  // not connected: never sent
  timeout,          // written, and no reply within the request's deadline: it may have run
  overloaded,       // too many requests waiting on this connection: never sent
  protocol,         // Redis sent something the parser rejects
  dropped,          // written, and the connection dropped before its reply: it may have run
  expired,          // its deadline passed before it could be written: never sent
  no_replicas,      // a write refused for want of replicas (min-replicas-to-write): nothing ran
};
const boost::system::error_category& redis_category();
boost::system::error_code make_error_code(redis_errc e);

// Whether a request that failed this way reached Redis, so that it may have run.
bool may_have_run(const boost::system::error_code& ec);

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
