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

// What one connection may do, decided by the Authenticator when it connected and again when the
// security configuration changes (Broker::reauthorize). Rights belong to the connection, never
// to a client id: two connections that used the same id never share them. Immutable (a change
// swaps the connection's grant), so a will published after its connection ended still carries
// its own connection's rights.
class Grant {
 public:
  virtual ~Grant() = default;
  virtual bool can_publish(std::string_view topic) const = 0;
  // filter is the plain filter (a "$share/group/" prefix already removed).
  virtual bool can_subscribe(std::string_view filter) const = 0;
  // A subscription may be wider than what the client may read (`#` granted, `secret/#` denied):
  // when filters_delivery() is true, every message is checked with can_receive() before it is
  // queued or sent to this client.
  virtual bool filters_delivery() const { return false; }
  virtual bool can_receive(std::string_view /*topic*/) const { return true; }
};

// Who a connected client is, as decided by the Authenticator.
struct Identity {
  std::string client_id;
  std::string username;  // empty when anonymous
  bool anonymous = true;
  bool trusted = false;                // in-process clients: ACL-free
  std::vector<std::string> roles;      // free for the security module to fill
  std::shared_ptr<const Grant> grant;  // the connection's rights, when the Authenticator gives any
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
  // An installed Authenticator is asked for every CONNECT, anonymous ones included: it decides
  // whether anonymous clients may connect, and with which rights.
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
