#include "mqtt/broker/commit_pacing.hpp"

#include <gtest/gtest.h>

namespace weir::mqtt {
namespace {

using namespace std::chrono_literals;
using T = CommitPacer::TimePoint;

constexpr CommitPacing kPacing{.interval = 2ms, .quiet = 200us, .early_sessions = 2};
const T t0 = T{} + 1h;  // any time well after the steady clock's epoch

TEST(CommitPacing, WithoutAcknowledgementsTheIntervalPaces) {
  CommitPacer p(kPacing);
  p.taken(t0);
  p.waiting(0, 1, t0 + 100us);  // a subscriber's PUBACK changed its session: nobody waits
  EXPECT_EQ(p.take_at(), t0 + 2ms);
  EXPECT_FALSE(p.may_take(t0 + 1999us));
  EXPECT_TRUE(p.may_take(t0 + 2ms));
}

TEST(CommitPacing, AQuietCheapBatchWithAcknowledgementsIsTakenEarly) {
  CommitPacer p(kPacing);
  p.taken(t0);
  p.waiting(1, 1, t0 + 100us);  // a lone publisher's first message after our answer
  EXPECT_EQ(p.take_at(), t0 + 300us);
  EXPECT_FALSE(p.may_take(t0 + 299us));
  EXPECT_TRUE(p.may_take(t0 + 300us));
  p.taken(t0 + 300us);
  EXPECT_EQ(p.counts().takes, 2u);
  EXPECT_EQ(p.counts().early_takes, 1u);
}

TEST(CommitPacing, GrowthHoldsTheEarlyTakeBackButNotPastTheInterval) {
  CommitPacer p(kPacing);
  p.taken(t0);
  p.waiting(1, 1, t0 + 100us);
  p.waiting(5, 1, t0 + 250us);
  EXPECT_EQ(p.take_at(), t0 + 450us);
  p.waiting(5, 1, t0 + 400us);  // nothing new: no effect
  EXPECT_EQ(p.take_at(), t0 + 450us);
  p.waiting(6, 1, t0 + 1900us);  // a stream that keeps growing is taken at its turn
  EXPECT_EQ(p.take_at(), t0 + 2ms);
}

TEST(CommitPacing, ABatchRewritingManySessionsWaitsForItsTurn) {
  CommitPacer p(kPacing);
  p.taken(t0);
  p.waiting(10, 10, t0 + 100us);  // ten publishers to ten persistent subscribers
  EXPECT_EQ(p.take_at(), t0 + 2ms);
  CommitPacer two(kPacing);
  two.taken(t0);
  two.waiting(3, 2, t0 + 100us);
  EXPECT_EQ(two.take_at(), t0 + 300us);
}

TEST(CommitPacing, AcknowledgementsOfTheRunningCommitAreNotTheNextBatch) {
  CommitPacer p(kPacing);
  p.waiting(20, 1, t0 - 500us);
  p.taken(t0);  // the 20 are in this batch, held until its answer
  p.waiting(20, 0, t0 + 50us);
  EXPECT_EQ(p.take_at(), t0 + 2ms);  // nothing arrived since the take: no early take
  p.waiting(0, 0, t0 + 120us);       // the answer released them: not growth
  EXPECT_EQ(p.take_at(), t0 + 2ms);
  p.waiting(1, 1, t0 + 170us);  // the next window's first message
  EXPECT_EQ(p.take_at(), t0 + 370us);
}

TEST(CommitPacing, ArrivalsDuringTheRunningCommitJoinTheNextBatch) {
  CommitPacer p(kPacing);
  p.waiting(3, 1, t0 - 300us);
  p.taken(t0);
  p.waiting(4, 1, t0 + 60us);   // arrived while the commit ran
  p.waiting(1, 1, t0 + 120us);  // the answer released the first three
  EXPECT_EQ(p.take_at(), t0 + 260us);
}

TEST(CommitPacing, QuietZeroNeverTakesEarly) {
  CommitPacer p({.interval = 2ms, .quiet = 0us, .early_sessions = 2});
  p.taken(t0);
  p.waiting(1, 1, t0 + 100us);
  EXPECT_EQ(p.take_at(), t0 + 2ms);
}

TEST(CommitPacing, AfterAPauseACommitTakesAtOnce) {
  CommitPacer p(kPacing);
  p.taken(t0);
  p.waiting(0, 0, t0 + 1s);
  EXPECT_TRUE(p.may_take(t0 + 1s));
  p.taken(t0 + 1s);
  EXPECT_EQ(p.counts().early_takes, 0u);
}

TEST(CommitPacing, ChangesTellsWhenTheClockIsNeeded) {
  CommitPacer p(kPacing);
  EXPECT_FALSE(p.changes(0, 0));
  EXPECT_TRUE(p.changes(0, 1));
  EXPECT_TRUE(p.grows(1));
  p.waiting(1, 1, t0);
  EXPECT_FALSE(p.changes(1, 1));
  EXPECT_FALSE(p.grows(0));
}

}  // namespace
}  // namespace weir::mqtt
