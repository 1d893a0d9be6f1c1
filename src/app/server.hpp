#pragma once
// The weir process: wires the modules together on one io_context thread.
#include <memory>

#include "app/options.hpp"
#include "core/error.hpp"

namespace weir::app {

// Runs until SIGINT/SIGTERM. Returns the process exit code.
int run_server(const Options& options);

// Validates a configuration directory; prints every issue. Returns 0 when loadable.
int check_config(const std::string& dir);

}  // namespace weir::app
