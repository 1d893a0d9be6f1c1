#include "mqtt/broker/wal_policy.hpp"

#include <gtest/gtest.h>

namespace weir::mqtt {
namespace {

constexpr WalLimits kLimits{.soft_frames = 100, .hard_frames = 400};

TEST(WalPolicy, ShortWalNeedsNothing) {
  EXPECT_EQ(wal_step_after_commit(kLimits, 0, 0), WalStep::none);
  EXPECT_EQ(wal_step_after_commit(kLimits, 99, 0), WalStep::none);
  EXPECT_FALSE(wal_background_pass(kLimits, 99, 0, false));
}

TEST(WalPolicy, PastSoftTheCheckpointerCopiesWhatIsNew) {
  EXPECT_EQ(wal_step_after_commit(kLimits, 100, 0), WalStep::background);
  EXPECT_EQ(wal_step_after_commit(kLimits, 250, 200), WalStep::background);
  EXPECT_TRUE(wal_background_pass(kLimits, 100, 0, false));
  EXPECT_TRUE(wal_background_pass(kLimits, 250, 200, false));
  // All copied: nothing to do until the writer adds frames (or restarts the WAL).
  EXPECT_EQ(wal_step_after_commit(kLimits, 250, 250), WalStep::none);
  EXPECT_FALSE(wal_background_pass(kLimits, 250, 250, false));
}

TEST(WalPolicy, AtHardTheWriterCatchesUpAndNoPassStarts) {
  EXPECT_EQ(wal_step_after_commit(kLimits, 400, 390), WalStep::catch_up);
  EXPECT_EQ(wal_step_after_commit(kLimits, 5000, 0), WalStep::catch_up);
  // Even when everything is copied: the catch-up is what lets the next transaction restart the
  // WAL (cheap then: nothing to copy).
  EXPECT_EQ(wal_step_after_commit(kLimits, 400, 400), WalStep::catch_up);
  EXPECT_FALSE(wal_background_pass(kLimits, 400, 100, true));
  EXPECT_FALSE(wal_background_pass(kLimits, 150, 100, true));
}

TEST(WalPolicy, OnlyATwiceHardWalWaitsForAPass) {
  EXPECT_FALSE(wal_must_wait_for_pass(kLimits, 400));
  EXPECT_FALSE(wal_must_wait_for_pass(kLimits, 799));
  EXPECT_TRUE(wal_must_wait_for_pass(kLimits, 800));
}

TEST(WalPolicy, StaleCopiedCountFromAnEarlierCycleCountsAsNothing) {
  // A pass that finished after the WAL restarted reports frames of the old cycle.
  EXPECT_EQ(wal_step_after_commit(kLimits, 120, 390), WalStep::background);
  EXPECT_TRUE(wal_background_pass(kLimits, 120, 390, false));
  EXPECT_EQ(wal_step_after_commit(kLimits, 10, 390), WalStep::none);
}

TEST(WalPolicy, RestartApartOnlyWhenWhollyCopied) {
  EXPECT_FALSE(wal_restart_due(0, 0));        // empty (just restarted): nothing to restart
  EXPECT_FALSE(wal_restart_due(1200, 1000));  // a commit since the pass: the next one appends
  EXPECT_TRUE(wal_restart_due(1200, 1200));   // all copied: the next write would restart it
  EXPECT_FALSE(wal_restart_due(3, 1200));     // a stale count from an earlier cycle
}

}  // namespace
}  // namespace weir::mqtt
