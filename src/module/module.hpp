#pragma once
// The one shape every Weir module has. A module is a plug-in: the app creates the modules that
// system_config.json's modules[] names (plus those marked `always`), in dependency order, from
// the ModuleRegistry, and then only loops over them. A module brings its settings (one
// BOOST_DESCRIBE_STRUCT: decoded with path-aware errors, unknown keys refused, and described as
// JSON Schema for GET /api/config/schema), its routes (added to the Router when it is created),
// its live feeds (LiveFeedHub), its metrics and health, its bus subscriptions, and `reload`,
// which applies new settings while keeping its state (values, pending commands, ...).
//
// Adding a module: a folder with the module's code, a CMake target registered with
// weir_add_module() (its registrar function is called by the generated builtin module list),
// and the folder's line in WEIR_MODULES of the top CMakeLists.txt. No app, api or other
// module's file changes.
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "api/dto.hpp"
#include "api/live_feed.hpp"
#include "api/router.hpp"
#include "bus/bus.hpp"
#include "config/system_config.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/settings_json.hpp"
#include "module/process_options.hpp"
#include "module/services.hpp"
#include "net/http_server.hpp"

namespace boost::asio {
class io_context;
}

namespace weir::module {

class ModuleRegistry;

// Runs a function later on the io thread (answers from worker threads come back this way).
using Post = std::function<void(std::function<void()>)>;

// What the app gives every module. Everything here outlives the modules.
struct ModuleHost {
  bus::Bus& bus;
  const Clock& clock;
  api::Router& router;
  api::LiveFeedHub& hub;
  Services& services;
  const ProcessOptions& options;
  Post post;
  std::vector<net::WsEndpoint>& websockets;  // WebSocket endpoints on the HTTP port (add at create)
  std::function<std::uint16_t()> http_port;  // the bound HTTP port (0 until listening)
  const ModuleRegistry& registry;            // extensions such as driver classes
  boost::asio::io_context* io = nullptr;     // for modules that own sockets (the MQTT broker)
};

class Module {
 public:
  virtual ~Module() = default;
  // After every module exists, in creation order: connect, listen, start threads.
  virtual Status start() { return {}; }
  // In reverse order, before any module is destroyed.
  virtual void stop() {}
  // The configuration changed. `settings` is this module's modules[].config (null when the
  // module is not named there); both were checked by ModuleType::check first, so a reload that
  // reaches a module is valid. Keep state wherever the new settings allow.
  virtual Status reload(const config::SystemConfig& config, const boost::json::value& settings) = 0;
  // Every 50 ms on the io thread.
  virtual void tick() {}
  // Prometheus text lines (api::metric helps) and the public health summary.
  virtual void metrics(std::string& /*out*/) const {}
  virtual void health(api::Health& /*h*/) const {}
};

struct ModuleType {
  std::string name;                // as in modules[].name
  std::string summary;             // one line, for the schema and --check-config
  std::vector<std::string> after;  // modules created before this one when they run
  bool always = false;             // runs even when modules[] does not name it
  // JSON Schema of modules[].config.
  std::function<boost::json::value()> settings_schema;
  // Every problem with the settings (and the parts of the configuration the module owns),
  // each naming its JSON path; `path` is "modules[3].config".
  std::function<void(const ModuleRegistry&, const config::SystemConfig&,
                     const boost::json::value& settings, const std::string& path,
                     std::vector<config::ConfigIssue>& issues)>
      check;
  std::function<Result<std::unique_ptr<Module>>(ModuleHost&, const config::SystemConfig&,
                                                const boost::json::value& settings)>
      create;
  // Optional: the schema of the top-level parts of system_config.json the module owns
  // (the communication module describes drivers[].params by driver_class).
  std::function<void(const ModuleRegistry&, boost::json::object& root_schema)> extend_schema;
};

// An Error from decoding settings as a ConfigIssue (its message without the repeated path).
config::ConfigIssue issue_from_error(const Error& e, const std::string& fallback_path,
                                     bool error = true);

// A module with a settings struct decodes it once here; it implements apply().
template <class S>
class ModuleWith : public Module {
 public:
  using Settings = S;
  Status reload(const config::SystemConfig& config, const boost::json::value& settings) final {
    S s{};
    if (auto st = json::decode_settings(settings, s, "config"); !st) return st;
    return apply(config, s);
  }
  virtual Status apply(const config::SystemConfig& config, const S& settings) = 0;
};

// Builds the ModuleType of M, which has:
//   using Settings = ...;  (a described struct; `struct NoSettings {}` described when none)
//   static Result<std::unique_ptr<M>> create(ModuleHost&, const config::SystemConfig&, const
//   Settings&); optionally static void check(const ModuleRegistry&, const config::SystemConfig&,
//                                const Settings&, const std::string& path,
//                                std::vector<config::ConfigIssue>&);
template <class M>
ModuleType module_type(std::string name, std::string summary, std::vector<std::string> after = {},
                       bool always = false) {
  using S = typename M::Settings;
  ModuleType t;
  t.name = std::move(name);
  t.summary = std::move(summary);
  t.after = std::move(after);
  t.always = always;
  t.settings_schema = [] { return json::settings_schema<S>(); };
  t.check = [](const ModuleRegistry& reg, const config::SystemConfig& cfg,
               const boost::json::value& j, const std::string& path,
               std::vector<config::ConfigIssue>& issues) {
    S s{};
    if (auto st = json::decode_settings(j, s, path); !st) {
      issues.push_back(issue_from_error(st.error(), path));
      return;
    }
    if constexpr (requires { M::check(reg, cfg, s, path, issues); })
      M::check(reg, cfg, s, path, issues);
  };
  if constexpr (requires(const ModuleRegistry& r, boost::json::object& o) {
                  M::extend_schema(r, o);
                })
    t.extend_schema = [](const ModuleRegistry& r, boost::json::object& o) {
      M::extend_schema(r, o);
    };
  t.create = [](ModuleHost& host, const config::SystemConfig& cfg,
                const boost::json::value& j) -> Result<std::unique_ptr<Module>> {
    S s{};
    if (auto st = json::decode_settings(j, s, "config"); !st) return st.error();
    auto m = M::create(host, cfg, s);
    if (!m) return m.error();
    return std::unique_ptr<Module>(std::move(*m));
  };
  return t;
}

struct NoSettings {};
BOOST_DESCRIBE_STRUCT(NoSettings, (), ())

}  // namespace weir::module
