#include "alarm/alarm_table.hpp"

#include <gtest/gtest.h>

namespace weir::alarm {
namespace {

using namespace std::chrono_literals;

class AlarmTableTest : public ::testing::Test {
 protected:
  WallTime t0 = WallTime{std::chrono::seconds{1'700'000'000}};
  WallTime now = t0;
  AlarmTable table;
  AlarmTable::Slot s = table.define("pump_low", {2, 0ms, 0ms});

  std::optional<AlarmState> state() const {
    const auto& e = table.entry(s);
    if (!e.occurrence) return std::nullopt;
    return e.occurrence->state;
  }
  std::vector<AlarmEvent> events() {
    std::vector<AlarmEvent> out;
    for (const auto& j : table.take_journal()) out.push_back(j.event);
    return out;
  }
  void advance(Millis d) {
    now += d;
    table.tick(now);
  }
};

TEST_F(AlarmTableTest, RaiseAckLowerFinishes) {
  table.raise(s, now);
  EXPECT_EQ(state(), AlarmState::ACTIVE);
  EXPECT_EQ(table.entry(s).occurrence->id, "pump_low:1700000000000");
  table.raise(s, now);  // already active: nothing
  EXPECT_TRUE(table.acknowledge(s, "op", now));
  EXPECT_EQ(state(), AlarmState::ACK);
  EXPECT_EQ(table.entry(s).occurrence->acknowledged_by, "op");
  table.lower(s, now);
  EXPECT_EQ(state(), std::nullopt);
  EXPECT_EQ(table.entry(s).last->state, AlarmState::FINISHED);
  EXPECT_EQ(events(),
            (std::vector{AlarmEvent::raised, AlarmEvent::acknowledged, AlarmEvent::finished}));
}

TEST_F(AlarmTableTest, RaiseLowerAckFinishes) {
  table.raise(s, now);
  table.lower(s, now + 1s);
  EXPECT_EQ(state(), AlarmState::INACTIVE);
  EXPECT_EQ(table.entry(s).occurrence->deactivation_time, now + 1s);
  EXPECT_TRUE(table.acknowledge(s, "op", now + 2s));
  EXPECT_EQ(state(), std::nullopt);
  EXPECT_EQ(events(), (std::vector{AlarmEvent::raised, AlarmEvent::cleared, AlarmEvent::finished}));
}

TEST_F(AlarmTableTest, RaisedAgainWhileInactiveReactivates) {
  table.raise(s, now);
  table.lower(s, now);
  table.raise(s, now + 1s);
  EXPECT_EQ(state(), AlarmState::ACTIVE);
  EXPECT_EQ(table.entry(s).occurrence->activations, 2u);
  EXPECT_EQ(events(),
            (std::vector{AlarmEvent::raised, AlarmEvent::cleared, AlarmEvent::reactivated}));
}

TEST_F(AlarmTableTest, AcknowledgeNeedsAnUnacknowledgedOccurrence) {
  EXPECT_EQ(table.acknowledge(s, "op", now).error().kind, ErrorKind::conflict);
  table.raise(s, now);
  EXPECT_TRUE(table.acknowledge(s, "op", now));
  EXPECT_EQ(table.acknowledge(s, "op", now).error().code, "not_acknowledgeable");
}

TEST_F(AlarmTableTest, OnDelay) {
  s = table.define("pump_low", {2, 5000ms, 0ms});
  table.raise(s, now);
  EXPECT_EQ(state(), std::nullopt);
  advance(4s);
  EXPECT_EQ(state(), std::nullopt);
  table.lower(s, now);  // gone before the delay: never alarms
  advance(10s);
  EXPECT_EQ(state(), std::nullopt);
  table.raise(s, now);
  advance(5s);
  EXPECT_EQ(state(), AlarmState::ACTIVE);
  EXPECT_EQ(table.entry(s).occurrence->activation_time, now);
}

TEST_F(AlarmTableTest, OffDelay) {
  s = table.define("pump_low", {2, 0ms, 3000ms});
  table.raise(s, now);
  table.lower(s, now);
  advance(2s);
  EXPECT_EQ(state(), AlarmState::ACTIVE);
  table.raise(s, now);  // back before the delay: stays active, no new activation
  advance(5s);
  EXPECT_EQ(state(), AlarmState::ACTIVE);
  EXPECT_EQ(table.entry(s).occurrence->activations, 1u);
  table.lower(s, now);
  advance(3s);
  EXPECT_EQ(state(), AlarmState::INACTIVE);
}

TEST_F(AlarmTableTest, ShelvingFinishesAndReAlarmsWhenItExpires) {
  table.raise(s, now);
  EXPECT_TRUE(table.shelve(s, "op", "sensor being replaced", 60s, now));
  EXPECT_EQ(state(), std::nullopt);
  EXPECT_EQ(table.entry(s).shelve_reason, "sensor being replaced");
  table.lower(s, now);
  table.raise(s, now);  // while shelved: no occurrence
  EXPECT_EQ(state(), std::nullopt);
  advance(59s);
  EXPECT_EQ(state(), std::nullopt);
  advance(1s);  // the shelf expires with the condition on: re-alarm
  EXPECT_EQ(state(), AlarmState::ACTIVE);
  EXPECT_FALSE(table.entry(s).shelved_until);
  const auto j = table.take_journal();
  ASSERT_EQ(j.size(), 4u);
  EXPECT_EQ(j[1].event, AlarmEvent::shelved);
  EXPECT_EQ(j[1].user, "op");
  EXPECT_EQ(j[1].state, AlarmState::FINISHED);
  EXPECT_EQ(j[2].event, AlarmEvent::unshelved);
  EXPECT_EQ(j[2].reason, "shelving expired");
  EXPECT_EQ(j[3].event, AlarmEvent::raised);
}

TEST_F(AlarmTableTest, UnshelveByHandWithTheConditionOff) {
  EXPECT_EQ(table.unshelve(s, "op", "", now).error().code, "not_shelved");
  EXPECT_TRUE(table.shelve(s, "op", "noise", 60s, now));
  EXPECT_TRUE(table.unshelve(s, "op", "fixed", now + 1s));
  EXPECT_EQ(state(), std::nullopt);  // condition off: nothing to re-alarm
  table.raise(s, now + 2s);
  EXPECT_EQ(state(), AlarmState::ACTIVE);
}

TEST_F(AlarmTableTest, OutOfService) {
  table.raise(s, now);
  EXPECT_TRUE(table.set_out_of_service(s, true, "tech", "maintenance", now));
  EXPECT_EQ(state(), std::nullopt);
  EXPECT_EQ(table.set_out_of_service(s, true, "tech", "", now).error().kind, ErrorKind::conflict);
  EXPECT_EQ(table.shelve(s, "op", "", 1s, now).error().code, "out_of_service");
  advance(48h);
  EXPECT_EQ(state(), std::nullopt);  // no time limit
  EXPECT_TRUE(table.set_out_of_service(s, false, "tech", "done", now));
  EXPECT_EQ(state(), AlarmState::ACTIVE);  // still on: alarms at once
}

TEST_F(AlarmTableTest, SuppressionByDesign) {
  table.set_suppressed(s, true, now);
  table.raise(s, now);
  EXPECT_EQ(state(), std::nullopt);
  table.set_suppressed(s, false, now);
  EXPECT_EQ(state(), AlarmState::ACTIVE);
  EXPECT_EQ(events(),
            (std::vector{AlarmEvent::suppressed, AlarmEvent::unsuppressed, AlarmEvent::raised}));
}

TEST_F(AlarmTableTest, MetricsCountRateFloodChatteringStaleAndStanding) {
  table.flood_threshold = 3;
  for (int i = 0; i < 3; ++i) {
    table.raise(s, now);
    table.lower(s, now);
    now += 10s;
  }
  auto c = table.counts(now);
  EXPECT_EQ(c.activations_10min, 3u);
  EXPECT_EQ(c.chattering, 1u);
  EXPECT_FALSE(c.flood);
  auto other = table.define("door", {1, 0ms, 0ms});
  table.raise(other, now);
  c = table.counts(now);
  EXPECT_TRUE(c.flood);
  EXPECT_EQ(c.flood_periods, 1u);
  EXPECT_EQ(c.standing[0], 1u);
  EXPECT_EQ(c.unacknowledged, 2u);  // door ACTIVE, pump_low INACTIVE
  now += 25h;
  c = table.counts(now);
  EXPECT_EQ(c.activations_10min, 0u);
  EXPECT_EQ(c.chattering, 0u);
  EXPECT_EQ(c.stale, 1u);
}

TEST_F(AlarmTableTest, ChangedSlotsOnce) {
  table.raise(s, now);
  table.lower(s, now);
  EXPECT_EQ(table.take_changed(), std::vector<AlarmTable::Slot>{s});
  EXPECT_TRUE(table.take_changed().empty());
}

}  // namespace
}  // namespace weir::alarm
