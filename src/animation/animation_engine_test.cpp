#include "animation/animation_engine.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/parse.hpp>

namespace weir::animation {
namespace {

// The fixtures' animations (tests/fixtures/openscada-lite/system_config.json), abridged.
constexpr const char* kAnimations = R"json({
  "fill_level": [
    {"attribute": "y", "expression": "280 - ((value/100) * 120)", "quality": {"unknown": 280}},
    {"attribute": "height", "expression": "(value/100) * 120", "quality": {"unknown": 0}}],
  "level_text": [{"attribute": "text", "expression": "str(value)", "quality": {"unknown": "0.0"}}],
  "toggle_opened_closed": [{"attribute": "fill", "expression": {"CLOSED": "red", "OPENED": "green"},
                            "quality": {"unknown": "gray"}}],
  "stress_square": [{"attribute": "fill", "expression": {"FALSE": "red", "TRUE": "green"},
                     "quality": {"unknown": "gray"}}],
  "driver_connection": [{"attribute": "fill", "default": "gray", "duration": 0.5,
                         "expression": {"OFFLINE": "red", "ONLINE": "green"},
                         "quality": {"unknown": "gray"}, "trigger_type": "connection"}],
  "ALARM_SWITCHES": [{"attribute": "href", "default": "#", "trigger_type": "alarm",
                      "expression": {"ACTIVE": "#alert", "FINISHED": "#", "INACTIVE": "#",
                                     "ACK": "#"}, "quality": {"unknown": "#alert"}}],
  "flash": [{"attribute": "fill", "default": "white", "revert_after": 2,
             "expression": {"OPENED": "yellow"}}]
})json";

Animations fixture_animations() {
  std::vector<config::ConfigIssue> issues;
  auto a = read_animations(boost::json::parse(kAnimations).as_object(), issues);
  EXPECT_TRUE(issues.empty()) << issues.front().to_string();
  return a;
}

// Datapoints 0 TANK, 1 PUMP, 2 SWITCH, 3 FLAG; drivers WaterTank, Train; rule "switch_error"
// reads SWITCH.
References refs() {
  References r;
  r.datapoint = [](std::string_view id) -> std::optional<model::DatapointIndex> {
    if (id == "WaterTank@TANK") return 0;
    if (id == "WaterTank@PUMP") return 1;
    if (id == "Train@SWITCH") return 2;
    if (id == "Stress@FLAG") return 3;
    return std::nullopt;
  };
  r.driver = [](std::string_view n) { return n == "WaterTank" || n == "Train"; };
  r.rules_reading = [](model::DatapointIndex dp) {
    return dp == 2 ? std::vector<std::string>{"switch_error"} : std::vector<std::string>{};
  };
  return r;
}

std::string encoded(const AnimationEngine& e, AnimationEngine::Key k) {
  std::string out;
  e.encode(k, out);
  return out;
}

class AnimationEngineTest : public ::testing::Test {
 protected:
  AnimationEngine make(const std::vector<BindingSpec>& specs) {
    return AnimationEngine(fixture_animations(), specs, refs(), warnings);
  }
  std::vector<std::string> warnings;
  std::vector<AnimationEngine::Key> changed;
  MonoTime t0{};
};

