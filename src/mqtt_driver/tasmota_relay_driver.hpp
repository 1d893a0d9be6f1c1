#pragma once
// MQTTTasmotaRelayDriver: the Python platform's Tasmota relay driver, configured exactly as its
// system_config.json does (SPEC §4):
//
//   "params": {"host": "127.0.0.1", "port": 1883, "client_id": "...", "username": "...",
//   "password": "...",
//              "device_topic": "xmas",
//              "relay_mapping": {"RELAY_1": "POWER1", "RELAY_2": "POWER2"},
//              "subscriptions": [{"topic": "stat/xmas/POWER+", "type": "status"},
//                                {"topic": "stat/xmas/RESULT", "type": "feedback"}],
//              "publish": {"command": "cmnd/{device}/{power}"}}
//
// RELAY_n_CMD = ON | OFF | TOGGLE publishes that word to cmnd/xmas/POWERn. stat/xmas/POWERn
// ("ON"/"OFF") sets RELAY_n_STATUS. stat/xmas/RESULT ({"POWER1":"ON"}) sets the status too and
// answers the relay's pending command: ok when the device reports the state asked for (any state
// for TOGGLE); the command module times out a command the device never confirms. On connect the
// driver asks each relay for its state (an empty cmnd/xmas/POWERn, as Tasmota defines).
//
// It runs against Weir's embedded broker in-process: host, port, client_id and credentials are
// accepted and ignored (logged once). Subscription patterns with '+' inside a level (the
// fixture's "stat/xmas/POWER+") are honoured as globs.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "communication/driver.hpp"
#include "mqtt/broker/pubsub.hpp"
#include "mqtt_driver/mqtt_driver_stats.hpp"
#include "mqtt_driver/topic_glob.hpp"

namespace weir::mqtt_driver {

struct TasmotaConfig {
  std::string device_topic;
  std::map<std::string, std::string> relay_mapping;  // RELAY_1 -> POWER1
  struct Subscription {
    TopicGlob topic;
    std::string type;  // status | feedback
  };
  std::vector<Subscription> subscriptions;
  std::string command_pattern = "cmnd/{device}/{power}";
  bool ignored_connection_params = false;  // host/port/credentials were given
};

Result<TasmotaConfig> parse_tasmota_config(const config::DriverConfig& cfg);

class TasmotaRelayDriver final : public communication::Driver {
 public:
  TasmotaRelayDriver(const config::DriverConfig& cfg, communication::DriverContext& ctx,
                     mqtt::PubSub& broker, std::shared_ptr<MqttDriverStats> stats);
  ~TasmotaRelayDriver() override;

  void connect() override;
  void disconnect() override;
  void command(const model::DriverCommand& cmd) override;
  // A configuration error keeps the driver offline with the error as its status detail.
  const std::string& config_error() const { return config_error_; }

  std::string command_topic(const std::string& power) const;

 private:
  struct Pending {
    std::string command_id;
    model::DatapointIndex index = 0;
    model::Value value;
    std::string asked;  // ON / OFF / TOGGLE
  };
  void on_message(const TasmotaConfig::Subscription& sub, const mqtt::InprocMessage& m);
  void on_power(std::string_view topic, const std::string& power, std::string_view state);
  void malformed(std::string_view topic, const std::string& why);

  std::string name_;
  communication::DriverContext& ctx_;
  mqtt::PubSub& broker_;
  std::shared_ptr<MqttDriverStats> stats_;
  TasmotaConfig cfg_;
  std::string config_error_;
  std::map<std::string, std::optional<model::DatapointIndex>> status_index_;  // by power (POWER1)
  std::map<std::string, Pending> pending_;                                    // by power
  std::vector<mqtt::SubscriptionHandle> subs_;
  bool connected_ = false;
  std::uint64_t malformed_logged_ = 0;
};

}  // namespace weir::mqtt_driver
