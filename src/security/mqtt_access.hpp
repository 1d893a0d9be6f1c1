#pragma once
// MQTT authentication and topic authorisation from the security config, for the embedded broker
// (which adapts this to its own Authenticator / Authorizer interfaces; no broker types here).
//
// Who may connect:
// - a device from mqtt.devices[] with its password: its own publish / subscribe patterns;
// - a Weir user whose groups grant mqtt_connect: the patterns of every mqtt.acl[] rule naming
//   the user or one of its groups (none: connected but confined to nothing);
// - no username, when mqtt.allow_anonymous is true: the mqtt.anonymous patterns. This is the
//   only switch for anonymous MQTT (the broker module has none).
// Each list may have deny_publish / deny_subscribe patterns that win over what it grants.
// Patterns use +/# and %u / %c (see mqtt_topic_pattern.hpp); they are substituted once, at
// connect, into the identity. authenticate() verifies an Argon2id hash: run it off the network
// thread.
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "security/security_config.hpp"

namespace weir::security {

enum class MqttClientKind { anonymous, user, device };

struct MqttIdentity {
  MqttClientKind kind = MqttClientKind::anonymous;
  std::string username;
  std::string client_id;
  std::vector<std::string> publish;         // substituted patterns
  std::vector<std::string> subscribe;       // substituted patterns
  std::vector<std::string> deny_publish;    // substituted patterns, win over publish
  std::vector<std::string> deny_subscribe;  // substituted patterns, win over subscribe
  // Set once when the password verified against a legacy hash: store it in the config.
  std::optional<std::string> upgraded_hash;
};

class MqttAccess {
 public:
  explicit MqttAccess(std::shared_ptr<const SecurityConfig> config);

  // Hot reload. Connected clients keep their identity until refresh()ed.
  void set_config(std::shared_ptr<const SecurityConfig> config);

  // Errors: ErrorKind::unauthorized "bad_username_or_password" (MQTT 5 reason 0x86, 3.1.1 code 4)
  //         ErrorKind::forbidden "not_authorized" (0x87 / code 5): no mqtt_connect, or anonymous
  //         not allowed.
  Result<MqttIdentity> authenticate(std::string_view client_id,
                                    std::optional<std::string_view> username,
                                    std::optional<std::string_view> password) const;

  // After a config reload: the identity's topics under the new config, or nullopt when the
  // client may no longer connect (disconnect it). No password check.
  std::optional<MqttIdentity> refresh(const MqttIdentity& identity) const;

  static bool can_publish(const MqttIdentity& identity, std::string_view topic);
  // Shared subscriptions ("$share/<group>/<filter>") are checked on their <filter>. A filter
  // wholly inside a deny_subscribe pattern is refused; a wider one is allowed, and
  // can_receive() keeps the denied topics out of it.
  static bool can_subscribe(const MqttIdentity& identity, std::string_view filter);
  static bool can_receive(const MqttIdentity& identity, std::string_view topic);

 private:
  std::shared_ptr<const SecurityConfig> current() const;
  static std::optional<MqttIdentity> identity_for(const SecurityConfig& config, MqttClientKind kind,
                                                  std::string_view username,
                                                  std::string_view client_id);

  mutable std::mutex mu_;
  std::shared_ptr<const SecurityConfig> config_;  // guarded by mu_
};

}  // namespace weir::security
