#pragma once
// The MQTT driver classes, for the app to merge with DriverManager::builtin_factories():
//   auto factories = communication::DriverManager::builtin_factories();
//   factories.merge(mqtt_driver::mqtt_driver_factories(broker, stats));
// The broker must outlive every driver made by these factories.
#include <map>
#include <memory>
#include <string>

#include "communication/driver.hpp"
#include "mqtt/broker/pubsub.hpp"
#include "mqtt_driver/mqtt_driver_stats.hpp"

namespace weir::mqtt_driver {

// "MqttDeviceDriver", "MQTTTasmotaRelayDriver" (the Python platform's class name) and its alias
// "TasmotaRelayDriver".
std::map<std::string, communication::DriverFactory> mqtt_driver_factories(
    mqtt::PubSub& broker, std::shared_ptr<MqttDriverStats> stats = {});

}  // namespace weir::mqtt_driver
