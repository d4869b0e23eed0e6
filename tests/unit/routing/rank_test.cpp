#include "routing/rank.hpp"

#include <gtest/gtest.h>

#include <cstdint>

#include "tests/unit/routing/test_support.hpp"

namespace ticketd::routing {
namespace {

using test::day_ms;
using test::hour_ms;
using test::t0;

TEST(ComputeRank, ZeroWaitWeightIsTheDueTime) {
  EXPECT_EQ(compute_rank(t0 + hour_ms, t0, 0.0, 0), t0 + hour_ms);
  EXPECT_EQ(compute_rank(t0 + 7 * day_ms, t0 - 5 * day_ms, 0.0, 0), t0 + 7 * day_ms);
  // An overdue ticket keeps its (past) deadline.
  EXPECT_EQ(compute_rank(t0 - hour_ms, t0, 0.0, 0), t0 - hour_ms);
}

TEST(ComputeRank, IsTheWeightedMeanOfDueAndEnqueue) {
  // (due + w * enqueued) / (1 + w) with w = 1: halfway.
  EXPECT_EQ(compute_rank(t0 + 2 * hour_ms, t0, 1.0, 0), t0 + hour_ms);
  // w = 3: a quarter of the way from enqueue to due.
  EXPECT_EQ(compute_rank(t0 + 4 * hour_ms, t0, 3.0, 0), t0 + hour_ms);
}

TEST(ComputeRank, LargeWaitWeightApproachesFifo) {
  const std::int64_t rank = compute_rank(t0 + 3 * day_ms, t0, 1e9, 0);
  EXPECT_GE(rank, t0);
  EXPECT_LE(rank, t0 + 1);
  // Whatever the deadlines, the rank stays within (due - enqueued) / (1 + w) of the enqueue.
  EXPECT_NEAR(static_cast<double>(compute_rank(t0 + 7 * day_ms, t0, 1e6, 0) - t0),
              7.0 * day_ms / (1 + 1e6), 1.0);
}

TEST(ComputeRank, OffsetIsAdded) {
  EXPECT_EQ(compute_rank(t0 + hour_ms, t0, 0.0, 60'000), t0 + hour_ms + 60'000);
  EXPECT_EQ(compute_rank(t0 + hour_ms, t0, 0.0, -60'000), t0 + hour_ms - 60'000);
  EXPECT_EQ(compute_rank(t0 + 2 * hour_ms, t0, 1.0, -500), t0 + hour_ms - 500);
}

TEST(ComputeRank, UrgentTicketCreatedLaterGoesFirstUnderEdf) {
  const std::int64_t low_enqueued = t0;
  const std::int64_t urgent_enqueued = t0 + 2 * hour_ms;
  const std::int64_t low = compute_rank(low_enqueued + 7 * day_ms, low_enqueued, 0.0, 0);
  const std::int64_t urgent = compute_rank(urgent_enqueued + hour_ms, urgent_enqueued, 0.0, 0);
  EXPECT_LT(urgent, low);
}

TEST(ComputeRank, OlderTicketGoesFirstUnderLargeWaitWeight) {
  const std::int64_t low_enqueued = t0;
  const std::int64_t urgent_enqueued = t0 + 2 * hour_ms;
  const double w = 1000.0;
  const std::int64_t low = compute_rank(low_enqueued + 7 * day_ms, low_enqueued, w, 0);
  const std::int64_t urgent = compute_rank(urgent_enqueued + hour_ms, urgent_enqueued, w, 0);
  EXPECT_LT(low, urgent);
}

TEST(ComputeRank, RoundsToTheNearestMillisecondHalfAwayFromEnqueue) {
  // lead 1/3 -> 0, 2/3 -> 1, 1/2 -> 1, -1/2 -> -1, -2/3 -> -1, -1/3 -> 0.
  EXPECT_EQ(compute_rank(t0 + 1, t0, 2.0, 0), t0);
  EXPECT_EQ(compute_rank(t0 + 2, t0, 2.0, 0), t0 + 1);
  EXPECT_EQ(compute_rank(t0 + 1, t0, 1.0, 0), t0 + 1);
  EXPECT_EQ(compute_rank(t0 - 1, t0, 1.0, 0), t0 - 1);
  EXPECT_EQ(compute_rank(t0 - 2, t0, 2.0, 0), t0 - 1);
  EXPECT_EQ(compute_rank(t0 - 1, t0, 2.0, 0), t0);
}

TEST(ComputeRank, KeepsMillisecondPrecisionNearTheLargestRank) {
  const std::int64_t enqueued = max_rank - 1'000'000;
  EXPECT_EQ(compute_rank(enqueued + 3, enqueued, 2.0, 0), enqueued + 1);
  EXPECT_EQ(compute_rank(enqueued + 9, enqueued, 2.0, 7), enqueued + 3 + 7);
  EXPECT_EQ(compute_rank(enqueued + 1, enqueued, 0.0, 0), enqueued + 1);
}

TEST(ComputeRank, StaysWithinTheRangeWhoseScoresAreExact) {
  EXPECT_EQ(compute_rank(t0, t0, 0.0, -2 * t0), 0);
  EXPECT_EQ(compute_rank(max_rank + day_ms, t0, 0.0, 0), max_rank);
  EXPECT_EQ(compute_rank(t0, t0, 0.0, max_rank), max_rank);
}

TEST(QueueScore, KeepsRankAndEnqueueOrderExactUpToTheLargestRank) {
  for (const std::int64_t rank : {std::int64_t{0}, t0, max_rank}) {
    // The functions append the enqueue counter's three digits to the rank.
    const double first = score_of_rank(rank) + 1;
    const double last = score_of_rank(rank) + 999;
    EXPECT_LT(first, last) << rank;
    EXPECT_LT(last, score_of_rank(rank + 1)) << rank;
    EXPECT_EQ(rank_of_score(first), rank);
    EXPECT_EQ(rank_of_score(last), rank);
  }
}

TEST(ComputeRank, IsUsableAtCompileTime) {
  static_assert(compute_rank(1000, 0, 1.0, 0) == 500);
  static_assert(compute_rank(1000, 0, 0.0, 5) == 1005);
  SUCCEED();
}

}  // namespace
}  // namespace ticketd::routing
