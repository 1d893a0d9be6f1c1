#include "mqtt_driver/mqtt_driver_factories.hpp"

#include "mqtt_driver/mqtt_device_driver.hpp"
#include "mqtt_driver/tasmota_relay_driver.hpp"

namespace weir::mqtt_driver {

std::map<std::string, communication::DriverFactory> mqtt_driver_factories(
    mqtt::PubSub& broker, std::shared_ptr<MqttDriverStats> stats) {
  if (!stats) stats = std::make_shared<MqttDriverStats>();
  mqtt::PubSub* b = &broker;
  communication::DriverFactory device = [b, stats](const config::DriverConfig& c,
                                                   communication::DriverContext& ctx) {
    return std::unique_ptr<communication::Driver>(
        std::make_unique<MqttDeviceDriver>(c, ctx, *b, stats));
  };
  communication::DriverFactory tasmota = [b, stats](const config::DriverConfig& c,
                                                    communication::DriverContext& ctx) {
    return std::unique_ptr<communication::Driver>(
        std::make_unique<TasmotaRelayDriver>(c, ctx, *b, stats));
  };
  return {{"MqttDeviceDriver", device},
          {"MQTTTasmotaRelayDriver", tasmota},
          {"TasmotaRelayDriver", tasmota}};
}

}  // namespace weir::mqtt_driver
