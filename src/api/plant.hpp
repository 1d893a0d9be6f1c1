#pragma once
// The running configuration's modules: rebuilt as a whole when the configuration is reloaded,
// carrying datapoint values across.
#include <memory>

#include "command/command_service.hpp"
#include "communication/driver_manager.hpp"
#include "datapoint/datapoint_service.hpp"

namespace weir::api {

struct Plant {
  config::SystemConfig config;
  std::shared_ptr<const datapoint::Registry> registry;
  std::unique_ptr<datapoint::DatapointService> datapoints;
  std::unique_ptr<command::CommandService> commands;
  std::unique_ptr<communication::DriverManager> drivers;

  static std::unique_ptr<Plant> build(
      config::SystemConfig config, bus::Bus& bus, const Clock& clock,
      const std::map<std::string, communication::DriverFactory>& factories);
};

}  // namespace weir::api
