#include "security/mqtt_auth_policy.hpp"

namespace weir::security {
namespace {

// An MqttIdentity's topics as the broker's per-connection grant.
class MqttGrant final : public mqtt::Grant {
 public:
  explicit MqttGrant(MqttIdentity id) : id_(std::move(id)) {}
  bool can_publish(std::string_view topic) const override {
    return MqttAccess::can_publish(id_, topic);
  }
  bool can_subscribe(std::string_view filter) const override {
    return MqttAccess::can_subscribe(id_, filter);
  }
  bool filters_delivery() const override { return !id_.deny_subscribe.empty(); }
  bool can_receive(std::string_view topic) const override {
    return MqttAccess::can_receive(id_, topic);
  }
  const MqttIdentity& identity() const { return id_; }

 private:
  MqttIdentity id_;
};

// "1.2.3.4:5678" / "::1:5678" -> the host: the throttle counts per address, not per socket.
std::string host_of(const std::string& remote) {
  auto colon = remote.rfind(':');
  return colon == std::string::npos ? remote : remote.substr(0, colon);
}

}  // namespace

void MqttAuthPolicy::attach(Post post) {
  post_ = std::move(post);
  if (!verifier_)
    verifier_ = std::make_unique<WorkerThread>("mqtt-verify", kMaxPendingVerifications);
}

void MqttAuthPolicy::detach() {
  if (verifier_) verifier_->stop();
}

mqtt::AuthResult MqttAuthPolicy::authenticate(const std::string& client_id,
                                              const std::optional<std::string>& username,
                                              const std::optional<std::string>& password,
                                              const mqtt::ConnectionInfo& info) {
  if (username)
    if (auto refused = reserve(*username, info)) return std::move(*refused);
  return finish(client_id, username, info, check(client_id, username, password));
}

std::optional<mqtt::AuthResult> MqttAuthPolicy::reserve(const std::string& username,
                                                        const mqtt::ConnectionInfo& info) {
  auto st = security_->throttle().reserve(username, host_of(info.remote_address));
  if (!st.locked()) return std::nullopt;
  security_->record(AuditAction::mqtt_auth_failed, username, info.remote_address, "",
                    AuditResult::denied, "throttled");
  return mqtt::AuthResult::refuse(
      mqtt::AuthRefusal::rate_limited,
      "too many failed logins; retry in " + std::to_string(st.retry_after.count()) + " s");
}

void MqttAuthPolicy::authenticate_async(const std::string& client_id,
                                        const std::optional<std::string>& username,
                                        const std::optional<std::string>& password,
                                        const mqtt::ConnectionInfo& info, Done done) {
  if (!username || !post_ || !verifier_)
    return done(authenticate(client_id, username, password, info));
  if (auto refused = reserve(*username, info)) return done(std::move(*refused));
  auto job = [weak = weak_from_this(), access = security_->mqtt_access(), post = post_, client_id,
              username, password, info, done]() mutable {
    std::optional<std::string_view> u = *username, p;
    if (password) p = *password;
    auto r = access->authenticate(client_id, u, p);  // the slow part
    post([weak, client_id = std::move(client_id), username = std::move(username),
          info = std::move(info), done = std::move(done), r = std::move(r)]() mutable {
      auto self = weak.lock();
      if (!self) return;  // shutting down: the broker is gone too
      done(self->finish(client_id, username, info, std::move(r)));
    });
  };
  if (!verifier_->try_post(std::move(job))) {
    security_->throttle().release(*username, host_of(info.remote_address));
    return done(
        mqtt::AuthResult::refuse(mqtt::AuthRefusal::server_busy, "too many logins being verified"));
  }
}

bool MqttAuthPolicy::can_publish(const mqtt::Identity& who, std::string_view topic) {
  if (who.trusted) return true;
  return who.grant && who.grant->can_publish(topic);
}

bool MqttAuthPolicy::can_subscribe(const mqtt::Identity& who, std::string_view filter) {
  if (who.trusted) return true;
  return who.grant && who.grant->can_subscribe(filter);
}

std::shared_ptr<const mqtt::Grant> MqttAuthPolicy::regrant(const mqtt::Identity& who,
                                                           const Revocation& change) const {
  const auto* current = dynamic_cast<const MqttGrant*>(who.grant.get());
  if (!current) return nullptr;  // not admitted by this policy: nothing to keep it on
  switch (change.scope) {
    case Revocation::Scope::session:  // an HTTP login ended: MQTT connections do not use it
      return who.grant;
    case Revocation::Scope::user:  // the account changed: it must log in again
      if (!who.anonymous && who.username == change.username) return nullptr;
      return who.grant;
    case Revocation::Scope::configuration: {
      auto next = security_->mqtt_access()->refresh(current->identity());
      if (!next) return nullptr;
      return std::make_shared<MqttGrant>(std::move(*next));
    }
  }
  return who.grant;
}

Result<MqttIdentity> MqttAuthPolicy::check(const std::string& client_id,
                                           const std::optional<std::string>& username,
                                           const std::optional<std::string>& password) const {
  std::optional<std::string_view> u, p;
  if (username) u = *username;
  if (password) p = *password;
  return security_->mqtt_access()->authenticate(client_id, u, p);
}

mqtt::AuthResult MqttAuthPolicy::finish(const std::string& client_id,
                                        const std::optional<std::string>& username,
                                        const mqtt::ConnectionInfo& info, Result<MqttIdentity> r) {
  if (r && r->upgraded_hash) security_->store_upgraded_hash(r->username, *r->upgraded_hash);
  if (r && r->kind == MqttClientKind::user && security_->password_change_required(r->username))
    r = Error::make(ErrorKind::forbidden, "password_change_required",
                    "the password must be changed first (web login)");
  if (username) {
    // Any refusal of a password check counts as a failure, a right password refused for another
    // reason too: a cleared counter would tell the attacker the password was right.
    auto& throttle = security_->throttle();
    const std::string addr = host_of(info.remote_address);
    if (!r) {
      auto failure = throttle.settle_failure(*username, addr);
      if (failure.lockout_started)
        security_->record(
            AuditAction::lockout, *username, info.remote_address, *username, AuditResult::denied,
            "locked for " + std::to_string(failure.state.retry_after.count()) + " s (MQTT)");
    } else if (auto st = throttle.settle_success(*username, addr); st.locked()) {
      r = Error::make(ErrorKind::too_many, "throttled", "throttled");
    }
  }
  if (!r) {
    security_->record(AuditAction::mqtt_auth_failed, username.value_or(""), info.remote_address,
                      client_id, AuditResult::denied, r.error().message);
    // One answer for every refused password (wrong, no mqtt_connect, must change): no oracle.
    const auto refusal = r.error().kind == ErrorKind::too_many ? mqtt::AuthRefusal::rate_limited
                         : username                            ? mqtt::AuthRefusal::bad_credentials
                                                               : mqtt::AuthRefusal::not_authorized;
    return mqtt::AuthResult::refuse(refusal, refusal == mqtt::AuthRefusal::bad_credentials
                                                 ? "bad username or password"
                                                 : r.error().message);
  }
  mqtt::Identity id;
  id.client_id = client_id;
  id.username = r->username;
  id.anonymous = r->kind == MqttClientKind::anonymous;
  id.grant = std::make_shared<MqttGrant>(std::move(*r));
  return mqtt::AuthResult::accept(std::move(id));
}

}  // namespace weir::security
