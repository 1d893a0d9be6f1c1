#include "security/security_config.hpp"

#include <gtest/gtest.h>

#include "security/password.hpp"

namespace weir::security {
namespace {

const std::string kFixtures = WEIR_FIXTURES_DIR;

Error parse_error(std::string_view text) {
  auto r = parse_security_config(text);
  EXPECT_FALSE(r) << "expected an error for " << text;
  return r ? Error{} : r.error();
}

TEST(SecurityConfig, PythonFixturesLoad) {
  for (auto rel : {"/security_config.json", "/tests/config/security_config.json"}) {
    auto r = load_security_config_file(kFixtures + rel);
    ASSERT_TRUE(r) << rel << ": " << r.error().message;
    const auto* admin = find_user(*r, "admin");
    ASSERT_NE(admin, nullptr);
    EXPECT_EQ(classify_hash(admin->password_hash), HashKind::legacy_sha256);
    auto perms = permissions_of(*r, *admin);
    EXPECT_TRUE(perms.has(Permission::edit_security));
    EXPECT_TRUE(perms.has(Permission::send_command));
    EXPECT_TRUE(perms.has(Permission::write_datapoint));
  }
  auto full = load_security_config_file(kFixtures + "/security_config.json");
  ASSERT_TRUE(full);
  auto perms = permissions_of(*full, full->users[0]);
  for (auto p : {Permission::view, Permission::write_datapoint, Permission::send_command,
                 Permission::ack_alarm, Permission::control_driver, Permission::alert_feedback,
                 Permission::edit_config, Permission::edit_security, Permission::restart_app})
    EXPECT_TRUE(perms.has(p)) << to_string(p);
  EXPECT_FALSE(perms.has(Permission::mqtt_connect));
  EXPECT_FALSE(perms.has(Permission::view_audit));
  // The Python platform had no history: its view ("login") brings view_history along; Weir's own
  // "view" does not.
  EXPECT_TRUE(perms.has(Permission::view_history));
  SecurityConfig native;
  native.groups.push_back(Group{"viewers", {"view"}});
  native.users.push_back(User{"v", "", {"viewers"}, {}});
  EXPECT_FALSE(permissions_of(native, native.users[0]).has(Permission::view_history));
  EXPECT_TRUE(permissions_of(native, native.users[0]).has(Permission::view));
}

TEST(SecurityConfig, EditConfigImpliesViewConfigNotTheReverse) {
  SecurityConfig c;
  c.groups.push_back(Group{"editors", {"edit_config"}});
  c.groups.push_back(Group{"readers", {"view_config"}});
  c.users.push_back(User{"e", "", {"editors"}, {}});
  c.users.push_back(User{"r", "", {"readers"}, {}});
  EXPECT_TRUE(permissions_of(c, c.users[0]).has(Permission::view_config));
  EXPECT_TRUE(permissions_of(c, c.users[0]).has(Permission::edit_config));
  EXPECT_TRUE(permissions_of(c, c.users[1]).has(Permission::view_config));
  EXPECT_FALSE(permissions_of(c, c.users[1]).has(Permission::edit_config));
}

TEST(SecurityConfig, PythonUnitTestFixtureWithPlaceholderPermissionsIsRefused) {
  // tests/security_config.json is a Python unit-test stub with permissions "p1", "p2", "p3".
  auto r = load_security_config_file(kFixtures + "/tests/security_config.json");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "groups[0].permissions[0]");
  EXPECT_EQ(r.error().message,
            "security_config.json: groups[0].permissions[0]: unknown permission \"p1\"");
}

TEST(SecurityConfig, ErrorsNameFileAndPath) {
  auto e = parse_error(R"({"groups":[{"name":"operators","permissions":["view"]}],
    "users":[{"username":"a","password_hash":"","groups":["operators"],"allowed_apps":["scada"]},
             {"username":"b","password_hash":"","groups":["oprators"],"allowed_apps":[]}]})");
  EXPECT_EQ(e.message, "security_config.json: users[1].groups[0]: unknown group \"oprators\"");
  EXPECT_EQ(e.field, "users[1].groups[0]");
  EXPECT_EQ(e.kind, ErrorKind::unprocessable);

  e = parse_error(
      R"({"groups":[],"users":[{"username":"a","password_hash":"","groups":[],"allowed_apps":["hmi"]}]})");
  EXPECT_EQ(e.field, "users[0].allowed_apps[0]");
  EXPECT_NE(e.message.find("unknown app \"hmi\""), std::string::npos);

  e = parse_error(
      R"({"groups":[],"users":[{"username":"a","password_hash":"plain","groups":[],"allowed_apps":[]}]})");
  EXPECT_EQ(e.field, "users[0].password_hash");

