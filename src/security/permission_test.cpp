#include "security/permission.hpp"

#include <gtest/gtest.h>

#include <set>

namespace weir::security {
namespace {

TEST(Permission, CatalogueCoversEveryEnumeratorInOrder) {
  auto cat = permission_catalogue();
  ASSERT_EQ(cat.size(), permission_count);
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < cat.size(); ++i) {
    EXPECT_EQ(static_cast<std::size_t>(cat[i].permission), i);
    EXPECT_FALSE(cat[i].description.empty()) << cat[i].name;
    EXPECT_TRUE(names.insert(cat[i].name).second);
    EXPECT_EQ(parse_permission(cat[i].name), cat[i].permission);
  }
}

TEST(Permission, PythonNamesMapOntoWeirNames) {
  EXPECT_EQ(parse_permission("datapoint/rawtagupdatemsg"), Permission::write_datapoint);
  EXPECT_EQ(parse_permission("command/sendcommandmsg"), Permission::send_command);
  EXPECT_EQ(parse_permission("alarm/ackalarmmsg"), Permission::ack_alarm);
  EXPECT_EQ(parse_permission("communication/driverconnectcommand"), Permission::control_driver);
  EXPECT_EQ(parse_permission("alert/clientalertfeedbackmsg"), Permission::alert_feedback);
  EXPECT_EQ(parse_permission("animation/animationupdaterequestmsg"), Permission::view);
  EXPECT_EQ(parse_permission("save_config"), Permission::edit_config);
  EXPECT_EQ(parse_permission("save_config_as"), Permission::edit_config);
  EXPECT_EQ(parse_permission("save_security_config"), Permission::edit_security);
  EXPECT_EQ(parse_permission("security_editor_access"), Permission::edit_security);
  EXPECT_EQ(parse_permission("restart_app"), Permission::restart_app);
  EXPECT_EQ(parse_permission("login"), Permission::view);
  EXPECT_FALSE(parse_permission("Send_Command"));
  EXPECT_FALSE(parse_permission(""));
}

TEST(Permission, AppsAndSets) {
  EXPECT_EQ(parse_app("config_editor"), App::config_editor);
  EXPECT_FALSE(parse_app("config-editor"));
  EXPECT_EQ(to_string(App::security_editor), "security_editor");

  PermissionSet s{Permission::view, Permission::ack_alarm};
  EXPECT_TRUE(s.has(Permission::ack_alarm));
  EXPECT_FALSE(s.has(Permission::edit_security));
  EXPECT_EQ(s.list().size(), 2u);
  EXPECT_EQ(PermissionSet::all().list().size(), permission_count);
  EXPECT_EQ(describe_permissions().size(), permission_count);
}

}  // namespace
}  // namespace weir::security
