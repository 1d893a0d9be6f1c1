#include "api/plant.hpp"

namespace weir::api {

std::unique_ptr<Plant> Plant::build(
    config::SystemConfig config, bus::Bus& bus, const Clock& clock,
    const std::map<std::string, communication::DriverFactory>& factories) {
  auto p = std::make_unique<Plant>();
  p->config = std::move(config);
  p->registry = datapoint::Registry::build(p->config);
  p->datapoints = std::make_unique<datapoint::DatapointService>(p->registry, bus, clock);
  p->commands = std::make_unique<command::CommandService>(p->registry, bus, clock);
  p->drivers = std::make_unique<communication::DriverManager>(p->config, p->registry, bus, clock,
                                                              factories, p->datapoints.get());
  return p;
}

}  // namespace weir::api
