#include "daemon/api/http_rules.hpp"

#include "config/units.hpp"

namespace ticketd::daemon::api {

using config::iequals;
using config::trim;

std::optional<std::string> framing_error(const request_head& head) {
  if (head.version >= 11 && head.host_fields == 0) {
    return "an HTTP/1.1 request needs a Host header";
  }
  if (head.host_fields > 1) return "a request has one Host header";
  if (head.transfer_encoding_fields == 0) return std::nullopt;
  if (head.transfer_encoding_fields > 1 || !iequals(trim(head.transfer_encoding), "chunked")) {
    return "Transfer-Encoding '" + std::string{head.transfer_encoding} +
           "' is not supported: send the body with Content-Length or chunked";
  }
  if (head.has_content_length) return "a request has Content-Length or Transfer-Encoding, not both";
  return std::nullopt;
}

std::string_view origin_form(std::string_view target) {
  const auto scheme_end = target.find("://");
  if (target.empty() || target.front() == '/' || scheme_end == std::string_view::npos) {
    return target;
  }
  const auto scheme = target.substr(0, scheme_end);
  if (!iequals(scheme, "http") && !iequals(scheme, "https")) return target;
  const auto rest = target.substr(scheme_end + 3);
  const auto path = rest.find('/');
  // `http://host` (or `http://host?q`, which has no path to put its query on): the root.
  if (path == std::string_view::npos || rest.find('?') < path) return "/";
  return rest.substr(path);
}

expectation expectation_of(std::string_view expect) {
  const auto value = trim(expect);
  if (value.empty()) return expectation::none;
  if (iequals(value, "100-continue")) return expectation::continue_100;
  return expectation::unsupported;
}

}  // namespace ticketd::daemon::api
