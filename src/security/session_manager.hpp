#pragma once
// Sessions are HS256 JWTs (libjwt) signed with the per-install secret (session_secret.hpp).
// Claims: sub, iat, exp, jti, app, ver (the user's session version), stm (a keyed fingerprint of
// the user's password hash, groups and apps), ath (when the password was proved: renewals keep
// it, and no token lives past ath + the absolute lifetime) and iss "weir".
//
// A token is valid while: the signature checks, it has not expired, its jti was not revoked
// (logout), its ver equals the user's current version (revoke_user bumps it), the user still
// exists and its stm still matches — so changing a user's password, groups or apps in the config
// ends that user's sessions even across a restart. verify() builds the Principal from the
// config it is given, so permission changes apply at the next request.
//
// In-memory state (deny-list, versions) is lost on restart: a token revoked by logout or
// revoke_user() then works again until its exp (at most one lifetime). Not thread-safe
// internally beyond a mutex on that state; cheap enough for the network thread.
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "security/permission.hpp"
#include "security/principal.hpp"
#include "security/security_config.hpp"

namespace weir::security {

struct SessionOptions {
  std::chrono::seconds lifetime{15 * 60};                // sliding: renewed while in use
  std::chrono::seconds absolute_lifetime{12 * 60 * 60};  // from the login, whatever the renewals
  std::chrono::seconds clock_skew{60};  // an iat this far in the future is still accepted
};

struct SessionClaims {
  std::string subject;  // username
  std::string jti;      // 32 hex digits
  App app = App::scada;
  std::int64_t version = 0;
  std::string stamp;
  WallTime issued_at;
  WallTime expires_at;
  WallTime authenticated_at;  // the login this session (and its renewals) comes from
};

struct IssuedSession {
  std::string token;
  SessionClaims claims;
  std::chrono::seconds max_age() const;  // for the cookie: time left until expires_at
};

struct VerifiedSession {
  SessionClaims claims;
  Principal principal;  // with principal.app set to claims.app
};

class SessionManager {
 public:
  // secret: at least 32 bytes (SessionSecret::key).
  SessionManager(std::string secret, const Clock& clock, SessionOptions options = {});

  // A token for a user who just proved their password (authenticated_at: now). Errors:
  // unauthorized("unknown_user"), forbidden("app_not_allowed").
  Result<IssuedSession> issue(const SecurityConfig& config, std::string_view username, App app);

  // ErrorKind::unauthorized with code invalid_token | session_expired | session_revoked.
  Result<VerifiedSession> verify(const SecurityConfig& config, std::string_view token) const;

  // Sliding renewal: a fresh token when less than half of the lifetime remains, else nullopt.
  // The old token stays valid until its own exp (requests in flight keep working). The fresh
  // token keeps authenticated_at, so it expires at the absolute limit at the latest; nullopt too
  // when it could not outlive the old one.
  std::optional<IssuedSession> renew_if_due(const SecurityConfig& config,
                                            const SessionClaims& claims);

  // Logout: deny this jti until its exp.
  void revoke(const SessionClaims& claims);
  // Ends every session of the user (password or group change, forced logout).
  void revoke_user(std::string_view username);

  std::chrono::seconds lifetime() const { return options_.lifetime; }
  std::size_t revoked_count() const;

 private:
  Result<IssuedSession> issue_at(const SecurityConfig& config, std::string_view username, App app,
                                 WallTime authenticated_at);
  std::string stamp_for(const User& user) const;
  void purge_expired_locked(WallTime now);

  std::string secret_;
  const Clock& clock_;
  SessionOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, WallTime, std::less<>> revoked_;       // jti -> exp   (guarded by mu_)
  std::map<std::string, std::int64_t, std::less<>> versions_;  // user -> ver  (guarded by mu_)
};

}  // namespace weir::security
