#include "mqtt_driver/mqtt_device_driver.hpp"

#include "mqtt/broker/broker.hpp"
#include "mqtt_driver/mqtt_driver_test_support.hpp"

namespace weir::mqtt_driver {
namespace {

using model::DriverState;
using model::Quality;
using model::Value;
using testing::Plant;

// The demo's short form: datapoints only; every mapping comes from the demo defaults.
const char* kDemoConfig = R"({
  "dp_types": {
    "DEVICE_TEMPERATURE": {"type": "float", "min": -40, "max": 125, "default": 0, "unit": "°C"},
    "HUMIDITY": {"type": "float", "min": 0, "max": 100, "default": 0, "unit": "%"},
    "BOOL": {"type": "enum", "values": ["TRUE", "FALSE"], "default": "FALSE"},
    "PRESENCE": {"type": "enum", "values": ["ONLINE", "OFFLINE", "UNKNOWN"], "default": "UNKNOWN"},
    "DEVICE_MODE": {"type": "enum", "values": ["AUTO", "OVERRIDE_ON", "OVERRIDE_OFF"], "default": "AUTO"},
    "BUZZER": {"type": "enum", "values": ["PLAYING", "SILENT"], "default": "SILENT"},
    "PLAY_CMD": {"type": "enum", "values": ["PLAY", "STOP", "RESUME"], "default": "RESUME"}
  },
  "drivers": [{
    "name": "esp32", "driver_class": "MqttDeviceDriver", "params": {"device": "esp32", "demo_defaults": true},
    "datapoints": [
      {"name": "TEMPERATURE", "type": "DEVICE_TEMPERATURE"}, {"name": "HUMIDITY", "type": "HUMIDITY"},
      {"name": "THRESHOLD", "type": "DEVICE_TEMPERATURE"}, {"name": "OVER_THRESHOLD", "type": "BOOL"},
      {"name": "PRESENCE", "type": "PRESENCE"}, {"name": "MODE", "type": "DEVICE_MODE"}, {"name": "BUZZER", "type": "BUZZER"}],
    "command_datapoints": [{"name": "PLAY_CMD", "type": "PLAY_CMD"}]
  }]
})";

const char* kReading =
    R"({"temperature":29.4,"humidity":41,"threshold":28,"over_threshold":true,"unit":"C"})";

TEST(MqttDeviceDriver, DemoDefaultsMapEveryTag) {
  Plant p(kDemoConfig);
  p.drivers->start();
  EXPECT_EQ(p.driver_state("esp32"), DriverState::connecting);  // no presence yet
  p.pub("presence/esp32/status", "online", true);
  EXPECT_EQ(p.driver_state("esp32"), DriverState::online);
  EXPECT_EQ(p.value("esp32@PRESENCE"), Value(std::string("ONLINE")));
  p.clock.advance(std::chrono::milliseconds(10));
  p.pub("sensors/esp32", kReading);
  EXPECT_EQ(p.value("esp32@TEMPERATURE"), Value(29.4));
  EXPECT_EQ(p.value("esp32@HUMIDITY"), Value(41.0));
  EXPECT_EQ(p.value("esp32@THRESHOLD"), Value(28.0));
  EXPECT_EQ(p.value("esp32@OVER_THRESHOLD"), Value(std::string("TRUE")));
  EXPECT_EQ(p.state("esp32@TEMPERATURE").quality, Quality::good);
  p.pub("devices/esp32/state",
        R"({"playing":true,"mode":"override_on","step":2,"melody":"ode_to_joy",)"
        R"("peer":{"id":"raspberry","presence":"online"},"since":"","reason":"override on"})");
  EXPECT_EQ(p.value("esp32@MODE"), Value(std::string("OVERRIDE_ON")));
  EXPECT_EQ(p.value("esp32@BUZZER"), Value(std::string("PLAYING")));
  EXPECT_EQ(p.stats->malformed.load(), 0u);
}

