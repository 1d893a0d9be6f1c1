#pragma once
// What the REST API and the live feed say, declared once: JSON form and OpenAPI schema both come
// from these declarations (core/json.hpp, core/json_schema.hpp).
#include <boost/describe.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <vector>

#include "model/messages.hpp"

namespace weir::api {

struct DatapointDto {
  std::string id;
  std::string driver;
  std::string tag;
  std::string type;
  boost::json::value value;
  model::Quality quality;
  model::QualityReason reason;
  std::string source_time;
  std::string server_time;
  bool command = false;
  std::optional<std::string> unit;
};
BOOST_DESCRIBE_STRUCT(DatapointDto, (),
                      (id, driver, tag, type, value, quality, reason, source_time, server_time,
                       command, unit))

struct DatapointList {
  std::vector<DatapointDto> items;
  std::size_t count = 0;
};
BOOST_DESCRIBE_STRUCT(DatapointList, (), (items, count))

struct DatapointWrite {
  boost::json::value value;
};
BOOST_DESCRIBE_STRUCT(DatapointWrite, (), (value))

struct CommandRequest {
  std::string datapoint;
  boost::json::value value;
  std::optional<std::string> command_id;
};
BOOST_DESCRIBE_STRUCT(CommandRequest, (), (datapoint, value, command_id))

struct CommandFeedbackDto {
  std::string command_id;
  std::string datapoint;
  boost::json::value value;
  model::CommandStatus status;
  model::CommandReason reason;
  std::string detail;
  std::string time;
  std::string user;
};
BOOST_DESCRIBE_STRUCT(CommandFeedbackDto, (),
                      (command_id, datapoint, value, status, reason, detail, time, user))

struct CommandFeedbackList {
  std::vector<CommandFeedbackDto> items;
};
BOOST_DESCRIBE_STRUCT(CommandFeedbackList, (), (items))

struct DriverDto {
  std::string name;
  std::string driver_class;
  model::DriverState state;
  bool enabled = true;
  bool available = true;
  std::string detail;
  std::string since;
  int reconnect_attempts = 0;
  std::size_t datapoints = 0;
};
BOOST_DESCRIBE_STRUCT(DriverDto, (),
                      (name, driver_class, state, enabled, available, detail, since,
                       reconnect_attempts, datapoints))

struct DriverList {
  std::vector<DriverDto> items;
};
BOOST_DESCRIBE_STRUCT(DriverList, (), (items))

struct Health {
  std::string status;  // "ok"
  std::string version;
  double uptime_s = 0;
  std::size_t datapoints = 0;
  std::size_t drivers_online = 0;
  std::size_t drivers_total = 0;
  std::optional<std::uint64_t> history_dropped;  // historian: values lost to a full queue
  std::optional<std::string> history_error;      // historian: its database does not answer
};
BOOST_DESCRIBE_STRUCT(Health, (),
                      (status, version, uptime_s, datapoints, drivers_online, drivers_total,
                       history_dropped, history_error))

struct ConfigIssueDto {
  std::string file;
  std::string path;
  std::string message;
  bool error = true;
};
BOOST_DESCRIBE_STRUCT(ConfigIssueDto, (), (file, path, message, error))

struct ReloadResult {
  bool applied = false;
  std::vector<ConfigIssueDto> issues;
};
BOOST_DESCRIBE_STRUCT(ReloadResult, (), (applied, issues))

}  // namespace weir::api
