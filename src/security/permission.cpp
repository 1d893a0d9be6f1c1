#include "security/permission.hpp"

#include <array>
#include <cassert>

#include "core/json.hpp"

namespace weir::security {
namespace {

constexpr std::string_view kViewLegacy[] = {"login", "animation/animationupdaterequestmsg"};
constexpr std::string_view kWriteLegacy[] = {"datapoint/rawtagupdatemsg"};
constexpr std::string_view kCommandLegacy[] = {"command/sendcommandmsg"};
constexpr std::string_view kAckLegacy[] = {"alarm/ackalarmmsg"};
constexpr std::string_view kDriverLegacy[] = {"communication/driverconnectcommand"};
constexpr std::string_view kAlertLegacy[] = {"alert/clientalertfeedbackmsg"};
constexpr std::string_view kEditConfigLegacy[] = {"save_config", "save_config_as"};
constexpr std::string_view kEditSecurityLegacy[] = {"save_security_config",
                                                    "security_editor_access"};
constexpr std::string_view kRestartLegacy[] = {"restart_app"};

const std::array<PermissionInfo, permission_count> kCatalogue{{
    {Permission::view, "view",
     "Read datapoints, alarms, commands, drivers, animations and subscribe to live feeds",
     kViewLegacy},
    {Permission::write_datapoint, "write_datapoint",
     "Set a datapoint's value by hand (manual value)", kWriteLegacy},
    {Permission::send_command, "send_command", "Send a command to a command datapoint",
     kCommandLegacy},
    {Permission::ack_alarm, "ack_alarm", "Acknowledge alarms", kAckLegacy},
    {Permission::control_driver, "control_driver", "Connect, disconnect or toggle a driver",
     kDriverLegacy},
    {Permission::alert_feedback, "alert_feedback", "Answer alerts shown to the operator",
     kAlertLegacy},
    {Permission::view_audit, "view_audit", "Read the audit log", {}},
    {Permission::edit_config, "edit_config",
     "Validate, save and revert the system configuration and SVG layouts (config editor; "
     "includes view_config)",
     kEditConfigLegacy},
    {Permission::edit_security, "edit_security",
     "Read and save users, groups, permissions and MQTT credentials (security editor)",
     kEditSecurityLegacy},
    {Permission::restart_app, "restart_app", "Restart the application", kRestartLegacy},
    {Permission::mqtt_connect,
     "mqtt_connect",
     "Log in to the embedded MQTT broker with this user's credentials (topics need an ACL rule)",
     {}},
    {Permission::device_control, "device_control", "Play, stop or resume the demo devices", {}},
    {Permission::shelve_alarm,
     "shelve_alarm",
     "Shelve and unshelve alarms (with a reason), take them out of service and back",
     {}},
    {Permission::view_history,
     "view_history",
     "Read the history: stored values, trends, CSV export and events (granted with view to "
     "groups migrated from the Python platform)",
     {}},
    {Permission::view_config,
     "view_config",
     "Read the system configuration, its schema, kept versions and diffs, and SVG layout "
     "versions (config editor, read only; edit_config includes it)",
     {}},
}};

}  // namespace

std::span<const PermissionInfo> permission_catalogue() {
  return kCatalogue;
}

const PermissionInfo& permission_info(Permission p) {
  const auto& info = kCatalogue[static_cast<std::size_t>(p)];
  assert(info.permission == p);
  return info;
}

std::string_view to_string(Permission p) {
  return permission_info(p).name;
}
std::string_view to_string(App a) {
  return json::enum_name(a);
}

std::optional<Permission> parse_permission(std::string_view name) {
  for (const auto& info : kCatalogue) {
    if (info.name == name) return info.permission;
    for (auto legacy : info.legacy_names)
      if (legacy == name) return info.permission;
  }
  return std::nullopt;
}

std::optional<App> parse_app(std::string_view name) {
  App a{};
  if (json::enum_from_name(name, a)) return a;
  return std::nullopt;
}

PermissionSet PermissionSet::all() {
  PermissionSet s;
  s.bits_.set();
  return s;
}

std::vector<Permission> PermissionSet::list() const {
  std::vector<Permission> out;
  for (const auto& info : kCatalogue)
    if (has(info.permission)) out.push_back(info.permission);
  return out;
}

std::vector<PermissionDescription> describe_permissions() {
  std::vector<PermissionDescription> out;
  for (const auto& info : kCatalogue) {
    PermissionDescription d{std::string(info.name), std::string(info.description), {}};
    for (auto l : info.legacy_names) d.legacy_names.emplace_back(l);
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace weir::security
