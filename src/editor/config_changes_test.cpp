#include "editor/config_changes.hpp"

#include <gtest/gtest.h>

#include "core/json.hpp"

namespace weir::editor {
namespace {

boost::json::value J(std::string_view s) {
  return json::parse(s).value();
}

const SectionChanges* section(const std::vector<SectionChanges>& v, std::string_view name) {
  for (const auto& s : v)
    if (s.section == name) return &s;
  return nullptr;
}

TEST(ConfigChanges, DriversDatapointsAndRulesByName) {
  auto from = J(R"({
    "drivers": [{"name": "Tank", "driver_class": "Sim", "datapoints": [{"name": "LEVEL", "type": "F"}],
                 "command_datapoints": [{"name": "PUMP_CMD", "type": "C"}]},
                {"name": "Old", "driver_class": "Sim", "datapoints": []}],
    "rules": [{"rule_id": "r1", "on_condition": "Tank@LEVEL > 1"}, {"rule_id": "r2"}],
    "dp_types": {"F": {"type": "float"}}, "animations": {}})");
  auto to = J(R"({
    "drivers": [{"name": "Tank", "driver_class": "Sim", "datapoints": [{"name": "LEVEL", "type": "G"},
                 {"name": "TEMP", "type": "F"}], "command_datapoints": [{"name": "PUMP_CMD", "type": "C"}]},
                {"name": "New", "driver_class": "Sim", "datapoints": [{"name": "X@Y", "type": "F"}]}],
    "rules": [{"rule_id": "r1", "on_condition": "Tank@LEVEL > 2"}, {"rule_id": "r2"}],
    "dp_types": {"F": {"type": "float"}, "G": {"type": "int"}}, "animations": {}, "extra": 1})");
  auto c = summarize_changes(from, to);
  auto* drivers = section(c, "drivers");
  ASSERT_TRUE(drivers);
  EXPECT_EQ(drivers->added, std::vector<std::string>{"New"});
  EXPECT_EQ(drivers->removed, std::vector<std::string>{"Old"});
  EXPECT_EQ(drivers->changed, std::vector<std::string>{"Tank"});
  auto* dps = section(c, "datapoints");
  ASSERT_TRUE(dps);
  EXPECT_EQ(dps->added, (std::vector<std::string>{"Tank@TEMP", "X@Y"}));
  EXPECT_EQ(dps->changed, std::vector<std::string>{"Tank@LEVEL"});
  EXPECT_FALSE(section(c, "command_datapoints"));
  auto* rules = section(c, "rules");
  ASSERT_TRUE(rules);
  EXPECT_EQ(rules->changed, std::vector<std::string>{"r1"});
  EXPECT_EQ(section(c, "dp_types")->added, std::vector<std::string>{"G"});
  EXPECT_EQ(section(c, "other")->added, std::vector<std::string>{"extra"});
  EXPECT_FALSE(section(c, "animations"));
}

TEST(ConfigChanges, NothingWhenEqual) {
  auto doc = J(R"({"drivers": [{"name": "A", "datapoints": []}], "rules": []})");
  EXPECT_TRUE(summarize_changes(doc, doc).empty());
}

}  // namespace
}  // namespace weir::editor
