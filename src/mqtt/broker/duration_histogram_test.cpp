#include "mqtt/broker/duration_histogram.hpp"

#include <gtest/gtest.h>

namespace weir::mqtt {
namespace {

using namespace std::chrono_literals;

TEST(DurationHistogram, CountsCumulativeBucketsSumAndMax) {
  DurationHistogram h;
  h.record(30us);  // <= 50 µs
  h.record(50us);  // <= 50 µs (bounds are inclusive)
  h.record(3ms);   // <= 5 ms
  h.record(70ms);  // <= 100 ms
  h.record(2s);    // +Inf only
  h.record(-1us);  // a clock step back counts as 0
  EXPECT_EQ(h.count(), 6u);
  EXPECT_EQ(h.at_or_below(0), 3u);   // 50 µs
  EXPECT_EQ(h.at_or_below(5), 3u);   // 2.5 ms
  EXPECT_EQ(h.at_or_below(6), 4u);   // 5 ms
  EXPECT_EQ(h.at_or_below(10), 5u);  // 100 ms
  EXPECT_EQ(h.at_or_below(12), 5u);  // 1 s
  EXPECT_DOUBLE_EQ(h.max_seconds(), 2.0);
  EXPECT_NEAR(h.sum_seconds(), 2.07308, 1e-9);
}

TEST(DurationHistogram, WeightedValuesAndQuantileBounds) {
  DurationHistogram h;
  EXPECT_EQ(h.quantile_bound_seconds(0.5), 0.0);  // empty
  h.record(40us, 98);                             // a batch of 98 replies that took 40 µs
  h.record(700us);                                // <= 1 ms
  h.record(3ms);                                  // <= 5 ms
  h.record(9ms, 0);                               // no replies: nothing counted, not even the max
  EXPECT_EQ(h.count(), 100u);
  EXPECT_NEAR(h.sum_seconds(), 98 * 40e-6 + 700e-6 + 3e-3, 1e-12);
  EXPECT_NEAR(h.mean_seconds(), h.sum_seconds() / 100, 1e-15);
  EXPECT_DOUBLE_EQ(h.max_seconds(), 0.003);
  EXPECT_DOUBLE_EQ(h.quantile_bound_seconds(0.5), 50e-6);   // its bucket's bound
  EXPECT_DOUBLE_EQ(h.quantile_bound_seconds(0.98), 50e-6);  // the 98th value
  EXPECT_DOUBLE_EQ(h.quantile_bound_seconds(0.99), 1e-3);   // the 99th
  EXPECT_DOUBLE_EQ(h.quantile_bound_seconds(1.0), 0.003);   // not the 5 ms bound: the max
}

TEST(DurationHistogram, WritesAPrometheusHistogram) {
  DurationHistogram h;
  h.record(7ms);
  std::string out;
  h.write(out, "weir_x_seconds", "help text");
  EXPECT_NE(out.find("# TYPE weir_x_seconds histogram\n"), std::string::npos) << out;
  EXPECT_NE(out.find("weir_x_seconds_bucket{le=\"0.005\"} 0\n"), std::string::npos) << out;
  EXPECT_NE(out.find("weir_x_seconds_bucket{le=\"0.01\"} 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("weir_x_seconds_bucket{le=\"0.00005\"} 0\n"), std::string::npos) << out;
  EXPECT_NE(out.find("weir_x_seconds_bucket{le=\"1\"} 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("weir_x_seconds_bucket{le=\"+Inf\"} 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("weir_x_seconds_count 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("weir_x_seconds_max 0.007"), std::string::npos) << out;
}

}  // namespace
}  // namespace weir::mqtt
