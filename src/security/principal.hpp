#pragma once
// Who is asking, and what they may do: built from the current security config on every verified
// session, so a permission change applies at the next request.
#include <bitset>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "security/permission.hpp"
#include "security/security_config.hpp"

namespace weir::security {

struct Principal {
  std::string username;
  std::vector<std::string> groups;
  PermissionSet permissions;
  std::bitset<app_count> apps;  // apps the user may open
  std::optional<App> app;       // the app this session was opened for, if any

  bool can(Permission p) const { return permissions.has(p); }
  bool allowed(App a) const { return apps.test(static_cast<std::size_t>(a)); }
  std::vector<App> allowed_apps() const;
};

// unauthorized("unknown_user") when the user is not in the config.
Result<Principal> principal_for(const SecurityConfig& config, std::string_view username);

// Authorisation checks for the HTTP / WebSocket layer. Errors are ErrorKind::forbidden with code
// "permission_required" / "app_not_allowed" and a message naming what is missing.
Status require(const Principal& who, Permission p);
Status require_app(const Principal& who, App a);

}  // namespace weir::security
