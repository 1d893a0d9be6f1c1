#pragma once
// DeviceMonitor: the demo devices (SPEC §9) as the SCADA path sees them. Each device is an
// MqttDeviceDriver whose datapoints ({driver}@TEMPERATURE, HUMIDITY, THRESHOLD, OVER_THRESHOLD,
// PRESENCE, MODE, BUZZER, MELODY_STEP, MELODY_SINCE, PLAY_CMD) are the only source of truth: the
// monitor reads them from the DatapointService, sends play/stop/resume as commands on
// {driver}@PLAY_CMD through the CommandService (validated, pending → ok/nok/timeout, published),
// and fills the seed's SQLite log from bus messages: device_presence from PRESENCE changes,
// sensor_readings from each sensor message (its tags coalesced into one row on the next tick),
// play_command_log from command feedback, rejected_messages from the driver's rejections.
// It serves the live feed "devices" (key: the device's position).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/live_feed.hpp"
#include "api/system_routes.hpp"
#include "bus/bus.hpp"
#include "command/command_service.hpp"
#include "datapoint/datapoint_service.hpp"
#include "demo/server/device_dto.hpp"
#include "demo/server/device_log.hpp"

namespace weir::demo {

enum class PlayAction { play, stop, resume };
std::optional<PlayAction> parse_action(std::string_view s);  // "play" / "stop" / "resume"
const char* action_name(PlayAction a);
const char* action_payload(PlayAction a);  // "true" / "false" / ""
const char* action_command(PlayAction a);  // PLAY_CMD value: "PLAY" / "STOP" / "RESUME"

struct DemoDevice {
  std::string id;      // in topics: sensors/{id}
  std::string driver;  // the MqttDeviceDriver's name (datapoints {driver}@TAG)
};

// The demo devices of a configuration: every MqttDeviceDriver (its params.device, or its name),
// limited to `only` when given (the devices module's settings).
std::vector<DemoDevice> demo_devices(const config::SystemConfig& config,
                                     const std::optional<std::vector<std::string>>& only);

class DeviceMonitor {
 public:
  // log and hub may be null. Everything passed must outlive the monitor.
  DeviceMonitor(const datapoint::DatapointService& values, command::CommandService& commands,
                bus::Bus& bus, DeviceLog* log, const Clock& clock, std::vector<DemoDevice> devices,
                api::LiveFeedHub* hub = nullptr);

  const std::vector<DemoDevice>& devices() const { return devices_; }
  const DemoDevice* find(std::string_view id) const;
  bool configured(std::string_view id) const { return find(id) != nullptr; }
  DeviceDto to_dto(const DemoDevice& d) const;
  // A configuration reload: the device list may have changed (the datapoints are rebound).
  void set_devices(std::vector<DemoDevice> devices);

  // play/stop/resume as a command on {driver}@PLAY_CMD, sent as `user`.
  Result<model::CommandFeedback> send(const DemoDevice& d, PlayAction action,
                                      const std::string& user);

  void tick();  // writes the sensor readings gathered since the last tick
  std::uint64_t malformed_total() const { return malformed_total_; }
  api::MetricsWriter metrics() const;

 private:
  struct Seen {
    std::uint64_t readings = 0;
    std::uint64_t malformed = 0;
    std::string presence_logged;  // the last PRESENCE written to device_presence
    bool reading_pending = false;
    WallTime reading_logged{};  // source time of the last sensor_readings row
  };
  const model::Value* value(const DemoDevice& d, std::string_view tag) const;
  const datapoint::DatapointState* state(const DemoDevice& d, std::string_view tag) const;
  std::optional<std::size_t> device_of_driver(std::string_view driver) const;
  void on_tag(const model::TagUpdate& u);
  void on_feedback(const model::CommandFeedback& f);
  void on_rejected(const model::DriverInputRejected& r);

  const datapoint::DatapointService& values_;
  command::CommandService& commands_;
  DeviceLog* log_;
  const Clock& clock_;
  api::LiveFeedHub* hub_;
  api::LiveFeedHub::FeedId feed_ = 0;
  std::vector<DemoDevice> devices_;
  std::vector<Seen> seen_;
  static constexpr std::uint32_t kNoDevice = UINT32_MAX;
  std::vector<std::uint32_t> device_of_index_;  // datapoint index -> position in devices_
  std::uint64_t malformed_total_ = 0;
  bus::Subscription tags_, feedback_, rejected_;
};

}  // namespace weir::demo
