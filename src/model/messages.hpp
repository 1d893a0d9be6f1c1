#pragma once
// Every message that crosses a module boundary on the bus, declared once. The REST and WebSocket
// forms of the ones the outside sees are the DTOs in dto.hpp, built from these.
//
// Seams for modules still to come (rules, alarms, alerts, animation, GIS, historian) are declared
// here too so their producers and consumers agree on one shape.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "model/quality.hpp"
#include "model/value.hpp"

namespace weir::model {

using DatapointIndex = std::uint32_t;  // dense index into the datapoint registry

// A driver (or the API, for manual writes) reports a value. Not yet validated.
struct RawTagUpdate {
  DatapointIndex index = 0;
  Value value;
  WallTime source_time{};
  Quality quality = Quality::good;
  QualityReason reason = QualityReason::none;
  const char* origin = "driver";  // "driver", "api", "mqtt", "rule" — static strings only
  // Follows the reading (or the command that caused it) through tracking: "" when none, else the
  // id of the command whose effect this is. Points into the sender's data: valid during dispatch.
  std::string_view correlation_id;
};

// An accepted update: the datapoint store changed. Published after validation.
struct TagUpdate {
  DatapointIndex index = 0;
  const Value* value = nullptr;  // points into the store; valid during dispatch only
  WallTime source_time{};
  WallTime server_time{};
  Quality quality = Quality::good;
  QualityReason reason = QualityReason::none;
  // The raw update this came from (valid during dispatch); null for quality changes the
  // datapoint module makes itself (a driver going offline). Tracking follows a reading by it.
  const RawTagUpdate* raw = nullptr;
};

enum class DriverState { offline, connecting, online };
BOOST_DESCRIBE_ENUM(DriverState, offline, connecting, online)

struct DriverStatusChanged {
  std::string driver;
  DriverState state = DriverState::offline;
  std::string detail;  // why (e.g. "connection refused", "disconnected by admin")
  WallTime time{};
};

enum class DriverAction { connect, disconnect, toggle };
BOOST_DESCRIBE_ENUM(DriverAction, connect, disconnect, toggle)

enum class CommandStatus { pending, ok, nok, timeout };
BOOST_DESCRIBE_ENUM(CommandStatus, pending, ok, nok, timeout)

enum class CommandReason {
  none,
  wrong_value,
  driver_offline,
  rejected_by_device,
  unknown_datapoint,
  no_driver
};
BOOST_DESCRIBE_ENUM(CommandReason, none, wrong_value, driver_offline, rejected_by_device,
                    unknown_datapoint, no_driver)

// A command accepted by the command module and handed to the driver that owns the datapoint.
struct DriverCommand {
  std::string command_id;
  DatapointIndex index = 0;
  std::string driver;
  std::string tag;  // the part after '@'
  Value value;
};

// A step in a command's life. Published by the command module (pending, timeout, nok before
// reaching a driver) and by drivers (ok, nok).
struct CommandFeedback {
  std::string command_id;
  DatapointIndex index = 0;
  Value value;
  CommandStatus status = CommandStatus::pending;
  CommandReason reason = CommandReason::none;
  std::string detail;
  WallTime time{};
  std::string user;
};

// A driver's answer to a DriverCommand; the command module turns it into CommandFeedback.
struct DriverFeedback {
  CommandFeedback feedback;
};

// An operator (or a rule) asks for a driver to be connected, disconnected or toggled.
struct DriverControlRequest {
  std::string driver;
  DriverAction action = DriverAction::connect;
  std::string user;
};

// --- Seams for the logic modules (built in later issues) ---------------------------------------
enum class AlarmState { ACTIVE, ACK, INACTIVE, FINISHED };
BOOST_DESCRIBE_ENUM(AlarmState, ACTIVE, ACK, INACTIVE, FINISHED)

// A rule asks for its alarm (rules module → alarm module). The rule id is valid during dispatch.
struct AlarmRequest {
  std::string_view rule_id;
  bool raise = true;  // false: lower
  WallTime time{};
};

// A rule's client_alert (rules or schedules → alert module).
struct AlertRequest {
  std::string source;  // the rule or schedule id
  std::string message;
  std::string type;               // info, success, warning, error, confirm_cancel
  std::string command_datapoint;  // "" without a command
  Value command_value;
  double timeout_s = 30;
  WallTime time{};
};

struct AlarmUpdate {
  std::string occurrence_id;
  std::string rule_id;
  AlarmState state = AlarmState::ACTIVE;
  WallTime activation_time{};
  std::optional<WallTime> deactivation_time;
  std::optional<WallTime> acknowledge_time;
  std::string user;
};

// Input from a device that a driver could not use (bad JSON, a missing field, a value of the
// wrong kind): one per message, with the message's first problem. Payload: printable text of at
// most 512 bytes, or its first bytes in hex ("hex:fffe...") when it is not UTF-8.
struct DriverInputRejected {
  std::string driver;
  std::string topic;  // where it came from (an MQTT topic, a register, ...)
  std::string error;
  std::string payload;
  WallTime time{};
};

// A user or module action worth auditing and tracing (driver control, manual write, ...).
struct UserAction {
  std::string user;
  std::string address;
  std::string action;  // "command", "driver_control", "write_datapoint", ...
  std::string target;
  bool ok = true;
  std::string detail;
  WallTime time{};
  std::string correlation_id;  // what it started, when tracking can follow it (a command's id)
};

}  // namespace weir::model
