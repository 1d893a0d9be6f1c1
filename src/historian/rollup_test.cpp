#include "historian/rollup.hpp"

#include <gtest/gtest.h>

namespace weir::historian {
namespace {

TEST(Rollup, BucketsCloseWhenTheNextOneStarts) {
  RollupAccumulator acc;
  std::vector<RollupAccumulator::Closed> closed;
  acc.add(1'000, 5, closed);
  acc.add(1'500, 9, closed);
  acc.add(1'900, 1, closed);
  EXPECT_TRUE(closed.empty());
  acc.add(2'100, 4, closed);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].level, Level::s1);
  const Bucket& b = closed[0].bucket;
  EXPECT_EQ(b.start_ms, 1'000);
  EXPECT_EQ(b.count, 3u);
  EXPECT_DOUBLE_EQ(b.sum, 15);
  EXPECT_EQ(b.first, 5);
  EXPECT_EQ(b.last, 1);
  EXPECT_EQ(b.min, 1);
  EXPECT_EQ(b.min_ms, 1'900);
  EXPECT_EQ(b.max, 9);
  EXPECT_EQ(b.max_ms, 1'500);
  closed.clear();
  acc.add(60'000, 7, closed);  // closes the 1 s and the 1 min buckets
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_EQ(closed[1].level, Level::m1);
  EXPECT_EQ(closed[1].bucket.count, 4u);
  EXPECT_EQ(closed[1].bucket.max, 9);
  std::vector<RollupAccumulator::Closed> open;
  acc.take_open(open);
  EXPECT_EQ(open.size(), 3u);
}

TEST(Rollup, NegativeTimesFloorDown) {
  RollupAccumulator acc;
  std::vector<RollupAccumulator::Closed> closed;
  acc.add(-1, 1, closed);
  EXPECT_EQ(acc.open(Level::s1)->start_ms, -1000);
}

TEST(Rollup, CoarsestLevelWithEnoughBuckets) {
  const std::int64_t day = 86'400'000;
  EXPECT_EQ(choose_level(0, 100 * day, 1000), Level::h1);  // 2400 hours
  EXPECT_EQ(choose_level(0, day, 1000), Level::m1);        // 1440 minutes, 24 hours
  EXPECT_EQ(choose_level(0, 3'600'000, 1000), Level::s1);  // 3600 s, 60 min
  EXPECT_EQ(choose_level(0, 600'000, 1000), Level::raw);   // 600 s
  EXPECT_EQ(choose_level(0, 1'000'000, 1000), Level::s1);  // exactly 1000 s
}

TEST(Rollup, RegroupKeepsSpikes) {
  // One hour of 1 s buckets, a spike in one of them; 10 output buckets.
  std::vector<Bucket> in;
  for (int s = 0; s < 3600; ++s) {
    Bucket b;
    b.start_ms = s * 1000;
    b.add(s * 1000 + 500, s == 1234 ? 1e6 : 1.0);
    in.push_back(b);
  }
  const auto width = output_width(0, 3'600'000, 10);
  EXPECT_EQ(width, 360'000);
  auto out = regroup(in, 0, 3'600'000, width);
  ASSERT_EQ(out.size(), 10u);
  EXPECT_EQ(out[3].max, 1e6);
  EXPECT_EQ(out[3].max_ms, 1'234'500);
  EXPECT_EQ(out[3].count, 360u);
  EXPECT_EQ(out[0].max, 1.0);
  auto points = m4_points(out);
  bool spike = false;
  for (const auto& p : points) spike = spike || (p.value == 1e6 && p.ms == 1'234'500);
  EXPECT_TRUE(spike);
  EXPECT_LE(points.size(), 40u);
}

TEST(Rollup, SamplesIntoBucketsSkipsTextAndOutOfRange) {
  std::vector<Sample> in{
      {-5, -5, 1.0},  {0, 0, 2.0},    {10, 10, std::string("x")}, {15, 15, std::int64_t{7}},
      {20, 20, true}, {100, 100, 9.0}};
  auto out = bucket_samples(in, 0, 100, 10);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].start_ms, 0);
  EXPECT_EQ(out[0].count, 1u);
  EXPECT_EQ(out[1].start_ms, 10);
  EXPECT_EQ(out[1].count, 1u);
  EXPECT_EQ(out[1].max, 7);
  EXPECT_EQ(out[2].max, 1);
}

}  // namespace
}  // namespace weir::historian
