#include "demo/server/demo_accounts.hpp"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "demo/server/demo_test_support.hpp"
#include "demo/server/device_monitor.hpp"
#include "security/mqtt_access.hpp"

namespace weir::demo {
namespace {

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string value_of(const std::string& env, const std::string& key) {
  auto at = env.find(key + "=");
  if (at == std::string::npos) return {};
  auto end = env.find('\n', at);
  return env.substr(at + key.size() + 1, end - at - key.size() - 1);
}

TEST(DemoAccounts, CreatesConfinedAccountsWithRandomPasswords) {
  testing::TempDir dir;
  security::SecurityConfig cfg;
  auto created = add_demo_device_accounts(cfg, {"esp32", "raspberry"});
  ASSERT_TRUE(created) << created.error().message;
  ASSERT_EQ(created->size(), 2u);
  EXPECT_NE((*created)[0].password, (*created)[1].password);
  EXPECT_GE((*created)[0].password.size(), 16u);
  ASSERT_TRUE(cfg.mqtt);
  ASSERT_EQ(cfg.mqtt->devices.size(), 2u);
  EXPECT_EQ(cfg.mqtt->devices[0].password_hash.rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(validate_security_config(cfg)) << validate_security_config(cfg).error().message;

  // Idempotent: existing accounts whose passwords this data directory has are kept.
  auto again = add_demo_device_accounts(cfg, {"esp32", "raspberry"}, {"esp32", "raspberry"});
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->empty());

  // An account whose password is not known here (another data directory made it) gets a new
  // one, so the demo's devices can still connect; one changed by hand is left alone.
  auto copy = cfg;
  copy.mqtt->devices[1].publish.push_back("extra/topic");
  const auto old_hash = copy.mqtt->devices[0].password_hash;
  auto renewed = add_demo_device_accounts(copy, {"esp32", "raspberry"}, {});
  ASSERT_TRUE(renewed);
  ASSERT_EQ(renewed->size(), 1u);
  EXPECT_EQ((*renewed)[0].device, "esp32");
  EXPECT_NE(copy.mqtt->devices[0].password_hash, old_hash);
  EXPECT_EQ(copy.mqtt->devices[1].password_hash, cfg.mqtt->devices[1].password_hash);

  // The password logs in, and the account is confined to its own topics and its peer's.
  auto access = security::MqttAccess(std::make_shared<const security::SecurityConfig>(cfg));
  EXPECT_FALSE(access.authenticate("esp32", std::string_view("esp32"),
                                   std::string_view("wrong-password-1")));
  auto id = access.authenticate("esp32", std::string_view("esp32"),
                                std::string_view((*created)[0].password));
  ASSERT_TRUE(id);
  using M = security::MqttAccess;
  EXPECT_TRUE(M::can_publish(*id, "sensors/esp32"));
  EXPECT_TRUE(M::can_publish(*id, "presence/esp32/status"));
  EXPECT_TRUE(M::can_publish(*id, "devices/esp32/state"));
  EXPECT_FALSE(M::can_publish(*id, "sensors/raspberry"));
  EXPECT_FALSE(M::can_publish(*id, "presence/raspberry/status"));
  EXPECT_FALSE(M::can_publish(*id, "commands/raspberry/play"));
  EXPECT_FALSE(M::can_publish(*id, "commands/esp32/play"));
  EXPECT_TRUE(M::can_subscribe(*id, "commands/esp32/play"));
  EXPECT_TRUE(M::can_subscribe(*id, "sensors/raspberry"));
  EXPECT_TRUE(M::can_subscribe(*id, "presence/raspberry/status"));
  EXPECT_FALSE(M::can_subscribe(*id, "commands/raspberry/play"));
  EXPECT_FALSE(M::can_subscribe(*id, "#"));

  // The credentials file: 0600, the variables run-demo.sh reads, other lines kept.
  {
    std::ofstream keep(dir.path / "device-credentials.env");
    keep << "OTHER_PASSWORD=abc\nESP32_PASSWORD=stale\n";
  }
  ASSERT_TRUE(write_device_credentials(dir.path, *created));
  auto env = read(dir.path / "device-credentials.env");
  EXPECT_EQ(value_of(env, "ESP32_PASSWORD"), (*created)[0].password);
  EXPECT_EQ(value_of(env, "RASPBERRY_PASSWORD"), (*created)[1].password);
  EXPECT_EQ(value_of(env, "OTHER_PASSWORD"), "abc");
  EXPECT_EQ(env.find("stale"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat((dir.path / "device-credentials.env").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(DemoAccounts, NamesAndIds) {
  EXPECT_EQ(credential_variable("esp32"), "ESP32_PASSWORD");
  EXPECT_EQ(credential_variable("rasp-berry"), "RASP_BERRY_PASSWORD");
  security::SecurityConfig cfg;
  EXPECT_FALSE(add_demo_device_accounts(cfg, {"a/b"}));
  auto sc = config::parse_system_config(R"({"dp_types": {}, "drivers": [
      {"name": "esp32", "driver_class": "MqttDeviceDriver", "params": {"device": "esp32"}, "datapoints": []},
      {"name": "pi", "driver_class": "MqttDeviceDriver", "params": {"device": "raspberry"}, "datapoints": []},
      {"name": "t", "driver_class": "TankTestDriver", "datapoints": []}]})");
  ASSERT_TRUE(sc.ok()) << sc.errors_text();
  auto devices = demo_devices(*sc.config, std::nullopt);
  ASSERT_EQ(devices.size(), 2u);
  EXPECT_EQ(devices[1].id, "raspberry");
  EXPECT_EQ(devices[1].driver, "pi");
  EXPECT_EQ(demo_devices(*sc.config, std::vector<std::string>{"raspberry"}).size(), 1u);
}

}  // namespace
}  // namespace weir::demo
