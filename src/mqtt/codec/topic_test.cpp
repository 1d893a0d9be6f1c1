#include "mqtt/codec/topic.hpp"

#include <gtest/gtest.h>

#include "mqtt/codec/topic_match_cases.hpp"

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
  for (const auto& c : test::kMatchCases)
    EXPECT_EQ(topic_matches(c.filter, c.topic), c.matches) << c.filter << " ~ " << c.topic;
}

TEST(Topic, WildcardsAlone) {
  EXPECT_FALSE(check_wildcards("devices/%c/#"));  // placeholders are not the codec's business
  EXPECT_FALSE(check_wildcards("a//+"));
  auto e = check_wildcards("a/b+");
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("whole level"), std::string::npos) << *e;
  EXPECT_TRUE(check_wildcards("a/#/b"));
  EXPECT_TRUE(check_wildcards("##"));
}

bool same_length(std::string_view f, std::string_view t) noexcept {
  return f.size() == t.size();
}

TEST(Topic, MatchingWithALevelMatcher) {
  EXPECT_TRUE(topic_matches("ab/cd", "xy/zw", same_length));
  EXPECT_FALSE(topic_matches("ab/cd", "xy/z", same_length));
  EXPECT_TRUE(topic_matches("ab/+/#", "xy/anything/else", same_length));
  EXPECT_FALSE(topic_matches("+/ab", "$S/xy", same_length));  // the '$' rule stays
  EXPECT_FALSE(topic_matches("ab", "xy/zw", same_length));
}

TEST(Topic, FilterCoverage) {
  for (const auto& c : test::kCoverCases)
    EXPECT_EQ(filter_covers(c.outer, c.inner), c.covers) << c.outer << " covers " << c.inner;
  // Whatever a covered filter matches, the covering one matches too.
  for (const auto& c : test::kCoverCases) {
    if (!c.covers) continue;
    for (const auto& m : test::kMatchCases) {
      if (topic_matches(c.inner, m.topic)) {
        EXPECT_TRUE(topic_matches(c.outer, m.topic)) << c.outer << " ~ " << m.topic;
      }
    }
  }
}

}  // namespace
}  // namespace weir::mqtt
