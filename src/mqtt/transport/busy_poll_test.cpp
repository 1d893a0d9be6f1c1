#include "mqtt/transport/busy_poll.hpp"

#include <gtest/gtest.h>

namespace weir::mqtt {
namespace {

using std::chrono::microseconds;

// Drives a BusyPoll through idle periods the way TcpPoller does: a batch of `work`, then empty
// polls every `step` until events come after `gap` (or the poller gives up and sleeps).
struct Loop {
  BusyPoll bp;
  MonoTime now = MonoTime{} + std::chrono::seconds(10);
  microseconds step{1};

  explicit Loop(microseconds budget) : bp(budget) {}

  // One round: events, then an idle gap. Returns whether the poller was still spinning when the
  // next events came (a wake-up saved).
  bool round(microseconds work, microseconds gap) {
    bp.on_events(now, work);
    now += work;
    const MonoTime next = now + gap;
    bool spun_through = true;
    while (now < next) {
      if (!bp.keep_polling(now)) {
        spun_through = false;
        break;
      }
      now += step;
    }
    now = next;
    return spun_through;
  }
};

TEST(BusyPoll, ZeroBudgetNeverSpins) {
  Loop l(microseconds(0));
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(l.round(microseconds(30), microseconds(5)));
  EXPECT_EQ(l.bp.stats().hits + l.bp.stats().misses, 0u);
}

TEST(BusyPoll, DenseTrafficTurnsSpinningOn) {
  // A window pipeline: 30 µs of work, the next events 10 µs later, every time.
  Loop l(microseconds(50));
  int saved = 0;
  for (int i = 0; i < 1000; ++i) saved += l.round(microseconds(30), microseconds(10)) ? 1 : 0;
  // Trials every 32nd idle period raise the hit rate; after ~11 trials it spins every time.
  EXPECT_GT(saved, 1000 - 32 * 12);
  EXPECT_TRUE(l.round(microseconds(30), microseconds(10)));
  EXPECT_EQ(l.bp.stats().misses, 0u);
  EXPECT_GT(l.bp.hit_rate(), 0.99);
}

TEST(BusyPoll, SparseTrafficSleepsAndOnlyTrials) {
  // Events every 2 ms: a spin would never pay.
  Loop l(microseconds(50));
  for (int i = 0; i < 3200; ++i) EXPECT_FALSE(l.round(microseconds(30), microseconds(2000)));
  // One trial spin per 32 idle periods, each a miss of at most the budget.
  EXPECT_EQ(l.bp.stats().hits, 0u);
  EXPECT_EQ(l.bp.stats().misses, 100u);
  EXPECT_LE(l.bp.stats().spin_time, microseconds(51) * 100);
}

TEST(BusyPoll, TrafficThatThinsOutTurnsSpinningOff) {
  Loop l(microseconds(50));
  for (int i = 0; i < 1000; ++i) l.round(microseconds(30), microseconds(10));
  ASSERT_TRUE(l.round(microseconds(30), microseconds(10)));
  // Now the gaps exceed the budget: a few misses bring the hit rate under 3/4 and it sleeps.
  int spins = 0;
  for (int i = 0; i < 100; ++i) {
    const auto before = l.bp.stats().misses;
    l.round(microseconds(30), microseconds(500));
    spins += l.bp.stats().misses > before ? 1 : 0;
  }
  EXPECT_LE(spins, 3 + 100 / 32 + 1);
  EXPECT_LT(l.bp.hit_rate(), BusyPoll::kEnterRate);
}

TEST(BusyPoll, SpinningAtMostDoublesTheThreadsTime) {
  // Little work (2 µs) and gaps of 40 µs, inside the budget: spinning through every gap would
  // be 20 times the work, so the credit cuts the spins and the spin time stays under the work.
  Loop l(microseconds(50));
  const int rounds = 10000;
  for (int i = 0; i < rounds; ++i) l.round(microseconds(2), microseconds(40));
  EXPECT_GT(l.bp.stats().cut, 0u);
  EXPECT_LE(l.bp.stats().spin_time, microseconds(2) * rounds + microseconds(50));
}

TEST(BusyPoll, CreditFromLongAgoIsCapped) {
  Loop l(microseconds(50));
  for (int i = 0; i < 1000; ++i) l.round(microseconds(30), microseconds(10));
  // One long busy stretch (a 1 s batch) earns at most kMaxCredit of spinning.
  l.bp.on_events(l.now, std::chrono::seconds(1));
  l.now += std::chrono::seconds(1);
  const auto before = l.bp.stats().spin_time;
  for (int i = 0; i < 1000; ++i) l.round(microseconds(0), microseconds(40));
  EXPECT_LE(l.bp.stats().spin_time - before, BusyPoll::kMaxCredit + microseconds(50));
}

}  // namespace
}  // namespace weir::mqtt
