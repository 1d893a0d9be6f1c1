#pragma once
// The communication module (registered as "communication"; always runs): the drivers of
// drivers[] (classes from DriverClasses: the simulated ones here, MQTT ones from
// src/mqtt_driver), their REST routes under /api/drivers and the live feed "communication"
// (key: driver position). --check-config and a reload check every driver's params and
// connection_info against its class. A reload replaces the drivers (their datapoints may have
// changed), keeping which ones an operator disconnected.
#include "api/dto.hpp"
#include "communication/driver_classes.hpp"
#include "communication/driver_manager.hpp"
#include "module/module_registry.hpp"

namespace weir::communication {

api::DriverDto to_dto(const DriverInfo& d);

}  // namespace weir::communication

void weir_register_communication_module(weir::module::ModuleRegistry& registry);
