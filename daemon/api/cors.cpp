#include "daemon/api/cors.hpp"

#include <algorithm>
#include <cctype>

namespace ticketd::daemon::api {

namespace {

bool same_text(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

bool origin_listed(const std::vector<std::string>& allowed, std::string_view origin) {
  return std::any_of(allowed.begin(), allowed.end(),
                     [&](const std::string& listed) { return same_text(listed, origin); });
}

bool origin_may_act(const std::vector<std::string>& allowed, std::string_view origin,
                    std::string_view host) {
  if (origin.empty() || origin_listed(allowed, origin)) return true;
  const auto scheme_end = origin.find("://");
  if (scheme_end == std::string_view::npos || host.empty()) return false;
  const auto scheme = origin.substr(0, scheme_end);
  const std::string_view default_port = same_text(scheme, "https")  ? ":443"
                                        : same_text(scheme, "http") ? ":80"
                                                                    : "";
  // A Host may name the scheme's default port that an origin leaves out.
  if (!default_port.empty() && host.ends_with(default_port)) {
    host.remove_suffix(default_port.size());
  }
  return same_text(origin.substr(scheme_end + 3), host);
}

}  // namespace ticketd::daemon::api
