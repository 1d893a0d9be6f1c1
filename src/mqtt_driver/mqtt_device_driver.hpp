#pragma once
// MqttDeviceDriver: a device that speaks MQTT, mapped onto datapoints (SPEC §4, §9).
//
//   {"name": "esp32", "driver_class": "MqttDeviceDriver",
//    "params": {
//      "device": "esp32",                          // {device} in topics; default: the driver name
//      "presence_topic": "presence/{device}/status",  // default; "" = online as soon as connected
//      "online_payload": "online", "offline_payload": "offline",
//      "topics": [                                 // datapoints from topics
//        {"tag": "TEMPERATURE", "topic": "sensors/{device}", "field": "temperature"},
//        {"tag": "MODE", "topic": "devices/{device}/state", "field": "mode"},
//        {"tag": "PRESENCE", "topic": "presence/{device}/status"},          // plain payload
//        {"tag": "BUZZER", "topic": "devices/{device}/state", "field": "playing",
//         "map": {"true": "PLAYING", "false": "SILENT"}}],
//      "commands": [                               // commands to topics
//        {"tag": "PLAY_CMD", "topic": "commands/{device}/play",
//         "payloads": {"PLAY": "true", "STOP": "false", "RESUME": ""}, "qos": 1, "retain": false}],
//      "demo_defaults": true},                     // default mappings for the demo's tags
//    "datapoints": [{"name": "TEMPERATURE", "type": "DEVICE_TEMPERATURE"}, ...],
//    "command_datapoints": [{"name": "PLAY_CMD", "type": "PLAY_CMD"}]}
//
// With demo_defaults (off unless the configuration asks, as the demo's does), a datapoint or
// command datapoint named like one of the demo device's tags (TEMPERATURE, HUMIDITY, THRESHOLD,
// OVER_THRESHOLD, PRESENCE, MODE, BUZZER, MELODY_STEP, MELODY_SINCE, MELODY, PLAY_CMD) and not
// mapped explicitly gets the mapping above, so a config needs only its datapoints.
//
// Connection: the driver subscribes through the embedded broker's in-process API (no socket).
// With a presence topic, it is online when the device says online (a retained message counts)
// and offline — datapoint quality drops — when it says offline (its Last Will); until then it
// stays "connecting". params.broker_url (an external broker) is not supported by this build:
// the driver stays offline and says so.
//
// Command feedback: ok once the embedded broker accepted the publish in-process (routed to the
// subscribed sessions; a QoS 1 message is then queued for the device's session until it
// acknowledges, even if it is momentarily disconnected with a persistent session); nok
// wrong_value when the value has no payload; nok driver_offline while the device is offline.
//
// Malformed payloads (bad JSON, missing field, value of the wrong kind) are counted, logged
// (rate-limited) and dropped; values go through DatapointService validation like any tag.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "communication/driver.hpp"
#include "mqtt/broker/pubsub.hpp"
#include "mqtt_driver/mqtt_driver_stats.hpp"

namespace weir::mqtt_driver {

struct TopicMapping {
  std::string tag;
  std::string topic;                       // MQTT topic (or filter), {device} substituted
  std::string field;                       // dotted JSON path; "" = the payload itself (plain text)
  std::map<std::string, std::string> map;  // raw text -> value
};

struct CommandMapping {
  std::string tag;
  std::string topic;
  std::map<std::string, std::string> payloads;  // command value -> payload; empty: the value's text
  int qos = 1;
  bool retain = false;
};

struct MqttDeviceConfig {
  std::string device;
  std::string presence_topic;  // "" = none
  std::string online_payload = "online";
  std::string offline_payload = "offline";
  std::vector<TopicMapping> topics;
  std::vector<CommandMapping> commands;
  std::string broker_url;  // external broker (unsupported here)
};

// Reads params (every problem named with its path: "drivers[esp32].params.topics[1].tag: ...").
Result<MqttDeviceConfig> parse_mqtt_device_config(const config::DriverConfig& cfg);

// The demo device's mapping for one tag, or nullopt for tags it does not know.
std::optional<TopicMapping> demo_topic_mapping(std::string_view tag, std::string_view device);
std::optional<CommandMapping> demo_command_mapping(std::string_view tag, std::string_view device);

class MqttDeviceDriver final : public communication::Driver {
 public:
  MqttDeviceDriver(const config::DriverConfig& cfg, communication::DriverContext& ctx,
                   mqtt::PubSub& broker, std::shared_ptr<MqttDriverStats> stats);
  ~MqttDeviceDriver() override;

  void connect() override;
  void disconnect() override;
  void command(const model::DriverCommand& cmd) override;
  // A configuration error keeps the driver offline with the error as its status detail.
  const std::string& config_error() const { return config_error_; }

  const MqttDeviceConfig& mapping() const { return cfg_; }
  bool device_online() const { return device_online_; }

 private:
  struct Bound;
  void on_message(const mqtt::InprocMessage& m);
  bool on_presence(std::string_view payload);  // false: malformed
  // "" when published, else why the value could not be used.
  std::string publish_value(const Bound& b, const boost::json::value& raw);
  void malformed(std::string_view topic, const std::string& why, std::string_view payload);

  std::string name_;
  communication::DriverContext& ctx_;
  mqtt::PubSub& broker_;
  std::shared_ptr<MqttDriverStats> stats_;
  MqttDeviceConfig cfg_;
  std::string config_error_;
  std::vector<Bound> bound_;
  std::vector<mqtt::SubscriptionHandle> subs_;
  bool connected_ = false;
  bool device_online_ = false;
  bool device_said_offline_ = false;
  std::uint64_t malformed_logged_ = 0;
};

}  // namespace weir::mqtt_driver
