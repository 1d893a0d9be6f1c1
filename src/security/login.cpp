#include "security/login.hpp"

#include "security/password.hpp"

namespace weir::security {

Error LoginOutcome::error() const {
  switch (status) {
    case LoginStatus::throttled:
      return Error::make(
          ErrorKind::too_many, "too_many_attempts",
          "too many failed logins; retry in " + std::to_string(retry_after.count()) + " s");
    case LoginStatus::app_not_allowed:
      return Error::make(ErrorKind::forbidden, "app_not_allowed", "this user may not use this app");
    case LoginStatus::ok:
    case LoginStatus::invalid_credentials:
      break;
  }
  return Error::make(ErrorKind::unauthorized, "invalid_credentials",
                     "invalid username or password");
}

std::optional<LoginOutcome> begin_login(const SecurityConfig& config, LoginThrottle& throttle,
                                        const LoginRequest& request,
                                        std::optional<std::string>& stored_hash) {
  auto state = throttle.reserve(request.username, request.address);
  if (state.locked()) {
    LoginOutcome out;
    out.status = LoginStatus::throttled;
    out.retry_after = state.retry_after;
    return out;
  }
  const auto* user = find_user(config, request.username);
  stored_hash = user ? std::optional<std::string>(user->password_hash) : std::nullopt;
  return std::nullopt;
}

PasswordVerification verify_login(std::string_view password,
                                  const std::optional<std::string>& stored_hash) {
  if (stored_hash) return verify_password(password, *stored_hash);
  spend_verification_time(password);
  return {};
}

LoginOutcome finish_login(const SecurityConfig& config, LoginThrottle& throttle,
                          const LoginRequest& request,
                          const std::optional<std::string>& verified_hash, PasswordVerification v) {
  LoginOutcome out;
  const auto* user = find_user(config, request.username);
  if (v.ok && (!user || !verified_hash || user->password_hash != *verified_hash)) v.ok = false;
  if (!v.ok) {
    auto failure = throttle.settle_failure(request.username, request.address);
    out.status = LoginStatus::invalid_credentials;
    out.lockout_started = failure.lockout_started;
    out.retry_after = failure.state.retry_after;
    return out;
  }

  if (auto st = throttle.settle_success(request.username, request.address); st.locked()) {
    out.status = LoginStatus::throttled;
    out.retry_after = st.retry_after;
    return out;
  }
  auto principal = principal_for(config, request.username);
  if (!principal) {
    out.status = LoginStatus::invalid_credentials;
    return out;
  }
  if (!principal->allowed(request.app)) {
    out.status = LoginStatus::app_not_allowed;
    return out;
  }
  out.status = LoginStatus::ok;
  principal->app = request.app;
  out.principal = std::move(*principal);
  out.upgraded_hash = std::move(v.upgraded_hash);
  out.password_change_required = !check_password_rules(request.username, request.password);
  return out;
}

LoginOutcome attempt_login(const SecurityConfig& config, LoginThrottle& throttle,
                           const LoginRequest& request) {
  std::optional<std::string> stored;
  if (auto refused = begin_login(config, throttle, request, stored)) return std::move(*refused);
  return finish_login(config, throttle, request, stored, verify_login(request.password, stored));
}

}  // namespace weir::security
