#include "security/account_password.hpp"

#include <algorithm>

namespace weir::security {
namespace {

Status store(std::string& slot, std::string_view username, std::string_view password,
             const PasswordPolicy& policy) {
  auto st = check_password_rules(username, password, policy);
  if (!st) return st;
  auto h = hash_password(password);
  if (!h) return h.error();
  slot = std::move(*h);
  return {};
}

}  // namespace

Status set_user_password(SecurityConfig& config, std::string_view username,
                         std::string_view new_password, const PasswordPolicy& policy) {
  auto* user = find_user(config, username);
  if (!user)
    return not_found("unknown_user", "unknown user \"" + std::string(username) + "\"", "username");
  return store(user->password_hash, username, new_password, policy);
}

Status set_device_password(SecurityConfig& config, std::string_view username,
                           std::string_view new_password, const PasswordPolicy& policy) {
  if (!config.mqtt)
    return not_found("unknown_device", "unknown device \"" + std::string(username) + "\"",
                     "username");
  auto& devs = config.mqtt->devices;
  auto it = std::find_if(devs.begin(), devs.end(),
                         [&](const MqttDevice& d) { return d.username == username; });
  if (it == devs.end())
    return not_found("unknown_device", "unknown device \"" + std::string(username) + "\"",
                     "username");
  return store(it->password_hash, username, new_password, policy);
}

}  // namespace weir::security
