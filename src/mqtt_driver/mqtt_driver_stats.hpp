#pragma once
// Counters shared by every MQTT driver of a process (exposed in /metrics by the app). The drivers
// run on the io thread; the counters are atomics only so that a metrics scrape on another thread
// reads them safely.
#include <atomic>
#include <cstdint>

namespace weir::mqtt_driver {

struct MqttDriverStats {
  std::atomic<std::uint64_t> messages{0};          // MQTT messages the drivers handled
  std::atomic<std::uint64_t> values{0};            // RawTagUpdates published from them
  std::atomic<std::uint64_t> malformed{0};         // payloads or fields that could not be used
  std::atomic<std::uint64_t> commands_sent{0};     // command payloads published
  std::atomic<std::uint64_t> commands_refused{0};  // commands answered nok by the driver
};

}  // namespace weir::mqtt_driver
