#include "mqtt/broker/retained_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "mqtt/codec/topic.hpp"

namespace weir::mqtt {
namespace {

using namespace std::chrono_literals;

MessagePtr msg(std::string topic, std::optional<MonoTime> expires = {}) {
  auto m = std::make_shared<Message>();
  m->topic = std::move(topic);
  m->payload = make_payload({'x'});
  m->retain = true;
  m->expires_at = expires;
  return m;
}

std::vector<std::string> match(const RetainedStore& s, std::string_view filter) {
  std::vector<MessagePtr> hits;
  s.match(filter, hits);
  std::vector<std::string> out;
  for (const auto& m : hits) out.push_back(m->topic);
  return out;
}

using Topics = std::vector<std::string>;

TEST(RetainedStore, ExactPlusAndHash) {
  RetainedStore s;
  for (auto t : {"a", "a/b", "a/c", "a/b/c", "b/b", "x/y/z"}) s.put(msg(t));
  EXPECT_EQ(s.size(), 6u);
  EXPECT_EQ(match(s, "a/b"), (Topics{"a/b"}));
  EXPECT_EQ(match(s, "a/x"), Topics{});
  EXPECT_EQ(match(s, "a/+"), (Topics{"a/b", "a/c"}));
  EXPECT_EQ(match(s, "+/b"), (Topics{"a/b", "b/b"}));
  EXPECT_EQ(match(s, "+/+/+"), (Topics{"a/b/c", "x/y/z"}));
  EXPECT_EQ(match(s, "a/#"), (Topics{"a", "a/b", "a/b/c", "a/c"}));  // '#' matches the parent level
  EXPECT_EQ(match(s, "+/#"), (Topics{"a", "a/b", "a/b/c", "a/c", "b/b", "x/y/z"}));
  EXPECT_EQ(match(s, "#"), (Topics{"a", "a/b", "a/b/c", "a/c", "b/b", "x/y/z"}));
  EXPECT_EQ(match(s, "a/b/#"), (Topics{"a/b", "a/b/c"}));
  EXPECT_EQ(match(s, "a/b/c/#"), (Topics{"a/b/c"}));
  EXPECT_EQ(match(s, "a/b/c/d"), Topics{});
  EXPECT_EQ(match(s, "+"), (Topics{"a"}));
}

TEST(RetainedStore, DollarTopicsNeedAnExplicitFirstLevel) {
  RetainedStore s;
  for (auto t : {"$SYS/broker/uptime", "$SYS/x", "a/$b", "a"}) s.put(msg(t));
  EXPECT_EQ(match(s, "#"), (Topics{"a", "a/$b"}));  // MQTT-4.7.2
  EXPECT_EQ(match(s, "+/#"), (Topics{"a", "a/$b"}));
  EXPECT_EQ(match(s, "+/x"), Topics{});
  EXPECT_EQ(match(s, "a/+"), (Topics{"a/$b"}));  // only the first level is special
  EXPECT_EQ(match(s, "$SYS/#"), (Topics{"$SYS/broker/uptime", "$SYS/x"}));
  EXPECT_EQ(match(s, "$SYS/+"), (Topics{"$SYS/x"}));
  EXPECT_EQ(match(s, "$SYS/+/uptime"), (Topics{"$SYS/broker/uptime"}));
}

TEST(RetainedStore, EmptyLevels) {
  RetainedStore s;
  for (auto t : {"a//b", "/a", "a/", "a/x/b"}) s.put(msg(t));
  EXPECT_EQ(match(s, "a/+/b"), (Topics{"a//b", "a/x/b"}));  // '+' matches the empty level
  EXPECT_EQ(match(s, "a//b"), (Topics{"a//b"}));
  EXPECT_EQ(match(s, "+/a"), (Topics{"/a"}));
  EXPECT_EQ(match(s, "/+"), (Topics{"/a"}));
  EXPECT_EQ(match(s, "a/+"), (Topics{"a/"}));
  EXPECT_EQ(match(s, "a/#"), (Topics{"a/", "a//b", "a/x/b"}));
}

TEST(RetainedStore, ReplaceEraseAndPrune) {
  RetainedStore s;
  s.put(msg("a/b/c"));
  s.put(msg("a/b/c"));  // replaced, not added
  EXPECT_EQ(s.size(), 1u);
  s.put(msg("a/d"));
  EXPECT_EQ(s.node_count(), 4u);  // a, b, c, d
  EXPECT_FALSE(s.erase("a/b"));   // a node without a message
  EXPECT_FALSE(s.erase("a/b/c/d"));
  EXPECT_TRUE(s.erase("a/b/c"));
  EXPECT_FALSE(s.erase("a/b/c"));
  EXPECT_EQ(s.size(), 1u);
  EXPECT_EQ(s.node_count(), 2u);  // b and c pruned; a still leads to d
  EXPECT_EQ(match(s, "#"), (Topics{"a/d"}));
  s.put(msg("a"));
  EXPECT_TRUE(s.erase("a/d"));
  EXPECT_EQ(s.node_count(), 1u);  // a holds a message
  EXPECT_TRUE(s.erase("a"));
  EXPECT_EQ(s.node_count(), 0u);
  EXPECT_TRUE(s.empty());
  EXPECT_FALSE(s.find("a"));
}

TEST(RetainedStore, Find) {
  RetainedStore s;
  s.put(msg("a/b"));
  ASSERT_TRUE(s.find("a/b"));
  EXPECT_EQ(s.find("a/b")->topic, "a/b");
  EXPECT_FALSE(s.find("a"));
  EXPECT_FALSE(s.find("a/b/c"));
}

TEST(RetainedStore, ExpiryIndex) {
  const MonoTime t0{};
  RetainedStore s;
  s.put(msg("a", t0 + 10s));
  s.put(msg("b", t0 + 5s));
  s.put(msg("c"));
  s.put(msg("d/e", t0 + 5s));
  s.put(msg("a", t0 + 20s));  // replacing moves the deadline
  std::vector<std::string> gone;
  auto on_erase = [&](const std::string& t) { gone.push_back(t); };
  s.erase_expired(t0 + 4s, on_erase);
  EXPECT_TRUE(gone.empty());
  s.erase_expired(t0 + 10s, on_erase);
  std::sort(gone.begin(), gone.end());
  EXPECT_EQ(gone, (Topics{"b", "d/e"}));
  EXPECT_EQ(s.size(), 2u);
  EXPECT_EQ(s.node_count(), 2u);  // d pruned with d/e
  s.put(msg("a"));                // no expiry any more
  s.erase_expired(t0 + 1h, on_erase);
  EXPECT_EQ(gone.size(), 2u);
  EXPECT_EQ(match(s, "#"), (Topics{"a", "c"}));
  s.put(msg("c", t0 + 30s));
  EXPECT_TRUE(s.erase("c"));  // erasing drops the deadline too
  s.erase_expired(t0 + 1h, on_erase);
  EXPECT_EQ(gone.size(), 2u);
}

// The tree agrees with topic_matches() (the reference matcher) on every filter/topic pair.
TEST(RetainedStore, AgreesWithTopicMatches) {
  const std::vector<std::string> topics = {"a",    "a/b",     "a/b/c",  "a//b", "/a",
                                           "/",    "a/",      "$SYS/x", "$SYS", "$a/b",
                                           "b/$c", "x/y/z/w", "a/b/c/d"};
  const std::vector<std::string> filters = {
      "#",    "+",       "+/+",   "+/#",   "a/#",  "a/+",    "a/+/c",   "+/b/#",  "/+",
      "/#",   "+/",      "a//b",  "a/+/b", "$SYS", "$SYS/#", "$SYS/+",  "+/x",    "b/+",
      "b/$c", "+/+/+/+", "a/b/c", "a/b/#", "$a/+", "+/$c",   "x/+/z/#", "a/b/+/d"};
  RetainedStore s;
  for (const auto& t : topics) s.put(msg(t));
  for (const auto& f : filters) {
    Topics want;
    for (const auto& t : topics)
      if (topic_matches(f, t)) want.push_back(t);
    std::sort(want.begin(), want.end());
    EXPECT_EQ(match(s, f), want) << "filter " << f;
  }
}

}  // namespace
}  // namespace weir::mqtt
