#include "mqtt_driver/mqtt_driver_module.hpp"

#include "api/system_routes.hpp"
#include "communication/driver_classes.hpp"
#include "mqtt_driver/mqtt_device_driver.hpp"
#include "mqtt_driver/tasmota_relay_driver.hpp"

namespace weir::mqtt_driver {

namespace {

struct TopicParam {
  std::string tag;
  std::string topic;
  std::optional<std::string> field;
  std::optional<std::map<std::string, std::string>> map;
};
BOOST_DESCRIBE_STRUCT(TopicParam, (), (tag, topic, field, map))

struct CommandParam {
  std::string tag;
  std::string topic;
  std::optional<std::map<std::string, std::string>> payloads;
  int qos = 1;
  bool retain = false;
};
BOOST_DESCRIBE_STRUCT(CommandParam, (), (tag, topic, payloads, qos, retain))

// drivers[].params of MqttDeviceDriver (mqtt_device_driver.hpp says what each means).
struct MqttDeviceParams {
  bool autoconnect = true;
  std::optional<std::string> device;
  std::string presence_topic = "presence/{device}/status";
  std::string online_payload = "online";
  std::string offline_payload = "offline";
  std::vector<TopicParam> topics;
  std::vector<CommandParam> commands;
  bool demo_defaults = false;
  std::optional<std::string> broker_url;
};
BOOST_DESCRIBE_STRUCT(MqttDeviceParams, (),
                      (autoconnect, device, presence_topic, online_payload, offline_payload, topics,
                       commands, demo_defaults, broker_url))

// drivers[].params of the Python platform's MQTTTasmotaRelayDriver, as its fixture writes them.
struct TasmotaParams {
  bool autoconnect = true;
  std::optional<std::string> host;  // the broker: accepted, Weir's own PubSub is used
  std::optional<int> port;
  std::optional<std::string> client_id;
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::string device_topic;
  std::optional<std::map<std::string, std::string>> relay_mapping;
  std::optional<boost::json::value> subscriptions;
  std::optional<boost::json::value> publish;
};
BOOST_DESCRIBE_STRUCT(TasmotaParams, (),
                      (autoconnect, host, port, client_id, username, password, device_topic,
                       relay_mapping, subscriptions, publish))

struct NoConnectionInfo {};
BOOST_DESCRIBE_STRUCT(NoConnectionInfo, (), ())

// Adds the class's own semantic check (topics valid, payloads known, ...) after the keys/types.
template <class Config>
void add_semantic_check(communication::DriverClass& c,
                        Result<Config> (*parse)(const config::DriverConfig&)) {
  auto keys = c.check;
  c.check = [keys, parse](const config::DriverConfig& d, const std::string& path,
                          std::vector<config::ConfigIssue>& issues) {
    const auto before = issues.size();
    keys(d, path, issues);
    if (issues.size() != before) return;
    if (auto r = parse(d); !r) {
      // The parser names the driver by name ("drivers[esp32].params..."); report by position.
      std::string field = r.error().field.empty() ? path + ".params" : r.error().field;
      const std::string by_name = "drivers[" + d.name + "]";
      if (field.rfind(by_name, 0) == 0) field = path + field.substr(by_name.size());
      std::string message = r.error().message;
      if (auto colon = message.find(": ");
          colon != std::string::npos && message.rfind("drivers[", 0) == 0)
        message.erase(0, colon + 2);
      issues.push_back({"system_config.json", field, message, true});
    }
  };
}

class MqttDriverModule final : public module::ModuleWith<module::NoSettings> {
 public:
  explicit MqttDriverModule(module::ModuleHost& host) : host_(host) {
    host_.services.provide<std::shared_ptr<MqttDriverStats>>(stats_);
  }
  ~MqttDriverModule() override { host_.services.withdraw<std::shared_ptr<MqttDriverStats>>(); }
  static Result<std::unique_ptr<MqttDriverModule>> create(module::ModuleHost& host,
                                                          const config::SystemConfig&,
                                                          const Settings&) {
    return std::make_unique<MqttDriverModule>(host);
  }
  Status apply(const config::SystemConfig&, const Settings&) override { return {}; }
  void metrics(std::string& out) const override {
    api::metric(out, "weir_mqtt_driver_messages_total", "counter",
                "MQTT messages handled by MQTT drivers",
                static_cast<double>(stats_->messages.load()));
    api::metric(out, "weir_mqtt_driver_malformed_total", "counter",
                "Unusable payloads seen by MQTT drivers",
                static_cast<double>(stats_->malformed.load()));
    api::metric(out, "weir_mqtt_driver_commands_total", "counter",
                "Command payloads published by MQTT drivers",
                static_cast<double>(stats_->commands_sent.load()));
  }

 private:
  module::ModuleHost& host_;
  std::shared_ptr<MqttDriverStats> stats_ = std::make_shared<MqttDriverStats>();
};

std::shared_ptr<MqttDriverStats> stats_of(module::Services& s) {
  auto* st = s.find<std::shared_ptr<MqttDriverStats>>();
  return st ? *st : std::make_shared<MqttDriverStats>();
}

}  // namespace

}  // namespace weir::mqtt_driver

void weir_register_mqtt_driver_module(weir::module::ModuleRegistry& registry) {
  using namespace weir;
  using namespace weir::mqtt_driver;
  auto& classes = registry.extension<communication::DriverClasses>();
  auto device = communication::driver_class<MqttDeviceParams, NoConnectionInfo>(
      "MqttDeviceDriver",
      [](const config::DriverConfig& c, communication::DriverContext& ctx,
         module::Services& s) -> std::unique_ptr<communication::Driver> {
        return std::make_unique<MqttDeviceDriver>(c, ctx, s.get<mqtt::PubSub>(), stats_of(s));
      });
  add_semantic_check(device, &parse_mqtt_device_config);
  classes.add(device);
  for (const char* name : {"MQTTTasmotaRelayDriver", "TasmotaRelayDriver"}) {
    auto tasmota = communication::driver_class<TasmotaParams, NoConnectionInfo>(
        name,
        [](const config::DriverConfig& c, communication::DriverContext& ctx,
           module::Services& s) -> std::unique_ptr<communication::Driver> {
          return std::make_unique<TasmotaRelayDriver>(c, ctx, s.get<mqtt::PubSub>(), stats_of(s));
        });
    add_semantic_check(tasmota, &parse_tasmota_config);
    classes.add(tasmota);
  }
  registry.add(module::module_type<MqttDriverModule>(
      "mqtt_driver", "MQTT device drivers (MqttDeviceDriver, MQTTTasmotaRelayDriver): counters",
      {"mqtt_broker"}, true));
}
