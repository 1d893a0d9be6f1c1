#pragma once
// Every datapoint the configuration declares, interned to a dense index: drivers and modules
// resolve "Driver@TAG" once and then pass integers on the hot path.
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/system_config.hpp"
#include "core/error.hpp"
#include "model/messages.hpp"

namespace weir::datapoint {

using model::DatapointIndex;

struct DatapointInfo {
  std::string id;                              // "WaterTank@TANK"
  std::string driver;                          // "WaterTank"
  std::string tag;                             // "TANK"
  const model::DatapointType* type = nullptr;  // null when the configured type is unknown
  std::string type_name;
  bool is_command = false;
};

class Registry {
 public:
  static std::shared_ptr<const Registry> build(const config::SystemConfig& config);

  Result<DatapointIndex> find(std::string_view id) const;
  const DatapointInfo& info(DatapointIndex i) const { return points_[i]; }
  std::size_t size() const { return points_.size(); }
  const std::vector<DatapointInfo>& all() const { return points_; }
  // Indices of the datapoints owned by a driver (not mirrors), in configuration order.
  const std::vector<DatapointIndex>& of_driver(std::string_view driver) const;
  const model::DatapointType* type(std::string_view name) const;

 private:
  std::vector<DatapointInfo> points_;
  std::unordered_map<std::string, DatapointIndex> by_id_;
  std::unordered_map<std::string, std::vector<DatapointIndex>> by_driver_;
  std::map<std::string, model::DatapointType> types_;
};

}  // namespace weir::datapoint
