#pragma once
// The driver classes a build has, by drivers[].driver_class: how to make one, how to check its
// params and connection_info (every problem named with its JSON path), and their JSON Schema.
// The communication module registers the simulated drivers; other folders add theirs to the
// same DriverClasses (a ModuleRegistry extension), e.g. src/mqtt_driver.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "communication/driver.hpp"
#include "config/system_config.hpp"
#include "core/settings_json.hpp"
#include "module/services.hpp"

namespace weir::communication {

struct DriverClass {
  std::string name;  // drivers[].driver_class
  std::function<std::unique_ptr<Driver>(const config::DriverConfig&, DriverContext&,
                                        module::Services&)>
      make;
  // `path` is "drivers[2]"; report at path + ".params.x" / ".connection_info.y".
  std::function<void(const config::DriverConfig&, const std::string& path,
                     std::vector<config::ConfigIssue>& issues)>
      check;
  std::function<boost::json::value()> params_schema;      // drivers[].params
  std::function<boost::json::value()> connection_schema;  // drivers[].connection_info
};

class DriverClasses {
 public:
  void add(DriverClass c);  // replaces a class of the same name
  const DriverClass* find(std::string_view name) const;
  const std::vector<DriverClass>& all() const { return classes_; }

 private:
  std::vector<DriverClass> classes_;
};

// A DriverClass whose params and connection_info are settings structs (core/settings_json.hpp):
// unknown keys refused, defaults for missing ones.
template <class Params, class Connection>
DriverClass driver_class(std::string name,
                         std::function<std::unique_ptr<Driver>(const config::DriverConfig&,
                                                               DriverContext&, module::Services&)>
                             make) {
  DriverClass c;
  c.name = std::move(name);
  c.make = std::move(make);
  c.check = [](const config::DriverConfig& d, const std::string& path,
               std::vector<config::ConfigIssue>& issues) {
    auto report = [&](const Error& e) {
      std::string message = e.message;
      if (!e.field.empty() && message.rfind(e.field + ": ", 0) == 0)
        message.erase(0, e.field.size() + 2);
      issues.push_back({"system_config.json", e.field, std::move(message), true});
    };
    Params p{};
    if (auto st = json::decode_settings(boost::json::value(d.params), p, path + ".params"); !st)
      report(st.error());
    Connection ci{};
    if (auto st = json::decode_settings(boost::json::value(d.connection_info), ci,
                                        path + ".connection_info");
        !st)
      report(st.error());
  };
  c.params_schema = [] { return json::settings_schema<Params>(); };
  c.connection_schema = [] { return json::settings_schema<Connection>(); };
  return c;
}

// connection_info of the Python platform's drivers ({"server_name": ...}): accepted, unused.
struct PythonConnectionInfo {
  std::optional<std::string> server_name;
};
BOOST_DESCRIBE_STRUCT(PythonConnectionInfo, (), (server_name))

}  // namespace weir::communication
