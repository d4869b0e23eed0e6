// libFuzzer entry point: loading a YAML configuration (fuzz/targets.hpp).
#include <cstddef>
#include <cstdint>

#include "fuzz/targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return ticketd::fuzz::fuzz_config(data, size);
}
