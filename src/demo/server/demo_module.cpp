#include "demo/server/demo_module.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

#include "command/command_service.hpp"
#include "datapoint/datapoint_service.hpp"
#include "demo/server/demo_accounts.hpp"
#include "demo/server/device_log.hpp"
#include "demo/server/device_monitor.hpp"
#include "demo/server/device_routes.hpp"
#include "mqtt/module/mqtt_broker_module.hpp"
#include "security/security_gateway.hpp"

namespace weir::demo {

namespace {

namespace fs = std::filesystem;

std::vector<std::string> device_ids(const config::SystemConfig& cfg, const DemoSettings& s) {
  std::vector<std::string> ids;
  for (const auto& d : demo_devices(cfg, s.devices)) ids.push_back(d.id);
  return ids;
}

Status ensure_accounts(module::ModuleHost& host, const std::vector<std::string>& ids) {
  auto& gateway = *host.services.get<std::shared_ptr<security::SecurityGateway>>();
  auto made = ensure_demo_device_accounts(gateway, host.options.data_dir, ids);
  if (!made) return made.error();
  if (!made->empty()) {
    std::string names;
    for (const auto& n : *made) names += (names.empty() ? "" : ", ") + n;
    spdlog::info("demo devices: new MQTT passwords for {} in {}", names,
                 (fs::path(host.options.data_dir) / "device-credentials.env").string());
  }
  return {};
}

class DemoModule final : public module::ModuleWith<DemoSettings> {
 public:
  DemoModule(module::ModuleHost& host, std::unique_ptr<DeviceLog> log,
             std::vector<DemoDevice> devices)
      : host_(host),
        log_(std::move(log)),
        monitor_(host.services.get<datapoint::DatapointService>(),
                 host.services.get<command::CommandService>(), host.bus, log_.get(), host.clock,
                 std::move(devices), &host.hub) {
    const DeviceRoutesAccess access{&monitor_, log_.get(), &host_.bus, &host_.clock};
    add_device_routes(host_.router, access);
    add_dashboard_route(host_.router, access);
    auto* endpoints = &host_.services.get<mqtt::BrokerEndpoints>();
    add_asyncapi_route(host_.router, [this, endpoints]() {
      devices::AsyncApiServers s;
      const auto& o = host_.options;
      s.host = o.bind == "0.0.0.0" || o.bind == "::" ? "localhost" : o.bind;
      auto port = [](std::uint16_t p) {
        return p ? std::optional<std::uint16_t>(p) : std::nullopt;
      };
      s.mqtt_port = port(endpoints->tcp_port);
      s.mqtts_port = port(endpoints->tls_port);
      if (endpoints->embedded)  // MQTT over WebSocket at /mqtt on the HTTP port
        (o.tls_cert.empty() ? s.ws_port : s.wss_port) = port(host_.http_port());
      s.version = WEIR_VERSION;
      return s;
    });
    metrics_ = monitor_.metrics();
  }

  static Result<std::unique_ptr<DemoModule>> create(module::ModuleHost& host,
                                                    const config::SystemConfig& cfg,
                                                    const DemoSettings& s) {
    if (auto st = ensure_accounts(host, device_ids(cfg, s)); !st) return st.error();
    // Reads of the log answer on the io thread (host.post).
    auto log = DeviceLog::open(fs::path(host.options.data_dir) / "devices.db", {.post = host.post});
    if (!log) return log.error();
    return std::make_unique<DemoModule>(host, std::move(*log), demo_devices(cfg, s.devices));
  }

  // A listed device must be one of the configuration's MqttDeviceDrivers.
  static void check(const module::ModuleRegistry&, const config::SystemConfig& cfg,
                    const DemoSettings& s, const std::string& path,
                    std::vector<config::ConfigIssue>& issues) {
    if (!s.devices) return;
    const auto all = demo_devices(cfg, std::nullopt);
    for (std::size_t i = 0; i < s.devices->size(); ++i) {
      const auto& id = (*s.devices)[i];
      if (std::none_of(all.begin(), all.end(), [&](const DemoDevice& d) { return d.id == id; }))
        issues.push_back({"system_config.json", path + ".devices[" + std::to_string(i) + "]",
                          "no MqttDeviceDriver has device \"" + id + "\"", true});
    }
  }

  // The datapoint and command modules reloaded first: the device list follows the drivers.
  Status apply(const config::SystemConfig& cfg, const DemoSettings& s) override {
    if (auto st = ensure_accounts(host_, device_ids(cfg, s)); !st) return st;
    monitor_.set_devices(demo_devices(cfg, s.devices));
    return {};
  }
  void tick() override { monitor_.tick(); }
  void metrics(std::string& out) const override { metrics_(out); }

 private:
  module::ModuleHost& host_;
  std::unique_ptr<DeviceLog> log_;
  DeviceMonitor monitor_;
  api::MetricsWriter metrics_;
};

}  // namespace

}  // namespace weir::demo

void weir_register_demo_module(weir::module::ModuleRegistry& registry) {
  registry.add(weir::module::module_type<weir::demo::DemoModule>(
      "devices", "The Raspberry Pi / ESP32 melody demo: device accounts, log, routes, AsyncAPI",
      {"security", "mqtt_broker", "datapoint", "command", "communication"}, true));
}
