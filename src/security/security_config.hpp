#pragma once
// security_config.json (SPEC §2): groups with permissions, users with groups and allowed apps, and
// Weir's optional `mqtt` section (device credentials, topic ACL rules). The structs mirror the
// file; parse_security_config() decodes and validates it, serialize_security_config() writes it
// back in the same shape. Permission names may be Weir's or the Python platform's (see
// permission.hpp); they are kept as written, so a loaded file saves back unchanged.
#include <boost/describe.hpp>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "security/permission.hpp"

namespace weir::security {

struct Group {
  std::string name;
  std::vector<std::string> permissions;  // names from the catalogue (or their Python aliases)
};
BOOST_DESCRIBE_STRUCT(Group, (), (name, permissions))

struct User {
  std::string username;
  std::string password_hash;  // "$argon2id$…", a legacy 64-hex SHA-256, or "" (login disabled)
  std::vector<std::string> groups;
  std::vector<std::string> allowed_apps;  // "scada", "config_editor", "security_editor"
  // true: the user's sessions may only change the password (POST /api/auth/password), log out
  // and read /api/auth/me. Set when a legacy hash is upgraded or a login's password breaks the
  // rules; cleared when the user sets a new password. Omitted in the file when unset.
  std::optional<bool> password_change_required;
};
BOOST_DESCRIBE_STRUCT(User, (),
                      (username, password_hash, groups, allowed_apps, password_change_required))

// A topic ACL: patterns with MQTT wildcards (+, #) and %u (username) / %c (client id). The deny
// lists refuse topics inside what publish / subscribe grant, and win over them: with subscribe
// ["#"] and deny_subscribe ["secret/#"], subscribing to secret/x is refused and a subscription
// to # never delivers a message on secret/....
struct MqttTopicAcl {
  std::vector<std::string> publish;
  std::vector<std::string> subscribe;
  std::optional<std::vector<std::string>> deny_publish;
  std::optional<std::vector<std::string>> deny_subscribe;
};
BOOST_DESCRIBE_STRUCT(MqttTopicAcl, (), (publish, subscribe, deny_publish, deny_subscribe))

// A device that logs in to the broker with its own credentials (not a Weir user).
struct MqttDevice {
  std::string username;
  std::string password_hash;
  std::vector<std::string> publish;
  std::vector<std::string> subscribe;
  std::optional<std::vector<std::string>> deny_publish;
  std::optional<std::vector<std::string>> deny_subscribe;
};
BOOST_DESCRIBE_STRUCT(MqttDevice, (),
                      (username, password_hash, publish, subscribe, deny_publish, deny_subscribe))

// Topics for Weir users (who also need the mqtt_connect permission): exactly one of user / group.
struct MqttAclRule {
  std::optional<std::string> user;
  std::optional<std::string> group;
  std::vector<std::string> publish;
  std::vector<std::string> subscribe;
  std::optional<std::vector<std::string>> deny_publish;
  std::optional<std::vector<std::string>> deny_subscribe;
};
BOOST_DESCRIBE_STRUCT(MqttAclRule, (),
                      (user, group, publish, subscribe, deny_publish, deny_subscribe))

struct MqttSecurity {
  std::optional<bool> allow_anonymous;    // default false
  std::optional<MqttTopicAcl> anonymous;  // topics for anonymous clients, when allowed
  std::vector<MqttDevice> devices;        // may be omitted in the file
  std::vector<MqttAclRule> acl;           // may be omitted in the file
};
BOOST_DESCRIBE_STRUCT(MqttSecurity, (), (allow_anonymous, anonymous, devices, acl))

struct SecurityConfig {
  std::vector<Group> groups;
  std::vector<User> users;
  std::optional<MqttSecurity> mqtt;
};
BOOST_DESCRIBE_STRUCT(SecurityConfig, (), (groups, users, mqtt))

inline constexpr std::string_view kSecurityConfigFileName = "security_config.json";

// Decodes and validates. Errors say file, JSON path and what is wrong, e.g.
//   security_config.json: users[1].groups[0]: unknown group "oprators"
// with Error::field = "users[1].groups[0]". Unknown keys are refused too (a typo must not
// silently drop a setting).
Result<SecurityConfig> parse_security_config(std::string_view text,
                                             std::string_view file_name = kSecurityConfigFileName);
// Reads and parses a file; messages name the file by its file name.
Result<SecurityConfig> load_security_config_file(const std::filesystem::path& path);

// Semantic checks on an already decoded config (the security editor's "validate"): names unique
// and non-empty, known permissions / apps / groups, recognised hash formats, valid topic patterns,
// ACL rules naming exactly one existing user or group. Messages carry the JSON path, no file name.
Status validate_security_config(const SecurityConfig& config);

// Pretty-printed JSON in the file's shape (two-space indent, trailing newline). The caller writes
// it atomically (temporary file + rename).
std::string serialize_security_config(const SecurityConfig& config);

// Lookups (exact, case-sensitive match).
const User* find_user(const SecurityConfig& config, std::string_view username);
User* find_user(SecurityConfig& config, std::string_view username);
const Group* find_group(const SecurityConfig& config, std::string_view name);
Group* find_group(SecurityConfig& config, std::string_view name);
const MqttDevice* find_mqtt_device(const SecurityConfig& config, std::string_view username);

// Union of the permissions of the user's groups (unknown names are ignored: validate first);
// edit_config brings view_config along.
PermissionSet permissions_of(const SecurityConfig& config, const User& user);

}  // namespace weir::security
