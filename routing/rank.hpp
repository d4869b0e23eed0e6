// The virtual-deadline rank of DESIGN.md ("Order"): lower goes first, comparable across queues.
#pragma once

#include <algorithm>
#include <cstdint>

namespace ticketd::routing {

// A queue's sorted-set score is rank * score_scale + k, k (0..999) counting enqueues so equal
// ranks keep their order (routing/lua/include/waiting.lua score_of). Ranks stay within
// [0, max_rank] so every score is an exact double (below 2^53): max_rank is in the year 2255.
constexpr std::int64_t score_scale = 1000;
constexpr std::int64_t max_rank = 9'000'000'000'000;

// A rank moved into [0, max_rank].
constexpr std::int64_t clamp_rank(std::int64_t rank) {
  return std::clamp(rank, std::int64_t{0}, max_rank);
}

// The rank a queue score stands for.
constexpr std::int64_t rank_of_score(double score) {
  return static_cast<std::int64_t>(score) / score_scale;
}

// The score of a rank before its enqueue counter is added.
constexpr double score_of_rank(std::int64_t rank) {
  return static_cast<double>(rank * score_scale);
}

// rank = (due + w * enqueued) / (1 + w) + offset, in epoch milliseconds, rounded to the
// nearest millisecond. w = 0 is earliest-deadline-first; a large w approaches FIFO.
// Written as enqueued + (due - enqueued) / (1 + w) so large epochs keep their precision.
// Clamped into [0, max_rank] (see score_scale).
constexpr std::int64_t compute_rank(std::int64_t due_ms, std::int64_t enqueued_ms,
                                    double wait_weight, std::int64_t offset_ms) {
  const double lead = static_cast<double>(due_ms - enqueued_ms) / (1.0 + wait_weight);
  const double rounded = lead >= 0 ? lead + 0.5 : lead - 0.5;
  return clamp_rank(enqueued_ms + static_cast<std::int64_t>(rounded) + offset_ms);
}

}  // namespace ticketd::routing
