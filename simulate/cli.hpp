// `ticketd simulate ...`: its command line, the run, the report (docs/design.md "Simulation").
#pragma once

#include <span>
#include <string_view>

namespace ticketd::simulate {

// `args` excludes `ticketd simulate`. Exit status: 0 done, 1 the run failed, 2 bad arguments,
// configuration or workload (every error printed), 130 stopped by SIGINT or SIGTERM.
int main(std::span<const std::string_view> args);

}  // namespace ticketd::simulate
