#pragma once
// First run: make sure someone can administer the system, without any built-in password.
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "security/security_config.hpp"

namespace weir::security {

inline constexpr std::string_view kAdminUser = "admin";
inline constexpr std::string_view kAdminGroup = "administrators";

struct AdminBootstrap {
  bool created = false;  // the config changed and must be saved
  // The generated password, to print once (empty when it came from WEIR_ADMIN_PASSWORD or when
  // nothing was created). Never logged or stored by Weir.
  std::optional<std::string> generated_password;
};

// If no user holds edit_security, ensures a group "administrators" with every permission (an
// existing group of that name gets every permission) and a user "admin" in it with every app
// (an existing "admin" is added to the group and gets the new password). The password is
// env_password when given (checked against the password rules: an error refuses to start), else a
// random 20-character one returned once. When an administrator exists, nothing changes.
Result<AdminBootstrap> ensure_admin(SecurityConfig& config,
                                    std::optional<std::string_view> env_password);

}  // namespace weir::security
