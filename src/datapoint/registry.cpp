#include "datapoint/registry.hpp"

namespace weir::datapoint {

std::shared_ptr<const Registry> Registry::build(const config::SystemConfig& config) {
  auto r = std::make_shared<Registry>();
  r->types_ = config.dp_types;
  auto add = [&](const std::string& driver, const config::DatapointConfig& dp, bool command) {
    std::string id, owner, tag;
    if (auto at = dp.name.find('@'); at != std::string::npos) {
      owner = dp.name.substr(0, at);
      tag = dp.name.substr(at + 1);
      id = dp.name;
    } else {
      owner = driver;
      tag = dp.name;
      id = driver + "@" + dp.name;
    }
    if (r->by_id_.count(id)) return;  // a mirror of a datapoint declared by its owner
    DatapointInfo info;
    info.id = id;
    info.driver = owner;
    info.tag = tag;
    info.type_name = dp.type;
    auto t = r->types_.find(dp.type);
    info.type = t == r->types_.end() ? nullptr : &t->second;
    info.is_command = command || (owner != driver && tag.size() > 4 && tag.ends_with("_CMD"));
    const auto index = static_cast<DatapointIndex>(r->points_.size());
    r->by_id_.emplace(id, index);
    if (owner == driver) r->by_driver_[owner].push_back(index);
    r->points_.push_back(std::move(info));
  };
  // Owners first, so that a mirror in an earlier driver does not claim another driver's tag.
  for (const auto& d : config.drivers)
    for (const auto& dp : d.datapoints)
      if (dp.name.find('@') == std::string::npos) add(d.name, dp, false);
  for (const auto& d : config.drivers)
    for (const auto& dp : d.command_datapoints)
      if (dp.name.find('@') == std::string::npos) add(d.name, dp, true);
  for (const auto& d : config.drivers) {
    for (const auto& dp : d.datapoints) add(d.name, dp, false);
    for (const auto& dp : d.command_datapoints) add(d.name, dp, true);
  }
  return r;
}

Result<DatapointIndex> Registry::find(std::string_view id) const {
  auto it = by_id_.find(std::string(id));
  if (it == by_id_.end())
    return not_found("unknown_datapoint", "unknown datapoint \"" + std::string(id) + "\"",
                     "datapoint");
  return it->second;
}

const std::vector<DatapointIndex>& Registry::of_driver(std::string_view driver) const {
  static const std::vector<DatapointIndex> none;
  auto it = by_driver_.find(std::string(driver));
  return it == by_driver_.end() ? none : it->second;
}

const model::DatapointType* Registry::type(std::string_view name) const {
  auto it = types_.find(std::string(name));
  return it == types_.end() ? nullptr : &it->second;
}

}  // namespace weir::datapoint