TEST(MqttDeviceDriver, RetainedPresenceOnConnectAndOfflineDropsQuality) {
  Plant p(kDemoConfig);
  p.pub("presence/esp32/status", "online", true);
  p.drivers->start();
  EXPECT_EQ(p.driver_state("esp32"), DriverState::online);
  p.pub("sensors/esp32", kReading);
  ASSERT_EQ(p.state("esp32@TEMPERATURE").quality, Quality::good);

  p.clock.advance(std::chrono::seconds(1));
  p.pub("presence/esp32/status", "offline", true);  // the Last Will
  EXPECT_EQ(p.driver_state("esp32"), DriverState::offline);
  EXPECT_EQ(p.state("esp32@TEMPERATURE").quality, Quality::bad);
  EXPECT_EQ(p.state("esp32@TEMPERATURE").reason, model::QualityReason::not_connected);
  // Presence itself is a fresh fact: OFFLINE, good.
  EXPECT_EQ(p.value("esp32@PRESENCE"), Value(std::string("OFFLINE")));
  EXPECT_EQ(p.state("esp32@PRESENCE").quality, Quality::good);

  // The manager's back-off retry keeps it offline; the device's return brings it back at once.
  p.clock.advance(std::chrono::seconds(2));
  p.drivers->tick();
  EXPECT_EQ(p.driver_state("esp32"), DriverState::offline);
  p.pub("presence/esp32/status", "online", true);
  EXPECT_EQ(p.driver_state("esp32"), DriverState::online);
  EXPECT_EQ(p.state("esp32@TEMPERATURE").quality, Quality::bad)
      << "good again only with fresh data";
  p.clock.advance(std::chrono::seconds(1));
  p.pub("sensors/esp32", kReading);
  EXPECT_EQ(p.state("esp32@TEMPERATURE").quality, Quality::good);
}

TEST(MqttDeviceDriver, MalformedPayloadsAreCountedNeverApplied) {
  Plant p(kDemoConfig);
  p.pub("presence/esp32/status", "online", true);
  p.drivers->start();
  p.pub("sensors/esp32", kReading);
  const auto accepted = p.datapoints->accepted();
  p.pub("sensors/esp32", "{not json");
  p.pub("sensors/esp32",
        R"({"temperature":"hot","humidity":41,"threshold":28,"over_threshold":true})");
  p.pub("sensors/esp32", "");
  p.pub("sensors/esp32", std::string(70000, '{'));
  p.pub("presence/esp32/status", "maybe");
  EXPECT_GE(p.stats->malformed.load(), 5u);
  EXPECT_EQ(p.value("esp32@TEMPERATURE"), Value(29.4));
  EXPECT_EQ(p.driver_state("esp32"), DriverState::online);
  // The well-formed fields of a partly bad reading still count (humidity etc.); the bad one does
  // not.
  EXPECT_GE(p.datapoints->accepted(), accepted);
  // Out of range: converted, then refused by DatapointService like any tag.
  p.clock.advance(std::chrono::seconds(1));
  p.pub("sensors/esp32",
        R"({"temperature":500,"humidity":41,"threshold":28,"over_threshold":true,"unit":"C"})");
  EXPECT_EQ(p.value("esp32@TEMPERATURE"), Value(29.4));
  EXPECT_GE(p.datapoints->rejected(datapoint::Rejection::out_of_range), 1u);
}

TEST(MqttDeviceDriver, PlayCommandPublishesThePayloadAtQos1) {
  Plant p(kDemoConfig);
  p.pub("presence/esp32/status", "online", true);
  p.drivers->start();
  p.published.clear();
  p.command("esp32@PLAY_CMD", std::string("PLAY"), "a");
  p.command("esp32@PLAY_CMD", std::string("STOP"), "b");
  p.command("esp32@PLAY_CMD", std::string("RESUME"), "c");
  ASSERT_EQ(p.published.size(), 3u);
  EXPECT_EQ(p.published[0], (std::pair<std::string, std::string>{"commands/esp32/play", "true"}));
  EXPECT_EQ(p.published[1], (std::pair<std::string, std::string>{"commands/esp32/play", "false"}));
  EXPECT_EQ(p.published[2], (std::pair<std::string, std::string>{"commands/esp32/play", ""}));
  ASSERT_EQ(p.feedback.size(), 3u);
  for (const auto& f : p.feedback) EXPECT_EQ(f.status, model::CommandStatus::ok) << f.detail;

  // Offline: refused before reaching the device.
  p.pub("presence/esp32/status", "offline", true);
  p.published.clear();
  p.feedback.clear();
  p.command("esp32@PLAY_CMD", std::string("PLAY"), "d");
  ASSERT_EQ(p.feedback.size(), 1u);
  EXPECT_EQ(p.feedback[0].status, model::CommandStatus::nok);
  EXPECT_EQ(p.feedback[0].reason, model::CommandReason::driver_offline);
  for (const auto& [t, _] : p.published) EXPECT_NE(t, "commands/esp32/play");
}

