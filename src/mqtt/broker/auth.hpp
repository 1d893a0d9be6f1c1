#pragma once
// Authentication and authorisation hooks. The security module implements these (users, device
// credentials, ACL patterns with %c/%u: see topic_pattern.hpp); the broker only calls them.
// Both are called on the broker thread and must not block: an authenticator with slow work
// (Argon2id) overrides authenticate_async() and answers later.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mqtt/broker/connection.hpp"

namespace weir::mqtt {

// Who a connected client is, as decided by the Authenticator.
struct Identity {
  std::string client_id;
  std::string username;  // empty when anonymous
  bool anonymous = true;
  bool trusted = false;            // in-process clients: ACL-free
  std::vector<std::string> roles;  // free for the security module to fill
};

enum class AuthRefusal {
  bad_credentials,  // CONNACK 0x86 (v3.1.1: 4)
  not_authorized,   // 0x87 (v3.1.1: 5)
  server_busy,      // 0x89 (v3.1.1: 3 server unavailable): too many verifications waiting
  rate_limited,     // 0x9F connection rate exceeded (v3.1.1: 3): too many failed passwords
};

struct AuthResult {
  bool accepted = false;
  Identity identity;                                  // when accepted
  AuthRefusal refusal = AuthRefusal::not_authorized;  // when refused
  std::string message;                                // for the log / v5 reason string

  static AuthResult accept(Identity id) { return AuthResult{true, std::move(id), {}, {}}; }
  static AuthResult refuse(AuthRefusal r, std::string msg = {}) {
    return AuthResult{false, {}, r, std::move(msg)};
  }
};

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // username/password are absent when the CONNECT flags say so; the password is raw bytes.
  virtual AuthResult authenticate(const std::string& client_id,
                                  const std::optional<std::string>& username,
                                  const std::optional<std::string>& password,
                                  const ConnectionInfo& info) = 0;

  // The broker calls this one. `done` must be called exactly once, on the broker thread: at once
  // (the default, which calls authenticate()) or later. Meanwhile the connection waits; if it
  // closes first, the broker ignores the late answer.
  using Done = std::function<void(AuthResult)>;
  virtual void authenticate_async(const std::string& client_id,
                                  const std::optional<std::string>& username,
                                  const std::optional<std::string>& password,
                                  const ConnectionInfo& info, Done done) {
    done(authenticate(client_id, username, password, info));
  }
};

class Authorizer {
 public:
  virtual ~Authorizer() = default;
  virtual bool can_publish(const Identity& who, std::string_view topic) = 0;
  // filter is the plain filter (a "$share/group/" prefix already removed).
  virtual bool can_subscribe(const Identity& who, std::string_view filter) = 0;
};

}  // namespace weir::mqtt
