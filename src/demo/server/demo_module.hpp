#pragma once
// The demo module (registered as "devices"; always runs): Weir's side of the microcontroller demo
// (SPEC §9). Settings: {"devices": ["esp32", "raspberry"]} — without them, every
// MqttDeviceDriver's device. The devices themselves are MqttDeviceDriver datapoints; this
// module gives each an MQTT account with a generated password (demo_accounts.hpp), keeps the
// seed's SQLite device log from bus messages, and serves /api/devices, the seed's
// POST /{play|stop|resume}/{device} (commands through the CommandService) and
// /mqtt/asyncapi.json (DeviceMonitor). A reload picks up a new device list.
#include "module/module_registry.hpp"

namespace weir::demo {

struct DemoSettings {
  std::optional<std::vector<std::string>> devices;  // default: every MqttDeviceDriver's device
};
BOOST_DESCRIBE_STRUCT(DemoSettings, (), (devices))

}  // namespace weir::demo

void weir_register_demo_module(weir::module::ModuleRegistry& registry);
