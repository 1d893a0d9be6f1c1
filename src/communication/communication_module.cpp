#include "communication/communication_module.hpp"

#include <fmt/format.h>

#include <set>

#include "api/system_routes.hpp"
#include "api/user_action.hpp"
#include "communication/simulated_driver.hpp"
#include "datapoint/datapoint_service.hpp"

namespace weir::communication {

using api::RequestContext;

api::DriverDto to_dto(const DriverInfo& d) {
  return api::DriverDto{d.name,
                        d.driver_class,
                        d.state,
                        d.enabled,
                        d.available,
                        d.detail,
                        to_iso8601(d.since),
                        d.reconnect_attempts,
                        d.datapoints};
}

namespace {

// params of the simulated drivers (and the Python platform's names for them).
struct SimulatedParams {
  bool autoconnect = true;             // connect at start-up (false: an operator connects it)
  bool autostart = false;              // run at once, as if TEST_CMD = START
  bool auto_cycle = false;             // a simulated operator keeps the plant moving
  std::optional<double> tick_ms;       // simulation step (default 1000)
  std::optional<double> toggle_delay;  // the Python StressTestDriver's step, in seconds
  std::uint32_t seed = 7;              // random values are repeatable
};
BOOST_DESCRIBE_STRUCT(SimulatedParams, (),
                      (autoconnect, autostart, auto_cycle, tick_ms, toggle_delay, seed))

DriverClass simulated(std::string name, std::unique_ptr<Driver> (*make)(const config::DriverConfig&,
                                                                        DriverContext&)) {
  return driver_class<SimulatedParams, PythonConnectionInfo>(
      std::move(name), [make](const config::DriverConfig& c, DriverContext& ctx,
                              module::Services&) { return make(c, ctx); });
}

class CommunicationModule final : public module::ModuleWith<module::NoSettings> {
 public:
  CommunicationModule(module::ModuleHost& host, const config::SystemConfig& cfg)
      : host_(host),
        values_(host.services.get<datapoint::DatapointService>()),
        classes_(host.registry.find_extension<DriverClasses>()) {
    manager_ = make_manager(cfg);
    add_routes();
    feed_ = host_.hub.add_feed({"communication", "view",
                                [this](std::string& out) {
                                  bool first = true;
                                  for (const auto& d : manager_->list()) {
                                    if (!first) out.push_back(',');
                                    first = false;
                                    json::dump_to(out, json::to_json(to_dto(d)));
                                  }
                                },
                                [this](std::uint64_t key, std::string& out) {
                                  auto list = manager_->list();
                                  if (key >= list.size())
                                    out += "null";
                                  else
                                    json::dump_to(out, json::to_json(to_dto(list[key])));
                                }});
    status_ = host_.bus.subscribe<model::DriverStatusChanged>(
        [this](const model::DriverStatusChanged& s) {
          auto list = manager_->list();
          for (std::size_t i = 0; i < list.size(); ++i)
            if (list[i].name == s.driver) host_.hub.mark(feed_, i);
        });
  }

  static Result<std::unique_ptr<CommunicationModule>> create(module::ModuleHost& host,
                                                             const config::SystemConfig& cfg,
                                                             const Settings&) {
    return std::make_unique<CommunicationModule>(host, cfg);
  }

  static void check(const module::ModuleRegistry& registry, const config::SystemConfig& cfg,
                    const Settings&, const std::string&, std::vector<config::ConfigIssue>& issues) {
    const auto* classes = registry.find_extension<DriverClasses>();
    for (std::size_t i = 0; i < cfg.drivers.size(); ++i) {
      const auto& d = cfg.drivers[i];
      const std::string path = "drivers[" + std::to_string(i) + "]";
      const DriverClass* c = classes ? classes->find(d.driver_class) : nullptr;
      if (!c) {
        issues.push_back({"system_config.json", path + ".driver_class",
                          "driver class \"" + d.driver_class +
                              "\" is not available in this build (the driver stays offline)",
                          false});
        continue;
      }
      if (c->check) c->check(d, path, issues);
    }
  }

  // drivers[].params and connection_info, by driver_class.
  static void extend_schema(const module::ModuleRegistry& registry, boost::json::object& root) {
    const auto* classes = registry.find_extension<DriverClasses>();
    if (!classes) return;
    boost::json::array cases;
    boost::json::array names;
    for (const auto& c : classes->all()) {
      names.emplace_back(c.name);
      boost::json::object props;
      if (c.params_schema) props["params"] = c.params_schema();
      if (c.connection_schema) props["connection_info"] = c.connection_schema();
      cases.emplace_back(
          boost::json::object{{"if", {{"properties", {{"driver_class", {{"const", c.name}}}}}}},
                              {"then", {{"properties", std::move(props)}}}});
    }
    auto& driver = root["properties"].as_object()["drivers"].as_object()["items"].as_object();
    driver["allOf"] = std::move(cases);
    driver["properties"].as_object()["driver_class"].as_object()["examples"] = std::move(names);
  }

