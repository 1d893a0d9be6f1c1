#pragma once
// One login attempt, in the order that keeps it safe: throttle check first (no Argon2 work for a
// locked key), the same cost for unknown users as for known ones, one generic failure message,
// then the app check. The caller (HTTP layer, off the network thread: Argon2 takes ~64 MiB and
// tens of ms) then stores upgraded_hash if set, issues a session and writes the audit records:
// login / login_failed, plus lockout when lockout_started.
#include <boost/describe.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "security/login_throttle.hpp"
#include "security/password.hpp"
#include "security/permission.hpp"
#include "security/principal.hpp"
#include "security/security_config.hpp"

namespace weir::security {

// POST /api/auth/login
struct LoginBody {
  std::string username;
  std::string password;
  std::optional<std::string> app;
};
BOOST_DESCRIBE_STRUCT(LoginBody, (), (username, password, app))

// POST /api/auth/password: a session changing its own password.
struct OwnPasswordBody {
  std::string current_password;
  std::string new_password;
};
BOOST_DESCRIBE_STRUCT(OwnPasswordBody, (), (current_password, new_password))

struct LoginRequest {
  std::string_view username;
  std::string_view password;
  App app = App::scada;
  std::string_view address;  // client address, for per-address throttling
};

enum class LoginStatus { ok, invalid_credentials, app_not_allowed, throttled };

struct LoginOutcome {
  LoginStatus status = LoginStatus::invalid_credentials;
  std::optional<Principal> principal;        // when ok
  std::optional<std::string> upgraded_hash;  // when ok: replace the user's password_hash and save
  bool password_change_required = false;     // when ok: the password breaks today's rules
  std::chrono::seconds retry_after{0};       // throttled, or this failure started a lockout
  bool lockout_started = false;

  bool ok() const { return status == LoginStatus::ok; }
  // For a failed outcome: 401 invalid_credentials, 403 app_not_allowed, 429 too_many_attempts
  // (send retry_after as Retry-After).
  Error error() const;
};

LoginOutcome attempt_login(const SecurityConfig& config, LoginThrottle& throttle,
                           const LoginRequest& request);

// attempt_login in three steps, so the Argon2id work can run off the network thread:
// 1. (network thread) the throttle. A value: refused at once (throttled), no Argon2 work.
//    Otherwise the attempt is reserved in the throttle (in flight until step 3, or
//    LoginThrottle::release when step 2 never runs) and `stored_hash` is the user's hash now
//    (nullopt: no such user).
std::optional<LoginOutcome> begin_login(const SecurityConfig& config, LoginThrottle& throttle,
                                        const LoginRequest& request,
                                        std::optional<std::string>& stored_hash);
// 2. (any thread) verify the password against that hash (an unknown user costs the same time).
PasswordVerification verify_login(std::string_view password,
                                  const std::optional<std::string>& stored_hash);
// 3. (network thread) settles the reservation, principal and app. A password changed meanwhile
//    (the hash is no longer the one verified) counts as invalid credentials; a key locked
//    meanwhile by other attempts refuses even the right password (throttled).
LoginOutcome finish_login(const SecurityConfig& config, LoginThrottle& throttle,
                          const LoginRequest& request,
                          const std::optional<std::string>& verified_hash, PasswordVerification v);

}  // namespace weir::security
