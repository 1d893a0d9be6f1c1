// Group commit: a QoS 1/2 PUBLISH kept by a persistent session or the retained store is
// acknowledged only once the commit carrying it has ended; one commit at a time, the next one
// starting when the previous ends. The persistence here is a fake whose commits the test ends.
#include <gtest/gtest.h>

#include "mqtt/broker/broker_test_support.hpp"

namespace weir::mqtt {
namespace {

using test::Client;
using namespace std::chrono_literals;

struct FakePersistence final : Persistence {
  std::vector<std::function<void(Status)>> running;  // commits started, not yet answered
  std::size_t started = 0;
  bool recorded = false;
  bool paced = false;                        // ready_to_commit says "not yet"
  std::vector<std::function<void()>> turns;  // paced commits waiting for their turn
  Result<StoredState> load() override { return StoredState{}; }
  void put_session(StoredSession) override { recorded = true; }
  void erase_session(const std::string&) override { recorded = true; }
  void put_retained(StoredMessage) override { recorded = true; }
  void erase_retained(const std::string&) override { recorded = true; }
  void commit(std::function<void(Status)> done) override {
    recorded = false;
    ++started;
    running.push_back(std::move(done));
  }
  bool ready_to_commit(std::function<void()> ready) override {
    if (!paced) return true;
    turns.push_back(std::move(ready));
    return false;
  }
  std::size_t acks_pending = 0, sessions_pending = 0;  // as the broker last told
  void note_pending(std::size_t acks, std::size_t sessions) override {
    acks_pending = acks;
    sessions_pending = sessions;
  }
  bool has_pending() const override { return recorded; }
  Status flush() override { return {}; }
  // Ends the oldest running commit.
  void finish(Status st = {}) {
    ASSERT_FALSE(running.empty());
    auto done = std::move(running.front());
    running.erase(running.begin());
    if (!st) recorded = true;  // a failed batch is given back
    done(st);
  }
};

struct GroupCommit : ::testing::Test {
  ManualClock clock;
  FakePersistence* store = nullptr;
  std::unique_ptr<Broker> broker;

