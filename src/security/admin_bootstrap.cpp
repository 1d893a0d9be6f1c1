#include "security/admin_bootstrap.hpp"

#include "security/password.hpp"

namespace weir::security {

Result<AdminBootstrap> ensure_admin(SecurityConfig& config,
                                    std::optional<std::string_view> env_password) {
  for (const auto& user : config.users)
    if (!user.password_hash.empty() && permissions_of(config, user).has(Permission::edit_security))
      return AdminBootstrap{};

  AdminBootstrap result;
  std::string password;
  if (env_password) {
    auto st = check_password_rules(kAdminUser, *env_password);
    if (!st) {
      auto e = st.error();
      e.message = "WEIR_ADMIN_PASSWORD: " + e.message;
      return e;
    }
    password = std::string(*env_password);
  } else {
    password = generate_password(20);
    result.generated_password = password;
  }
  auto hash = hash_password(password);
  if (!hash) return hash.error();

  std::vector<std::string> all_permissions;
  for (const auto& info : permission_catalogue()) all_permissions.emplace_back(info.name);
  if (auto* g = find_group(config, kAdminGroup)) {
    g->permissions = all_permissions;
  } else {
    config.groups.push_back(Group{std::string(kAdminGroup), all_permissions});
  }
  std::vector<std::string> all_apps{"scada", "config_editor", "security_editor"};
  if (auto* u = find_user(config, kAdminUser)) {
    u->password_hash = std::move(*hash);
    if (std::find(u->groups.begin(), u->groups.end(), kAdminGroup) == u->groups.end())
      u->groups.emplace_back(kAdminGroup);
    u->allowed_apps = all_apps;
  } else {
    config.users.push_back(
        User{std::string(kAdminUser), std::move(*hash), {std::string(kAdminGroup)}, all_apps});
  }
  result.created = true;
  return result;
}

}  // namespace weir::security
