// docs/openapi.yaml against the daemon itself: every operation it describes is one the daemon
// serves, every route the daemon serves is described, and its error codes are the API's.
// (That it is valid OpenAPI 3.1 is tests/ops/openapi_test.sh's part.)
#include <yaml-cpp/yaml.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "daemon/api/routes.hpp"
#include "routing/errors.hpp"

namespace ticketd::daemon::api {
namespace {

YAML::Node spec() {
  return YAML::LoadFile((std::filesystem::path{TICKETD_SOURCE_DIR} / "docs/openapi.yaml").string());
}

// A path template with each parameter given a value the daemon's routes take.
std::string concrete(const std::string& path) {
  static const std::map<std::string, std::string> values{
      {"{id}", "T-1"}, {"{action}", "accept"}, {"{name}", "general"}};
  std::string out = path;
  for (const auto& [param, value] : values) {
    for (auto at = out.find(param); at != std::string::npos; at = out.find(param)) {
      out.replace(at, param.size(), value);
    }
  }
  return out;
}

TEST(OpenApi, DescribesEveryRouteTheDaemonServesAndNoOther) {
  static const std::map<std::string, http_method> methods{{"get", http_method::get},
                                                          {"post", http_method::post},
                                                          {"put", http_method::put},
                                                          {"patch", http_method::patch},
                                                          {"delete", http_method::del}};
  static const std::set<std::string> not_operations{"summary", "description", "parameters",
                                                    "servers"};
  const auto doc = spec();
  ASSERT_TRUE(doc["paths"].IsMap());
  std::set<route_id> described;
  for (const auto& item : doc["paths"]) {
    const auto path = item.first.as<std::string>();
    const auto target = concrete(path);
    EXPECT_EQ(target.find('{'), std::string::npos) << path << ": a parameter no route has";
    for (const auto& op : item.second) {
      const auto key = op.first.as<std::string>();
      if (not_operations.contains(key)) continue;
      const auto method = methods.find(key);
      if (method == methods.end()) {
        ADD_FAILURE() << key << " " << path << ": the daemon serves no " << key;
        continue;
      }
      const auto m = match_route(method->second, target);
      EXPECT_NE(m.route, route_id::not_found) << key << " " << path;
      EXPECT_NE(m.route, route_id::method_not_allowed) << key << " " << path;
      EXPECT_TRUE(op.second["operationId"].IsScalar()) << key << " " << path;
      described.insert(m.route);
    }
  }
  for (std::size_t i = 0; i < route_count; ++i) {
    const auto r = static_cast<route_id>(i);
    if (r == route_id::not_found || r == route_id::method_not_allowed || r == route_id::preflight) {
      continue;
    }
    EXPECT_TRUE(described.contains(r)) << route_label(r) << " is not in docs/openapi.yaml";
  }
}

TEST(OpenApi, ItsErrorCodesAreTheOnesTheApiAnswers) {
  // Every enum of the document that holds an error code lists all of them and nothing else
  // (`stale` alone never leaves the daemon: it is retried).
  std::set<std::string> codes;
  for (auto c :
       {routing::errc::invalid_argument, routing::errc::unauthenticated, routing::errc::forbidden,
        routing::errc::not_found, routing::errc::invalid_transition,
        routing::errc::capacity_exceeded, routing::errc::conflict, routing::errc::version_mismatch,
        routing::errc::idempotency_conflict, routing::errc::payload_too_large,
        routing::errc::unavailable, routing::errc::unconfigured, routing::errc::internal}) {
    codes.insert(std::string{routing::code_name(c)});
  }
  std::size_t enums = 0;
  std::function<void(const YAML::Node&)> walk = [&](const YAML::Node& n) {
    if (n.IsMap()) {
      if (n["enum"] && n["enum"].IsSequence()) {
        std::set<std::string> listed;
        for (const auto& v : n["enum"]) listed.insert(v.as<std::string>());
        if (listed.contains("invalid_argument")) {
          ++enums;
          EXPECT_EQ(listed, codes);
        }
      }
      for (const auto& kv : n) walk(kv.second);
    } else if (n.IsSequence()) {
      for (const auto& v : n) walk(v);
    }
  };
  walk(spec());
  EXPECT_GE(enums, 1u) << "no enum of error codes in docs/openapi.yaml";
}

}  // namespace
}  // namespace ticketd::daemon::api
