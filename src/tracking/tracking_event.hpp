#pragma once
// One tracked event (SPEC §6 tracking): a message that crossed a module boundary, with the id of
// what it belongs to (one reading, one command, one alarm occurrence), its source, status, time
// and what it carried. Stored in a TrackingRing; rendered as TrackingEventDto for REST, the
// `tracking` feed and the JSON-lines file.
#include <boost/describe.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "model/messages.hpp"

namespace weir::tracking {

// SPEC §6's statuses.
enum class EventStatus { received, forwarded, success, failure, blocked, created, user_action };
BOOST_DESCRIBE_ENUM(EventStatus, received, forwarded, success, failure, blocked, created,
                    user_action)

// Which message it was.
enum class EventKind {
  raw_update,       // a driver's (or the API's) value, before validation
  tag_update,       // accepted by the datapoint module
  command,          // a step of a command (pending, ok, nok, timeout)
  driver_command,   // a command handed to its driver
  driver_feedback,  // the driver's answer
  alarm,            // an alarm occurrence's transition
  alert,            // a pop-up asked by a rule or a schedule
  user_action,      // what an operator did over REST
};
BOOST_DESCRIBE_ENUM(EventKind, raw_update, tag_update, command, driver_command, driver_feedback,
                    alarm, alert, user_action)

// A slot of the ring. Filled on the io thread without allocating for readings (the strings keep
// their capacity when the slot is reused); rendered only when someone asks.
struct Event {
  std::uint64_t event_id = 0;
  std::uint64_t reading = 0;  // a reading's correlation ("r-<n>") when `correlation` is empty
  std::string correlation;    // a command id, an alarm occurrence, ...
  std::string source;         // "driver", "datapoint", "command", "driver:WaterTank", "api", ...
  EventStatus status = EventStatus::received;
  EventKind kind = EventKind::raw_update;
  WallTime time{};
  model::DatapointIndex index = 0;  // readings, commands
  model::Value value;               // readings, commands
  model::Quality quality = model::Quality::good;
  model::QualityReason reason = model::QualityReason::none;
  std::string text;  // the summary of the kinds that are not readings
};

struct TrackingEventDto {
  std::uint64_t event_id = 0;
  std::string correlation_id;
  std::string source;
  EventStatus status = EventStatus::received;
  EventKind kind = EventKind::raw_update;
  std::string time;     // ISO 8601 UTC
  std::string summary;  // "WaterTank@TANK = 42.5 (good)", "WaterTank@PUMP_CMD = OPEN: ok", ...
};
BOOST_DESCRIBE_STRUCT(TrackingEventDto, (),
                      (event_id, correlation_id, source, status, kind, time, summary))

struct TrackingEventList {
  std::string mode;            // none, bus, file
  std::uint64_t recorded = 0;  // events recorded since start
  std::vector<TrackingEventDto> items;
};
BOOST_DESCRIBE_STRUCT(TrackingEventList, (), (mode, recorded, items))

}  // namespace weir::tracking
