#include "mqtt/broker/sqlite_persistence.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "mqtt/broker/broker_test_support.hpp"

namespace weir::mqtt {
namespace {

using test::Client;
using test::text;
using namespace std::chrono_literals;

struct TempDb {
  std::filesystem::path path;
  TempDb() {
    path = std::filesystem::temp_directory_path() /
           ("weir_mqtt_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
    clean();
  }
  ~TempDb() { clean(); }
  void clean() {
    for (auto s : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + s);
  }
};

TEST(SqlitePersistence, StoresAndCoalesces) {
  TempDb db;
  {
    SqlitePersistence p(db.path.string());
    ASSERT_TRUE(p.ok()) << p.open_error();
    StoredMessage m;
    m.topic = "r";
    m.payload = make_payload({'1'});
    p.put_retained(m);
    m.payload = make_payload({'2'});
    p.put_retained(m);
    StoredSession s;
    s.client_id = "c";
    s.expiry_interval = 100;
    s.subscriptions.push_back({"a/#", 1, 0});
    p.put_session(s);
    EXPECT_EQ(p.pending(), 2u);
    ASSERT_TRUE(p.flush());
    EXPECT_EQ(p.pending(), 0u);
  }
  SqlitePersistence p(db.path.string());
  auto st = p.load();
  ASSERT_TRUE(st);
  ASSERT_EQ(st->retained.size(), 1u);
  EXPECT_EQ(*st->retained[0].payload, std::vector<std::uint8_t>{'2'});
  ASSERT_EQ(st->sessions.size(), 1u);
  EXPECT_EQ(st->sessions[0].subscriptions.size(), 1u);
  p.erase_session("c");
  p.erase_retained("r");
  ASSERT_TRUE(p.flush());
  auto st2 = p.load();
  EXPECT_TRUE(st2->sessions.empty());
  EXPECT_TRUE(st2->retained.empty());
}

TEST(SqlitePersistence, BrokerStateSurvivesRestart) {
  TempDb db;
  ManualClock clock;
  BrokerOptions o;
  o.allow_anonymous = true;
  o.sys_interval_s = 0;
  o.persistence = true;
  {
    Broker b(o, clock, std::make_unique<SqlitePersistence>(db.path.string()));
    Client sub(b, ProtocolVersion::v5);
    Properties props;
    props.session_expiry_interval = 3600;
    sub.connect("keeper", true, props);
    sub.subscribe("data/#", 1);
    sub.close();
    Client pub(b);
    pub.connect("pub");
    pub.publish("data/1", "queued", 1);
    pub.publish("cfg", "retained", 1, true);
    b.tick();
  }
  clock.advance(10s);
  Broker b(o, clock, std::make_unique<SqlitePersistence>(db.path.string()));
  EXPECT_EQ(b.stats().retained_count, 1u);
  Client sub(b, ProtocolVersion::v5);
  Properties props;
  props.session_expiry_interval = 3600;
  auto ack = sub.connect("keeper", false, props);
  EXPECT_TRUE(ack.session_present);
  auto got = sub.publishes();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(text(got[0]), "queued");
  Client pub(b);
  pub.connect("pub");
  pub.publish("data/2", "live", 1);
  EXPECT_EQ(sub.publishes().size(), 1u);  // subscription survived
}

// Session "c<i % clients>" holding one QoS 1 message of 6,000 bytes (bytes i).
StoredSession session_of_6kb(int i, int clients) {
  StoredSession s;
  s.client_id = "c" + std::to_string(i % clients);
  s.expiry_interval = 100;
  StoredMessage m;
  m.topic = "t";
  m.qos = 1;
  m.payload = make_payload(std::vector<std::uint8_t>(6000, static_cast<std::uint8_t>(i)));
  s.messages.push_back(m);
  return s;
}

// Sessions of ~6 KB rewritten again and again write the WAL ~45 times its hard size; the
// WAL file must stay near that size (the checkpointer copies in the background, the writer
// catches up between commits, and the WAL restarts), and everything must still be there.
TEST(SqlitePersistence, WalStaysBoundedUnderAStreamOfCommits) {
  TempDb db;
  SqlitePersistenceOptions o;
  o.wal = {.soft_frames = 16, .hard_frames = 64};
  o.checkpoint_period = 1ms;
  // Answers arrive on the writer's thread; the loop waits for each one before the next commit.
  SqlitePersistence p(
      db.path.string(), [](std::function<void()> f) { f(); }, o);
  ASSERT_TRUE(p.ok()) << p.open_error();
  const std::uint64_t frame = 4096 + 24;
  // Twice the hard size (wal_must_wait_for_pass) plus one commit (~4 frames here).
  const std::uint64_t bound = 32 + (2 * 64 + 8) * frame;
  std::uintmax_t largest_file = 0;
  std::uint64_t written = 0;
  for (int i = 0; i < 2000; ++i) {
    written += 6000;
    p.put_session(session_of_6kb(i, 8));
    std::promise<Status> done;
    p.commit([&done](Status st) { done.set_value(st); });
    ASSERT_TRUE(done.get_future().get());
    std::error_code ec;
    largest_file =
        std::max(largest_file, std::filesystem::file_size(db.path.string() + "-wal", ec));
  }
  const auto ws = p.wal_stats();
  EXPECT_GT(written, 40 * 64 * frame);  // 12 MB of payloads through a 0.26 MB WAL
  EXPECT_GT(ws.restarts, 10u);
  EXPECT_GT(ws.catch_ups, 0u);
  EXPECT_LE(ws.max_bytes, bound) << "restarts " << ws.restarts << " catch-ups " << ws.catch_ups
                                 << " deferred " << ws.catch_ups_deferred << " waited "
                                 << ws.catch_ups_waited << " passes " << ws.checkpoint_time.count();
  EXPECT_LE(largest_file, bound);
  auto st = p.load();
  ASSERT_TRUE(st);
  ASSERT_EQ(st->sessions.size(), 8u);
  for (const auto& s : st->sessions) {
    ASSERT_EQ(s.messages.size(), 1u);
    EXPECT_EQ(s.messages[0].payload->size(), 6000u);
  }
}

// What the persistence posts (answers, turns) runs on the test's thread, as on the broker's.
struct Posted {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> queue;
  storage::Post post() {
    return [this](std::function<void()> f) {
      std::lock_guard lock(mu);
      queue.push_back(std::move(f));
      cv.notify_one();
    };
  }
  // Runs the next posted function; false if none came within `timeout`.
  bool run_one(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, timeout, [&] { return !queue.empty(); })) return false;
    auto f = std::move(queue.front());
    queue.pop_front();
    lock.unlock();
    f();
    return true;
  }
};

// Commits what was recorded (not paced) and runs its answer.
Status commit_now(SqlitePersistence& p, Posted& posted) {
  Status st = Error::make(ErrorKind::internal, "test", "no answer");
  p.commit([&st](Status r) { st = r; });
  if (!posted.run_one(5s)) return Error::make(ErrorKind::internal, "test", "no answer posted");
  return st;
}

// A paced commit waits for its turn on the persistence thread; a WAL the checkpointer has wholly
// copied meanwhile is restarted there, in a transaction of its own, so the commit that follows
// only appends (its acknowledgements do not wait for the new WAL header's fsync).
TEST(SqlitePersistence, WalRestartsApartWhileACommitWaitsForItsTurn) {
  TempDb db;
  SqlitePersistenceOptions o;
  o.wal = {.soft_frames = 16, .hard_frames = 100'000};  // passes from 16 frames, no catch-ups
  o.checkpoint_period = 1ms;
  o.min_commit_interval = 30ms;
  Posted posted;
  SqlitePersistence p(db.path.string(), posted.post(), o);
  ASSERT_TRUE(p.ok()) << p.open_error();
  int commits = 0;
  for (int i = 0; i < 40 && p.wal_stats().restarts_apart == 0; ++i) {
    p.put_session(session_of_6kb(i, 4));
    bool turn = false;
    if (!p.ready_to_commit([&turn] { turn = true; })) {  // within 30 ms of the last one
      ASSERT_TRUE(posted.run_one(5s));
      ASSERT_TRUE(turn);
    }
    ASSERT_TRUE(commit_now(p, posted));
    ++commits;
  }
  const auto ws = p.wal_stats();
  EXPECT_GT(ws.restarts_apart, 0u)
      << "restarts " << ws.restarts << " passes " << ws.checkpoint_time.count();
  EXPECT_EQ(ws.restart_time.count(), ws.restarts_apart);
  auto st = p.load();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->sessions.size(), static_cast<std::size_t>(std::min(commits, 4)));
}

// When no commit waits for its turn (a pause in the traffic, or unpaced commits), a pass that
// has copied the whole WAL queues a restart of its own on the writer thread: the next commit
// only appends.
TEST(SqlitePersistence, WalRestartsApartWhenNoCommitWaits) {
  TempDb db;
  SqlitePersistenceOptions o;
  o.wal = {.soft_frames = 16, .hard_frames = 100'000};
  o.checkpoint_period = 1ms;
  Posted posted;
  SqlitePersistence p(db.path.string(), posted.post(), o);
  ASSERT_TRUE(p.ok()) << p.open_error();
  for (int i = 0; i < 16; ++i) p.put_session(session_of_6kb(i, 16));  // ~100 KB
  ASSERT_TRUE(commit_now(p, posted));
  ASSERT_GE(p.wal_stats().frames, 16u);
  // No further commit: only the queued restart can restart the WAL.
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (p.wal_stats().restarts_apart == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  const auto ws = p.wal_stats();
  EXPECT_EQ(ws.restarts_apart, 1u) << "restarts " << ws.restarts;
  EXPECT_EQ(ws.restarts, 1u);
  EXPECT_EQ(ws.restart_commit_time.count(), 0u);
}

// Pacing with an early take (commit_pacing.hpp): a cheap batch whose acknowledgements have
// stopped growing is taken long before its turn; one that rewrites many sessions is not. The
// persistence has committed once (the pacing counts from that take); quiet is 1 ms.
struct Pacing : ::testing::Test {
  TempDb db;
  Posted posted;
  std::unique_ptr<SqlitePersistence> p;
  std::chrono::steady_clock::time_point before_take;
  void open(std::chrono::milliseconds interval) {
    SqlitePersistenceOptions o;
    o.min_commit_interval = interval;
    o.commit_quiet = 1ms;
    p = std::make_unique<SqlitePersistence>(db.path.string(), posted.post(), o);
    ASSERT_TRUE(p->ok()) << p->open_error();
    p->put_session(session_of_6kb(0, 1));
    before_take = std::chrono::steady_clock::now();
    ASSERT_TRUE(commit_now(*p, posted));
    p->put_session(session_of_6kb(1, 1));
  }
};

TEST_F(Pacing, AQuietCheapBatchIsTakenBeforeItsTurn) {
  ASSERT_NO_FATAL_FAILURE(open(600s));  // only the early take can end the wait
  p->note_pending(1, 1);                // one acknowledgement waits, one session changed
  bool turn = false;
  ASSERT_FALSE(p->ready_to_commit([&turn] { turn = true; }));  // quiet for 1 ms first
  ASSERT_TRUE(posted.run_one(60s));
  EXPECT_TRUE(turn);
  ASSERT_TRUE(commit_now(*p, posted));
  EXPECT_EQ(p->pacing_counts().early_takes, 1u);
}

// The wait began with nothing acknowledged (its time was the interval's); the first
// acknowledgement moves it earlier and wakes it.
TEST_F(Pacing, TheFirstAcknowledgementWakesAWaitingCommit) {
  ASSERT_NO_FATAL_FAILURE(open(600s));
  p->note_pending(0, 1);  // a subscriber's session changed: nobody waits, the interval paces
  bool turn = false;
  ASSERT_FALSE(p->ready_to_commit([&turn] { turn = true; }));
  EXPECT_FALSE(posted.run_one(20ms));  // paced: no turn yet (600 s)
  p->note_pending(1, 1);
  ASSERT_TRUE(posted.run_one(60s));
  EXPECT_TRUE(turn);
}

TEST_F(Pacing, ABatchOfManySessionsWaitsForItsTurn) {
  ASSERT_NO_FATAL_FAILURE(open(300ms));
  p->note_pending(3, SqlitePersistenceOptions{}.commit_early_sessions + 1);
  bool turn = false;
  ASSERT_FALSE(p->ready_to_commit([&turn] { turn = true; }));
  ASSERT_TRUE(posted.run_one(60s));
  EXPECT_TRUE(turn);
  EXPECT_GE(std::chrono::steady_clock::now() - before_take, 300ms);
  EXPECT_EQ(p->pacing_counts().early_takes, 0u);
}

TEST(SqlitePersistence, OptionsFromBrokerSettings) {
  BrokerOptions b;
  b.commit_interval_ms = 3;
  b.persistence_wal_max_mb = 16;
  b.persistence_fsync_commits = true;
  auto o = persistence_options(b);
  EXPECT_EQ(o.min_commit_interval, 3ms);
  EXPECT_TRUE(o.fsync_commits);
  EXPECT_EQ(o.wal.hard_frames, 16u * 1024 * 1024 / 4120);
  EXPECT_EQ(o.wal.soft_frames, o.wal.hard_frames / 4);
}

}  // namespace
}  // namespace weir::mqtt
