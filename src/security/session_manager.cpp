#include "security/session_manager.hpp"

#include <jwt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include <cassert>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <memory>

#include "security/password.hpp"

namespace weir::security {
namespace {

using std::chrono::seconds;

constexpr std::size_t kMaxTokenLength = 4096;
constexpr const char* kIssuer = "weir";

struct JwtFree {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtFree>;

Error unauthorized(std::string code, std::string message) {
  return Error::make(ErrorKind::unauthorized, std::move(code), std::move(message));
}

std::int64_t unix_seconds(WallTime t) {
  return std::chrono::duration_cast<seconds>(t.time_since_epoch()).count();
}
WallTime from_unix_seconds(std::int64_t s) {
  return WallTime{seconds{s}};
}

std::optional<std::int64_t> int_grant(jwt_t* j, const char* name) {
  errno = 0;
  long v = jwt_get_grant_int(j, name);
  if (errno != 0) return std::nullopt;
  return static_cast<std::int64_t>(v);
}

std::optional<std::string> string_grant(jwt_t* j, const char* name) {
  const char* v = jwt_get_grant(j, name);
  if (!v) return std::nullopt;
  return std::string(v);
}

bool token_charset_ok(std::string_view t) {
  for (unsigned char c : t)
    if (!(std::isalnum(c) || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

// Checks the HS256 signature ourselves, in constant time, before libjwt parses anything (libjwt
// verifies it again): independent of how a given libjwt version compares signatures.
bool signature_ok(std::string_view token, const std::string& secret) {
  auto dot = token.rfind('.');
  if (dot == std::string_view::npos || token.find('.') == dot) return false;
  auto signing_input = token.substr(0, dot);
  auto signature = token.substr(dot + 1);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
            reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac,
            &mac_len))
    return false;
  unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  int n = EVP_EncodeBlock(b64, mac, static_cast<int>(mac_len));
  std::string expected(reinterpret_cast<const char*>(b64), static_cast<std::size_t>(n));
  while (!expected.empty() && expected.back() == '=') expected.pop_back();
  for (auto& c : expected) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return signature.size() == expected.size() &&
         CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) == 0;
}

}  // namespace

std::chrono::seconds IssuedSession::max_age() const {
  return std::chrono::duration_cast<seconds>(claims.expires_at - claims.issued_at);
}

SessionManager::SessionManager(std::string secret, const Clock& clock, SessionOptions options)
    : secret_(std::move(secret)), clock_(clock), options_(options) {
  assert(secret_.size() >= 32 && "session secret too short");
  assert(options_.lifetime.count() > 0);
}

std::string SessionManager::stamp_for(const User& user) const {
  std::string data = user.password_hash;
  data.push_back('\0');
  for (const auto& g : user.groups) data.append(g).push_back('\x1f');
  data.push_back('\0');
  for (const auto& a : user.allowed_apps) data.append(a).push_back('\x1f');
  unsigned char out[8];
  crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(data.data()),
                     data.size(), reinterpret_cast<const unsigned char*>(secret_.data()),
                     std::min<std::size_t>(secret_.size(), crypto_generichash_KEYBYTES_MAX));
  return to_hex(std::string_view(reinterpret_cast<const char*>(out), sizeof out));
}

Result<IssuedSession> SessionManager::issue(const SecurityConfig& config, std::string_view username,
                                            App app) {
  return issue_at(config, username, app, std::chrono::time_point_cast<seconds>(clock_.now()));
}

Result<IssuedSession> SessionManager::issue_at(const SecurityConfig& config,
                                               std::string_view username, App app,
                                               WallTime authenticated_at) {
  const auto* user = find_user(config, username);
  if (!user) return unauthorized("unknown_user", "unknown user");
  auto principal = principal_for(config, username);
  if (!principal) return principal.error();
  auto st = require_app(*principal, app);
  if (!st) return st.error();

  IssuedSession s;
  auto now = std::chrono::time_point_cast<seconds>(clock_.now());
  s.claims.subject = user->username;
  s.claims.jti = to_hex(random_bytes(16));
  s.claims.app = app;
  s.claims.stamp = stamp_for(*user);
  s.claims.issued_at = now;
  s.claims.authenticated_at = std::chrono::time_point_cast<seconds>(authenticated_at);
  s.claims.expires_at = std::min<WallTime>(now + options_.lifetime,
                                           s.claims.authenticated_at + options_.absolute_lifetime);
  if (s.claims.expires_at <= now) return unauthorized("session_expired", "session expired");
  {
    std::lock_guard lock(mu_);
    auto it = versions_.find(username);
    s.claims.version = it == versions_.end() ? 0 : it->second;
  }

  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) return Error::make(ErrorKind::internal, "jwt", "jwt_new failed");
  JwtPtr j(raw);
  std::string app_name(to_string(app));
  bool ok =
      jwt_add_grant(j.get(), "iss", kIssuer) == 0 &&
      jwt_add_grant(j.get(), "sub", s.claims.subject.c_str()) == 0 &&
      jwt_add_grant(j.get(), "jti", s.claims.jti.c_str()) == 0 &&
      jwt_add_grant(j.get(), "app", app_name.c_str()) == 0 &&
      jwt_add_grant(j.get(), "stm", s.claims.stamp.c_str()) == 0 &&
      jwt_add_grant_int(j.get(), "iat", static_cast<long>(unix_seconds(s.claims.issued_at))) == 0 &&
      jwt_add_grant_int(j.get(), "exp", static_cast<long>(unix_seconds(s.claims.expires_at))) ==
          0 &&
      jwt_add_grant_int(j.get(), "ver", static_cast<long>(s.claims.version)) == 0 &&
      jwt_add_grant_int(j.get(), "ath",
                        static_cast<long>(unix_seconds(s.claims.authenticated_at))) == 0 &&
      jwt_set_alg(j.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret_.data()),
                  static_cast<int>(secret_.size())) == 0;
  if (!ok) return Error::make(ErrorKind::internal, "jwt", "cannot build the session token");
  char* encoded = jwt_encode_str(j.get());
  if (!encoded) return Error::make(ErrorKind::internal, "jwt", "cannot sign the session token");
  s.token = encoded;
  std::free(encoded);
  return s;
}

