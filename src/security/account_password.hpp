#pragma once
// Changing a password in the config: rules checked, Argon2id stored. The caller saves the config,
// ends the user's sessions (SessionManager::revoke_user; the stamp changes anyway) and audits a
// password_change.
#include <string_view>

#include "core/error.hpp"
#include "security/password.hpp"
#include "security/security_config.hpp"

namespace weir::security {

// not_found("unknown_user") / unprocessable("weak_password") / internal.
Status set_user_password(SecurityConfig& config, std::string_view username,
                         std::string_view new_password, const PasswordPolicy& policy = {});
// Same for an mqtt.devices[] entry (not_found("unknown_device")).
Status set_device_password(SecurityConfig& config, std::string_view username,
                           std::string_view new_password, const PasswordPolicy& policy = {});

}  // namespace weir::security
