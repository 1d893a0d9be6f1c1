#pragma once
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <string>

#include "api/router.hpp"

namespace weir::demo::testing {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("weir-demo-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

// Grants what the header x-test-permissions lists ("*" = everything) to user "operator".
class FakeAccess final : public api::AccessControl {
 public:
  Result<api::Caller> authorize(const HttpRequest& req, std::string_view permission) override {
    auto granted = req.header("x-test-permissions");
    if (granted.empty()) return Error::make(ErrorKind::unauthorized, "unauthorized", "no session");
    if (!permission.empty() && granted != "*" && granted.find(permission) == std::string_view::npos)
      return Error::make(ErrorKind::forbidden, "permission_required",
                         "needs " + std::string(permission));
    api::Caller c;
    c.user = "operator";
    c.address = req.remote_address;
    return c;
  }
};

inline HttpRequest request(std::string method, std::string path, std::string permissions = "*") {
  HttpRequest r;
  r.method = std::move(method);
  auto q = path.find('?');
  r.target = path;
  r.path = path.substr(0, q);
  if (q != std::string::npos) {
    std::string query = path.substr(q + 1);
    std::size_t i = 0;
    while (i < query.size()) {
      auto amp = query.find('&', i);
      auto kv = query.substr(i, amp == std::string::npos ? std::string::npos : amp - i);
      auto eq = kv.find('=');
      r.query.emplace(kv.substr(0, eq), eq == std::string::npos ? "" : kv.substr(eq + 1));
      if (amp == std::string::npos) break;
      i = amp + 1;
    }
  }
  r.remote_address = "127.0.0.1";
  if (!permissions.empty()) r.headers.emplace_back("x-test-permissions", permissions);
  return r;
}

// The answer of a route, waited for when it comes later (HttpResponse::later: a read on the
// device log's thread answers there when the log has no Post).
inline HttpResponse settle(HttpResponse r) {
  if (!r.deferred) return r;
  std::promise<HttpResponse> answer;
  auto out = answer.get_future();
  r.deferred([&answer](HttpResponse a) { answer.set_value(std::move(a)); });
  return out.get();
}

}  // namespace weir::demo::testing

// ---- The demo devices on the SCADA path, without sockets --------------------------------------
// The datapoint, command, communication and mqtt_driver modules, as weir runs them, with the two
// demo devices as MqttDeviceDrivers on an embedded broker reached in-process; a DeviceMonitor
// and the demo's routes on top. Devices "speak" through pub().
#include "command/command_module.hpp"
#include "command/command_service.hpp"
#include "communication/communication_module.hpp"
#include "datapoint/datapoint_module.hpp"
#include "demo/server/device_monitor.hpp"
#include "demo/server/device_routes.hpp"
#include "module/test_host.hpp"
#include "mqtt/broker/broker.hpp"
#include "mqtt_driver/mqtt_driver_module.hpp"

namespace weir::demo::testing {

inline const char* kDemoConfig = R"({
  "dp_types": {
    "DEVICE_TEMPERATURE": {"type": "float", "min": -40, "max": 125, "default": 0},
    "HUMIDITY": {"type": "float", "min": 0, "max": 100, "default": 0},
    "BOOL": {"type": "enum", "values": ["TRUE", "FALSE"], "default": "FALSE"},
    "PRESENCE": {"type": "enum", "values": ["ONLINE", "OFFLINE", "UNKNOWN"], "default": "UNKNOWN"},
    "DEVICE_MODE": {"type": "enum", "values": ["AUTO", "OVERRIDE_ON", "OVERRIDE_OFF"], "default": "AUTO"},
    "BUZZER": {"type": "enum", "values": ["PLAYING", "SILENT"], "default": "SILENT"},
    "PLAY_CMD": {"type": "enum", "values": ["PLAY", "STOP", "RESUME"], "default": "RESUME"}},
  "drivers": [
    {"name": "esp32", "driver_class": "MqttDeviceDriver", "params": {"device": "esp32", "demo_defaults": true},
     "datapoints": [{"name": "TEMPERATURE", "type": "DEVICE_TEMPERATURE"}, {"name": "HUMIDITY", "type": "HUMIDITY"},
                    {"name": "THRESHOLD", "type": "DEVICE_TEMPERATURE"}, {"name": "OVER_THRESHOLD", "type": "BOOL"},
                    {"name": "PRESENCE", "type": "PRESENCE"}, {"name": "MODE", "type": "DEVICE_MODE"},
                    {"name": "BUZZER", "type": "BUZZER"}],
     "command_datapoints": [{"name": "PLAY_CMD", "type": "PLAY_CMD"}]},
    {"name": "pi", "driver_class": "MqttDeviceDriver", "params": {"device": "raspberry", "demo_defaults": true},
     "datapoints": [{"name": "TEMPERATURE", "type": "DEVICE_TEMPERATURE"}, {"name": "PRESENCE", "type": "PRESENCE"}],
     "command_datapoints": [{"name": "PLAY_CMD", "type": "PLAY_CMD"}]}]})";

struct DemoPlant {
  TempDir dir;
  ManualClock clock;
  mqtt::Broker broker{mqtt::BrokerOptions{}, clock, nullptr};
  mqtt::InprocPubSub pubsub{broker};
  module::TestHost t{clock};
  std::unique_ptr<module::ModuleSet> modules;
  std::unique_ptr<DeviceLog> log;
  std::unique_ptr<DeviceMonitor> monitor;
  std::vector<std::string> payloads;  // what reached commands/+/play
  mqtt::SubscriptionHandle spy;

  DemoPlant() {
    weir_register_datapoint_module(t.registry);
    weir_register_command_module(t.registry);
    weir_register_communication_module(t.registry);
    weir_register_mqtt_driver_module(t.registry);
    t.router.set_access(std::make_shared<FakeAccess>());
    t.services.provide<mqtt::PubSub>(pubsub);
    auto cfg = config::parse_system_config(kDemoConfig);
    EXPECT_TRUE(cfg.ok()) << cfg.errors_text();
    auto set = t.create(*cfg.config);
    EXPECT_TRUE(set) << set.error().message;
    modules = std::move(*set);
    EXPECT_TRUE(modules->start());
    log = std::move(
        *DeviceLog::open(dir.path / "demo.db", {std::chrono::milliseconds(200), 1000, false}));
    monitor = std::make_unique<DeviceMonitor>(
        t.services.get<datapoint::DatapointService>(), t.services.get<command::CommandService>(),
        t.bus, log.get(), clock, demo_devices(*cfg.config, std::nullopt), &t.hub);
    spy = broker.subscribe("commands/+/play", [this](const mqtt::InprocMessage& m) {
      payloads.emplace_back(reinterpret_cast<const char*>(m.payload.data()), m.payload.size());
    });
  }
  ~DemoPlant() { modules->stop(); }
  // A device says something (through the broker, as over MQTT), then a tick passes.
  void pub(const std::string& topic, const std::string& payload) {
    broker.publish(topic, std::vector<std::uint8_t>(payload.begin(), payload.end()), 1, false);
    modules->tick();
    monitor->tick();
  }
  const datapoint::DatapointState& dp(const std::string& id) {
    const auto& v = t.services.get<datapoint::DatapointService>();
    return v.state(*v.registry().find(id));
  }
};

}  // namespace weir::demo::testing
