#include "security/mqtt_access.hpp"

#include <algorithm>

#include "security/mqtt_topic_pattern.hpp"
#include "security/password.hpp"

namespace weir::security {
namespace {

Error bad_credentials() {
  return Error::make(ErrorKind::unauthorized, "bad_username_or_password",
                     "bad username or password");
}
Error not_authorized(std::string why) {
  return Error::make(ErrorKind::forbidden, "not_authorized", std::move(why));
}

void add_patterns(std::vector<std::string>& out, const std::vector<std::string>& patterns,
                  std::string_view username, std::string_view client_id) {
  for (const auto& p : patterns)
    if (auto s = substitute_topic_pattern(p, username, client_id))
      if (std::find(out.begin(), out.end(), *s) == out.end()) out.push_back(std::move(*s));
}

template <class Acl>
void add_acl(MqttIdentity& id, const Acl& acl) {
  static const std::vector<std::string> none;
  add_patterns(id.publish, acl.publish, id.username, id.client_id);
  add_patterns(id.subscribe, acl.subscribe, id.username, id.client_id);
  add_patterns(id.deny_publish, acl.deny_publish.value_or(none), id.username, id.client_id);
  add_patterns(id.deny_subscribe, acl.deny_subscribe.value_or(none), id.username, id.client_id);
}

}  // namespace

MqttAccess::MqttAccess(std::shared_ptr<const SecurityConfig> config) : config_(std::move(config)) {}

void MqttAccess::set_config(std::shared_ptr<const SecurityConfig> config) {
  std::lock_guard lock(mu_);
  config_ = std::move(config);
}

std::shared_ptr<const SecurityConfig> MqttAccess::current() const {
  std::lock_guard lock(mu_);
  return config_;
}

std::optional<MqttIdentity> MqttAccess::identity_for(const SecurityConfig& config,
                                                     MqttClientKind kind, std::string_view username,
                                                     std::string_view client_id) {
  MqttIdentity id;
  id.kind = kind;
  id.username = std::string(username);
  id.client_id = std::string(client_id);
  const MqttSecurity empty{};
  const auto& mqtt = config.mqtt ? *config.mqtt : empty;
  switch (kind) {
    case MqttClientKind::anonymous:
      if (!mqtt.allow_anonymous.value_or(false)) return std::nullopt;
      if (mqtt.anonymous) add_acl(id, *mqtt.anonymous);
      return id;
    case MqttClientKind::device: {
      const auto* dev = find_mqtt_device(config, username);
      if (!dev) return std::nullopt;
      add_acl(id, *dev);
      return id;
    }
    case MqttClientKind::user: {
      const auto* user = find_user(config, username);
      if (!user || !permissions_of(config, *user).has(Permission::mqtt_connect))
        return std::nullopt;
      for (const auto& rule : mqtt.acl) {
        bool applies = (rule.user && *rule.user == user->username) ||
                       (rule.group && std::find(user->groups.begin(), user->groups.end(),
                                                *rule.group) != user->groups.end());
        if (!applies) continue;
        add_acl(id, rule);
      }
      return id;
    }
  }
  return std::nullopt;
}

Result<MqttIdentity> MqttAccess::authenticate(std::string_view client_id,
                                              std::optional<std::string_view> username,
                                              std::optional<std::string_view> password) const {
  auto config = current();
  if (!config) return not_authorized("no security configuration");
  if (!username) {
    auto id = identity_for(*config, MqttClientKind::anonymous, "", client_id);
    if (!id) return not_authorized("anonymous clients are not allowed");
    return std::move(*id);
  }
  std::string_view pw = password.value_or(std::string_view{});
  const std::string* stored = nullptr;
  MqttClientKind kind = MqttClientKind::user;
  if (const auto* dev = find_mqtt_device(*config, *username)) {
    stored = &dev->password_hash;
    kind = MqttClientKind::device;
  } else if (const auto* user = find_user(*config, *username)) {
    stored = &user->password_hash;
  }
  if (!stored) {
    spend_verification_time(pw);
    return bad_credentials();
  }
  auto v = verify_password(pw, *stored);
  if (!password || !v.ok) return bad_credentials();
  auto id = identity_for(*config, kind, *username, client_id);
  if (!id) return not_authorized("user lacks the mqtt_connect permission");
  id->upgraded_hash = std::move(v.upgraded_hash);
  return std::move(*id);
}

std::optional<MqttIdentity> MqttAccess::refresh(const MqttIdentity& identity) const {
  auto config = current();
  if (!config) return std::nullopt;
  auto id = identity_for(*config, identity.kind, identity.username, identity.client_id);
  // A user who became a device (or the reverse) must log in again.
  if (!id) return std::nullopt;
  if (identity.kind == MqttClientKind::user && find_mqtt_device(*config, identity.username))
    return std::nullopt;
  return id;
}

bool MqttAccess::can_publish(const MqttIdentity& identity, std::string_view topic) {
  if (!is_valid_topic_name(topic)) return false;
  auto matches = [&](const std::string& p) { return topic_matches(p, topic); };
  return std::any_of(identity.publish.begin(), identity.publish.end(), matches) &&
         std::none_of(identity.deny_publish.begin(), identity.deny_publish.end(), matches);
}

bool MqttAccess::can_subscribe(const MqttIdentity& identity, std::string_view filter) {
  auto f = strip_shared_subscription(filter);
  if (!is_valid_topic_filter(f)) return false;
  auto covers = [&](const std::string& p) { return filter_covered_by(p, f); };
  return std::any_of(identity.subscribe.begin(), identity.subscribe.end(), covers) &&
         std::none_of(identity.deny_subscribe.begin(), identity.deny_subscribe.end(), covers);
}

bool MqttAccess::can_receive(const MqttIdentity& identity, std::string_view topic) {
  return std::none_of(identity.deny_subscribe.begin(), identity.deny_subscribe.end(),
                      [&](const std::string& p) { return topic_matches(p, topic); });
}

}  // namespace weir::security