  e = parse_error(
      R"({"groups":[],"users":[{"username":"a","password_hash":"","groups":[],"allowed_apps":[]},
                                           {"username":"A","password_hash":"","groups":[],"allowed_apps":[]}]})");
  EXPECT_EQ(e.field, "users[1].username");
  EXPECT_EQ(e.code, "duplicate_user");

  e = parse_error(
      R"({"groups":[{"name":"g","permissions":[]},{"name":"g","permissions":[]}],"users":[]})");
  EXPECT_EQ(e.field, "groups[1].name");

  e = parse_error(
      R"({"groups":[],"users":[{"username":"a","pasword_hash":"","groups":[],"allowed_apps":[]}]})");
  EXPECT_EQ(e.code, "unknown_field");
  EXPECT_EQ(e.field, "users[0].pasword_hash");

  e = parse_error(R"({"groups":[],"users":[{"username":"a","groups":[],"allowed_apps":[]}]})");
  EXPECT_EQ(e.field, "users[0].password_hash");
  EXPECT_EQ(e.message, "security_config.json: users[0].password_hash: required field is missing");

  e = parse_error(R"({"groups":[], "users": 3})");
  EXPECT_EQ(e.field, "users");

  e = parse_error("{\"groups\": [");
  EXPECT_EQ(e.code, "invalid_json");
  EXPECT_EQ(e.message.rfind("security_config.json: invalid JSON", 0), 0u) << e.message;
}

TEST(SecurityConfig, CustomFileNameInMessages) {
  auto r = parse_security_config(R"({"groups":[{"name":"g","permissions":["fly"]}],"users":[]})",
                                 "site.json");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "site.json: groups[0].permissions[0]: unknown permission \"fly\"");
}

constexpr const char* kWithMqtt = R"({
  "groups": [{"name": "ops", "permissions": ["view", "mqtt_connect"]}],
  "users": [{"username": "olga", "password_hash": "", "groups": ["ops"], "allowed_apps": ["scada"]}],
  "mqtt": {
    "devices": [{"username": "esp32", "password_hash": "",
                 "publish": ["sensors/%u", "presence/%u/status"], "subscribe": ["commands/%u/#"]}],
    "acl": [{"group": "ops", "subscribe": ["sensors/+"]}, {"user": "olga", "publish": ["commands/+/play"]}]
  }
})";

TEST(SecurityConfig, MqttSectionWithDefaults) {
  auto r = parse_security_config(kWithMqtt);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(r->mqtt);
  EXPECT_FALSE(r->mqtt->allow_anonymous);
  ASSERT_EQ(r->mqtt->acl.size(), 2u);
  EXPECT_TRUE(r->mqtt->acl[0].publish.empty());
  EXPECT_EQ(r->mqtt->acl[0].subscribe[0], "sensors/+");
  EXPECT_NE(find_mqtt_device(*r, "esp32"), nullptr);

  auto bad = parse_security_config(R"({"groups":[],"users":[],"mqtt":{"devices":[
      {"username":"d","password_hash":"","publish":["a/#/b"]}]}})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "mqtt.devices[0].publish[0]");

  bad = parse_security_config(R"({"groups":[],"users":[],"mqtt":{"acl":[{"subscribe":["x"]}]}})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "mqtt.acl[0]");

  bad = parse_security_config(R"({"groups":[],"users":[],"mqtt":{"acl":[{"user":"ghost"}]}})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "security_config.json: mqtt.acl[0].user: unknown user \"ghost\"");

  bad = parse_security_config(R"({"groups":[],"users":[],"mqtt":{"devices":[
      {"username":"d","password_hash":"","subscribe":["x/%p"]}]}})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "mqtt.devices[0].subscribe[0]");
}

TEST(SecurityConfig, SerialisesBackToTheSameShape) {
  auto original = load_security_config_file(kFixtures + "/security_config.json");
  ASSERT_TRUE(original);
  auto text = serialize_security_config(*original);
  EXPECT_NE(text.find("\n  \"groups\": ["), std::string::npos) << text;
  EXPECT_EQ(text.find("\"mqtt\""), std::string::npos);  // absent stays absent
  auto again = parse_security_config(text);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(serialize_security_config(*again), text);
  EXPECT_EQ(again->groups[0].permissions, original->groups[0].permissions);

  auto with_mqtt = parse_security_config(kWithMqtt);
  ASSERT_TRUE(with_mqtt);
  auto t2 = serialize_security_config(*with_mqtt);
  auto back = parse_security_config(t2);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->mqtt->devices[0].subscribe, with_mqtt->mqtt->devices[0].subscribe);
  EXPECT_EQ(serialize_security_config(*back), t2);
}

}  // namespace
}  // namespace weir::security
