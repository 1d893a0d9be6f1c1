#include "module/module_registry.hpp"

#include <algorithm>
#include <set>

namespace weir::module {

void ModuleRegistry::add(ModuleType type) {
  for (auto& t : types_)
    if (t.name == type.name) {
      t = std::move(type);
      return;
    }
  types_.push_back(std::move(type));
}

const ModuleType* ModuleRegistry::find(std::string_view name) const {
  for (const auto& t : types_)
    if (t.name == name) return &t;
  return nullptr;
}

bool ModulePlan::ok() const {
  return std::none_of(issues.begin(), issues.end(), [](const auto& i) { return i.error; });
}

config::ConfigIssue issue_from_error(const Error& e, const std::string& fallback_path, bool error) {
  const std::string path = e.field.empty() ? fallback_path : e.field;
  std::string message = e.message;
  if (!path.empty() && message.rfind(path + ": ", 0) == 0) message.erase(0, path.size() + 2);
  return {"system_config.json", path, std::move(message), error};
}

ModulePlan plan_modules(const ModuleRegistry& registry, const config::SystemConfig& config) {
  ModulePlan plan;
  std::vector<PlannedModule> chosen;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < config.modules.size(); ++i) {
    const auto& m = config.modules[i];
    const std::string path = "modules[" + std::to_string(i) + "]";
    const ModuleType* t = registry.find(m.name);
    if (!seen.insert(m.name).second) {
      plan.issues.push_back({"system_config.json", path + ".name",
                             "module \"" + m.name + "\" is listed twice", true});
      continue;
    }
    if (!t) {
      plan.issues.push_back({"system_config.json", path + ".name",
                             "module \"" + m.name + "\" is not available in this build (ignored)",
                             false});
      continue;
    }
    boost::json::value settings;
    if (!m.config.empty()) settings = m.config;
    chosen.push_back({t, std::move(settings), path + ".config"});
  }
  for (const auto& t : registry.types())
    if (t.always && !seen.count(t.name))
      chosen.push_back({&t, nullptr, "modules[name=" + t.name + "].config"});

  // Dependency order: a module comes after every module of its `after` list that runs; among
  // independent modules, the file's order (then the registry's) is kept.
  std::set<std::string> placed;
  while (!chosen.empty()) {
    bool progressed = false;
    for (auto it = chosen.begin(); it != chosen.end(); ++it) {
      bool ready = true;
      for (const auto& dep : it->type->after) {
        const bool runs = std::any_of(chosen.begin(), chosen.end(),
                                      [&](const auto& c) { return c.type->name == dep; });
        if (runs && !placed.count(dep)) ready = false;
      }
      if (!ready) continue;
      placed.insert(it->type->name);
      plan.modules.push_back(std::move(*it));
      chosen.erase(it);
      progressed = true;
      break;
    }
    if (!progressed) {
      for (const auto& c : chosen)
        plan.issues.push_back({"system_config.json", c.path,
                               "module \"" + c.type->name + "\" has a dependency cycle", true});
      break;
    }
  }
  for (const auto& m : plan.modules)
    m.type->check(registry, config, m.settings, m.path, plan.issues);
  return plan;
}

boost::json::object system_config_schema(const ModuleRegistry& registry) {
  using boost::json::array;
  using boost::json::object;
  object point{
      {"type", "object"},
      {"required", array{"name", "type"}},
      {"properties",
       object{{"name", object{{"type", "string"}}},
              {"type", object{{"type", "string"}, {"description", "a key of dp_types"}}}}}};
  object dp_type{
      {"type", "object"},
      {"required", array{"type"}},
      {"properties",
       object{{"type", object{{"enum", array{"float", "int", "string", "enum", "bool"}}}},
              {"min", object{{"type", "number"}}},
              {"max", object{{"type", "number"}}},
              {"values", object{{"type", "array"}, {"items", object{{"type", "string"}}}}},
              {"default", object{}},
              {"unit", object{{"type", "string"}}}}}};
  object driver{
      {"type", "object"},
      {"required", array{"name", "driver_class"}},
      {"properties", object{{"name", object{{"type", "string"}}},
                            {"driver_class", object{{"type", "string"}}},
                            {"params", object{{"type", "object"}}},
                            {"connection_info", object{{"type", "object"}}},
                            {"datapoints", object{{"type", "array"}, {"items", point}}},
                            {"command_datapoints", object{{"type", "array"}, {"items", point}}}}}};
  array module_names;
  array module_cases;
  object defs;
  for (const auto& t : registry.types()) {
    module_names.emplace_back(t.name);
    auto s = t.settings_schema();
    if (s.is_object()) {
      auto& so = s.as_object();
      if (auto d = so.find("$defs"); d != so.end()) {
        for (const auto& kv : d->value().as_object()) defs[kv.key()] = kv.value();
        so.erase("$defs");
      }
      so["description"] = t.summary;
    }
    module_cases.emplace_back(
        object{{"if", object{{"properties", object{{"name", object{{"const", t.name}}}}}}},
               {"then", object{{"properties", object{{"config", std::move(s)}}}}}});
  }
  object module{{"type", "object"},
                {"required", array{"name"}},
                {"properties",
                 object{{"name", object{{"type", "string"}, {"examples", std::move(module_names)}}},
                        {"config", object{{"type", "object"}}}}},
                {"allOf", std::move(module_cases)}};
  object rule{{"type", "object"},
              {"required", array{"rule_id", "on_condition"}},
              {"properties", object{{"rule_id", object{{"type", "string"}}},
                                    {"on_condition", object{{"type", "string"}}},
                                    {"on_actions", object{{"type", "array"}}},
                                    {"off_condition", object{{"type", "string"}}},
                                    {"off_actions", object{{"type", "array"}}}}}};
  object root{{"$schema", "https://json-schema.org/draft/2020-12/schema"},
              {"title", "system_config.json"},
              {"type", "object"},
              {"properties",
               object{{"dp_types", object{{"type", "object"}, {"additionalProperties", dp_type}}},
                      {"drivers", object{{"type", "array"}, {"items", driver}}},
                      {"modules", object{{"type", "array"}, {"items", module}}},
                      {"rules", object{{"type", "array"}, {"items", rule}}},
                      {"gis_icons", object{{"type", "array"}}},
                      {"streams", object{{"type", "array"}}},
                      {"animations", object{{"type", "object"}}},
                      {"svg_files", object{{"type", "array"}}}}}};
  if (!defs.empty()) root["$defs"] = std::move(defs);
  for (const auto& t : registry.types())
    if (t.extend_schema) t.extend_schema(registry, root);
  return root;
}

}  // namespace weir::module
