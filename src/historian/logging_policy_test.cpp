#include "historian/logging_policy.hpp"

#include <gtest/gtest.h>

namespace weir::historian {
namespace {

Sample at(std::int64_t ms, model::Value v, model::Quality q = model::Quality::good) {
  return Sample{ms, ms, std::move(v), q, model::QualityReason::none};
}

TEST(LoggingPolicy, EveryChangeByDefault) {
  Recorder r;
  r.configure({Policy{}});
  EXPECT_TRUE(r.offer(0, at(0, 1.0)));
  EXPECT_FALSE(r.offer(0, at(10, 1.0)));  // same value, same quality
  EXPECT_TRUE(r.offer(0, at(20, 1.5)));
  EXPECT_TRUE(r.offer(0, at(30, 1.5, model::Quality::bad)));  // quality changed
  EXPECT_FALSE(r.offer(7, at(40, 2.0)));                      // unknown tag
}

TEST(LoggingPolicy, Deadband) {
  Recorder r;
  r.configure({Policy{true, 0.5}});
  EXPECT_TRUE(r.offer(0, at(0, 10.0)));
  EXPECT_FALSE(r.offer(0, at(1, 10.4)));
  EXPECT_FALSE(r.offer(0, at(2, 9.6)));
  EXPECT_TRUE(r.offer(0, at(3, 10.6)));
  EXPECT_FALSE(r.offer(0, at(4, 10.2)));  // measured from the last stored, 10.6
  EXPECT_TRUE(r.offer(0, at(5, 10.0)));
}

TEST(LoggingPolicy, MinimumIntervalKeepsTheLatestForLater) {
  Recorder r;
  r.configure({Policy{true, 0, 1000, 0}});
  std::vector<Recorder::Out> out;
  EXPECT_TRUE(r.offer(0, at(0, 1.0)));
  EXPECT_FALSE(r.offer(0, at(100, 2.0)));
  EXPECT_FALSE(r.offer(0, at(200, 3.0)));
  r.tick(900, out);
  EXPECT_TRUE(out.empty());
  r.tick(1000, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].sample.value, model::Value(3.0));
  EXPECT_EQ(out[0].sample.source_ms, 200);
  out.clear();
  r.tick(5000, out);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(r.offer(0, at(5000, 4.0)));
}

TEST(LoggingPolicy, MaximumIntervalRepeatsTheValue) {
  Recorder r;
  r.configure({Policy{true, 0, 0, 10'000}, Policy{false}});
  std::vector<Recorder::Out> out;
  EXPECT_TRUE(r.offer(0, at(0, 1.0)));
  EXPECT_FALSE(r.offer(1, at(0, 1.0)));  // not recorded
  r.tick(9'999, out);
  EXPECT_TRUE(out.empty());
  r.tick(10'000, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].sample.source_ms, 10'000);
  EXPECT_EQ(out[0].sample.value, model::Value(1.0));
  out.clear();
  r.tick(15'000, out);
  EXPECT_TRUE(out.empty());
  r.tick(20'000, out);
  EXPECT_EQ(out.size(), 1u);
}

}  // namespace
}  // namespace weir::historian
