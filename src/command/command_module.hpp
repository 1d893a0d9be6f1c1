#pragma once
// The command module (registered as "command"; always runs): CommandService (provided to the
// other modules), REST routes under /api/commands and the live feed "command" (key: command
// datapoint index). Settings: {"timeout_ms": 5000}. A reload keeps every command, pending ones
// included (CommandService::rebind).
#include "api/dto.hpp"
#include "command/command_service.hpp"
#include "module/module_registry.hpp"

namespace weir::command {

struct CommandSettings {
  std::uint32_t timeout_ms = 5000;  // no answer from the driver within this: timeout
};
BOOST_DESCRIBE_STRUCT(CommandSettings, (), (timeout_ms))

api::CommandFeedbackDto to_dto(const datapoint::Registry& reg, const model::CommandFeedback& fb);

}  // namespace weir::command

void weir_register_command_module(weir::module::ModuleRegistry& registry);
