#pragma once
// Registers the MQTT driver classes with the communication module ("MqttDeviceDriver",
// "MQTTTasmotaRelayDriver" and its alias "TasmotaRelayDriver"), with their params declared for
// --check-config and the config schema, and the "mqtt_driver" module (always runs) that holds
// their counters (weir_mqtt_driver_* on /metrics). Drivers reach devices through the
// mqtt::PubSub the mqtt_broker module provides (embedded broker or external one).
#include "module/module_registry.hpp"

void weir_register_mqtt_driver_module(weir::module::ModuleRegistry& registry);
