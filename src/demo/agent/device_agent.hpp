#pragma once
// weir-device: one demo device (SPEC §9) on any machine. It connects to the broker as client id
// = device id with a retained "offline" Last Will, says "online", publishes a reading every
// interval, follows its peer's readings and presence and its own play commands through the pure
// CrossLink, drives the buzzer, and reports the buzzer on devices/{id}/state.
//
// One thread: run() alternates libmosquitto's network loop (which calls back into the agent) with
// the agent's timers (next reading, next note, next reconnect attempt). Nothing is shared.
#include <csignal>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/backoff.hpp"
#include "core/error.hpp"
#include "demo/agent/broker_url.hpp"
#include "demo/agent/buzzer.hpp"
#include "weir_demo/crosslink.hpp"
#include "weir_demo/payloads.hpp"

struct mosquitto;
struct mosquitto_message;

namespace weir::device_agent {

struct AgentConfig {
  std::string id;
  std::string peer;
  BrokerUrl broker;
  std::string username;                 // empty: anonymous
  std::optional<std::string> password;  // --password or WEIR_DEVICE_PASSWORD
  int keepalive_s = 5;
  int mqtt_version = 311;  // 311 or 5
  std::string cafile;      // mqtts://: CA file; empty = the system's CAs
  bool tls_insecure = false;
  double interval_s = 3.0;      // between readings
  double max_backoff_s = 30.0;  // cap of the reconnect delay
  const devices::Melody* melody = &devices::default_melody();
  bool melody_log = false;   // a log line per note
  bool step_reports = true;  // a state report per note (else only on decisions)
};

using SensorSource = std::function<devices::SensorReading()>;

class DeviceAgent {
 public:
  static Result<std::unique_ptr<DeviceAgent>> create(AgentConfig config, SensorSource sensor,
                                                     std::unique_ptr<Buzzer> buzzer);
  ~DeviceAgent();
  DeviceAgent(const DeviceAgent&) = delete;
  DeviceAgent& operator=(const DeviceAgent&) = delete;

  // Runs until `stop` becomes non-zero (SIGINT/SIGTERM), then says "offline" and disconnects.
  int run(const volatile std::sig_atomic_t& stop);

 private:
  enum class Link { disconnected, connecting, connected };

  DeviceAgent(AgentConfig config, SensorSource sensor, std::unique_ptr<Buzzer> buzzer);
  Status init();

  void attempt_connect(devices::TimeMs now);
  void lost(const std::string& why);  // the connection (or the attempt) is gone: schedule a retry
  void publish(const std::string& topic, const std::string& payload, int qos, bool retain,
               int* mid = nullptr);
  void publish_reading();
  void publish_state();
  void apply(const devices::Change& c, std::string_view cause);
  void shutdown();

  void on_connect(int rc);
  void on_disconnect(int rc);
  void on_message(const mosquitto_message& m);
  void on_publish(int mid);

  template <class... A>
  void log(std::string_view kind, std::string_view format, A&&... args);

  AgentConfig config_;
  SensorSource sensor_;
  std::unique_ptr<Buzzer> buzzer_;
  mosquitto* mosq_ = nullptr;
  devices::CrossLink link_;

  std::string command_topic_, peer_sensor_topic_, peer_presence_topic_;
  std::string sensor_topic_, presence_topic_, state_topic_;

  Link state_ = Link::disconnected;
  bool attempted_ = false;  // connect_async done once; reconnect_async after
  devices::TimeMs next_attempt_ = 0;
  devices::TimeMs attempt_deadline_ = 0;
  devices::TimeMs next_sample_ = 0;
  Backoff backoff_;
  std::uint16_t buzzer_hz_ = 0;
  devices::TimeMs since_mono_ = ~devices::TimeMs{0};
  std::string since_wall_;
  int last_acked_mid_ = -1;
  std::uint64_t readings_sent_ = 0, malformed_readings_ = 0, rejected_commands_ = 0;
};

}  // namespace weir::device_agent
