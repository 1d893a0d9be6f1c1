#include "security/audit_flood_guard.hpp"

#include <gtest/gtest.h>

namespace weir::security {
namespace {

using namespace std::chrono_literals;

TEST(AuditFloodGuard, WritesTheFirstOfAWindowThenCountsAndReportsTheRest) {
  ManualClock clock;
  AuditFloodGuard g({3, 60s, 100});
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(g.admit("k", "b", clock.mono()).write);
  for (int i = 0; i < 500; ++i) EXPECT_FALSE(g.admit("k", "b", clock.mono()).write);
  EXPECT_TRUE(g.admit("other", "b", clock.mono()).write);  // another key has its own budget
  EXPECT_EQ(g.left_out_total(), 500u);
  clock.advance(60s);
  auto d = g.admit("k", "b", clock.mono());
  EXPECT_TRUE(d.write);
  EXPECT_EQ(d.left_out_before, 500u);
  EXPECT_EQ(g.admit("k", "b", clock.mono()).left_out_before, 0u);
}

TEST(AuditFloodGuard, ManyKeysShareTheOverflowBucket) {
  ManualClock clock;
  AuditFloodGuard g({2, 60s, 10});
  int written = 0;
  for (int i = 0; i < 1000; ++i)
    written += g.admit("addr-" + std::to_string(i), "bucket", clock.mono()).write;
  EXPECT_LE(g.tracked(), 11u);
  EXPECT_EQ(written, 10 + 2);  // ten keys with their budget, then two through the bucket
  clock.advance(61s);
  EXPECT_TRUE(g.admit("fresh", "bucket", clock.mono()).write);  // stale keys were forgotten
}

}  // namespace
}  // namespace weir::security