TEST_F(AnimationEngineTest, TankLevelMovesYAndHeight) {
  auto e = make({{"1.tank.svg", "tank_fill", "WaterTank@TANK", "fill_level"},
                 {"1.tank.svg", "tank_text", "WaterTank@TANK", "level_text"}});
  ASSERT_TRUE(warnings.empty());
  ASSERT_EQ(e.size(), 2u);
  // Never received: the unknown values.
  EXPECT_EQ(
      encoded(e, 0),
      R"({"svg":"1.tank.svg","element":"tank_fill","attr":{"y":280,"height":0},"duration":0})");
  EXPECT_EQ(*e.frame(1).text, "0.0");
  const model::Value fifty = 50.0;
  e.on_value(0, &fifty, true, t0, changed);
  EXPECT_EQ(changed, (std::vector<AnimationEngine::Key>{0, 1}));
  EXPECT_EQ(e.frame(0).attr.at("y").as_int64(), 220);
  EXPECT_EQ(e.frame(0).attr.at("height").as_int64(), 60);
  EXPECT_EQ(*e.frame(1).text, "50");
  // The same value again changes nothing; a bad quality shows unknown.
  changed.clear();
  e.on_value(0, &fifty, true, t0, changed);
  EXPECT_TRUE(changed.empty());
  e.on_value(0, &fifty, false, t0, changed);
  EXPECT_EQ(e.frame(0).attr.at("y").as_int64(), 280);
  const model::Value quarter = 12.5;
  e.on_value(0, &quarter, true, t0, changed);
  EXPECT_EQ(e.frame(0).attr.at("height").as_int64(), 15);
  EXPECT_EQ(e.frame(0).attr.at("y").as_int64(), 265);
}

TEST_F(AnimationEngineTest, MapsPickTheValuesCase) {
  auto e = make({{"1.tank.svg", "pump", "WaterTank@PUMP", "toggle_opened_closed"},
                 {"3.stress.svg", "sq_0", "Stress@FLAG", "stress_square"}});
  EXPECT_EQ(e.frame(0).attr.at("fill").as_string(), "gray");
  const model::Value opened = std::string("OPENED");
  e.on_value(1, &opened, true, t0, changed);
  EXPECT_EQ(e.frame(0).attr.at("fill").as_string(), "green");
  const model::Value yes = true;  // displayed "true": the case "TRUE", ignoring case
  e.on_value(3, &yes, true, t0, changed);
  EXPECT_EQ(e.frame(1).attr.at("fill").as_string(), "green");
  const model::Value other = std::string("HALF");  // no case, no default: unknown
  e.on_value(1, &other, true, t0, changed);
  EXPECT_EQ(e.frame(0).attr.at("fill").as_string(), "gray");
}

TEST_F(AnimationEngineTest, DriverConnectionTurnsRedWhenOffline) {
  auto e = make({{"1.tank.svg", "conn", "WaterTank", "driver_connection"}});
  ASSERT_TRUE(warnings.empty());
  EXPECT_EQ(e.frame(0).attr.at("fill").as_string(), "red");  // drivers start offline
  e.on_connection("WaterTank", model::DriverState::online, t0, changed);
  EXPECT_EQ(encoded(e, 0),
            R"({"svg":"1.tank.svg","element":"conn","attr":{"fill":"green"},"duration":5E-1})");
  e.on_connection("WaterTank", model::DriverState::connecting, t0, changed);
  EXPECT_EQ(e.frame(0).attr.at("fill").as_string(), "gray");  // no case: default
  e.on_connection("WaterTank", model::DriverState::offline, t0, changed);
  EXPECT_EQ(e.frame(0).attr.at("fill").as_string(), "red");
  e.on_connection("Train", model::DriverState::online, t0, changed);
  EXPECT_EQ(changed.size(), 3u);
}

TEST_F(AnimationEngineTest, AlarmsOfTheRulesReadingTheDatapoint) {
  auto e = make({{"2.train.svg", "alert-switch", "Train@SWITCH", "ALARM_SWITCHES"}});
  EXPECT_EQ(e.frame(0).attr.at("href").as_string(), "#");
  e.on_alarm("switch_error", model::AlarmState::ACTIVE, t0, changed);
  EXPECT_EQ(e.frame(0).attr.at("href").as_string(), "#alert");
  e.on_alarm("other_rule", model::AlarmState::ACTIVE, t0, changed);
  EXPECT_EQ(changed.size(), 1u);
  e.on_alarm("switch_error", model::AlarmState::ACK, t0, changed);
  EXPECT_EQ(e.frame(0).attr.at("href").as_string(), "#");
  e.on_alarm("switch_error", model::AlarmState::FINISHED, t0, changed);
  EXPECT_EQ(e.frame(0).attr.at("href").as_string(), "#");
}

