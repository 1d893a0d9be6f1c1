#pragma once
// What the app offers the editors (module::Services): reload system_config.json through the
// module interface (ModuleSet::reload; the whole file is checked first, a refused file changes
// nothing), the same as POST /api/config/reload and SIGHUP. Provided before modules are created.
#include <functional>

#include "api/dto.hpp"

namespace weir::module {

struct ConfigReloader {
  std::function<api::ReloadResult()> reload;
};

}  // namespace weir::module
