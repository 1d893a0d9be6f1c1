#include "core/backoff.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace weir {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, DoublesUpToTheCapAndResets) {
  Backoff b(milliseconds(500), milliseconds(3000));
  EXPECT_EQ(b.next_delay(), milliseconds(500));
  EXPECT_EQ(b.next_delay(), milliseconds(1000));
  EXPECT_EQ(b.next_delay(), milliseconds(2000));
  EXPECT_EQ(b.next_delay(), milliseconds(3000));
  EXPECT_EQ(b.next_delay(), milliseconds(3000));
  b.reset();
  EXPECT_EQ(b.next_delay(), milliseconds(500));
  EXPECT_EQ(b.next_delay(), milliseconds(1000));
}

TEST(Backoff, DegenerateBounds) {
  Backoff low_cap(milliseconds(500), milliseconds(100));  // the cap is at least the start
  EXPECT_EQ(low_cap.next_delay(), milliseconds(500));
  EXPECT_EQ(low_cap.next_delay(), milliseconds(500));
  Backoff zero(milliseconds(0), milliseconds(4));  // zero would never grow
  EXPECT_EQ(zero.next_delay(), milliseconds(1));
  EXPECT_EQ(zero.next_delay(), milliseconds(2));
  EXPECT_EQ(zero.next_delay(), milliseconds(4));
  Backoff huge(milliseconds(1), milliseconds::max());  // doubling never overflows
  for (int i = 0; i < 100; ++i) EXPECT_GT(huge.next_delay().count(), 0);
  EXPECT_EQ(huge.next_delay(), milliseconds::max());
}

TEST(Backoff, JitterShortensByTheInjectedFraction) {
  std::vector<double> draws = {0.0, 0.5, 0.75, 0.5};
  std::size_t i = 0;
  Backoff b(milliseconds(1000), milliseconds(4000), 0.5, [&] { return draws[i++]; });
  EXPECT_EQ(b.next_delay(), milliseconds(1000));  // 1000 - 1000 * 0.5 * 0
  EXPECT_EQ(b.next_delay(), milliseconds(1500));  // 2000 - 2000 * 0.5 * 0.5
  EXPECT_EQ(b.next_delay(), milliseconds(2500));  // 4000 - 4000 * 0.5 * 0.75
  b.reset();
  EXPECT_EQ(b.next_delay(), milliseconds(750));  // the jitter does not change the schedule
  EXPECT_EQ(i, draws.size());
}

TEST(Backoff, JitterNeedsASource) {
  Backoff b(milliseconds(100), milliseconds(400), 0.5, nullptr);  // no source: no jitter
  EXPECT_EQ(b.next_delay(), milliseconds(100));
  Backoff full(milliseconds(100), milliseconds(400), 7.0, [] { return 0.999; });  // j <= 1
  EXPECT_EQ(full.next_delay(), milliseconds(1));
}

}  // namespace
}  // namespace weir
