#pragma once
// system_config.json, with the Python platform's top-level keys (SPEC §2). Every error names the
// file, the JSON path and what is wrong; every error is listed, not just the first.
#include <boost/json.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "model/value.hpp"

namespace weir::config {

struct DatapointConfig {
  std::string name;  // tag, or "Driver@TAG" when mirroring another driver's tag
  std::string type;  // a key of dp_types
};

struct DriverConfig {
  std::string name;
  std::string driver_class;
  boost::json::object params;
  boost::json::object connection_info;
  std::vector<DatapointConfig> datapoints;
  std::vector<DatapointConfig> command_datapoints;
};

struct ModuleConfig {
  std::string name;
  boost::json::object config;
};

struct RuleConfig {
  std::string rule_id;
  std::string on_condition;
  std::vector<std::string> on_actions;
  std::string off_condition;
  std::vector<std::string> off_actions;
};

struct ConfigIssue {
  std::string file;
  std::string path;     // JSON path: drivers[2].datapoints[0].type
  std::string message;  // unknown type "FLOT"
  bool error = true;    // false: a warning (loaded, but something is degraded)
  std::string to_string()
      const;  // "system_config.json: drivers[2].datapoints[0].type: unknown type \"FLOT\""
};

struct SystemConfig {
  std::map<std::string, model::DatapointType> dp_types;
  std::vector<DriverConfig> drivers;
  std::vector<ModuleConfig> modules;
  std::vector<RuleConfig> rules;
  boost::json::array gis_icons;
  boost::json::array streams;
  boost::json::object animations;
  std::optional<boost::json::array> svg_files;
  boost::json::object document;  // the file as loaded, every key kept (for the config editor)

  const ModuleConfig* module(std::string_view name) const;
  bool has_module(std::string_view name) const { return module(name) != nullptr; }
};

struct LoadResult {
  std::optional<SystemConfig> config;  // empty when any issue is an error
  std::vector<ConfigIssue> issues;
  bool ok() const { return config.has_value(); }
  std::string errors_text() const;  // every error, one per line
};

LoadResult parse_system_config(std::string_view text,
                               const std::string& file_name = "system_config.json");
LoadResult load_system_config(const std::string& path);

// Reads a whole file; error names the path and errno text. Bounded (config files are small).
Result<std::string> read_text_file(const std::string& path, std::size_t max_bytes = 16u << 20);
// Writes atomically: temp file in the same directory, fsync, rename; keeps `keep` old versions
// as NAME.1 .. NAME.keep.
Status write_file_atomically(const std::string& path, std::string_view content, int keep = 5);

}  // namespace weir::config
