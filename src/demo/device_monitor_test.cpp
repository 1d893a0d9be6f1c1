#include "demo/device_monitor.hpp"

#include "demo/demo_test_support.hpp"
#include "mqtt/broker/broker.hpp"

namespace weir::demo {
namespace {

using testing::TempDir;

struct Fixture {
  TempDir dir;
  ManualClock clock;
  mqtt::Broker broker{mqtt::BrokerOptions{}, clock, nullptr};
  mqtt::InprocPubSub pubsub{broker};
  std::unique_ptr<DeviceLog> log;
  api::LiveFeedHub hub;
  std::unique_ptr<DeviceMonitor> monitor;
  Fixture() {
    auto l = DeviceLog::open(dir.path / "demo.db", {std::chrono::milliseconds(200), 1000, false});
    EXPECT_TRUE(l);
    log = std::move(*l);
    monitor = std::make_unique<DeviceMonitor>(pubsub, log.get(), clock,
                                              std::vector<std::string>{"esp32", "raspberry"}, &hub);
  }
  void pub(const std::string& topic, const std::string& payload, bool retain = false) {
    broker.publish(topic, std::vector<std::uint8_t>(payload.begin(), payload.end()), 1, retain);
  }
};

TEST(DeviceMonitor, KeepsTheLatestOfEachDeviceAndLogsIt) {
  Fixture f;
  ASSERT_EQ(f.monitor->devices().size(), 2u);
  EXPECT_EQ(f.monitor->find("esp32")->presence, "unknown");
  f.pub("presence/esp32/status", "online", true);
  f.pub("sensors/esp32",
        R"({"temperature":29.4,"humidity":41,"threshold":28,"over_threshold":true,"unit":"C"})");
  f.pub("devices/esp32/state",
        R"({"playing":true,"mode":"override_on","step":2,"melody":"ode_to_joy",)"
        R"("peer":{"id":"raspberry","presence":"online"},"since":"x","reason":"override on"})");
  const auto* d = f.monitor->find("esp32");
  EXPECT_EQ(d->presence, "online");
  ASSERT_TRUE(d->reading);
  EXPECT_EQ(d->reading->temperature, 29.4);
  ASSERT_TRUE(d->state);
  EXPECT_EQ(d->state->mode, "override_on");
  auto dto = DeviceMonitor::to_dto(*d);
  EXPECT_EQ(dto.buzzer, "playing");
  EXPECT_EQ(dto.mode, "override_on");

  EXPECT_EQ(f.log->readings({"esp32", {}, {}, 10})->size(), 1u);
  EXPECT_EQ(f.log->presence_log({"esp32", {}, {}, 10})->size(), 1u);
  // The same presence again (a retained replay) is not a change.
  f.pub("presence/esp32/status", "online", true);
  EXPECT_EQ(f.log->presence_log({"esp32", {}, {}, 10})->size(), 1u);
  f.pub("presence/esp32/status", "offline", true);
  auto p = f.log->presence_log({"esp32", {}, {}, 10});
  ASSERT_EQ(p->size(), 2u);
  EXPECT_EQ(p->front().status, "offline");
}

TEST(DeviceMonitor, RetainedPresenceIsPickedUpAtStart) {
  TempDir dir;
  ManualClock clock;
  mqtt::Broker broker{mqtt::BrokerOptions{}, clock, nullptr};
  std::string online = "online";
  broker.publish("presence/raspberry/status",
                 std::vector<std::uint8_t>(online.begin(), online.end()), 1, true);
  mqtt::InprocPubSub pubsub{broker};
  DeviceMonitor m(pubsub, nullptr, clock, {"esp32", "raspberry"});
  EXPECT_EQ(m.find("raspberry")->presence, "online");
}

TEST(DeviceMonitor, MalformedMessagesAreCountedAndLoggedNeverApplied) {
  Fixture f;
  f.pub("sensors/esp32",
        R"({"temperature":20,"humidity":41,"threshold":28,"over_threshold":false,"unit":"C"})");
  f.pub("sensors/esp32", "{not json");
  f.pub("sensors/esp32", R"({"temperature":"hot"})");
  f.pub("sensors/esp32", std::string(100000, '['));
  f.pub("presence/esp32/status", "sleepy");
  f.pub("devices/esp32/state", "[]");
  f.pub("sensors/esp32", "\xff\xfe");
  EXPECT_EQ(f.monitor->malformed_total(), 6u);
  EXPECT_EQ(f.monitor->find("esp32")->malformed, 6u);
  EXPECT_EQ(f.monitor->find("esp32")->reading->temperature, 20.0);
  EXPECT_EQ(f.monitor->find("esp32")->presence, "unknown");
  auto rows = f.log->rejected_messages({"esp32", {}, {}, 100});
  ASSERT_EQ(rows->size(), 6u);
  EXPECT_EQ(rows->front().payload, "hex:fffe")
      << "not UTF-8: kept in hex so the JSON showing it stays valid";
  EXPECT_EQ(rows->back().payload, "{not json");
  EXPECT_EQ(rows->back().topic, "sensors/esp32");
  EXPECT_EQ(f.log->readings({"esp32", {}, {}, 100})->size(), 1u);
  std::string metrics;
  f.monitor->metrics()(metrics);
  EXPECT_NE(metrics.find("weir_demo_malformed_messages_total 6"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("weir_demo_device_malformed_total{device=\"esp32\"} 6"), std::string::npos)
      << metrics;
  std::size_t helps = 0;
  for (auto at = metrics.find("# HELP weir_demo_device_online "); at != std::string::npos;
       at = metrics.find("# HELP weir_demo_device_online ", at + 1))
    ++helps;
  EXPECT_EQ(helps, 1u) << "one HELP per metric name";
}

TEST(DeviceMonitor, DiscoveredDevicesAreBounded) {
  Fixture f;
  for (int i = 0; i < 200; ++i) f.pub("presence/dev" + std::to_string(i) + "/status", "online");
  EXPECT_EQ(f.monitor->devices().size(), 2u + DeviceMonitor::kMaxDiscovered);
  EXPECT_FALSE(f.monitor->configured("dev1"));
  EXPECT_TRUE(f.monitor->configured("esp32"));
}

TEST(DeviceMonitor, SendPublishesAtQos1AndLogsWhoSentIt) {
  Fixture f;
  std::vector<std::pair<std::string, int>> seen;
  auto sub = f.broker.subscribe("commands/#", [&](const mqtt::InprocMessage& m) {
    seen.emplace_back(
        std::string(reinterpret_cast<const char*>(m.payload.data()), m.payload.size()), m.qos);
  });
  EXPECT_EQ(f.monitor->send("esp32", PlayAction::play, "admin", "rest"), "commands/esp32/play");
  f.monitor->send("esp32", PlayAction::stop, "admin", "api");
  f.monitor->send("esp32", PlayAction::resume, "bob", "rest");
  f.pub("commands/esp32/play", "1");  // someone else, straight over MQTT
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0], (std::pair<std::string, int>{"true", 1}));
  EXPECT_EQ(seen[1], (std::pair<std::string, int>{"false", 1}));
  EXPECT_EQ(seen[2], (std::pair<std::string, int>{"", 1}));
  auto c = f.log->commands({"esp32", {}, {}, 10});
  ASSERT_EQ(c->size(), 4u);
  EXPECT_EQ((*c)[3].action, "play");
  EXPECT_EQ((*c)[3].user, "admin");
  EXPECT_EQ((*c)[3].source, "rest");
  EXPECT_EQ((*c)[2].action, "stop");
  EXPECT_EQ((*c)[2].source, "api");
  EXPECT_EQ((*c)[1].action, "resume");
  EXPECT_EQ((*c)[1].payload, "");
  EXPECT_EQ((*c)[0].action, "play");
  EXPECT_EQ((*c)[0].user, "");
  EXPECT_EQ((*c)[0].source, "mqtt");
}

}  // namespace
}  // namespace weir::demo
