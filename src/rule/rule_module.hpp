#pragma once
// The rules module (registered as "rule"): compiles rules[] at --check-config, start and reload
// (an error names the rule's JSON path, line and column), runs the RuleEngine on every accepted
// tag update and carries out the actions: send_command through the CommandService (feedback and
// audit as for an operator, the user being "rule:<rule_id>"), raise_alarm / lower_alarm as
// model::AlarmRequest for the alarm module, client_alert as model::AlertRequest for the alert
// module. GET /api/rules lists the rules with their state.
#include "module/module_registry.hpp"

void weir_register_rule_module(weir::module::ModuleRegistry& registry);
