#include "security/mqtt_access.hpp"

#include <gtest/gtest.h>

#include "security/password.hpp"

namespace weir::security {
namespace {

class MqttAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = std::make_shared<SecurityConfig>();
    c->groups.push_back(Group{"operators", {"view", "mqtt_connect"}});
    c->groups.push_back(Group{"viewers", {"view"}});
    c->users.push_back(User{"olga", *hash_password("Tank-level-42"), {"operators"}, {"scada"}});
    c->users.push_back(User{"vic", *hash_password("Viewer-only-42"), {"viewers"}, {"scada"}});
    c->users.push_back(User{"leg", legacy_sha256_hex("legacy-Pass-1"), {"operators"}, {}});
    c->mqtt = MqttSecurity{};
    c->mqtt->devices.push_back(MqttDevice{"esp32",
                                          *hash_password("Buzzer-Melody-7"),
                                          {"sensors/%u", "presence/%u/status"},
                                          {"commands/%u/#", "sensors/+"}});
    c->mqtt->acl.push_back(
        MqttAclRule{std::nullopt, std::string("operators"), {}, {"sensors/+", "clients/%c/#"}});
    c->mqtt->acl.push_back(MqttAclRule{std::string("olga"), std::nullopt, {"commands/+/play"}, {}});
    ASSERT_TRUE(validate_security_config(*c));
    config = c;
    access = std::make_unique<MqttAccess>(config);
  }
  std::shared_ptr<SecurityConfig> config;
  std::unique_ptr<MqttAccess> access;
};

TEST_F(MqttAccessTest, DeviceIsConfinedToItsTopics) {
  auto id = access->authenticate("esp32-1", std::string_view("esp32"),
                                 std::string_view("Buzzer-Melody-7"));
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(id->kind, MqttClientKind::device);
  EXPECT_TRUE(MqttAccess::can_publish(*id, "sensors/esp32"));
  EXPECT_TRUE(MqttAccess::can_publish(*id, "presence/esp32/status"));
  EXPECT_FALSE(MqttAccess::can_publish(*id, "sensors/raspberry"));
  EXPECT_FALSE(MqttAccess::can_publish(*id, "commands/esp32/play"));
  EXPECT_FALSE(MqttAccess::can_publish(*id, "sensors/+"));
  EXPECT_TRUE(MqttAccess::can_subscribe(*id, "commands/esp32/play"));
  EXPECT_TRUE(MqttAccess::can_subscribe(*id, "commands/esp32/#"));
  EXPECT_FALSE(MqttAccess::can_subscribe(*id, "commands/raspberry/play"));
  EXPECT_FALSE(MqttAccess::can_subscribe(*id, "commands/#"));
  EXPECT_FALSE(MqttAccess::can_subscribe(*id, "#"));
  EXPECT_TRUE(MqttAccess::can_subscribe(*id, "$share/g/sensors/raspberry"));
}

TEST_F(MqttAccessTest, WrongCredentials) {
  auto bad = access->authenticate("c", std::string_view("esp32"), std::string_view("wrong"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "bad_username_or_password");
  EXPECT_EQ(bad.error().kind, ErrorKind::unauthorized);
  EXPECT_FALSE(access->authenticate("c", std::string_view("nobody"), std::string_view("x")));
  EXPECT_FALSE(access->authenticate("c", std::string_view("esp32"), std::nullopt));
}

TEST_F(MqttAccessTest, WeirUsersNeedMqttConnectAndGetRulesByUserAndGroup) {
  auto vic = access->authenticate("v", std::string_view("vic"), std::string_view("Viewer-only-42"));
  ASSERT_FALSE(vic);
  EXPECT_EQ(vic.error().code, "not_authorized");
  EXPECT_EQ(vic.error().kind, ErrorKind::forbidden);

  auto olga = access->authenticate("console-7", std::string_view("olga"),
                                   std::string_view("Tank-level-42"));
  ASSERT_TRUE(olga) << olga.error().message;
  EXPECT_EQ(olga->kind, MqttClientKind::user);
  EXPECT_TRUE(MqttAccess::can_publish(*olga, "commands/esp32/play"));
  EXPECT_FALSE(MqttAccess::can_publish(*olga, "commands/esp32/stop"));
  EXPECT_TRUE(MqttAccess::can_subscribe(*olga, "sensors/+"));
  EXPECT_TRUE(MqttAccess::can_subscribe(*olga, "clients/console-7/x"));  // %c
  EXPECT_FALSE(MqttAccess::can_subscribe(*olga, "clients/console-8/x"));
}

TEST_F(MqttAccessTest, LegacyHashUpgradeIsReported) {
  auto leg = access->authenticate("l", std::string_view("leg"), std::string_view("legacy-Pass-1"));
  ASSERT_TRUE(leg);
  ASSERT_TRUE(leg->upgraded_hash);
  EXPECT_EQ(classify_hash(*leg->upgraded_hash), HashKind::argon2id);
}

TEST_F(MqttAccessTest, AnonymousOnlyWhenAllowed) {
  auto anon = access->authenticate("a", std::nullopt, std::nullopt);
  ASSERT_FALSE(anon);
  EXPECT_EQ(anon.error().code, "not_authorized");

  auto c = std::make_shared<SecurityConfig>(*config);
  c->mqtt->allow_anonymous = true;
  c->mqtt->anonymous = MqttTopicAcl{{}, {"public/#"}};
  access->set_config(c);
  auto ok = access->authenticate("a", std::nullopt, std::nullopt);
  ASSERT_TRUE(ok);
  EXPECT_TRUE(MqttAccess::can_subscribe(*ok, "public/news"));
  EXPECT_FALSE(MqttAccess::can_publish(*ok, "public/news"));
}

TEST_F(MqttAccessTest, RefreshAfterReload) {
  auto olga =
      access->authenticate("c", std::string_view("olga"), std::string_view("Tank-level-42"));
  ASSERT_TRUE(olga);
  auto c = std::make_shared<SecurityConfig>(*config);
  c->mqtt->acl.pop_back();  // olga's publish rule goes
  access->set_config(c);
  auto refreshed = access->refresh(*olga);
  ASSERT_TRUE(refreshed);
  EXPECT_FALSE(MqttAccess::can_publish(*refreshed, "commands/esp32/play"));

  auto c2 = std::make_shared<SecurityConfig>(*c);
  c2->groups[0].permissions = {"view"};  // mqtt_connect withdrawn
  access->set_config(c2);
  EXPECT_FALSE(access->refresh(*olga));
}

}  // namespace
}  // namespace weir::security
