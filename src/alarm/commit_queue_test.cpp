// The group commit (CommitQueue, pure) and AlarmStore::commit on a real SQLite file: what is
// published waits for the commit of the rows before it, in order, and a burst shares commits.
#include "alarm/commit_queue.hpp"

#include <gtest/gtest.h>

#include <future>

#include "alarm/alarm_store.hpp"
#include "storage/statement.hpp"
#include "storage/storage_test_support.hpp"

namespace weir::alarm {
namespace {

using namespace std::chrono_literals;

const WallTime kT0{std::chrono::seconds{1'700'000'000}};

// One transition: a journal row, a saved state and its AlarmUpdate.
CommitBatch transition(const std::string& rule, AlarmState state, AlarmTable::Slot slot = 0) {
  CommitBatch b;
  JournalEntry j;
  j.time = kT0;
  j.rule_id = rule;
  j.occurrence_id = rule + ":1";
  j.state = state;
  b.rows.journal.push_back(j);
  b.rows.states.push_back({rule, "{}"});
  model::AlarmUpdate u;
  u.rule_id = rule;
  u.occurrence_id = j.occurrence_id;
  u.state = state;
  b.publish.slots.push_back(slot);
  b.publish.announcements.emplace_back(u);
  return b;
}

std::vector<std::string> rules_of(const Publications& p) {
  std::vector<std::string> out;
  for (const auto& a : p.announcements)
    if (const auto* u = std::get_if<model::AlarmUpdate>(&a)) out.push_back(u->rule_id);
  return out;
}

TEST(CommitQueue, TheBatchesOfATurnShareTheFirstCommitAndPublishWhenDone) {
  CommitQueue q;
  EXPECT_TRUE(q.add(transition("a", AlarmState::ACTIVE)));      // the caller schedules start()
  EXPECT_FALSE(q.add(transition("b", AlarmState::ACTIVE, 1)));  // same turn: start() is due
  EXPECT_FALSE(q.running());
  auto rows = q.start();
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->journal.size(), 2u);
  EXPECT_EQ(rows->states.size(), 2u);
  EXPECT_TRUE(q.running());
  EXPECT_FALSE(q.start());  // nothing more
  auto d = q.done();
  EXPECT_EQ(rules_of(d.publish), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(d.publish.slots, (std::vector<AlarmTable::Slot>{0, 1}));
  EXPECT_FALSE(d.next);
  EXPECT_FALSE(q.running());
  EXPECT_EQ(q.commits(), 1u);
}

TEST(CommitQueue, WhatArrivesDuringACommitWaitsAndSharesTheNextOne) {
  CommitQueue q;
  ASSERT_TRUE(q.add(transition("a", AlarmState::ACTIVE)));
  ASSERT_TRUE(q.start());
  // A burst while the first commit runs: nothing to start, nothing published yet.
  EXPECT_FALSE(q.add(transition("b", AlarmState::ACTIVE, 1)));
  EXPECT_FALSE(q.add(transition("c", AlarmState::ACTIVE, 2)));
  EXPECT_FALSE(q.add(transition("b", AlarmState::ACK, 1)));
  EXPECT_FALSE(q.start());
  auto first = q.done();
  EXPECT_EQ(rules_of(first.publish), std::vector<std::string>{"a"});  // only the committed one
  ASSERT_TRUE(first.next);
  EXPECT_EQ(first.next->journal.size(), 3u);  // one commit for the three
  EXPECT_EQ(first.next->journal[2].state, AlarmState::ACK);
  EXPECT_TRUE(q.running());
  auto second = q.done();
  EXPECT_EQ(rules_of(second.publish), (std::vector<std::string>{"b", "c", "b"}));
  EXPECT_EQ(second.publish.slots, (std::vector<AlarmTable::Slot>{1, 2, 1}));
  EXPECT_FALSE(second.next);
  EXPECT_FALSE(q.running());
  EXPECT_EQ(q.commits(), 2u);
  EXPECT_TRUE(q.add(transition("d", AlarmState::ACTIVE)));  // idle again: a start is due
}

TEST(CommitQueue, AnnouncementsWithoutRowsKeepTheirPlace) {
  CommitQueue q;
  ASSERT_TRUE(q.add(transition("a", AlarmState::ACTIVE)));
  ASSERT_TRUE(q.start());
  CommitBatch restored;  // start(): nothing to write, but after "a"
  restored.publish.announcements.emplace_back(model::AlarmsRestored{{"a:1"}, kT0});
  EXPECT_FALSE(q.add(std::move(restored)));
  auto d = q.done();
  EXPECT_EQ(rules_of(d.publish), std::vector<std::string>{"a"});
  ASSERT_TRUE(d.next);
  EXPECT_TRUE(d.next->empty());  // the caller reports it done at once
  auto e = q.done();
  ASSERT_EQ(e.publish.announcements.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<model::AlarmsRestored>(e.publish.announcements[0]));
}

TEST(CommitQueue, ALateCommitsTransitionsArePublishedWithoutItsAnswer) {
  CommitQueue q;
  ASSERT_TRUE(q.add(transition("a", AlarmState::ACTIVE)));
  ASSERT_TRUE(q.start());
  EXPECT_FALSE(q.add(transition("b", AlarmState::ACTIVE, 1)));
  // The disk hangs: what the running and the waiting batches hold is published now, in order.
  auto late = q.take_late();
  EXPECT_EQ(rules_of(late), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(late.slots, (std::vector<AlarmTable::Slot>{0, 1}));
  EXPECT_TRUE(q.take_late().empty());  // nothing twice
  EXPECT_TRUE(q.running());
  EXPECT_FALSE(q.add(transition("c", AlarmState::ACTIVE, 2)));  // after the take
  // The disk answers: nothing of a or b again; b's rows are still written (the next commit),
  // and c is published when that commit answers.
  auto d = q.done();
  EXPECT_TRUE(d.publish.empty());
  ASSERT_TRUE(d.next);
  ASSERT_EQ(d.next->journal.size(), 2u);
  EXPECT_EQ(d.next->journal[0].rule_id, "b");
  EXPECT_EQ(d.next->journal[1].rule_id, "c");
  EXPECT_EQ(rules_of(q.done().publish), std::vector<std::string>{"c"});
}

TEST(CommitQueue, WhatWaitsForAHungCommitIsBounded) {
  CommitQueue q;
  ASSERT_TRUE(q.add(transition("a", AlarmState::ACTIVE)));
  ASSERT_TRUE(q.start());  // and it never answers
  const std::size_t n = CommitQueue::kMaxWaitingRows + 5;
  for (std::size_t i = 0; i < n; ++i)
    q.add(transition(i % 2 ? "b" : "c", i % 2 ? AlarmState::ACTIVE : AlarmState::INACTIVE));
  EXPECT_EQ(q.dropped(), 5u);  // the oldest journal rows
  auto d = q.done();
  ASSERT_TRUE(d.next);
  EXPECT_EQ(d.next->journal.size(), CommitQueue::kMaxWaitingRows);
  EXPECT_EQ(d.next->journal.back().rule_id, (n - 1) % 2 ? "b" : "c");
  // Past the bound the states were cut to each rule's latest (2), then grew again by the rest.
  EXPECT_EQ(d.next->states.size(), 2u + (n - CommitQueue::kMaxWaitingRows - 1));
}

TEST(CommitQueue, DrainHandsOverTheRunningAndTheWaiting) {
  CommitQueue q;
  ASSERT_TRUE(q.add(transition("a", AlarmState::ACTIVE)));
  ASSERT_TRUE(q.start());
  EXPECT_FALSE(q.add(transition("b", AlarmState::ACTIVE)));
  AlarmRows rows;
  auto p = q.drain(rows);
  EXPECT_EQ(rules_of(p), (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(rows.journal.size(), 1u);  // b's: a's commit was already running
  EXPECT_EQ(rows.journal[0].rule_id, "b");
  EXPECT_FALSE(q.running());
  EXPECT_TRUE(q.add(transition("c", AlarmState::ACTIVE)));  // usable again
}

// The store's commit: when `done` runs, the journal rows and the states are readable (committed),
// all of a batch in one transaction; a state "" deletes.
TEST(AlarmStoreCommit, RowsAreCommittedBeforeDoneIsCalled) {
  storage::testing::TempDir dir;
  ManualClock clock(kT0 + 1s);
  AlarmStoreOptions o;
  o.background_thread = false;  // no periodic flush: only the commit writes
  o.clock = &clock;
  auto store = AlarmStore::open(dir.file("alarms.db"), std::move(o));
  ASSERT_TRUE(store) << store.error().message;
  auto batch = transition("a", AlarmState::ACTIVE);
  auto more = transition("b", AlarmState::ACTIVE);
  batch.rows.journal.push_back(more.rows.journal[0]);
  batch.rows.states.push_back(more.rows.states[0]);
  std::promise<std::pair<std::size_t, std::size_t>> seen;  // (journal rows, states) at `done`
  (*store)->commit(std::move(batch.rows), [&](Status st) {
    ASSERT_TRUE(st) << st.error().message;
    // `done` runs on the storage thread here (no Post): look at the file through a second
    // connection, as a restarted weir would.
    auto db = storage::Database::open(dir.file("alarms.db"));
    ASSERT_TRUE(db) << db.error().message;
    auto count = [&](const char* sql) {
      auto s = (*db)->prepare(sql);
      EXPECT_TRUE(s);
      auto n = s->collect([](const storage::Statement& r) { return r.int64(0); });
      return n && !n->empty() ? static_cast<std::size_t>((*n)[0]) : 0;
    };
    seen.set_value(
        {count("SELECT count(*) FROM alarm_journal"), count("SELECT count(*) FROM alarm_current")});
  });
  EXPECT_EQ(seen.get_future().get(), (std::pair<std::size_t, std::size_t>{2, 2}));
  std::promise<Status> deleted;
  (*store)->commit(AlarmRows{{}, {{"a", ""}}}, [&](Status st) { deleted.set_value(st); });
  ASSERT_TRUE(deleted.get_future().get());
  auto saved = (*store)->load();
  ASSERT_TRUE(saved);
  ASSERT_EQ(saved->size(), 1u);
  EXPECT_EQ((*saved)[0].first, "b");
  auto journal = (*store)->query_now({});
  ASSERT_TRUE(journal);
  EXPECT_EQ(journal->size(), 2u);
}

// A commit that fails (here: its table gone, dropped by another connection) answers the error,
// and its rows wait in the writer's queue: written by the next flush once the table is back.
TEST(AlarmStoreCommit, AFailedCommitAnswersTheErrorAndItsRowsAreRetried) {
  storage::testing::TempDir dir;
  ManualClock clock(kT0 + 1s);
  AlarmStoreOptions o;
  o.background_thread = false;
  o.clock = &clock;
  auto store = AlarmStore::open(dir.file("alarms.db"), std::move(o));
  ASSERT_TRUE(store) << store.error().message;
  auto other = storage::Database::open(dir.file("alarms.db"));
  ASSERT_TRUE(other) << other.error().message;
  ASSERT_TRUE((*other)->exec("DROP TABLE alarm_current"));
  std::promise<Status> answer;
  (*store)->commit(transition("a", AlarmState::ACTIVE).rows,
                   [&](Status st) { answer.set_value(st); });
  auto st = answer.get_future().get();
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("alarm_current"), std::string::npos) << st.error().message;
  EXPECT_EQ((*store)->stats().pending, 2u);  // the journal row and the state, queued
  ASSERT_TRUE(
      (*other)->exec("CREATE TABLE alarm_current (rule_id TEXT PRIMARY KEY, state TEXT NOT NULL)"));
  ASSERT_TRUE((*store)->flush());
  auto journal = (*store)->query_now({});
  ASSERT_TRUE(journal);
  EXPECT_EQ(journal->size(), 1u);
  auto saved = (*store)->load();
  ASSERT_TRUE(saved);
  EXPECT_EQ(saved->size(), 1u);
}

}  // namespace
}  // namespace weir::alarm
