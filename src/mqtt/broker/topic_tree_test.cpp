#include "mqtt/broker/topic_tree.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "mqtt/codec/topic_match_cases.hpp"

namespace weir::mqtt {
namespace {

std::vector<SubscriberId> match(TopicTree& t, std::string_view topic) {
  std::vector<SubscriberId> out;
  t.match(
      topic, [&](const SubEntry& e) { out.push_back(e.who); },
      [&](SharedGroup& g) { out.push_back(1000 + g.members[g.next++ % g.members.size()].who); });
  std::sort(out.begin(), out.end());
  return out;
}

// The index finds what the codec's topic_matches() would.
TEST(TopicTree, AgreesWithTheCodec) {
  for (const auto& c : test::kMatchCases) {
    TopicTree t;
    t.add(c.filter, "", {1});
    EXPECT_EQ(match(t, c.topic).size(), c.matches ? 1u : 0u) << c.filter << " ~ " << c.topic;
  }
}

TEST(TopicTree, Wildcards) {
  TopicTree t;
  t.add("a/b", "", {1});
  t.add("a/+", "", {2});
  t.add("a/#", "", {3});
  t.add("#", "", {4});
  t.add("+/+/c", "", {5});
  t.add("a/b/c", "", {6});
  EXPECT_EQ(match(t, "a/b"), (std::vector<SubscriberId>{1, 2, 3, 4}));
  EXPECT_EQ(match(t, "a"), (std::vector<SubscriberId>{3, 4}));
  EXPECT_EQ(match(t, "a/b/c"), (std::vector<SubscriberId>{3, 4, 5, 6}));
  EXPECT_EQ(match(t, "x/y/c"), (std::vector<SubscriberId>{4, 5}));
  EXPECT_EQ(t.size(), 6u);
}

TEST(TopicTree, DollarTopics) {
  TopicTree t;
  t.add("#", "", {1});
  t.add("+/x", "", {2});
  t.add("$SYS/#", "", {3});
  t.add("$SYS/+", "", {4});
  EXPECT_EQ(match(t, "$SYS/x"), (std::vector<SubscriberId>{3, 4}));
  EXPECT_EQ(match(t, "a/x"), (std::vector<SubscriberId>{1, 2}));
}

TEST(TopicTree, ReplaceAndRemovePrunes) {
  TopicTree t;
  EXPECT_TRUE(t.add("a/b", "", {1, SubscribeOptions{0}}));
  EXPECT_FALSE(t.add("a/b", "", {1, SubscribeOptions{2}}));
  EXPECT_EQ(t.size(), 1u);
  EXPECT_TRUE(t.remove("a/b", "", 1));
  EXPECT_FALSE(t.remove("a/b", "", 1));
  EXPECT_TRUE(match(t, "a/b").empty());
  EXPECT_EQ(t.size(), 0u);
}

TEST(TopicTree, SharedGroups) {
  TopicTree t;
  t.add("jobs/+", "g", {1});
  t.add("jobs/+", "g", {2});
  t.add("jobs/+", "h", {3});
  t.add("jobs/+", "", {4});
  auto m = match(t, "jobs/1");
  EXPECT_EQ(m.size(), 3u);  // one per group + the plain one
  EXPECT_TRUE(t.remove("jobs/+", "g", 1));
  EXPECT_TRUE(t.remove("jobs/+", "g", 2));
  EXPECT_EQ(match(t, "jobs/1").size(), 2u);
}

}  // namespace
}  // namespace weir::mqtt
