#pragma once
// DeviceMonitor: Weir's view of the demo devices (SPEC §9). It listens in-process on the broker
// to sensors/+, presence/+/status, devices/+/state and commands/+/play, keeps each device's
// latest reading, presence, mode and buzzer, writes the DeviceLog, and serves the live feed
// "devices" (key: the device's position in devices()). It also sends play/stop/resume.
//
// Configured devices (the demo's) are always listed and are the only ones that can be
// controlled; others seen on the topics are tracked too, up to kMaxDiscovered (the topics come
// from the network). Malformed payloads are counted per device, logged (rate-limited) and stored
// in the rejected_messages table; they never change what is known.
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/live_feed.hpp"
#include "api/system_routes.hpp"
#include "demo/device_dto.hpp"
#include "demo/device_log.hpp"
#include "devices/payloads.hpp"
#include "mqtt/broker/pubsub.hpp"

namespace weir::demo {

enum class PlayAction { play, stop, resume };
std::optional<PlayAction> parse_action(std::string_view s);  // "play" / "stop" / "resume"
const char* action_name(PlayAction a);
const char* action_payload(PlayAction a);  // "true" / "false" / ""

struct DeviceStatus {
  std::string id;
  bool configured = false;
  std::string presence = "unknown";  // unknown / online / offline
  WallTime presence_time{};
  std::optional<devices::SensorReading> reading;
  WallTime reading_time{};
  std::optional<devices::BuzzerState> state;
  WallTime state_time{};
  std::uint64_t readings = 0;
  std::uint64_t malformed = 0;
};

class DeviceMonitor {
 public:
  static constexpr std::size_t kMaxDiscovered = 64;

  // log and hub may be null. The broker, log and hub must outlive the monitor.
  DeviceMonitor(mqtt::PubSub& broker, DeviceLog* log, const Clock& clock,
                std::vector<std::string> configured, api::LiveFeedHub* hub = nullptr);
  ~DeviceMonitor();

  const std::vector<DeviceStatus>& devices() const { return devices_; }
  const DeviceStatus* find(std::string_view id) const;
  bool configured(std::string_view id) const;

  // Publishes the action's payload to commands/{device}/play at QoS 1 through the broker, and
  // logs it with who sent it. The device must be configured (checked by the caller).
  std::string send(const std::string& device, PlayAction action, const std::string& user,
                   const std::string& source);

  std::uint64_t malformed_total() const { return malformed_total_; }
  std::uint64_t messages_total() const { return messages_total_; }
  api::MetricsWriter metrics() const;

  // One device as the feed and GET /api/devices/{device} show it.
  static DeviceDto to_dto(const DeviceStatus& d);

 private:
  DeviceStatus* slot(std::string_view id);  // finds or adds (bounded); null when full
  void on_sensors(const mqtt::InprocMessage& m);
  void on_presence(const mqtt::InprocMessage& m);
  void on_state(const mqtt::InprocMessage& m);
  void on_command(const mqtt::InprocMessage& m);
  void reject(DeviceStatus* d, std::string_view device, std::string_view topic, std::string error,
              std::string_view payload);
  void changed(const DeviceStatus& d);

  mqtt::PubSub& broker_;
  DeviceLog* log_;
  const Clock& clock_;
  api::LiveFeedHub* hub_;
  api::LiveFeedHub::FeedId feed_ = 0;
  std::vector<DeviceStatus> devices_;
  std::uint64_t malformed_total_ = 0;
  std::uint64_t messages_total_ = 0;
  std::uint64_t malformed_logged_ = 0;
  // Who sent a command, until its echo on commands/{device}/play is logged. The echo comes at
  // once from the embedded broker, later from an external one; unmatched entries expire.
  struct Attribution {
    std::string device, payload, user, source;
    MonoTime at{};
  };
  std::deque<Attribution> sent_;
  std::vector<mqtt::SubscriptionHandle> subs_;
};

}  // namespace weir::demo