  Status start() override {
    manager_->start();
    return {};
  }
  void stop() override { manager_->stop(); }
  void tick() override { manager_->tick(); }

  Status apply(const config::SystemConfig& cfg, const Settings&) override {
    std::set<std::string> disabled;
    for (const auto& d : manager_->list())
      if (!d.enabled && d.available) disabled.insert(d.name);
    manager_->stop();
    manager_.reset();
    manager_ = make_manager(cfg);
    for (const auto& name : disabled)
      if (manager_->find(name)) (void)manager_->control(name, model::DriverAction::disconnect);
    manager_->start();
    return {};
  }

  void metrics(std::string& out) const override {
    out +=
        "# HELP weir_driver_online Driver connection state (1 online)\n"
        "# TYPE weir_driver_online gauge\n";
    for (const auto& d : manager_->list())
      api::metric(out, "weir_driver_online", "", "", d.state == model::DriverState::online ? 1 : 0,
                  fmt::format("driver=\"{}\"", d.name));
  }
  void health(api::Health& h) const override {
    for (const auto& d : manager_->list()) {
      ++h.drivers_total;
      if (d.state == model::DriverState::online) ++h.drivers_online;
    }
  }

  DriverManager& manager() { return *manager_; }

 private:
  std::unique_ptr<DriverManager> make_manager(const config::SystemConfig& cfg) {
    std::map<std::string, DriverFactory> factories;
    if (classes_)
      for (const auto& c : classes_->all()) {
        auto make = c.make;
        auto* services = &host_.services;
        factories[c.name] = [make, services](const config::DriverConfig& d, DriverContext& ctx) {
          return make(d, ctx, *services);
        };
      }
    return std::make_unique<DriverManager>(cfg, values_.registry_ptr(), host_.bus, host_.clock,
                                           factories, &values_);
  }
  void add_routes();

  module::ModuleHost& host_;
  datapoint::DatapointService& values_;
  const DriverClasses* classes_;
  std::unique_ptr<DriverManager> manager_;
  api::LiveFeedHub::FeedId feed_ = 0;
  bus::Subscription status_;
};

void CommunicationModule::add_routes() {
  using api::dto_response;
  using api::error_response;
  using api::schema_of;
  host_.router.add({"GET",
                    "/api/drivers",
                    "view",
                    false,
                    "drivers",
                    "Drivers and their connection status",
                    {},
                    schema_of<api::DriverList>(),
                    "application/json",
                    200,
                    {},
                    {},
                    [this](const RequestContext&) {
                      api::DriverList out;
                      for (const auto& d : manager_->list()) out.items.push_back(to_dto(d));
                      return dto_response(200, out);
                    }});

  host_.router.add({"GET",
                    "/api/drivers/{name}",
                    "view",
                    false,
                    "drivers",
                    "One driver",
                    {},
                    schema_of<api::DriverDto>(),
                    "application/json",
                    200,
                    {},
                    {404},
                    [this](const RequestContext& ctx) {
                      const auto* d = manager_->find(ctx.param("name"));
                      if (!d)
                        return error_response(
                            not_found("unknown_driver",
                                      "unknown driver \"" + std::string(ctx.param("name")) + "\""));
                      return dto_response(200, to_dto(*d));
                    }});

  for (auto action : {model::DriverAction::connect, model::DriverAction::disconnect,
                      model::DriverAction::toggle}) {
    const std::string verb = json::enum_name(action);
    host_.router.add(
        {"POST",
         "/api/drivers/{name}/" + verb,
         "control_driver",
         false,
         "drivers",
         verb == "toggle"
             ? "Connect the driver if offline, else disconnect it"
             : (verb == "connect" ? "Connect the driver (and re-enable automatic reconnection)"
                                  : "Disconnect the driver (no automatic reconnection until "
                                    "connected)"),
         {},
         schema_of<api::DriverDto>(),
         "application/json",
         200,
         {},
         {404, 409},
         [this, action, verb](const RequestContext& ctx) {
           const std::string name(ctx.param("name"));
           auto st = manager_->control(name, action);
           api::publish_user_action(host_.bus, host_.clock, ctx, "driver_control", name,
                                    st.has_value(), st ? verb : st.error().message);
           if (!st) return error_response(st.error());
           return dto_response(200, to_dto(*manager_->find(name)));
         }});
  }
}

}  // namespace

}  // namespace weir::communication

void weir_register_communication_module(weir::module::ModuleRegistry& registry) {
  using namespace weir::communication;
  auto& classes = registry.extension<DriverClasses>();
  classes.add(simulated("TankTestDriver", make_tank_driver));
  classes.add(simulated("BoilerTestDriver", make_boiler_driver));
  classes.add(simulated("TrainTestDriver", make_train_driver));
  classes.add(simulated("StressTestDriver", make_stress_driver));
  classes.add(simulated("CameraDriver", make_camera_driver));
  registry.add(weir::module::module_type<CommunicationModule>(
      "communication", "Drivers: connection, reconnection with back-off, commands to devices",
      {"datapoint", "command", "mqtt_broker", "mqtt_driver"}, true));
}
