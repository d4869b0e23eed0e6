// Every seed and regression input under fuzz/ goes through the fuzz targets again: none may
// crash, hang or break a property they check (fuzz/README.md), with g++ as with clang.
#include "fuzz/targets.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace ticketd::fuzz {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> inputs_of(std::string_view target) {
  std::vector<fs::path> out;
  for (const std::string_view folder : {"corpus", "regressions"}) {
    const auto dir = fs::path(TICKETD_SOURCE_DIR) / "fuzz" / folder / target;
    if (!fs::is_directory(dir)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      if (entry.is_regular_file()) out.push_back(entry.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

void replay(std::string_view target, int (*run)(const std::uint8_t*, std::size_t)) {
  const auto inputs = inputs_of(target);
  ASSERT_FALSE(inputs.empty()) << "no inputs under fuzz/*/" << target;
  for (const auto& path : inputs) {
    std::ifstream in(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    try {
      run(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    } catch (const std::exception& e) {
      ADD_FAILURE() << path.string() << ": " << e.what();
    }
  }
}

TEST(FuzzReplay, NoRequestInputBreaksAProperty) { replay("request", fuzz_request); }

TEST(FuzzReplay, NoConfigInputBreaksAProperty) { replay("config", fuzz_config); }

}  // namespace
}  // namespace ticketd::fuzz
