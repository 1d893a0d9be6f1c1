#include "api/live_feed.hpp"

#include <gtest/gtest.h>

namespace weir::api {
namespace {

struct FakeClient : LiveClient {
  std::vector<std::string> sent;
  std::size_t capacity = 1000;
  bool closed = false;
  std::string close_reason;
  bool send(std::string t) override {
    if (sent.size() >= capacity) return false;
    sent.push_back(std::move(t));
    return true;
  }
  std::size_t queued_bytes() const override { return 0; }
  void close(std::uint16_t, std::string r) override {
    closed = true;
    close_reason = std::move(r);
  }
};

struct Hub : ::testing::Test {
  LiveFeedHub hub;
  std::vector<int> values = {10, 20, 30};
  LiveFeedHub::FeedId feed = hub.add_feed(
      {"numbers", "view",
       [this](std::string& out) {
         for (std::size_t i = 0; i < values.size(); ++i)
           out += (i ? "," : "") + std::to_string(values[i]);
       },
       [this](std::uint64_t k, std::string& out) { out += std::to_string(values[k]); }});
  std::shared_ptr<FakeClient> client = std::make_shared<FakeClient>();
  LiveFeedHub::ClientId id = hub.connect(client, [](std::string_view p) { return p == "view"; });
};

TEST_F(Hub, SnapshotThenCoalescedUpdates) {
  hub.on_message(id, R"({"type":"subscribe","feeds":["numbers"]})");
  ASSERT_EQ(client->sent.size(), 2u);
  EXPECT_EQ(client->sent[0], R"({"type":"subscribed","feeds":["numbers"]})");
  EXPECT_EQ(client->sent[1], R"({"type":"snapshot","feed":"numbers","items":[10,20,30]})");
  values[1] = 21;
  hub.mark(feed, 1);
  values[1] = 22;
  hub.mark(feed, 1);
  values[2] = 31;
  hub.mark(feed, 2);
  hub.flush();
  ASSERT_EQ(client->sent.size(), 3u);
  EXPECT_EQ(client->sent[2], R"({"type":"update","feed":"numbers","items":[22,31]})");
  hub.flush();
  EXPECT_EQ(client->sent.size(), 3u);  // nothing changed, nothing sent
}

TEST_F(Hub, SnapshotGoesOnlyToTheNewSubscriber) {
  hub.on_message(id, R"({"type":"subscribe","feeds":["numbers"]})");
  auto other = std::make_shared<FakeClient>();
  auto id2 = hub.connect(other, [](std::string_view) { return true; });
  hub.on_message(id2, R"({"type":"subscribe","feeds":["numbers"]})");
  EXPECT_EQ(client->sent.size(), 2u);
  EXPECT_EQ(other->sent.size(), 2u);
}

TEST_F(Hub, PermissionAndBadMessages) {
  auto weak = std::make_shared<FakeClient>();
  auto id2 = hub.connect(weak, [](std::string_view) { return false; });
  hub.on_message(id2, R"({"type":"subscribe","feeds":["numbers"]})");
  EXPECT_NE(weak->sent[0].find("forbidden"), std::string::npos);
  hub.on_message(id, "{not json");
  EXPECT_NE(client->sent.back().find("invalid JSON"), std::string::npos);
  hub.on_message(id, R"({"type":"subscribe","feeds":["nope"]})");
  EXPECT_NE(client->sent[client->sent.size() - 2].find("unknown_feed"), std::string::npos);
  hub.on_message(id, R"({"type":"ping"})");
  EXPECT_EQ(client->sent.back(), R"({"type":"pong"})");
}

TEST_F(Hub, SlowClientIsToldAndDroppedOthersUnaffected) {
  hub.on_message(id, R"({"type":"subscribe","feeds":["numbers"]})");
  auto fast = std::make_shared<FakeClient>();
  auto id2 = hub.connect(fast, [](std::string_view) { return true; });
  hub.on_message(id2, R"({"type":"subscribe","feeds":["numbers"]})");
  client->capacity = client->sent.size();  // its queue is now full
  hub.mark(feed, 0);
  hub.flush();
  EXPECT_TRUE(client->closed);
  EXPECT_NE(client->close_reason.find("overflow"), std::string::npos);
  EXPECT_EQ(hub.stats().dropped_slow_clients, 1u);
  EXPECT_EQ(fast->sent.back(), R"({"type":"update","feed":"numbers","items":[10]})");
  hub.mark(feed, 1);
  hub.flush();
  EXPECT_EQ(fast->sent.back(), R"({"type":"update","feed":"numbers","items":[20]})");
}

// The server posts flush_idle() when the hub wakes it; here the test plays the io loop.
struct InstantHub : Hub {
  ManualClock clock;
  int wakes = 0;
  void SetUp() override {
    hub.send_idle_changes_at_once(clock, Millis{50}, [this] { ++wakes; });
    hub.on_message(id, R"({"type":"subscribe","feeds":["numbers"]})");
    client->sent.clear();
  }
  void run_posted() {
    while (wakes > 0) {
      --wakes;
      hub.flush_idle();
    }
  }
};

TEST_F(InstantHub, AChangeToAQuietFeedGoesOutAtOnce) {
  values[0] = 11;
  hub.mark(feed, 0);
  values[1] = 21;
  hub.mark(feed, 1);  // same handler: one wake, one batch
  EXPECT_EQ(wakes, 1);
  run_posted();
  ASSERT_EQ(client->sent.size(), 1u);
  EXPECT_EQ(client->sent[0], R"({"type":"update","feed":"numbers","items":[11,21]})");
  EXPECT_EQ(hub.stats().immediate_batches, 1u);
  // Quiet for a whole interval again: the next change is immediate too.
  clock.advance(Millis{50});
  values[2] = 31;
  hub.mark(feed, 2);
  run_posted();
  ASSERT_EQ(client->sent.size(), 2u);
  EXPECT_EQ(client->sent[1], R"({"type":"update","feed":"numbers","items":[31]})");
}

TEST_F(InstantHub, ChangesThatKeepComingAreCoalescedByThePeriodicFlush) {
  hub.mark(feed, 0);
  run_posted();
  ASSERT_EQ(client->sent.size(), 1u);
  // 49 ms after that batch: not idle, no wake; the changes wait for the periodic flush.
  clock.advance(Millis{49});
  values[1] = 22;
  hub.mark(feed, 1);
  values[1] = 23;
  hub.mark(feed, 1);
  EXPECT_EQ(wakes, 0);
  hub.flush_idle();  // even if asked: the feed is not idle
  EXPECT_EQ(client->sent.size(), 1u);
  clock.advance(Millis{1});
  hub.flush();
  ASSERT_EQ(client->sent.size(), 2u);
  EXPECT_EQ(client->sent[1], R"({"type":"update","feed":"numbers","items":[23]})");
  // Under steady load every change lands within an interval of the last batch: only the
  // periodic flush sends, once per interval, as before.
  for (int i = 0; i < 10; ++i) {
    clock.advance(Millis{10});
    hub.mark(feed, static_cast<std::uint64_t>(i % 3));
    if (i % 5 == 4) hub.flush();
  }
  EXPECT_EQ(wakes, 0);
  EXPECT_EQ(hub.stats().immediate_batches, 1u);
  EXPECT_EQ(client->sent.size(), 4u);
}

TEST_F(InstantHub, OneWakeServesEveryIdleFeed) {
  std::vector<int> other = {7};
  auto feed2 =
      hub.add_feed({"other", "view", [](std::string&) {},
                    [&](std::uint64_t k, std::string& out) { out += std::to_string(other[k]); }});
  hub.on_message(id, R"({"type":"subscribe","feeds":["other"]})");
  client->sent.clear();
  hub.mark(feed, 0);
  hub.mark(feed2, 0);
  EXPECT_EQ(wakes, 1);
  run_posted();
  ASSERT_EQ(client->sent.size(), 2u);
  EXPECT_EQ(client->sent[1], R"({"type":"update","feed":"other","items":[7]})");
  // A feed without subscribers never wakes anyone.
  hub.on_message(id, R"({"type":"unsubscribe","feeds":["other"]})");
  clock.advance(Millis{100});
  hub.mark(feed2, 0);
  EXPECT_EQ(wakes, 0);
}

}  // namespace
}  // namespace weir::api
