#pragma once
// The weir process: one io_context thread, the HTTP edge, the live-feed hub, the route table, and
// the modules that system_config.json names (created from a ModuleRegistry, then only looped
// over). Nothing here knows what a module does.
#include <memory>

#include "api/dto.hpp"
#include "api/live_feed.hpp"
#include "api/router.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "module/module_registry.hpp"
#include "module/process_options.hpp"

namespace boost::asio {
class io_context;
}

namespace weir::app {

using Options = ProcessOptions;

class Server {
 public:
  Server(ProcessOptions options, const module::ModuleRegistry& registry, const Clock& clock);
  ~Server();

  // Loads and checks the configuration, creates the modules, binds HTTP and starts everything.
  // Errors say which file, JSON path or listener.
  Status open();
  // Re-reads system_config.json; applied only when every module accepts it.
  api::ReloadResult reload();
  // Stops modules and listeners; io().run() then returns.
  void stop();

  boost::asio::io_context& io();
  api::Router& router();
  api::LiveFeedHub& hub();
  std::uint16_t http_port() const;
  std::size_t module_count() const;

  struct Impl;

 private:
  void add_app_routes();
  std::unique_ptr<Impl> impl_;
};

// The module registry of this build (every weir_add_module()).
const module::ModuleRegistry& builtin_registry();

// Runs until SIGINT/SIGTERM (SIGHUP reloads). Returns the process exit code.
int run_server(const Options& options);

// Validates a configuration directory with every module's checks; prints every issue.
// Returns 0 when loadable.
int check_config(const std::string& dir);

}  // namespace weir::app
