#include "demo/shared/simulated_sensor.hpp"

#include <gtest/gtest.h>

namespace weir::devices {
namespace {

TEST(SimulatedSensor, SameSeedSameReadings) {
  SimulatedSensor a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 50; ++i) {
    const auto ra = a.next(), rb = b.next(), rc = c.next();
    EXPECT_EQ(encode_reading(ra), encode_reading(rb)) << i;
    differs |= encode_reading(ra) != encode_reading(rc);
  }
  EXPECT_TRUE(differs);
}

TEST(SimulatedSensor, DriftsAcrossTheThresholdBothWays) {
  for (std::uint64_t seed : std::initializer_list<std::uint64_t>{1ull, 7ull, seed_from_id("esp32"),
                                                                 seed_from_id("raspberry")}) {
    SimulatedSensor s(seed);
    int over = 0, under = 0, crossings = 0;
    bool last = false;
    for (int i = 0; i < 100; ++i) {
      const SensorReading r = s.next();
      EXPECT_EQ(r.over_threshold, r.temperature > r.threshold);
      EXPECT_DOUBLE_EQ(r.threshold, 28.0);
      EXPECT_EQ(r.unit, "C");
      EXPECT_GT(r.temperature, 20.0);
      EXPECT_LT(r.temperature, 33.0);
      EXPECT_GE(r.humidity, 0.0);
      EXPECT_LE(r.humidity, 100.0);
      (r.over_threshold ? over : under)++;
      if (i > 0 && r.over_threshold != last) ++crossings;
      last = r.over_threshold;
    }
    EXPECT_GT(over, 5) << seed;
    EXPECT_GT(under, 30) << seed;
    EXPECT_GE(crossings, 4) << seed;  // "now and then": several times in 100 samples
  }
}

TEST(SimulatedSensor, ProfileSetsThresholdAndUnit) {
  SensorProfile p;
  p.threshold = 80;
  p.base_temperature = 78;
  p.unit = "F";
  SimulatedSensor s(3, p);
  const auto r = s.next();
  EXPECT_DOUBLE_EQ(r.threshold, 80);
  EXPECT_EQ(r.unit, "F");
  EXPECT_NE(seed_from_id("esp32"), seed_from_id("raspberry"));
}

}  // namespace
}  // namespace weir::devices
