// routing/ is the sans-io engine: no Asio, Beast, hiredis or prometheus-cpp includes, nothing
// from daemon/ (shared/STYLE.md "Layers"). config/ includes only yaml-cpp and the standard
// library besides itself.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

namespace {

namespace fs = std::filesystem;

std::vector<std::string> offending_includes(const fs::path& folder, const std::regex& forbidden) {
  std::vector<std::string> out;
  const std::regex include(R"(^\s*#\s*include\s*[<"]([^>"]+)[>"])");
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    const auto ext = entry.path().extension();
    if (ext != ".hpp" && ext != ".cpp" && ext != ".h") continue;
    std::ifstream in(entry.path());
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      std::smatch m;
      if (std::regex_search(line, m, include) && std::regex_search(m[1].str(), forbidden)) {
        out.push_back(entry.path().string() + ":" + std::to_string(n) + ": " + m[1].str());
      }
    }
  }
  return out;
}

TEST(Layering, RoutingIncludesNoIoLibraryAndNothingFromDaemon) {
  const auto bad =
      offending_includes(fs::path(TICKETD_SOURCE_DIR) / "routing",
                         std::regex(R"(^(boost/asio|boost/beast|hiredis|prometheus|daemon/))"));
  EXPECT_TRUE(bad.empty()) << bad.front();
}

TEST(Layering, ConfigIncludesOnlyYamlCppAndItself) {
  const auto bad =
      offending_includes(fs::path(TICKETD_SOURCE_DIR) / "config",
                         std::regex(R"(^(boost/|hiredis|prometheus|routing/|daemon/))"));
  EXPECT_TRUE(bad.empty()) << bad.front();
}

}  // namespace
