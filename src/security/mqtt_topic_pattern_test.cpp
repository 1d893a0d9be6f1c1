#include "security/mqtt_topic_pattern.hpp"

#include <gtest/gtest.h>

#include "mqtt/codec/topic_match_cases.hpp"

namespace weir::security {
namespace {

TEST(MqttTopicPattern, Matching) {
  EXPECT_TRUE(topic_matches("sensors/+", "sensors/esp32"));
  EXPECT_FALSE(topic_matches("sensors/+", "sensors/esp32/x"));
  EXPECT_FALSE(topic_matches("sensors/+", "sensors"));
  EXPECT_TRUE(topic_matches("commands/#", "commands"));
  EXPECT_TRUE(topic_matches("commands/#", "commands/esp32/play"));
  EXPECT_TRUE(topic_matches("#", "a/b"));
  EXPECT_FALSE(topic_matches("#", "$SYS/broker/uptime"));
  EXPECT_FALSE(topic_matches("+/broker/uptime", "$SYS/broker/uptime"));
  EXPECT_TRUE(topic_matches("$SYS/#", "$SYS/broker/uptime"));
  EXPECT_FALSE(topic_matches("a/b", "a/+"));  // a topic name never has wildcards
  EXPECT_TRUE(topic_matches("a//c", "a//c"));
  EXPECT_FALSE(topic_matches("+", ""));  // nor is it empty
}

// The patterns mean what the same MQTT filters mean (both are the codec's matcher).
TEST(MqttTopicPattern, AgreesWithTheCodec) {
  for (const auto& c : mqtt::test::kMatchCases)
    EXPECT_EQ(topic_matches(c.filter, c.topic), c.matches) << c.filter << " ~ " << c.topic;
  for (const auto& c : mqtt::test::kCoverCases)
    EXPECT_EQ(filter_covered_by(c.outer, c.inner), c.covers) << c.outer << " covers " << c.inner;
}

TEST(MqttTopicPattern, FilterCoverage) {
  EXPECT_TRUE(filter_covered_by("sensors/+", "sensors/esp32"));
  EXPECT_TRUE(filter_covered_by("sensors/+", "sensors/+"));
  EXPECT_FALSE(filter_covered_by("sensors/+", "sensors/#"));
  EXPECT_FALSE(filter_covered_by("sensors/esp32", "sensors/+"));
  EXPECT_TRUE(filter_covered_by("sensors/#", "sensors/#"));
  EXPECT_TRUE(filter_covered_by("sensors/#", "sensors/+/x"));
  EXPECT_TRUE(filter_covered_by("sensors/#", "sensors"));
  EXPECT_FALSE(filter_covered_by("sensors/#", "#"));
  EXPECT_FALSE(filter_covered_by("#", "$SYS/#"));
  EXPECT_FALSE(filter_covered_by("a/+/c", "a/+/c/d"));
  EXPECT_FALSE(filter_covered_by("a/#", "a/#/b"));  // invalid filter
  EXPECT_EQ(strip_shared_subscription("$share/grp/sensors/+"), "sensors/+");
  EXPECT_EQ(strip_shared_subscription("sensors/+"), "sensors/+");
}

TEST(MqttTopicPattern, ValidationAndSubstitution) {
  EXPECT_TRUE(validate_topic_pattern("devices/%u/%c/#"));
  EXPECT_FALSE(validate_topic_pattern("a/#/b"));
  EXPECT_FALSE(validate_topic_pattern("a/b#"));
  EXPECT_FALSE(validate_topic_pattern("a+/b"));
  EXPECT_FALSE(validate_topic_pattern("a/%x"));
  EXPECT_FALSE(validate_topic_pattern("a/%"));
  EXPECT_FALSE(validate_topic_pattern(""));
  EXPECT_EQ(substitute_topic_pattern("d/%u/%c/#", "esp32", "c-1"), "d/esp32/c-1/#");
  EXPECT_EQ(substitute_topic_pattern("static/topic", "", ""), "static/topic");
  EXPECT_FALSE(substitute_topic_pattern("d/%u", "a/b", "c"));  // would reach into d/a/...
  EXPECT_FALSE(substitute_topic_pattern("d/%c", "u", "#"));
  EXPECT_FALSE(substitute_topic_pattern("d/%c", "u", "+"));
  EXPECT_FALSE(substitute_topic_pattern("d/%c", "u", ""));
}

}  // namespace
}  // namespace weir::security