Result<VerifiedSession> SessionManager::verify(const SecurityConfig& config,
                                               std::string_view token) const {
  if (token.empty() || token.size() > kMaxTokenLength || !token_charset_ok(token))
    return unauthorized("invalid_token", "invalid session token");
  if (!signature_ok(token, secret_)) return unauthorized("invalid_token", "invalid session token");
  std::string text(token);
  jwt_t* raw = nullptr;
  if (jwt_decode(&raw, text.c_str(), reinterpret_cast<const unsigned char*>(secret_.data()),
                 static_cast<int>(secret_.size())) != 0 ||
      !raw)
    return unauthorized("invalid_token", "invalid session token");
  JwtPtr j(raw);
  if (jwt_get_alg(j.get()) != JWT_ALG_HS256)
    return unauthorized("invalid_token", "invalid session token");

  auto iss = string_grant(j.get(), "iss");
  auto sub = string_grant(j.get(), "sub");
  auto jti = string_grant(j.get(), "jti");
  auto app_name = string_grant(j.get(), "app");
  auto stamp = string_grant(j.get(), "stm");
  auto iat = int_grant(j.get(), "iat");
  auto exp = int_grant(j.get(), "exp");
  auto ver = int_grant(j.get(), "ver");
  auto ath = int_grant(j.get(), "ath");
  if (!iss || *iss != kIssuer || !sub || !jti || !app_name || !stamp || !iat || !exp || !ver ||
      !ath)
    return unauthorized("invalid_token", "invalid session token");
  auto app = parse_app(*app_name);
  if (!app) return unauthorized("invalid_token", "invalid session token");

  VerifiedSession v;
  v.claims = SessionClaims{*sub,
                           *jti,
                           *app,
                           *ver,
                           *stamp,
                           from_unix_seconds(*iat),
                           from_unix_seconds(*exp),
                           from_unix_seconds(*ath)};
  auto now = clock_.now();
  if (now >= v.claims.expires_at || now >= v.claims.authenticated_at + options_.absolute_lifetime)
    return unauthorized("session_expired", "session expired");
  if (v.claims.authenticated_at > v.claims.issued_at)
    return unauthorized("invalid_token", "invalid session token");
  if (v.claims.issued_at > now + options_.clock_skew)
    return unauthorized("invalid_token", "invalid session token");
  {
    std::lock_guard lock(mu_);
    if (revoked_.count(v.claims.jti)) return unauthorized("session_revoked", "session ended");
    auto it = versions_.find(v.claims.subject);
    if (v.claims.version != (it == versions_.end() ? 0 : it->second))
      return unauthorized("session_revoked", "session ended");
  }
  const auto* user = find_user(config, v.claims.subject);
  if (!user || stamp_for(*user) != v.claims.stamp)
    return unauthorized("session_revoked", "session ended");
  auto principal = principal_for(config, v.claims.subject);
  if (!principal) return unauthorized("session_revoked", "session ended");
  if (!principal->allowed(v.claims.app)) return unauthorized("session_revoked", "session ended");
  v.principal = std::move(*principal);
  v.principal.app = v.claims.app;
  return v;
}

std::optional<IssuedSession> SessionManager::renew_if_due(const SecurityConfig& config,
                                                          const SessionClaims& claims) {
  auto left = claims.expires_at - clock_.now();
  if (left >= options_.lifetime / 2) return std::nullopt;
  auto fresh = issue_at(config, claims.subject, claims.app, claims.authenticated_at);
  if (!fresh || fresh->claims.expires_at <= claims.expires_at) return std::nullopt;
  return std::move(*fresh);
}

void SessionManager::revoke(const SessionClaims& claims) {
  std::lock_guard lock(mu_);
  purge_expired_locked(clock_.now());
  revoked_.emplace(claims.jti, claims.expires_at);
}

void SessionManager::revoke_user(std::string_view username) {
  std::lock_guard lock(mu_);
  auto it = versions_.find(username);
  if (it == versions_.end()) {
    versions_.emplace(std::string(username), 1);
  } else {
    ++it->second;
  }
}

std::size_t SessionManager::revoked_count() const {
  std::lock_guard lock(mu_);
  return revoked_.size();
}

void SessionManager::purge_expired_locked(WallTime now) {
  std::erase_if(revoked_, [&](const auto& kv) { return kv.second <= now; });
}

}  // namespace weir::security
