#include "mqtt_driver/tasmota_relay_driver.hpp"

#include "config/system_config.hpp"
#include "mqtt/broker/broker.hpp"
#include "mqtt_driver/mqtt_driver_test_support.hpp"

namespace weir::mqtt_driver {
namespace {

using model::Value;
using testing::Plant;

// The Python platform's fixture driver, verbatim.
const char* kTasmotaConfig = R"({
  "dp_types": {"ON_OFF": {"default": "OFF", "type": "enum", "values": ["ON", "OFF", "TOGGLE"]}},
  "drivers": [{
    "name": "TasmotaRelayDriver", "driver_class": "MQTTTasmotaRelayDriver",
    "datapoints": [{"name": "RELAY_1_STATUS", "type": "ON_OFF"}, {"name": "RELAY_2_STATUS", "type": "ON_OFF"}],
    "command_datapoints": [{"name": "RELAY_1_CMD", "type": "ON_OFF"}, {"name": "RELAY_2_CMD", "type": "ON_OFF"}],
    "params": {"host": "127.0.0.1", "port": 1883, "client_id": "openscada-tasmota-xmas", "username": "scada",
      "password": "example-password", "device_topic": "xmas",
      "relay_mapping": {"RELAY_1": "POWER1", "RELAY_2": "POWER2"},
      "subscriptions": [{"topic": "stat/xmas/POWER+", "type": "status"}, {"topic": "stat/xmas/RESULT", "type": "feedback"}],
      "publish": {"command": "cmnd/{device}/{power}"}}
  }]
})";

// A simulated Tasmota device: answers cmnd/xmas/POWERn like the firmware does.
struct FakeTasmota {
  mqtt::Broker& broker;
  std::map<std::string, std::string> power{{"POWER1", "OFF"}, {"POWER2", "OFF"}};
  bool answer_result = true;
  mqtt::SubscriptionHandle sub;
  explicit FakeTasmota(mqtt::Broker& b) : broker(b) {
    sub = broker.subscribe("cmnd/xmas/+", [this](const mqtt::InprocMessage& m) {
      std::string topic(m.topic);
      std::string p = topic.substr(topic.rfind('/') + 1);
      std::string arg(reinterpret_cast<const char*>(m.payload.data()), m.payload.size());
      if (!power.count(p)) return;
      if (arg == "ON" || arg == "OFF")
        power[p] = arg;
      else if (arg == "TOGGLE")
        power[p] = power[p] == "ON" ? "OFF" : "ON";
      send("stat/xmas/" + p, power[p]);
      if (answer_result && !arg.empty())
        send("stat/xmas/RESULT", "{\"" + p + "\":\"" + power[p] + "\"}");
    });
  }
  void send(const std::string& t, const std::string& s) {
    broker.publish(t, std::vector<std::uint8_t>(s.begin(), s.end()), 0, false);
  }
};

TEST(TasmotaRelayDriver, FixtureConfigurationLoads) {
  auto r = config::load_system_config(WEIR_FIXTURES_DIR "/system_config.json");
  ASSERT_TRUE(r.ok()) << r.errors_text();
  const config::DriverConfig* dc = nullptr;
  for (const auto& d : r.config->drivers)
    if (d.driver_class == "MQTTTasmotaRelayDriver") dc = &d;
  ASSERT_NE(dc, nullptr);
  auto c = parse_tasmota_config(*dc);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->device_topic, "xmas");
  EXPECT_EQ(c->relay_mapping.at("RELAY_2"), "POWER2");
  ASSERT_EQ(c->subscriptions.size(), 2u);
  EXPECT_EQ(c->subscriptions[0].topic.filter, "stat/xmas/+");
  EXPECT_TRUE(c->ignored_connection_params);
}

TEST(TasmotaRelayDriver, CommandsStatusAndFeedbackAgainstASimulatedDevice) {
  Plant p(kTasmotaConfig);
  FakeTasmota dev(p.broker);
  dev.power["POWER2"] = "ON";
  p.drivers->start();
  EXPECT_EQ(p.driver_state("TasmotaRelayDriver"), model::DriverState::online);
  // The state query on connect told it the current states.
  EXPECT_EQ(p.value("TasmotaRelayDriver@RELAY_1_STATUS"), Value(std::string("OFF")));
  EXPECT_EQ(p.value("TasmotaRelayDriver@RELAY_2_STATUS"), Value(std::string("ON")));

  p.published.clear();
  p.clock.advance(std::chrono::milliseconds(5));
  p.command("TasmotaRelayDriver@RELAY_1_CMD", std::string("ON"), "on1");
  ASSERT_FALSE(p.published.empty());
  EXPECT_EQ(p.published[0], (std::pair<std::string, std::string>{"cmnd/xmas/POWER1", "ON"}));
  EXPECT_EQ(p.value("TasmotaRelayDriver@RELAY_1_STATUS"), Value(std::string("ON")));
  ASSERT_EQ(p.feedback.size(), 1u);
  EXPECT_EQ(p.feedback[0].command_id, "on1");
  EXPECT_EQ(p.feedback[0].status, model::CommandStatus::ok);

  p.clock.advance(std::chrono::milliseconds(5));
  p.command("TasmotaRelayDriver@RELAY_2_CMD", std::string("TOGGLE"), "t2");
  EXPECT_EQ(p.value("TasmotaRelayDriver@RELAY_2_STATUS"), Value(std::string("OFF")));
  ASSERT_EQ(p.feedback.size(), 2u);
  EXPECT_EQ(p.feedback[1].status, model::CommandStatus::ok);

  // RESULT alone (no stat/POWERn) updates the status too.
  p.clock.advance(std::chrono::milliseconds(5));
  dev.send("stat/xmas/RESULT", R"({"POWER2":"ON"})");
  EXPECT_EQ(p.value("TasmotaRelayDriver@RELAY_2_STATUS"), Value(std::string("ON")));
  // Garbage is counted, never applied.
  dev.send("stat/xmas/RESULT", "{oops");
  dev.send("stat/xmas/POWER1", "MAYBE");
  EXPECT_EQ(p.stats->malformed.load(), 2u);
  EXPECT_EQ(p.value("TasmotaRelayDriver@RELAY_1_STATUS"), Value(std::string("ON")));
}

TEST(TasmotaRelayDriver, ADeviceThatDoesNotObeyGetsNok) {
  Plant p(kTasmotaConfig);
  p.drivers->start();
  p.command("TasmotaRelayDriver@RELAY_1_CMD", std::string("ON"), "x");
  EXPECT_TRUE(p.feedback.empty()) << "pending until the device answers";
  p.pub("stat/xmas/POWER1", "OFF");
  ASSERT_EQ(p.feedback.size(), 1u);
  EXPECT_EQ(p.feedback[0].status, model::CommandStatus::nok);
  EXPECT_EQ(p.feedback[0].reason, model::CommandReason::rejected_by_device);
}

}  // namespace
}  // namespace weir::mqtt_driver
