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
  return finish(client_id, username, info, check(client_id, username, password));
}

void MqttAuthPolicy::authenticate_async(const std::string& client_id,
                                        const std::optional<std::string>& username,
                                        const std::optional<std::string>& password,
                                        const mqtt::ConnectionInfo& info, Done done) {
  if (!username || !post_ || !verifier_)
    return done(authenticate(client_id, username, password, info));
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
  if (!verifier_->try_post(std::move(job)))
    return done(
        mqtt::AuthResult::refuse(mqtt::AuthRefusal::server_busy, "too many logins being verified"));
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
  if (!r) {
    security_->record(AuditAction::mqtt_auth_failed, username.value_or(""), info.remote_address,
                      client_id, AuditResult::denied, r.error().message);
    return mqtt::AuthResult::refuse(r.error().kind == ErrorKind::unauthorized
                                        ? mqtt::AuthRefusal::bad_credentials
                                        : mqtt::AuthRefusal::not_authorized,
                                    r.error().message);
  }
  mqtt::Identity id;
  id.client_id = client_id;
  id.username = r->username;
  id.anonymous = r->kind == MqttClientKind::anonymous;
  id.grant = std::make_shared<MqttGrant>(std::move(*r));
  return mqtt::AuthResult::accept(std::move(id));
}

}  // namespace weir::security
