// The bodies of the libFuzzer targets, as plain functions so the unit tests replay the seed
// corpus and every regression input under the normal build too. Sans-io, single-threaded.
// No input may crash them; a broken property (a request that does not survive its own
// re-serialization, an error that names no field) throws property_violation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>

namespace ticketd::fuzz {

struct property_violation : std::logic_error {
  using std::logic_error::logic_error;
};

// Request parsing and validation: `KIND\nREST` where KIND is a ticket action (`accept`,
// `customer-reply`, ...), `create`, `agent`, `status`, `clock`, `frame` or `http`, and REST the
// body; `http` takes `METHOD TARGET\nIF-MATCH\nBODY` and goes through route matching first.
// Any other input: its first byte picks the parser and the remaining bytes are the body.
int fuzz_request(const std::uint8_t* data, std::size_t size);

// config::load_config_text on the bytes, with a made-up environment (TICKETD_* variables
// hold distinct 16+ character secrets, nothing else is set).
int fuzz_config(const std::uint8_t* data, std::size_t size);

}  // namespace ticketd::fuzz
