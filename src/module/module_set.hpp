#pragma once
// The running modules, in creation order. The app creates one from a ModulePlan and then only
// loops over it: start, tick, metrics, health, reload, stop.
#include <memory>
#include <vector>

#include "module/module_registry.hpp"

namespace weir::module {

class ModuleSet {
 public:
  ModuleSet(ModuleHost& host, const ModuleRegistry& registry) : host_(host), registry_(registry) {}
  ~ModuleSet();

  // Creates the plan's modules in order; the first failure is returned.
  Status create(const ModulePlan& plan, const config::SystemConfig& config);
  Status start();  // in order; stops at the first failure
  void stop();     // in reverse order; idempotent
  void tick();
  void metrics(std::string& out) const;
  void health(api::Health& h) const;

  // Applies a configuration whose plan has no errors: each running module reloads with its new
  // settings; modules newly named in modules[] are created and started; a module no longer
  // named keeps running until the next restart (its routes are part of the API) and a warning
  // says so.
  Status reload(const ModulePlan& plan, const config::SystemConfig& config,
                std::vector<config::ConfigIssue>& issues);

  std::vector<std::string> names() const;
  Module* find(std::string_view name) const;

 private:
  struct Running {
    const ModuleType* type;
    std::unique_ptr<Module> module;
    bool started = false;
  };
  ModuleHost& host_;
  const ModuleRegistry& registry_;
  std::vector<Running> running_;
};

}  // namespace weir::module
