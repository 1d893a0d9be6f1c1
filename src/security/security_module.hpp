#pragma once
// The security module (registered as "security"; always runs). See security_module.cpp.
#include "module/module_registry.hpp"

void weir_register_security_module(weir::module::ModuleRegistry& registry);