TEST(MqttDeviceDriver, ExplicitMappingsFieldsAndPlainPayloads) {
  Plant p(R"({
    "dp_types": {"T": {"type": "float", "default": 0}, "S": {"type": "string", "default": ""},
                 "SW": {"type": "enum", "values": ["ON", "OFF"], "default": "OFF"}},
    "drivers": [{"name": "plc", "driver_class": "MqttDeviceDriver",
      "params": {"presence_topic": "", "demo_defaults": false,
        "topics": [{"tag": "LEVEL", "topic": "plant/{device}/level"},
                   {"tag": "NAME", "topic": "plant/{device}/info", "field": "meta.name"},
                   {"tag": "TEMPERATURE", "topic": "plant/+/temp", "field": "t"}],
        "commands": [{"tag": "SWITCH_CMD", "topic": "plant/{device}/switch/set", "qos": 0}]},
      "datapoints": [{"name": "LEVEL", "type": "T"}, {"name": "NAME", "type": "S"}, {"name": "TEMPERATURE", "type": "T"}],
      "command_datapoints": [{"name": "SWITCH_CMD", "type": "SW"}]}]
  })");
  p.drivers->start();
  EXPECT_EQ(p.driver_state("plc"),
            DriverState::online);  // no presence topic: online when subscribed
  p.pub("plant/plc/level", "42.5");
  p.pub("plant/plc/info", R"({"meta":{"name":"pump house"}})");
  p.pub("plant/other/temp", R"({"t":7})");
  EXPECT_EQ(p.value("plc@LEVEL"), Value(42.5));
  EXPECT_EQ(p.value("plc@NAME"), Value(std::string("pump house")));
  EXPECT_EQ(p.value("plc@TEMPERATURE"), Value(7.0));
  p.published.clear();
  p.command("plc@SWITCH_CMD", std::string("ON"));
  ASSERT_EQ(p.published.size(), 1u);
  EXPECT_EQ(p.published[0], (std::pair<std::string, std::string>{"plant/plc/switch/set", "ON"}));
  // Operator disconnect: unsubscribed, nothing applied any more.
  ASSERT_TRUE(p.drivers->control("plc", model::DriverAction::disconnect));
  p.clock.advance(std::chrono::seconds(1));
  p.pub("plant/plc/level", "1");
  EXPECT_EQ(p.value("plc@LEVEL"), Value(42.5));
}

TEST(MqttDeviceDriver, BadConfigurationKeepsTheDriverOfflineAndSaysWhy) {
  Plant p(R"({"dp_types": {"T": {"type": "float", "default": 0}},
    "drivers": [{"name": "bad", "driver_class": "MqttDeviceDriver",
      "params": {"topics": [{"tag": "LEVEL", "topic": "a/#/b"}]},
      "datapoints": [{"name": "LEVEL", "type": "T"}]}]})");
  p.drivers->start();
  const auto* d = p.drivers->find("bad");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->state, DriverState::offline);
  EXPECT_NE(d->detail.find("topics[0].topic"), std::string::npos) << d->detail;
}

TEST(MqttDeviceDriver, ExternalBrokerIsRefusedClearly) {
  config::DriverConfig dc;
  dc.name = "x";
  dc.params["broker_url"] = "mqtt://mosquitto:1883";
  auto c = parse_mqtt_device_config(dc);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->broker_url, "mqtt://mosquitto:1883");
}

}  // namespace
}  // namespace weir::mqtt_driver
