#pragma once
// The alert module (registered as "alert"): alerts from rules' and schedules' client_alert
// (model::AlertRequest) in an AlertBook, shown on the live feed "alert" (every open alert, then
// each change: answered, expired); GET /api/alerts; POST /api/alerts/{id}/feedback answers a
// confirm_cancel alert once for everyone (permission alert_feedback): confirm sends the alert's
// command through the CommandService as the answering user. Answers and commands are audited.
// Settings: {"keep": 256} — alerts kept (open ones first) for the feed and the REST list.
#include "module/module_registry.hpp"

void weir_register_alert_module(weir::module::ModuleRegistry& registry);
