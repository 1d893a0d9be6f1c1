#pragma once
// Everything a ModuleHost refers to, owned in one place, for unit tests and benchmarks that run
// modules without the app: no io_context (post runs the function at once), no HTTP listener.
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "config/system_config.hpp"
#include "module/module_set.hpp"

namespace weir::module {

// A Post whose functions wait until run() on the test's thread, as they wait for the io thread in
// weir: for modules whose storage answers change their state (the alarm module's group commit).
// Set `host.post = queue.post()` before create(); the queue must outlive the modules.
class PostQueue {
 public:
  Post post() {
    return [this](std::function<void()> f) {
      std::lock_guard lock(mu_);
      waiting_.push_back(std::move(f));
    };
  }
  // Runs what waits, and what those post in turn; answers how many ran.
  std::size_t run() {
    std::size_t n = 0;
    for (;;) {
      std::vector<std::function<void()>> now;
      {
        std::lock_guard lock(mu_);
        now.swap(waiting_);
      }
      if (now.empty()) return n;
      for (auto& f : now) f();
      n += now.size();
    }
  }

 private:
  std::mutex mu_;
  std::vector<std::function<void()>> waiting_;
};

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

  // Parses `config_json`, creates and starts its modules.
  Result<std::unique_ptr<ModuleSet>> start_modules(std::string_view config_json) {
    auto cfg = config::parse_system_config(config_json);
    if (!cfg.ok()) return bad_request("bad_config", cfg.errors_text());
    auto set = create(*cfg.config);
    if (!set) return set.error();
    if (auto st = (*set)->start(); !st) return st.error();
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
