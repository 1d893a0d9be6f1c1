#include "datapoint/datapoint_service.hpp"

#include <gtest/gtest.h>

namespace weir::datapoint {
namespace {

using model::Quality;
using model::QualityReason;
using model::Value;

config::SystemConfig load(std::string_view text) {
  auto r = config::parse_system_config(text);
  EXPECT_TRUE(r.ok()) << r.errors_text();
  return *r.config;
}

constexpr std::string_view kConfig = R"({
  "dp_types": {
    "LEVEL": {"type": "float", "min": 0, "max": 100, "default": 0},
    "COUNT": {"type": "int", "min": 0, "max": 10, "default": 1},
    "OC": {"type": "enum", "values": ["OPENED", "CLOSED"], "default": "CLOSED"},
    "FLAG": {"type": "bool", "default": false}
  },
  "drivers": [
    {"name": "Tank", "driver_class": "TankTestDriver",
     "datapoints": [{"name": "LEVEL", "type": "LEVEL"}, {"name": "PUMP", "type": "OC"},
                    {"name": "N", "type": "COUNT"}, {"name": "F", "type": "FLAG"},
                    {"name": "BROKEN", "type": "NOPE"}],
     "command_datapoints": [{"name": "PUMP_CMD", "type": "OC"}]},
    {"name": "Mirror", "driver_class": "OPCUAServerDriver",
     "datapoints": [{"name": "Tank@LEVEL", "type": "LEVEL"}]}
  ]})";

struct Fixture : ::testing::Test {
  ManualClock clock;
  bus::Bus bus;
  std::shared_ptr<const Registry> reg = Registry::build(load(kConfig));
  DatapointService svc{reg, bus, clock};
  std::vector<std::pair<DatapointIndex, Value>> seen;
  bus::Subscription sub = bus.subscribe<model::TagUpdate>(
      [this](const model::TagUpdate& u) { seen.emplace_back(u.index, *u.value); });

  DatapointIndex idx(std::string_view id) { return *reg->find(id); }
  Rejection put(std::string_view id, Value v, WallTime t = {}) {
    model::RawTagUpdate u;
    u.index = idx(id);
    u.value = std::move(v);
    u.source_time = t;
    return svc.apply(u);
  }
};

TEST_F(Fixture, StartsUncertainWithDefaults) {
  const auto& s = svc.state(idx("Tank@PUMP"));
  EXPECT_EQ(std::get<std::string>(s.value), "CLOSED");
  EXPECT_EQ(s.quality, Quality::uncertain);
  EXPECT_EQ(s.reason, QualityReason::initial);
  EXPECT_EQ(std::get<std::int64_t>(svc.state(idx("Tank@N")).value), 1);
}

TEST_F(Fixture, MirrorsDoNotDuplicate) {
  EXPECT_EQ(reg->size(), 6u);
  EXPECT_EQ(reg->info(idx("Tank@LEVEL")).driver, "Tank");
  EXPECT_TRUE(reg->info(idx("Tank@PUMP_CMD")).is_command);
}

TEST_F(Fixture, AcceptsValidAndPublishes) {
  EXPECT_EQ(put("Tank@LEVEL", std::int64_t{42}), Rejection::none);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(std::get<double>(seen[0].second), 42.0);  // normalised to the float type
  EXPECT_EQ(svc.state(idx("Tank@LEVEL")).quality, Quality::good);
  EXPECT_EQ(svc.accepted(), 1u);
}

TEST_F(Fixture, RejectsWithReasons) {
  EXPECT_EQ(put("Tank@LEVEL", 101.0), Rejection::out_of_range);
  EXPECT_EQ(put("Tank@LEVEL", std::string("x")), Rejection::wrong_type);
  EXPECT_EQ(put("Tank@PUMP", std::string("OPEN")), Rejection::not_in_enum);
  EXPECT_EQ(put("Tank@N", 2.5), Rejection::wrong_type);
  EXPECT_EQ(put("Tank@N", 11.0), Rejection::out_of_range);
  EXPECT_EQ(put("Tank@F", std::string("TRUE")), Rejection::wrong_type);
  EXPECT_EQ(put("Tank@BROKEN", 1.0), Rejection::config_error);
  model::RawTagUpdate u;
  u.index = 999;
  EXPECT_EQ(svc.apply(u), Rejection::unknown_datapoint);
  EXPECT_TRUE(seen.empty());
  EXPECT_EQ(svc.rejected(Rejection::out_of_range), 2u);
  ASSERT_FALSE(svc.recent_rejections().empty());
  EXPECT_NE(svc.recent_rejections().front().detail.find("outside LEVEL range [0, 100]"),
            std::string::npos)
      << svc.recent_rejections().front().detail;
}

TEST_F(Fixture, RejectsStaleUpdates) {
  WallTime t = clock.now();
  EXPECT_EQ(put("Tank@LEVEL", 10.0, t), Rejection::none);
  EXPECT_EQ(put("Tank@LEVEL", 11.0, t - std::chrono::seconds(1)), Rejection::stale);
  EXPECT_EQ(put("Tank@LEVEL", 12.0, t), Rejection::none);
  EXPECT_EQ(std::get<double>(svc.state(idx("Tank@LEVEL")).value), 12.0);
}

TEST_F(Fixture, DriverOfflineDropsQualityUntilFreshData) {
  EXPECT_EQ(put("Tank@LEVEL", 10.0), Rejection::none);
  seen.clear();
  bus.publish(model::DriverStatusChanged{"Tank", model::DriverState::offline, "", clock.now()});
  const auto& s = svc.state(idx("Tank@LEVEL"));
  EXPECT_EQ(s.quality, Quality::bad);
  EXPECT_EQ(s.reason, QualityReason::not_connected);
  EXPECT_EQ(std::get<double>(s.value), 10.0);  // the last value is kept, marked bad
  EXPECT_EQ(seen.size(), 5u);  // every datapoint of Tank (incl. PUMP_CMD) but the broken one
  bus.publish(model::DriverStatusChanged{"Tank", model::DriverState::online, "", clock.now()});
  EXPECT_EQ(svc.state(idx("Tank@LEVEL")).quality, Quality::bad);  // not good again until data
  clock.advance(std::chrono::seconds(1));
  EXPECT_EQ(put("Tank@LEVEL", 11.0), Rejection::none);
  EXPECT_EQ(svc.state(idx("Tank@LEVEL")).quality, Quality::good);
}

TEST(Registry, PythonFixtureDatapoints) {
  auto r = config::load_system_config(std::string(WEIR_FIXTURES_DIR) + "/system_config.json");
  ASSERT_TRUE(r.ok());
  auto reg = Registry::build(*r.config);
  EXPECT_TRUE(reg->find("WaterTank@TANK"));
  EXPECT_TRUE(reg->find("StressTest@DP_249"));
  EXPECT_TRUE(reg->find("CameraDriver@CAMERA_1_POSITION_CMD"));
  EXPECT_FALSE(reg->find("WaterTank@NOPE"));
}

}  // namespace
}  // namespace weir::datapoint
