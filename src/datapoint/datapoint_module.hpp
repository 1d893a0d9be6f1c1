#pragma once
// The datapoint module (registered as "datapoint"; always runs). Other modules reach its
// DatapointService through module::Services.
#include "api/dto.hpp"
#include "datapoint/datapoint_service.hpp"
#include "module/module_registry.hpp"

namespace weir::datapoint {

api::DatapointDto to_dto(const DatapointInfo& info, const DatapointState& s);
// {"id":..,"value":..,"quality":..,"reason":..,"source_time":..,"server_time":..}
void append_datapoint_update(std::string& out, const DatapointInfo& info, const DatapointState& s);

}  // namespace weir::datapoint

void weir_register_datapoint_module(weir::module::ModuleRegistry& registry);