TEST_F(AnimationEngineTest, RevertAfterRunsOnTheInjectedClock) {
  auto e = make({{"1.tank.svg", "pump", "WaterTank@PUMP", "flash"}});
  const model::Value opened = std::string("OPENED");
  e.on_value(1, &opened, true, t0, changed);
  EXPECT_EQ(e.frame(0).attr.at("fill").as_string(), "yellow");
  changed.clear();
  e.tick(t0 + std::chrono::milliseconds(1999), changed);
  EXPECT_TRUE(changed.empty());
  e.tick(t0 + std::chrono::seconds(2), changed);
  EXPECT_EQ(changed, std::vector<AnimationEngine::Key>{0});
  EXPECT_EQ(e.frame(0).attr.at("fill").as_string(), "white");
  changed.clear();
  e.tick(t0 + std::chrono::seconds(10), changed);
  EXPECT_TRUE(changed.empty());
}

TEST_F(AnimationEngineTest, BindingProblemsNameFileAndElement) {
  auto e = make({{"1.tank.svg", "ghost", "WaterTank", "fill_level"},
                 {"1.tank.svg", "", "WaterTank@TANK", "fill_level"},
                 {"1.tank.svg", "conn", "Nobody", "driver_connection"},
                 {"1.tank.svg", "x", "WaterTank@TANK", "not_an_animation"}});
  EXPECT_EQ(e.size(), 0u);
  ASSERT_EQ(warnings.size(), 3u);
  EXPECT_EQ(warnings[0],
            "svg/1.tank.svg: element ghost: animation \"fill_level\" needs a datapoint, "
            "\"WaterTank\" is none");
  EXPECT_EQ(warnings[1],
            "svg/1.tank.svg: (an element without id): animation \"fill_level\" not applied: the "
            "element needs an id");
  EXPECT_EQ(warnings[2],
            "svg/1.tank.svg: element conn: animation \"driver_connection\" needs a driver, "
            "\"Nobody\" is none");
}

TEST(AnimationConfig, ProblemsAreWarningsAtTheirJsonPath) {
  std::vector<config::ConfigIssue> issues;
  auto a = read_animations(boost::json::parse(R"json({
    "bad_expr": [{"attribute": "y", "expression": "value +"}],
    "other_dp": [{"attribute": "y", "expression": "WaterTank@TANK * 2"}],
    "no_attr": [{"expression": "value"}],
    "mixed": [{"attribute": "a", "expression": {"X": 1}},
              {"attribute": "b", "expression": {"X": 1}, "trigger_type": "alarm", "colour": 1}],
    "trig": {"attribute": "a", "expression": {"X": 1}, "trigger_type": "sometimes"}
  })json")
                               .as_object(),
                           issues);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a.begin()->first, "mixed");
  EXPECT_EQ(a.begin()->second.entries.size(), 1u);
  std::vector<std::string> got;
  for (const auto& i : issues) {
    EXPECT_FALSE(i.error);
    got.push_back(i.path + ": " + i.message);
  }
  std::sort(got.begin(), got.end());
  std::vector<std::string> want{
      "animations.bad_expr[0].expression: 1:8: expected a value, got the end",
      "animations.bad_expr: no usable entry: the animation is left out",
      "animations.mixed[1].colour: unknown key (known: attribute, expression, "
      "quality, trigger_type, default, revert_after, duration)",
      "animations.mixed[1].trigger_type: every entry of an animation has one "
      "trigger (datapoint here)",
      "animations.no_attr[0].attribute: expected the attribute to set (\"fill\", "
      "\"y\", \"text\", ...)",
      "animations.no_attr: no usable entry: the animation is left out",
      "animations.other_dp[0].expression: 1:1: unknown datapoint WaterTank@TANK",
      "animations.other_dp: no usable entry: the animation is left out",
      "animations.trig.trigger_type: expected datapoint, alarm or connection",
      "animations.trig: no usable entry: the animation is left out"};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace weir::animation
