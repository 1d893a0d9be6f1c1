#include "security/principal.hpp"

namespace weir::security {

std::vector<App> Principal::allowed_apps() const {
  std::vector<App> out;
  for (std::size_t i = 0; i < app_count; ++i)
    if (apps.test(i)) out.push_back(static_cast<App>(i));
  return out;
}

Result<Principal> principal_for(const SecurityConfig& config, std::string_view username) {
  const auto* user = find_user(config, username);
  if (!user) return Error::make(ErrorKind::unauthorized, "unknown_user", "user no longer exists");
  Principal p;
  p.username = user->username;
  p.groups = user->groups;
  p.permissions = permissions_of(config, *user);
  for (const auto& name : user->allowed_apps)
    if (auto a = parse_app(name)) p.apps.set(static_cast<std::size_t>(*a));
  return p;
}

Status require(const Principal& who, Permission p) {
  if (who.can(p)) return {};
  return Error::make(ErrorKind::forbidden, "permission_required",
                     "permission \"" + std::string(to_string(p)) + "\" required");
}

Status require_app(const Principal& who, App a) {
  if (who.allowed(a)) return {};
  return Error::make(ErrorKind::forbidden, "app_not_allowed",
                     "user may not use the app \"" + std::string(to_string(a)) + "\"");
}

}  // namespace weir::security
