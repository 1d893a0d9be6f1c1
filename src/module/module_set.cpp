#include "module/module_set.hpp"

#include <spdlog/spdlog.h>

namespace weir::module {

ModuleSet::~ModuleSet() {
  stop();
  while (!running_.empty()) running_.pop_back();  // reverse order of creation
}

Status ModuleSet::create(const ModulePlan& plan, const config::SystemConfig& config) {
  for (const auto& p : plan.modules) {
    auto m = p.type->create(host_, config, p.settings);
    if (!m)
      return Error::make(m.error().kind, m.error().code,
                         "module " + p.type->name + ": " + m.error().message, m.error().field);
    running_.push_back({p.type, std::move(*m), false});
  }
  return {};
}

Status ModuleSet::start() {
  for (auto& r : running_) {
    if (r.started) continue;
    if (auto st = r.module->start(); !st)
      return Error::make(st.error().kind, st.error().code,
                         "module " + r.type->name + ": " + st.error().message, st.error().field);
    r.started = true;
  }
  return {};
}

void ModuleSet::stop() {
  for (auto it = running_.rbegin(); it != running_.rend(); ++it)
    if (it->started) {
      it->module->stop();
      it->started = false;
    }
}

void ModuleSet::tick() {
  for (auto& r : running_)
    if (r.started) r.module->tick();
}

void ModuleSet::metrics(std::string& out) const {
  for (const auto& r : running_) r.module->metrics(out);
}

void ModuleSet::health(api::Health& h) const {
  for (const auto& r : running_) r.module->health(h);
}

std::vector<std::string> ModuleSet::names() const {
  std::vector<std::string> out;
  for (const auto& r : running_) out.push_back(r.type->name);
  return out;
}

Module* ModuleSet::find(std::string_view name) const {
  for (const auto& r : running_)
    if (r.type->name == name) return r.module.get();
  return nullptr;
}

Status ModuleSet::reload(const ModulePlan& plan, const config::SystemConfig& config,
                         std::vector<config::ConfigIssue>& issues) {
  std::vector<const PlannedModule*> fresh;
  for (const auto& p : plan.modules) {
    auto it = std::find_if(running_.begin(), running_.end(),
                           [&](const Running& r) { return r.type == p.type; });
    if (it == running_.end()) {
      fresh.push_back(&p);
      continue;
    }
    if (auto st = it->module->reload(config, p.settings); !st) {
      issues.push_back(issue_from_error(st.error(), p.path));
      return Error::make(st.error().kind, st.error().code,
                         "module " + p.type->name + ": " + st.error().message, st.error().field);
    }
  }
  for (const auto& r : running_) {
    const bool planned = std::any_of(plan.modules.begin(), plan.modules.end(),
                                     [&](const auto& p) { return p.type == r.type; });
    if (!planned)
      issues.push_back({"system_config.json", "modules",
                        "module \"" + r.type->name +
                            "\" is no longer listed; it keeps running until Weir restarts",
                        false});
  }
  for (const auto* p : fresh) {
    auto m = p->type->create(host_, config, p->settings);
    if (!m) {
      issues.push_back(issue_from_error(m.error(), p->path));
      continue;
    }
    running_.push_back({p->type, std::move(*m), false});
    if (auto st = running_.back().module->start(); !st)
      issues.push_back(issue_from_error(st.error(), p->path));
    else
      running_.back().started = true;
    spdlog::info("module {} started by a configuration reload", p->type->name);
  }
  return {};
}

}  // namespace weir::module
