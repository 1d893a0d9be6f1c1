#pragma once
// REST routes of the foundation modules: datapoints, commands, drivers, configuration reload.
#include <functional>

#include "api/dto.hpp"
#include "api/plant.hpp"
#include "api/router.hpp"
#include "bus/bus.hpp"

namespace weir::api {

struct PlantAccess {
  std::function<Plant&()> plant;         // the running plant
  std::function<ReloadResult()> reload;  // re-read the config dir and apply if valid
  bus::Bus* bus = nullptr;               // for UserAction (audit, tracking)
  const Clock* clock = nullptr;
};

void add_plant_routes(Router& router, PlantAccess access);

DatapointDto to_dto(const datapoint::DatapointInfo& info, const datapoint::DatapointState& s);
CommandFeedbackDto to_dto(const datapoint::Registry& reg, const model::CommandFeedback& fb);
DriverDto to_dto(const communication::DriverInfo& d);

}  // namespace weir::api
