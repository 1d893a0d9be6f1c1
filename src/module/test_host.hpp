#pragma once
// Everything a ModuleHost refers to, owned in one place, for unit tests and benchmarks that run
// modules without the app: no io_context (post runs the function at once), no HTTP listener.
#include <memory>

#include "module/module_set.hpp"

namespace weir::module {

struct TestHost {
  explicit TestHost(const Clock& c, ProcessOptions o = {}) : clock(c), options(std::move(o)) {}

  // Plans and creates the configuration's modules (not started).
  Result<std::unique_ptr<ModuleSet>> create(const config::SystemConfig& cfg) {
    auto plan = plan_modules(registry, cfg);
    if (!plan.ok()) {
      std::string text;
      for (const auto& i : plan.issues)
        if (i.error) text += i.to_string() + "\n";
      return bad_request("bad_config", text);
    }
    auto set = std::make_unique<ModuleSet>(host, registry);
    if (auto st = set->create(plan, cfg); !st) return st.error();
    return set;
  }

  const Clock& clock;
  ProcessOptions options;
  bus::Bus bus;
  api::Router router{nullptr};
  api::LiveFeedHub hub;
  Services services;
  std::vector<net::WsEndpoint> websockets;
  ModuleRegistry registry;
  ModuleHost host{bus,
                  clock,
                  router,
                  hub,
                  services,
                  options,
                  [](std::function<void()> f) { f(); },
                  websockets,
                  [] { return std::uint16_t{0}; },
                  registry};
};

}  // namespace weir::module
