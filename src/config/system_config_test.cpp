#include "config/system_config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace weir::config {
namespace {

const std::string kFixtures = WEIR_FIXTURES_DIR;

bool has_issue(const LoadResult& r, std::string_view path, std::string_view text) {
  for (const auto& i : r.issues)
    if (i.path == path && i.message.find(text) != std::string::npos) return true;
  return false;
}

TEST(SystemConfig, PythonFixtureLoadsUnchanged) {
  auto r = load_system_config(kFixtures + "/system_config.json");
  ASSERT_TRUE(r.ok()) << r.errors_text();
  const auto& c = *r.config;
  EXPECT_EQ(c.drivers.size(), 6u);
  EXPECT_EQ(c.drivers[0].driver_class, "MQTTTasmotaRelayDriver");
  EXPECT_EQ(c.drivers[0].params.at("device_topic").as_string(), "xmas");
  EXPECT_EQ(c.dp_types.at("LEVEL").max, 100.0);
  EXPECT_EQ(std::get<std::string>(c.dp_types.at("OPENED_CLOSED").default_value), "CLOSED");
  EXPECT_EQ(c.rules.size(), 7u);
  EXPECT_EQ(c.rules[3].rule_id, "pump_start_if_low_level");
  EXPECT_EQ(c.rules[3].on_actions.size(), 3u);
  ASSERT_NE(c.module("frontend"), nullptr);
  EXPECT_EQ(c.module("frontend")->config.at("tabs").as_array().size(), 8u);
  ASSERT_NE(c.module("schedule"), nullptr);
  EXPECT_FALSE(c.gis_icons.empty());
  EXPECT_EQ(c.streams.size(), 3u);
  EXPECT_TRUE(c.animations.contains("fill_level"));
  // Every top-level key is kept as it was for the config editor.
  for (auto key : {"dp_types", "drivers", "gis_icons", "modules", "rules", "streams", "animations"})
    EXPECT_TRUE(c.document.contains(key)) << key;
  // TEMPERATURE is declared as an enum with a numeric default: loaded as float, with a warning.
  EXPECT_EQ(c.dp_types.at("TEMPERATURE").type, model::ValueType::float_);
  EXPECT_TRUE(has_issue(r, "dp_types.TEMPERATURE", "loaded as float"));
}

TEST(SystemConfig, SvgFixtureLoadsWithWarningForUndeclaredType) {
  auto r = load_system_config(kFixtures + "/svg_system_config.json");
  ASSERT_TRUE(r.ok()) << r.errors_text();
  EXPECT_EQ(r.config->drivers.size(), 5u);
  // AuxServer's VALVE_CMD uses OPENED_CLOSED_CMD, which the file never declares.
  EXPECT_TRUE(
      has_issue(r, "drivers[1].command_datapoints[0].type", "unknown type \"OPENED_CLOSED_CMD\""));
  // A driver mirroring another driver's tags.
  EXPECT_EQ(r.config->drivers[2].datapoints[0].name, "TrainTestDriver@RIGHT_SWITCH_CONTROL");
}

TEST(SystemConfig, TestFixturesLoad) {
  for (auto f : {"/tests/system_config.json", "/tests/config/test_config.json"}) {
    auto r = load_system_config(kFixtures + f);
    EXPECT_TRUE(r.ok()) << f << "\n" << r.errors_text();
  }
}

TEST(SystemConfig, ErrorsNameFilePathAndReasonAndAreAllListed) {
  auto r = parse_system_config(R"({
    "dp_types": {"LEVEL": {"type": "FLOT"}, "E": {"type": "enum", "values": ["A","B"], "default": "C"}},
    "drivers": [
      {"name": "A", "driver_class": "TankTestDriver", "datapoints": [{"name": "X", "type": "E"}]},
      {"name": "A", "driver_class": "TankTestDriver", "datapoints": [{"name": 5, "type": "E"}]}
    ],
    "rules": [{"rule_id": "r", "on_condition": 3}]
  })");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(has_issue(r, "dp_types.LEVEL.type", "unknown type \"FLOT\""));
  EXPECT_TRUE(has_issue(r, "dp_types.E.default", "not one of the values"));
  EXPECT_TRUE(has_issue(r, "drivers[1].name", "duplicate driver name"));
  EXPECT_TRUE(has_issue(r, "drivers[1].datapoints[0].name", "expected a string"));
  EXPECT_TRUE(has_issue(r, "rules[0].on_condition", "expected a string"));
  EXPECT_NE(r.errors_text().find("system_config.json: dp_types.LEVEL.type: unknown type \"FLOT\""),
            std::string::npos)
      << r.errors_text();
}

TEST(SystemConfig, MalformedJsonSaysWhere) {
  auto r = parse_system_config("{\"drivers\": [,]}", "x.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.errors_text().find("x.json: invalid JSON at line 1"), std::string::npos)
      << r.errors_text();
}

TEST(SystemConfig, AtomicWriteKeepsPreviousVersions) {
  auto dir = std::filesystem::temp_directory_path() / ("weir-cfg-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / "system_config.json").string();
  ASSERT_TRUE(write_file_atomically(path, "one", 2));
  ASSERT_TRUE(write_file_atomically(path, "two", 2));
  ASSERT_TRUE(write_file_atomically(path, "three", 2));
  EXPECT_EQ(*read_text_file(path), "three");
  EXPECT_EQ(*read_text_file(path + ".1"), "two");
  EXPECT_EQ(*read_text_file(path + ".2"), "one");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace weir::config
