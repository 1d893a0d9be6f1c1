#pragma once
// The permission catalogue: every action a Weir user can be allowed, with what it covers and the
// Python platform's permission names it replaces, and the apps a user can be limited to.
// docs/SECURITY.md has the same table for people.
#include <bitset>
#include <boost/describe.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace weir::security {

enum class Permission : unsigned char {
  view,             // read datapoints, alarms, commands, drivers, live feeds, animations
  write_datapoint,  // set a datapoint's value by hand (forced / manual value)
  send_command,     // send a command to a command datapoint
  ack_alarm,        // acknowledge an alarm occurrence
  control_driver,   // connect / disconnect / toggle a driver
  alert_feedback,   // answer an alert shown to the operator
  view_audit,       // read the audit log
  edit_config,      // config editor: validate and save system_config.json, SVG files (implies
                    // view_config)
  edit_security,    // security editor: users, groups, permissions, MQTT credentials
  restart_app,      // restart the application
  mqtt_connect,     // a Weir user may log in to the MQTT broker (topics still need an ACL rule)
  device_control,   // play / stop / resume the demo devices
  shelve_alarm,     // shelve / unshelve an alarm, take it out of service and back
  view_history,     // read the historian: raw values, trends, CSV export, events
  view_config,      // config editor read-only: the configuration, its schema, versions, diffs
};
BOOST_DESCRIBE_ENUM(Permission, view, write_datapoint, send_command, ack_alarm, control_driver,
                    alert_feedback, view_audit, edit_config, edit_security, restart_app,
                    mqtt_connect, device_control, shelve_alarm, view_history, view_config)

inline constexpr std::size_t permission_count = 15;

// The web apps a user may be allowed to open (users[].allowed_apps).
enum class App : unsigned char { scada, config_editor, security_editor };
BOOST_DESCRIBE_ENUM(App, scada, config_editor, security_editor)

inline constexpr std::size_t app_count = 3;

struct PermissionInfo {
  Permission permission;
  std::string_view name;         // Weir's name, as written in security_config.json
  std::string_view description;  // one line, for the docs and the security editor
  std::span<const std::string_view> legacy_names;  // Python platform names mapped onto it
};

// All permissions, in enum order.
std::span<const PermissionInfo> permission_catalogue();
const PermissionInfo& permission_info(Permission p);

std::string_view to_string(Permission p);
std::string_view to_string(App a);

// Accepts Weir's names and the Python platform's (e.g. "command/sendcommandmsg").
std::optional<Permission> parse_permission(std::string_view name);
std::optional<App> parse_app(std::string_view name);

// A small value set of permissions (one bit each).
class PermissionSet {
 public:
  PermissionSet() = default;
  PermissionSet(std::initializer_list<Permission> ps) {
    for (auto p : ps) add(p);
  }
  static PermissionSet all();

  void add(Permission p) { bits_.set(static_cast<std::size_t>(p)); }
  void add(PermissionSet other) { bits_ |= other.bits_; }
  bool has(Permission p) const { return bits_.test(static_cast<std::size_t>(p)); }
  bool empty() const { return bits_.none(); }
  std::vector<Permission> list() const;  // in enum order
  friend bool operator==(const PermissionSet&, const PermissionSet&) = default;

 private:
  std::bitset<permission_count> bits_;
};

// The catalogue as JSON-ready data for GET /api/security/permissions.
struct PermissionDescription {
  std::string name;
  std::string description;
  std::vector<std::string> legacy_names;
};
BOOST_DESCRIBE_STRUCT(PermissionDescription, (), (name, description, legacy_names))
std::vector<PermissionDescription> describe_permissions();

}  // namespace weir::security
