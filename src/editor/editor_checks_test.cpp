// The editors' input checks without a server: SVG names, the topic checker, and the config
// validation (the same issues as weir --check-config).
#include <gtest/gtest.h>

#include "editor/config_editor.hpp"
#include "editor/security_editor.hpp"
#include "editor/svg_editor.hpp"
#include "module/module_registry.hpp"

namespace weir::editor {
namespace {

TEST(SvgName, PlainNamesOnly) {
  EXPECT_TRUE(check_svg_name("1.tank-2_b.svg"));
  for (std::string bad : {"", "../x.svg", "a/b.svg", "a\\b.svg", "..svg", ".hidden.svg",
                          "x.svg.png", "x.SVG", ".svg", "tank%2F.svg", "a b.svg"}) {
    auto st = check_svg_name(bad);
    EXPECT_FALSE(st) << bad;
    if (!st) {
      EXPECT_EQ(st.error().field, "name");
    }
  }
  EXPECT_FALSE(check_svg_name(std::string("a\0b.svg", 7)));
  EXPECT_FALSE(check_svg_name(std::string(200, 'a') + ".svg"));
  EXPECT_NE(check_svg_name("..x.svg").error().message.find("\"..\""), std::string::npos);
}

security::SecurityConfig mqtt_config() {
  security::SecurityConfig c;
  c.groups = {{"ops", {"view", "mqtt_connect"}}};
  c.users = {{"ann", "x", {"ops"}, {"scada"}, std::nullopt},
             {"bob", "x", {}, {"scada"}, std::nullopt}};
  security::MqttSecurity m;
  m.devices = {{"esp32",
                "x",
                {"sensors/esp32"},
                {"commands/esp32/#"},
                std::nullopt,
                std::vector<std::string>{"commands/esp32/secret"}}};
  m.acl = {{std::nullopt,
            std::string("ops"),
            {"ops/#"},
            {"#"},
            std::nullopt,
            std::vector<std::string>{"commands/#"}}};
  c.mqtt = m;
  return c;
}

TEST(TopicCheck, EveryAccountWhenNoneIsNamed) {
  auto r = check_topic(mqtt_config(), {"commands/esp32/play", {}, {}, {}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->items.size(), 4u);  // esp32, ann, bob, anonymous
  EXPECT_EQ(r->items[0].kind, "device");
  EXPECT_TRUE(r->items[0].subscribe);
  EXPECT_FALSE(r->items[0].publish);
  EXPECT_EQ(r->items[1].name, "ann");
  EXPECT_TRUE(r->items[1].connect);
  EXPECT_FALSE(r->items[1].subscribe);  // deny_subscribe commands/#
  EXPECT_FALSE(r->items[2].connect);    // bob: no mqtt_connect
  EXPECT_EQ(r->items[3].kind, "anonymous");
  EXPECT_FALSE(r->items[3].connect);
}

TEST(TopicCheck, OneAccountAndDenyRules) {
  auto r = check_topic(mqtt_config(), {"commands/esp32/secret", {}, std::string("esp32"), {}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->items.size(), 1u);
  EXPECT_FALSE(r->items[0].subscribe);
  auto unknown = check_topic(mqtt_config(), {"a", std::string("zed"), {}, {}});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().field, "username");
  EXPECT_FALSE(check_topic(mqtt_config(), {"", {}, {}, {}}));
  EXPECT_FALSE(check_topic(mqtt_config(), {"a", std::string("ann"), std::string("esp32"), {}}));
}

TEST(ConfigValidation, IssuesWithJsonPaths) {
  module::ModuleRegistry registry;  // no modules: modules[] entries are warnings
  auto bad = validate_system_config(
      R"({"dp_types": {"F": {"type": "float", "default": 0}},
          "drivers": [{"name": "A", "driver_class": "X", "datapoints": [{"name": "", "type": "F"}]}]})",
      registry);
  EXPECT_FALSE(bad.ok);
  bool found = false;
  for (const auto& i : bad.issues)
    found = found || (i.error && i.path == "drivers[0].datapoints[0].name");
  EXPECT_TRUE(found);
  auto not_json = validate_system_config("{\"dp_types\": ", registry);
  EXPECT_FALSE(not_json.ok);
  EXPECT_FALSE(not_json.document);
  auto good = validate_system_config(R"({"dp_types": {}, "drivers": []})", registry);
  EXPECT_TRUE(good.ok);
  ASSERT_TRUE(good.document);
}

}  // namespace
}  // namespace weir::editor
