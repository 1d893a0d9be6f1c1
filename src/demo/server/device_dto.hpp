#pragma once
// The demo's REST and live-feed shapes, declared once (JSON and OpenAPI schemas are derived).
#include <boost/describe.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "demo/server/device_log.hpp"
#include "demo/shared/payloads_json.hpp"

namespace weir::demo {

struct DeviceReadingDto {
  double temperature = 0;
  double humidity = 0;
  double threshold = 0;
  bool over_threshold = false;
  std::string unit;
  std::string time;  // when Weir received it
};
BOOST_DESCRIBE_STRUCT(DeviceReadingDto, (),
                      (temperature, humidity, threshold, over_threshold, unit, time))

struct DeviceDto {
  std::string id;
  bool configured = false;           // a demo device of this configuration (controllable)
  std::string presence = "unknown";  // unknown / online / offline
  std::optional<std::string> presence_time;
  std::optional<DeviceReadingDto> reading;    // the latest
  std::optional<std::string> mode;            // auto / override_on / override_off
  std::optional<std::string> buzzer;          // playing / silent
  std::optional<devices::BuzzerState> state;  // the device's last devices/{id}/state
  std::optional<std::string> state_time;
  std::uint64_t readings = 0;   // received since start
  std::uint64_t malformed = 0;  // unusable messages since start
};
BOOST_DESCRIBE_STRUCT(DeviceDto, (),
                      (id, configured, presence, presence_time, reading, mode, buzzer, state,
                       state_time, readings, malformed))

struct DeviceList {
  std::vector<DeviceDto> items;
};
BOOST_DESCRIBE_STRUCT(DeviceList, (), (items))

struct DeviceActionResult {
  std::string device;
  std::string action;   // play / stop / resume
  std::string payload;  // "true" / "false" / ""
  std::string topic;    // commands/{device}/play
  int qos = 1;
  std::string message;     // the dashboard route's text: Sent 'play' command to esp32
  std::string command_id;  // the command on {driver}@PLAY_CMD: GET /api/commands/{command_id}
  std::string status;      // its feedback so far: pending, ok, nok
};
BOOST_DESCRIBE_STRUCT(DeviceActionResult, (),
                      (device, action, payload, topic, qos, message, command_id, status))

struct ReadingLog {
  std::vector<ReadingRow> items;
};
BOOST_DESCRIBE_STRUCT(ReadingLog, (), (items))
struct PresenceLog {
  std::vector<PresenceRow> items;
};
BOOST_DESCRIBE_STRUCT(PresenceLog, (), (items))
struct CommandLog {
  std::vector<CommandRow> items;
};
BOOST_DESCRIBE_STRUCT(CommandLog, (), (items))
struct RejectedLog {
  std::vector<RejectedRow> items;
};
BOOST_DESCRIBE_STRUCT(RejectedLog, (), (items))

}  // namespace weir::demo
