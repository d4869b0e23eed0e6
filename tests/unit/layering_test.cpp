// The layers of shared/STYLE.md, checked on every #include: routing/ is the sans-io engine (no
// I/O library, nothing from daemon/), config/ includes only yaml-cpp, and each folder of
// daemon/ includes only the folders below it and the libraries of its layer (daemon/README.md).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct include_line {
  std::string where;  // path:line
  std::string target;
};

std::vector<include_line> includes_under(const fs::path& folder) {
  std::vector<include_line> out;
  const std::regex include(R"(^\s*#\s*include\s*[<"]([^>"]+)[>"])");
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    const auto ext = entry.path().extension();
    if (ext != ".hpp" && ext != ".cpp" && ext != ".h") continue;
    std::ifstream in(entry.path());
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      std::smatch m;
      if (std::regex_search(line, m, include)) {
        out.push_back({entry.path().string() + ":" + std::to_string(n), m[1].str()});
      }
    }
  }
  return out;
}

std::vector<std::string> offending(const fs::path& folder, const std::regex& forbidden) {
  std::vector<std::string> out;
  for (const auto& inc : includes_under(folder)) {
    if (std::regex_search(inc.target, forbidden)) out.push_back(inc.where + ": " + inc.target);
  }
  return out;
}

const fs::path source_dir{TICKETD_SOURCE_DIR};

TEST(Layering, RoutingIncludesNoIoLibraryAndNothingFromDaemon) {
  const auto bad = offending(source_dir / "routing",
                             std::regex(R"(^(boost/asio|boost/beast|hiredis|prometheus|daemon/))"));
  EXPECT_TRUE(bad.empty()) << bad.front();
}

TEST(Layering, ConfigIncludesOnlyYamlCppAndItself) {
  const auto bad = offending(source_dir / "config",
                             std::regex(R"(^(boost/|hiredis|prometheus|routing/|daemon/))"));
  EXPECT_TRUE(bad.empty()) << bad.front();
}

// The simulator drives the functions itself: the daemon's request parsing and runtime, never its
// event loop or I/O.
TEST(Layering, SimulateUsesOnlyTheSansIoPartsOfTheDaemon) {
  const auto bad = offending(
      source_dir / "simulate",
      std::regex(
          R"(^(boost/asio|boost/beast|prometheus|systemd/|daemon/(async|redis|transport|metrics|service|process)/))"));
  EXPECT_TRUE(bad.empty()) << bad.front();
}

// Includes that name a library of a layer: a folder may use only the ones it lists.
const std::map<std::string, std::regex>& libraries() {
  static const std::map<std::string, std::regex> libs{
      {"asio", std::regex(R"(^boost/asio)")},  {"beast", std::regex(R"(^boost/beast)")},
      {"hiredis", std::regex(R"(^hiredis/)")}, {"prometheus", std::regex(R"(^prometheus/)")},
      {"systemd", std::regex(R"(^systemd/)")}, {"json", std::regex(R"(^boost/json)")},
  };
  return libs;
}

struct layer {
  std::vector<std::string> libraries;  // names in libraries()
  std::string project;                 // the project headers it may include (a regex)
};

// daemon/'s folders, lowest first. The sans-io ones (common, api, events) use no I/O library.
const std::map<std::string, layer>& daemon_layers() {
  static const std::map<std::string, layer> layers{
      {"common", {{}, R"(^(routing|config|daemon/common)/)"}},
      {"console", {{}, R"(^daemon/console/)"}},
      {"api", {{"json"}, R"(^(routing|config|daemon/(common|api))/)"}},
      {"events", {{"json"}, R"(^(routing|config|daemon/(common|api|events))/)"}},
      {"async", {{"asio"}, R"(^(routing|config|daemon/(common|async))/)"}},
      {"redis", {{"asio", "hiredis"}, R"(^(routing|config|daemon/(common|async|events|redis))/)"}},
      {"transport",
       {{"asio", "beast"}, R"(^(routing|config|daemon/(common|api|async|transport))/)"}},
      {"metrics",
       {{"prometheus"},
        R"(^(routing/|config/|daemon/(common|api|metrics)/|daemon/redis/redis_observer\.hpp$))"}},
      {"service",
       {{"asio", "json"},
        R"(^(routing/|config/|daemon/(common|api|async|console|events|redis|metrics|service)/|daemon/transport/http_types\.hpp$))"}},
      {"process",
       {{"asio", "systemd"},
        R"(^(routing|config|daemon/(common|api|async|events|redis|transport|metrics|service|process))/)"}},
  };
  return layers;
}

TEST(Layering, EveryDaemonFolderIsALayer) {
  for (const auto& entry : fs::directory_iterator(source_dir / "daemon")) {
    if (!entry.is_directory()) continue;
    EXPECT_TRUE(daemon_layers().contains(entry.path().filename().string()))
        << entry.path() << " is not in daemon_layers(): say what it may include";
  }
}

TEST(Layering, EachDaemonFolderIncludesOnlyItsLayersAndLibraries) {
  for (const auto& [folder, allowed] : daemon_layers()) {
    const std::regex project(allowed.project);
    for (const auto& inc : includes_under(source_dir / "daemon" / folder)) {
      const bool ours = inc.target.find('/') != std::string::npos &&
                        std::regex_search(inc.target, std::regex(R"(^(routing|config|daemon)/)"));
      if (ours) {
        EXPECT_TRUE(std::regex_search(inc.target, project))
            << inc.where << ": daemon/" << folder << " may not include " << inc.target;
        continue;
      }
      for (const auto& [name, pattern] : libraries()) {
        if (!std::regex_search(inc.target, pattern)) continue;
        EXPECT_NE(std::find(allowed.libraries.begin(), allowed.libraries.end(), name),
                  allowed.libraries.end())
            << inc.where << ": daemon/" << folder << " may not use " << name << " (" << inc.target
            << ")";
      }
    }
  }
}

// A rule that allows nothing forbidden would pass every tree: each rule must refuse something.
TEST(Layering, TheRulesRefuseWhatTheyShould) {
  const auto& layers = daemon_layers();
  EXPECT_FALSE(
      std::regex_search("daemon/redis/redis_connection.hpp", std::regex(layers.at("api").project)));
  EXPECT_FALSE(std::regex_search("daemon/transport/http_server.hpp",
                                 std::regex(layers.at("service").project)));
  EXPECT_TRUE(std::regex_search("daemon/transport/http_types.hpp",
                                std::regex(layers.at("service").project)));
  EXPECT_FALSE(std::regex_search("daemon/redis/redis_connection.hpp",
                                 std::regex(layers.at("metrics").project)));
  for (const char* sans_io : {"common", "api", "events"}) {
    const auto& libs = layers.at(sans_io).libraries;
    EXPECT_EQ(std::find(libs.begin(), libs.end(), "asio"), libs.end()) << sans_io;
  }
}

}  // namespace
