#include "mqtt/codec/topic.hpp"

#include <gtest/gtest.h>

namespace weir::mqtt {
namespace {

TEST(Topic, Names) {
  EXPECT_TRUE(valid_topic_name("a/b/c"));
  EXPECT_TRUE(valid_topic_name("/"));
  EXPECT_TRUE(valid_topic_name("$SYS/x"));
  EXPECT_TRUE(valid_topic_name("caf\xc3\xa9"));
  EXPECT_FALSE(valid_topic_name(""));
  EXPECT_FALSE(valid_topic_name("a/+"));
  EXPECT_FALSE(valid_topic_name("a/#"));
  EXPECT_FALSE(valid_topic_name(std::string_view("a\0b", 3)));
  EXPECT_FALSE(valid_topic_name("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(valid_topic_name("\xc0\xaf"));          // overlong
  EXPECT_FALSE(valid_topic_name("\xf4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(valid_topic_name("abcdef", TopicLimits{5, 10}));
  EXPECT_FALSE(valid_topic_name("a/b/c", TopicLimits{100, 2}));
  EXPECT_TRUE(valid_topic_name("a/b", TopicLimits{100, 2}));
}

TEST(Topic, Filters) {
  for (auto f : {"#", "+", "a/+/c", "a/#", "+/+", "/+", "$SYS/#", "a//b"})
    EXPECT_TRUE(valid_topic_filter(f)) << f;
  for (auto f : {"", "a#", "a/#/b", "a+/b", "a/b+", "##", "a/++"})
    EXPECT_FALSE(valid_topic_filter(f)) << f;
  auto e = check_topic_filter("a/#/b");
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("offset 2"), std::string::npos) << *e;
}

TEST(Topic, SharedSubscriptions) {
  auto s = parse_shared_filter("$share/g1/a/+/c");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->group, "g1");
  EXPECT_EQ(s->filter, "a/+/c");
  EXPECT_FALSE(parse_shared_filter("$share/g1"));
  EXPECT_FALSE(parse_shared_filter("$share//a"));
  EXPECT_FALSE(parse_shared_filter("$share/g+/a"));
  EXPECT_FALSE(parse_shared_filter("$share/g/"));
  EXPECT_FALSE(parse_shared_filter("$share/g/a#"));
  EXPECT_TRUE(valid_topic_filter("$share/g/#"));
  EXPECT_FALSE(valid_topic_filter("$share/g"));
  EXPECT_EQ(parse_shared_filter("$share/g").error().reason, ReasonCode::topic_filter_invalid);
}

TEST(Topic, Matching) {
  EXPECT_TRUE(topic_matches("a/b", "a/b"));
  EXPECT_TRUE(topic_matches("a/+", "a/b"));
  EXPECT_FALSE(topic_matches("a/+", "a/b/c"));
  EXPECT_TRUE(topic_matches("a/#", "a"));
  EXPECT_TRUE(topic_matches("a/#", "a/b/c"));
  EXPECT_TRUE(topic_matches("#", "a"));
  EXPECT_TRUE(topic_matches("+/+", "/b"));
  EXPECT_TRUE(topic_matches("+", ""));
  EXPECT_FALSE(topic_matches("a/b", "a"));
  EXPECT_FALSE(topic_matches("#", "$SYS/x"));
  EXPECT_FALSE(topic_matches("+/x", "$SYS/x"));
  EXPECT_TRUE(topic_matches("$SYS/#", "$SYS/x"));
  EXPECT_TRUE(topic_matches("a/+/#", "a/b"));
}

}  // namespace
}  // namespace weir::mqtt
