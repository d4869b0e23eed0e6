// The virtual-deadline rank of DESIGN.md ("Order"): lower goes first, comparable across queues.
#pragma once

#include <cstdint>

namespace ticketd::routing {

// rank = (due + w * enqueued) / (1 + w) + offset, in epoch milliseconds, rounded to the
// nearest millisecond. w = 0 is earliest-deadline-first; a large w approaches FIFO.
// Written as enqueued + (due - enqueued) / (1 + w) so large epochs keep their precision.
constexpr std::int64_t compute_rank(std::int64_t due_ms, std::int64_t enqueued_ms,
                                    double wait_weight, std::int64_t offset_ms) {
  const double lead = static_cast<double>(due_ms - enqueued_ms) / (1.0 + wait_weight);
  const double rounded = lead >= 0 ? lead + 0.5 : lead - 0.5;
  return enqueued_ms + static_cast<std::int64_t>(rounded) + offset_ms;
}

}  // namespace ticketd::routing
