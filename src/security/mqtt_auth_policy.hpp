#pragma once
// The MQTT security policy: Weir's users and device credentials (security_config.json) as the
// embedded broker's Authenticator and Authorizer. A CONNECT with a password costs one Argon2id
// verification (tens of ms, 64 MiB): it runs on a worker thread, never on the io thread, so a
// reconnect storm of devices does not stall every other client; at most
// kMaxPendingVerifications wait, beyond that the CONNECT is answered "server busy" and the
// client retries.
//
// The rights a CONNECT earns are an mqtt::Grant held by that connection (nothing here is keyed
// by client id): a will is published with its own connection's rights, and a client id reused by
// another account cannot borrow them. Anonymous clients are decided by security_config.json
// (mqtt.allow_anonymous, mqtt.anonymous) like everyone else. When the security configuration
// changes, regrant() gives each open connection its new rights, or none (disconnect).
#include <functional>
#include <memory>

#include "core/worker_thread.hpp"
#include "mqtt/broker/broker.hpp"
#include "security/security_gateway.hpp"

namespace weir::security {

class MqttAuthPolicy final : public mqtt::Authenticator,
                             public mqtt::Authorizer,
                             public std::enable_shared_from_this<MqttAuthPolicy> {
 public:
  static constexpr std::size_t kMaxPendingVerifications = 256;
  using Post = std::function<void(std::function<void()>)>;

  explicit MqttAuthPolicy(std::shared_ptr<SecurityGateway> security)
      : security_(std::move(security)) {}

  // Where answers from the worker are delivered (the broker's thread). Until then, and without
  // a password, verification runs inline.
  void attach(Post post);
  void detach();
  // The rights of a connected client after `change`, or null when it must go: a changed user
  // (password, groups, removal) loses its connections; after a configuration save everyone's
  // rights are computed again from the new file.
  std::shared_ptr<const mqtt::Grant> regrant(const mqtt::Identity& who,
                                             const Revocation& change) const;

  mqtt::AuthResult authenticate(const std::string& client_id,
                                const std::optional<std::string>& username,
                                const std::optional<std::string>& password,
                                const mqtt::ConnectionInfo& info) override;
  void authenticate_async(const std::string& client_id, const std::optional<std::string>& username,
                          const std::optional<std::string>& password,
                          const mqtt::ConnectionInfo& info, Done done) override;
  bool can_publish(const mqtt::Identity& who, std::string_view topic) override;
  bool can_subscribe(const mqtt::Identity& who, std::string_view filter) override;

 private:
  Result<MqttIdentity> check(const std::string& client_id,
                             const std::optional<std::string>& username,
                             const std::optional<std::string>& password) const;
  // A password check: refused at once while the throttle locks the username or address;
  // otherwise reserved in it until finish() settles it.
  std::optional<mqtt::AuthResult> reserve(const std::string& username,
                                          const mqtt::ConnectionInfo& info);
  // On the broker thread: settle the throttle, store an upgraded hash, audit a refusal (with its
  // true reason; the client sees "bad username or password" for any refused password check),
  // remember the identity for the ACL.
  mqtt::AuthResult finish(const std::string& client_id, const std::optional<std::string>& username,
                          const mqtt::ConnectionInfo& info, Result<MqttIdentity> r);

  std::shared_ptr<SecurityGateway> security_;
  Post post_;
  std::unique_ptr<WorkerThread> verifier_;
};

}  // namespace weir::security
