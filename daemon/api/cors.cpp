#include "daemon/api/cors.hpp"

#include <algorithm>

#include "config/units.hpp"

namespace ticketd::daemon::api {

using config::iequals;

bool origin_listed(const std::vector<std::string>& allowed, std::string_view origin) {
  return std::any_of(allowed.begin(), allowed.end(),
                     [&](const std::string& listed) { return iequals(listed, origin); });
}

bool origin_may_act(const std::vector<std::string>& allowed, std::string_view origin,
                    std::string_view host) {
  if (origin.empty() || origin_listed(allowed, origin)) return true;
  const auto scheme_end = origin.find("://");
  if (scheme_end == std::string_view::npos || host.empty()) return false;
  const auto scheme = origin.substr(0, scheme_end);
  const std::string_view default_port = iequals(scheme, "https")  ? ":443"
                                        : iequals(scheme, "http") ? ":80"
                                                                  : "";
  // A Host may name the scheme's default port that an origin leaves out.
  if (!default_port.empty() && host.ends_with(default_port)) {
    host.remove_suffix(default_port.size());
  }
  return iequals(origin.substr(scheme_end + 3), host);
}

}  // namespace ticketd::daemon::api
