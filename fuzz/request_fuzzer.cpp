// libFuzzer entry point: request parsing and validation (fuzz/targets.hpp).
#include <cstddef>
#include <cstdint>

#include "fuzz/targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return ticketd::fuzz::fuzz_request(data, size);
}