  void make(bool ack_after_commit = true, std::uint32_t max_held_acks = 1000) {
    BrokerOptions o;
    o.allow_anonymous = true;
    o.sys_interval_s = 0;
    o.persistence = true;
    o.ack_after_commit = ack_after_commit;
    o.max_held_acks = max_held_acks;
    auto p = std::make_unique<FakePersistence>();
    store = p.get();
    broker = std::make_unique<Broker>(o, clock, std::move(p));
  }
  // A persistent session subscribed to data/# that has gone away.
  void keeper() {
    Client sub(*broker, ProtocolVersion::v5);
    Properties props;
    props.session_expiry_interval = 3600;
    sub.connect("keeper", false, props);
    sub.subscribe("data/#", 1);
    sub.close();
    while (!store->running.empty()) store->finish();
  }
};

std::vector<std::uint16_t> acks(Client& c, PacketType type = PacketType::puback) {
  std::vector<std::uint16_t> ids;
  for (auto& a : c.recv_all<PubAck>())
    if (a.type == type) ids.push_back(a.packet_id);
  return ids;
}

TEST_F(GroupCommit, PubackWaitsForTheCommitOfAPersistentSession) {
  make();
  keeper();
  Client pub(*broker);
  pub.connect("pub");
  pub.publish("data/1", "x", 1);
  ASSERT_EQ(store->running.size(), 1u);  // started at the end of the packet's entry point
  EXPECT_TRUE(acks(pub).empty());
  store->finish();
  EXPECT_EQ(acks(pub), std::vector<std::uint16_t>{1});
}

TEST_F(GroupCommit, NextBatchStartsWhenThePreviousEnds) {
  make();
  keeper();
  Client pub(*broker);
  pub.connect("pub");
  const auto before = store->started;
  pub.publish("data/1", "a", 1);  // commit 1 starts
  pub.publish("data/2", "b", 1);  // wait for commit 2
  pub.publish("data/3", "c", 1);
  EXPECT_EQ(store->started, before + 1);
  store->finish();
  EXPECT_EQ(acks(pub), std::vector<std::uint16_t>{1});
  EXPECT_EQ(store->started, before + 2);  // the next batch, at once, not on a tick
  store->finish();
  EXPECT_EQ(acks(pub), (std::vector<std::uint16_t>{2, 3}));
  EXPECT_TRUE(store->running.empty());
}

TEST_F(GroupCommit, WhatArrivesWhileACommitWaitsForItsTurnJoinsIt) {
  make();
  keeper();
  store->paced = true;
  Client pub(*broker);
  pub.connect("pub");
  const auto before = store->started;
  pub.publish("data/1", "a", 1);  // a commit is asked for: not its turn yet
  pub.publish("data/2", "b", 1);
  EXPECT_EQ(store->turns.size(), 1u);  // one request, not one per packet
  EXPECT_EQ(store->started, before);   // no batch taken while it waits
  auto turn = std::move(store->turns.front());
  store->turns.clear();
  pub.publish("data/3", "c", 1);
  turn();  // its turn: the batch is taken now, with all three
  EXPECT_EQ(store->started, before + 1);
  EXPECT_TRUE(acks(pub).empty());
  store->finish();
  EXPECT_EQ(acks(pub), (std::vector<std::uint16_t>{1, 2, 3}));  // one commit for the window
  EXPECT_TRUE(store->turns.empty());  // nothing left to commit: no further request
}

// The pacing's early take (commit_pacing.hpp) needs the held acknowledgements and the sessions
// the next batch rewrites, told at the end of every entry point.
TEST_F(GroupCommit, ThePersistenceIsToldWhatWaitsForTheNextCommit) {
  make();
  keeper();
  store->paced = true;
  Client pub(*broker);
  pub.connect("pub");
  pub.publish("data/1", "a", 1);
  EXPECT_EQ(store->acks_pending, 1u);
  EXPECT_EQ(store->sessions_pending, 1u);  // the keeper's queue changed
  pub.publish("data/2", "b", 1);
  EXPECT_EQ(store->acks_pending, 2u);
  auto turn = std::move(store->turns.front());
  store->turns.clear();
  turn();  // taken: the keeper's snapshot is in the batch, the acknowledgements still held
  EXPECT_EQ(store->acks_pending, 2u);
  EXPECT_EQ(store->sessions_pending, 0u);
  store->finish();
  EXPECT_EQ(acks(pub), (std::vector<std::uint16_t>{1, 2}));
  EXPECT_EQ(store->acks_pending, 0u);
}

TEST_F(GroupCommit, CleanSessionsAndQos0AreNotHeld) {
  make();
  Client sub(*broker);
  sub.connect("clean");
  sub.subscribe("data/#", 1);
  Client pub(*broker);
  pub.connect("pub");
  pub.publish("data/1", "x", 1);
  EXPECT_EQ(acks(pub), std::vector<std::uint16_t>{1});
  EXPECT_TRUE(store->running.empty());
}

TEST_F(GroupCommit, AcknowledgementsKeepTheirOrder) {
  make();
  keeper();
  Client pub(*broker);
  pub.connect("pub");
  pub.publish("data/1", "stored", 1);
  pub.publish("other", "not stored", 1);  // would be acked at once, but not before id 1
  EXPECT_TRUE(acks(pub).empty());
  store->finish();
  EXPECT_EQ(acks(pub), (std::vector<std::uint16_t>{1, 2}));
}

TEST_F(GroupCommit, Qos2PubrecAndRetainedAreHeld) {
  make();
  keeper();
  Client pub(*broker);
  pub.connect("pub");
  pub.publish("data/1", "x", 2);
  EXPECT_TRUE(acks(pub, PacketType::pubrec).empty());
  store->finish();
  EXPECT_EQ(acks(pub, PacketType::pubrec), std::vector<std::uint16_t>{1});
  pub.publish("cfg", "kept", 1, true);  // no subscriber: the retained store keeps it
  EXPECT_TRUE(acks(pub).empty());
  store->finish();
  EXPECT_EQ(acks(pub), std::vector<std::uint16_t>{2});
}

TEST_F(GroupCommit, AFailedCommitHoldsTheAckAndIsRetried) {
  make();
  keeper();
  Client pub(*broker);
  pub.connect("pub");
  pub.publish("data/1", "x", 1);
  store->finish(Error::make(ErrorKind::internal, "storage", "disk full"));
  EXPECT_TRUE(acks(pub).empty());
  broker->tick();
  EXPECT_TRUE(store->running.empty());  // waits a second before trying again
  clock.advance(1100ms);
  broker->tick();
  ASSERT_EQ(store->running.size(), 1u);
  store->finish();
  EXPECT_EQ(acks(pub), std::vector<std::uint16_t>{1});
}

TEST_F(GroupCommit, AckBeforeCommitWhenConfigured) {
  make(/*ack_after_commit=*/false);
  keeper();
  Client pub(*broker);
  pub.connect("pub");
  pub.publish("data/1", "x", 1);
  EXPECT_EQ(acks(pub), std::vector<std::uint16_t>{1});
  EXPECT_EQ(store->running.size(), 1u);  // still committed, just not waited for
}

TEST_F(GroupCommit, HeldAckOfAClosedConnectionIsForgotten) {
  make();
  keeper();
  {
    Client pub(*broker);
    pub.connect("pub");
    pub.publish("data/1", "x", 1);
    pub.close();
  }
  while (!store->running.empty()) store->finish();  // nothing to send to, nothing crashes (ASan)
  Client again(*broker);
  again.connect("pub");
  again.publish("data/2", "y", 1);
  while (!store->running.empty()) store->finish();
  EXPECT_EQ(acks(again), std::vector<std::uint16_t>{1});
}

// Ten QoS 1 PUBLISHes of a v3.1.1 client (no Receive Maximum) in one read.
std::vector<std::uint8_t> ten_publishes() {
  std::vector<std::uint8_t> out;
  for (std::uint16_t id = 1; id <= 10; ++id) {
    Publish p;
    p.topic = "data/" + std::to_string(id);
    p.payload = make_payload(std::vector<std::uint8_t>{'x'});
    p.qos = 1;
    p.packet_id = id;
    encode(p, ProtocolVersion::v311, out);
  }
  return out;
}

TEST_F(GroupCommit, HeldAcknowledgementsAreBoundedByPausingReads) {
  make(true, 4);
  keeper();
  Client pub(*broker);
  pub.connect("pub");
  const auto received = broker->stats().messages_received;
  pub.raw(ten_publishes());
  // Four handled and held, then the socket paused; the other six wait in the broker's reader.
  EXPECT_EQ(broker->stats().messages_received - received, 4u);
  EXPECT_EQ(broker->stats().acks_held, 4u);
  EXPECT_EQ(broker->stats().reads_paused, 1u);
  EXPECT_TRUE(pub.sink->paused);
  EXPECT_TRUE(acks(pub).empty());
  // The commit releases them, reading resumes and the kept packets are handled: four more.
  store->finish();
  EXPECT_EQ(acks(pub), (std::vector<std::uint16_t>{1, 2, 3, 4}));
  EXPECT_EQ(broker->stats().messages_received - received, 8u);
  EXPECT_TRUE(pub.sink->paused);
  EXPECT_EQ(broker->stats().reads_paused, 2u);
  store->finish();
  EXPECT_EQ(acks(pub), (std::vector<std::uint16_t>{5, 6, 7, 8}));
  EXPECT_EQ(broker->stats().messages_received - received, 10u);
  EXPECT_FALSE(pub.sink->paused);
  store->finish();
  EXPECT_EQ(acks(pub), (std::vector<std::uint16_t>{9, 10}));
  EXPECT_EQ(broker->stats().acks_held, 0u);
  EXPECT_TRUE(store->running.empty());
}

TEST_F(GroupCommit, PausedClientIsNotTimedOutForKeepAlive) {
  make(true, 2);
  keeper();
  Client pub(*broker);
  Connect c;
  c.client_id = "pub";
  c.keep_alive = 1;
  pub.send(c);
  pub.raw(ten_publishes());
  ASSERT_TRUE(pub.sink->paused);
  clock.advance(5s);  // a commit that takes long: the client's PINGREQs wait unread
  broker->tick();
  EXPECT_FALSE(pub.sink->closed);
  store->finish();
  EXPECT_EQ(acks(pub).size(), 2u);
  broker->tick();  // resumed: keep-alive counts from the resumption
  EXPECT_FALSE(pub.sink->closed);
}

TEST_F(GroupCommit, TransportThatCannotPauseKeepsReading) {
  make(true, 4);
  keeper();
  Client pub(*broker);
  pub.sink->can_pause = false;
  pub.connect("pub");
  const auto received = broker->stats().messages_received;
  pub.raw(ten_publishes());
  EXPECT_EQ(broker->stats().messages_received - received, 10u);
  EXPECT_EQ(broker->stats().reads_paused, 0u);
  EXPECT_EQ(broker->stats().acks_held, 10u);
  store->finish();  // all ten in one batch
  EXPECT_EQ(acks(pub).size(), 10u);
}

TEST_F(GroupCommit, CommitTimeIsMeasured) {
  make();
  keeper();
  Client pub(*broker);
  pub.connect("pub");
  const auto before = broker->stats().commit_time.count();
  pub.publish("data/1", "x", 1);
  clock.advance(3ms);
  store->finish();
  const auto h = broker->stats().commit_time;
  EXPECT_EQ(h.count(), before + 1);
  EXPECT_GE(h.max_seconds(), 0.003);
}

}  // namespace
}  // namespace weir::mqtt
