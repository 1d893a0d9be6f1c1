#include "mqtt/broker/topic_pattern.hpp"

#include <gtest/gtest.h>

#include "mqtt/codec/topic_match_cases.hpp"

namespace weir::mqtt {
namespace {

TEST(TopicPattern, Substitution) {
  TopicPattern p("devices/%c/#");
  EXPECT_TRUE(p.matches_topic("devices/d1/temp", "d1", "u"));
  EXPECT_FALSE(p.matches_topic("devices/d2/temp", "d1", "u"));
  EXPECT_FALSE(p.matches_topic("devices/a/b", "a/b", "u"));  // crafted client id
  TopicPattern u("users/%u/+");
  EXPECT_TRUE(u.matches_topic("users/bob/x", "c", "bob"));
  EXPECT_FALSE(u.matches_topic("users/bob/x/y", "c", "bob"));
  EXPECT_FALSE(u.matches_topic("users//x", "c", ""));
}

TEST(TopicPattern, CoversFilter) {
  TopicPattern p("a/#");
  EXPECT_TRUE(p.covers_filter("a/+/b", "", ""));
  EXPECT_TRUE(p.covers_filter("a/#", "", ""));
  EXPECT_FALSE(p.covers_filter("#", "", ""));
  TopicPattern q("a/+");
  EXPECT_TRUE(q.covers_filter("a/x", "", ""));
  EXPECT_TRUE(q.covers_filter("a/+", "", ""));
  EXPECT_FALSE(q.covers_filter("a/#", "", ""));
  TopicPattern lit("a/b");
  EXPECT_FALSE(lit.covers_filter("a/+", "", ""));
  EXPECT_FALSE(TopicPattern("#").matches_topic("$SYS/x", "", ""));
}

// Without placeholders a pattern means what the same MQTT filter means; with them, what the
// substituted filter means.
TEST(TopicPattern, AgreesWithTheCodec) {
  for (const auto& c : test::kMatchCases)
    EXPECT_EQ(TopicPattern(std::string(c.filter)).matches_topic(c.topic, "c", "u"), c.matches)
        << c.filter << " ~ " << c.topic;
  for (const auto& c : test::kCoverCases)
    EXPECT_EQ(TopicPattern(std::string(c.outer)).covers_filter(c.inner, "c", "u"), c.covers)
        << c.outer << " covers " << c.inner;
  TopicPattern p("%u/%c/#");
  EXPECT_TRUE(p.matches_topic("bob/c1", "c1", "bob"));
  EXPECT_TRUE(p.covers_filter("bob/c1/+", "c1", "bob"));
  EXPECT_FALSE(p.covers_filter("bob/+/x", "c1", "bob"));
  EXPECT_FALSE(TopicPattern("dev-%c").matches_topic("dev-", "", "u"));
}

TEST(RuleAuthorizer, FirstMatchDecides) {
  RuleAuthorizer a({AclRule{"", "devices/%c/#", true, true}, AclRule{"admin", "#", true, true},
                    AclRule{"", "public/#", false, true}});
  Identity dev{"d1", "dev", false, false, {}};
  Identity admin{"x", "admin", false, false, {}};
  EXPECT_TRUE(a.can_publish(dev, "devices/d1/t"));
  EXPECT_FALSE(a.can_publish(dev, "devices/d2/t"));
  EXPECT_TRUE(a.can_publish(admin, "anything"));
  EXPECT_FALSE(a.can_publish(dev, "public/x"));
  EXPECT_TRUE(a.can_subscribe(dev, "public/+"));
  EXPECT_TRUE(RuleAuthorizer({}).can_publish(dev, "x"));
}

}  // namespace
}  // namespace weir::mqtt
