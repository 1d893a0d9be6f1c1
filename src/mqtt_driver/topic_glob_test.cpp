#include "mqtt_driver/topic_glob.hpp"

#include <gtest/gtest.h>

#include "mqtt/codec/topic_match_cases.hpp"

namespace weir::mqtt_driver {
namespace {

TEST(TopicGlob, PlusInsideALevelIsAGlob) {
  auto g = make_topic_glob("stat/xmas/POWER+");
  EXPECT_EQ(g.filter, "stat/xmas/+");
  EXPECT_TRUE(g.matches("stat/xmas/POWER1"));
  EXPECT_TRUE(g.matches("stat/xmas/POWER"));
  EXPECT_FALSE(g.matches("stat/xmas/RESULT"));
  EXPECT_FALSE(g.matches("stat/other/POWER1"));
  auto plain = make_topic_glob("sensors/+");
  EXPECT_EQ(plain.filter, "sensors/+");
  EXPECT_TRUE(plain.matches("sensors/esp32"));
  EXPECT_FALSE(plain.matches("sensors/esp32/x"));
}

TEST(TopicGlob, GlobLevelsKeepMqttRules) {
  auto g = make_topic_glob("+x/#");  // a glob in the first level: still no '$' topics
  EXPECT_EQ(g.filter, "+/#");
  EXPECT_TRUE(g.matches("ax/b"));
  EXPECT_TRUE(g.matches("x"));
  EXPECT_FALSE(g.matches("$x/b"));
  EXPECT_FALSE(make_topic_glob("*x").matches("$x"));
  auto mid = make_topic_glob("stat/+/POWER*");
  EXPECT_TRUE(mid.matches("stat/xmas/POWER2"));
  EXPECT_FALSE(mid.matches("stat/xmas/POWER2/x"));
  EXPECT_FALSE(mid.matches("stat/xmas"));
}

// A pattern without globs is an MQTT filter, matched as the codec matches it.
TEST(TopicGlob, AgreesWithTheCodec) {
  for (const auto& c : mqtt::test::kMatchCases)
    EXPECT_EQ(make_topic_glob(std::string(c.filter)).matches(c.topic), c.matches)
        << c.filter << " ~ " << c.topic;
}

}  // namespace
}  // namespace weir::mqtt_driver
