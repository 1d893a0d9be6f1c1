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

LoginOutcome attempt_login(const SecurityConfig& config, LoginThrottle& throttle,
                           const LoginRequest& request) {
  LoginOutcome out;
  auto state = throttle.check(request.username, request.address);
  if (state.locked()) {
    out.status = LoginStatus::throttled;
    out.retry_after = state.retry_after;
    return out;
  }

  const auto* user = find_user(config, request.username);
  PasswordVerification v;
  if (user) {
    v = verify_password(request.password, user->password_hash);
  } else {
    spend_verification_time(request.password);
  }
  if (!v.ok) {
    auto failure = throttle.record_failure(request.username, request.address);
    out.status = LoginStatus::invalid_credentials;
    out.lockout_started = failure.lockout_started;
    out.retry_after = failure.state.retry_after;
    return out;
  }

  throttle.record_success(request.username, request.address);
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

}  // namespace weir::security
