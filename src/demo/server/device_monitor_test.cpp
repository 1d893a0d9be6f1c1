#include "demo/server/device_monitor.hpp"

#include <gtest/gtest.h>

#include "demo/server/demo_test_support.hpp"

namespace weir::demo {
namespace {

constexpr const char* kReading =
    R"({"temperature":29.4,"humidity":41,"threshold":28,"over_threshold":true,"unit":"C"})";

TEST(DeviceMonitor, ReadsTheDevicesFromTheirDatapoints) {
  testing::DemoPlant p;
  auto dto = p.monitor->to_dto(*p.monitor->find("esp32"));
  EXPECT_EQ(dto.presence, "unknown");
  EXPECT_FALSE(dto.reading);  // the type's default is not a reading

  p.pub("presence/esp32/status", "online");
  p.pub("sensors/esp32", kReading);
  p.pub("devices/esp32/state", R"({"playing":true,"mode":"override_on","step":3})");
  dto = p.monitor->to_dto(*p.monitor->find("esp32"));
  EXPECT_EQ(dto.presence, "online");
  ASSERT_TRUE(dto.reading);
  EXPECT_EQ(dto.reading->temperature, 29.4);
  EXPECT_TRUE(dto.reading->over_threshold);
  EXPECT_EQ(dto.mode, "override_on");
  EXPECT_EQ(dto.buzzer, "playing");
  EXPECT_EQ(dto.readings, 1u);
  // The same values any datapoint client sees.
  EXPECT_EQ(std::get<double>(p.dp("esp32@TEMPERATURE").value), 29.4);
  EXPECT_EQ(p.dp("esp32@TEMPERATURE").quality, model::Quality::good);
}

TEST(DeviceMonitor, LogsOneRowPerSensorMessageAndPresenceChanges) {
  testing::DemoPlant p;
  p.pub("presence/esp32/status", "online");
  p.pub("presence/esp32/status", "online");  // no change: no second row
  p.pub("sensors/esp32", kReading);
  p.clock.advance(std::chrono::seconds(3));
  p.pub("sensors/esp32",
        R"({"temperature":27,"humidity":40,"threshold":28,"over_threshold":false,"unit":"C"})");
  p.pub("presence/esp32/status", "offline");

  auto readings = p.log->readings({"esp32", {}, {}, 10});
  ASSERT_TRUE(readings);
  ASSERT_EQ(readings->size(), 2u);  // four datapoints per message, one row
  EXPECT_EQ((*readings)[0].temperature, 27);
  EXPECT_EQ((*readings)[1].humidity, 41);
  EXPECT_TRUE((*readings)[1].over_threshold);
  auto presence = p.log->presence_log({"esp32", {}, {}, 10});
  ASSERT_EQ(presence->size(), 2u);
  EXPECT_EQ((*presence)[0].status, "offline");
  EXPECT_EQ((*presence)[1].status, "online");
  // Offline: the driver is offline and the device's data no longer good.
  EXPECT_EQ(p.dp("esp32@TEMPERATURE").quality, model::Quality::bad);
}

TEST(DeviceMonitor, MalformedMessagesAreCountedOnceAndLoggedNeverApplied) {
  testing::DemoPlant p;
  p.pub("presence/esp32/status", "online");
  p.pub("sensors/esp32", kReading);
  for (const char* bad : {"{not json", R"({"temperature":"hot"})", "\xff\xfe"})
    p.pub("sensors/esp32", bad);
  auto dto = p.monitor->to_dto(*p.monitor->find("esp32"));
  EXPECT_EQ(dto.malformed, 3u);
  EXPECT_EQ(p.monitor->malformed_total(), 3u);
  EXPECT_EQ(dto.reading->temperature, 29.4);  // unchanged
  auto rows = p.log->rejected_messages({"esp32", {}, {}, 10});
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].payload, "hex:fffe");
  EXPECT_EQ((*rows)[2].payload, "{not json");
  EXPECT_EQ((*rows)[2].topic, "sensors/esp32");
}

TEST(DeviceMonitor, SendIsACommandWithFeedbackAndIsLogged) {
  testing::DemoPlant p;
  std::vector<model::CommandFeedback> feedback;
  auto sub = p.t.bus.subscribe<model::CommandFeedback>(
      [&](const model::CommandFeedback& f) { feedback.push_back(f); });
  // Offline device: the command is refused by the driver (nok driver_offline), nothing published.
  auto fb = p.monitor->send(*p.monitor->find("esp32"), PlayAction::play, "operator");
  ASSERT_TRUE(fb);
  EXPECT_EQ(fb->status, model::CommandStatus::nok);
  EXPECT_EQ(fb->reason, model::CommandReason::driver_offline);
  EXPECT_TRUE(p.payloads.empty());

  p.pub("presence/esp32/status", "online");
  fb = p.monitor->send(*p.monitor->find("esp32"), PlayAction::stop, "operator");
  ASSERT_TRUE(fb);
  EXPECT_EQ(fb->status, model::CommandStatus::ok);
  EXPECT_EQ(p.payloads, std::vector<std::string>{"false"});
  ASSERT_GE(feedback.size(), 4u);  // pending → nok, pending → ok, published on the bus
  EXPECT_EQ(feedback.back().status, model::CommandStatus::ok);
  EXPECT_EQ(feedback.back().user, "operator");

  auto rows = p.log->commands({"esp32", {}, {}, 10});
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].action, "stop");
  EXPECT_EQ((*rows)[0].payload, "false");
  EXPECT_EQ((*rows)[0].user, "operator");
  EXPECT_EQ((*rows)[0].source, "weir");
}

}  // namespace
}  // namespace weir::demo
