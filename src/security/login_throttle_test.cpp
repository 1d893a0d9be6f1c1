#include "security/login_throttle.hpp"

#include <gtest/gtest.h>

namespace weir::security {
namespace {

using namespace std::chrono_literals;

TEST(LoginThrottle, FiveFailuresLockTheUserForFiveMinutes) {
  ManualClock clock;
  LoginThrottle t(clock);
  for (int i = 0; i < 4; ++i) {
    auto f = t.record_failure("olga", "10.0.0.1");
    EXPECT_FALSE(f.lockout_started);
    EXPECT_FALSE(f.state.locked());
    clock.advance(10s);
  }
  auto fifth = t.record_failure("OLGA", "10.0.0.2");  // case-insensitive username
  EXPECT_TRUE(fifth.lockout_started);
  EXPECT_EQ(fifth.state.retry_after, 300s);
  EXPECT_EQ(fifth.state.key, ThrottleKey::user);

  clock.advance(100s);
  auto st = t.check("olga", "10.0.0.3");
  EXPECT_TRUE(st.locked());
  EXPECT_EQ(st.retry_after, 200s);
  EXPECT_FALSE(t.check("erik", "10.0.0.1").locked());

  clock.advance(500ms);
  EXPECT_EQ(t.check("olga", "").retry_after, 200s);  // rounded up

  clock.advance(200s);
  EXPECT_FALSE(t.check("olga", "10.0.0.1").locked());
}

TEST(LoginThrottle, WindowSlides) {
  ManualClock clock;
  LoginThrottle t(clock);
  for (int i = 0; i < 4; ++i) t.record_failure("olga", "");
  clock.advance(5min);  // those four leave the window
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(t.record_failure("olga", "").lockout_started);
  EXPECT_TRUE(t.record_failure("olga", "").lockout_started);
}

TEST(LoginThrottle, RepeatedLockoutsGrowUpToTheCap) {
  ManualClock clock;
  LoginThrottle t(clock);
  std::chrono::seconds expected[] = {300s, 600s, 1200s, 2400s, 3600s, 3600s};
  for (auto want : expected) {
    FailureOutcome f;
    for (int i = 0; i < 5; ++i) f = t.record_failure("olga", "");
    EXPECT_TRUE(f.lockout_started);
    EXPECT_EQ(f.state.retry_after, want);
    clock.advance(want);
  }
  // A quiet day later the key starts afresh.
  clock.advance(25h);
  FailureOutcome f;
  for (int i = 0; i < 5; ++i) f = t.record_failure("olga", "");
  EXPECT_EQ(f.state.retry_after, 300s);
}

TEST(LoginThrottle, PerAddressAcrossUsernames) {
  ManualClock clock;
  LoginThrottle t(clock);
  FailureOutcome f;
  for (int i = 0; i < 20; ++i) f = t.record_failure("user" + std::to_string(i), "192.0.2.7");
  EXPECT_TRUE(f.lockout_started);
  auto st = t.check("someone-else", "192.0.2.7");
  EXPECT_TRUE(st.locked());
  EXPECT_EQ(st.key, ThrottleKey::address);
  EXPECT_FALSE(t.check("someone-else", "192.0.2.8").locked());
}

TEST(LoginThrottle, SuccessClearsTheUserButNotTheAddress) {
  ManualClock clock;
  LoginThrottle t(clock);
  for (int i = 0; i < 4; ++i) t.record_failure("olga", "192.0.2.7");
  t.record_success("olga", "192.0.2.7");
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(t.record_failure("olga", "192.0.2.9").lockout_started);
  EXPECT_TRUE(t.record_failure("olga", "192.0.2.9").lockout_started);
}

TEST(LoginThrottle, MemoryIsBounded) {
  ManualClock clock;
  ThrottlePolicy p;
  p.max_tracked = 100;
  LoginThrottle t(clock, p);
  for (int i = 0; i < 1000; ++i) {
    t.record_failure("name" + std::to_string(i), "");
    clock.advance(1s);
  }
  EXPECT_LE(t.tracked(), 101u);
}

TEST(LoginThrottle, VerificationsInFlightCountAgainstTheKey) {
  ManualClock clock;
  LoginThrottle t(clock);
  // 60 concurrent attempts: only as many as the limit may start verifying.
  int reserved = 0;
  for (int i = 0; i < 60; ++i) {
    auto st = t.reserve("admin", "10.0.0.1");
    if (!st.locked())
      ++reserved;
    else
      EXPECT_EQ(st.retry_after, 1s);  // those in flight settle first
  }
  EXPECT_EQ(reserved, 5);
  EXPECT_EQ(t.in_flight(), 5u);
  FailureOutcome last;
  for (int i = 0; i < 5; ++i) last = t.settle_failure("admin", "10.0.0.1");
  EXPECT_TRUE(last.lockout_started);
  EXPECT_EQ(t.in_flight(), 0u);
  EXPECT_EQ(t.reserve("admin", "10.0.0.2").retry_after, 300s);  // locked: the right one too
}

TEST(LoginThrottle, ARightPasswordIsRefusedWhenTheKeyLockedMeanwhile) {
  ManualClock clock;
  LoginThrottle t(clock);
  for (int i = 0; i < 4; ++i) t.record_failure("olga", "");
  ASSERT_FALSE(t.reserve("olga", "").locked());  // the right password, verifying
  t.record_failure("olga", "");                  // meanwhile another attempt fails
  EXPECT_TRUE(t.settle_success("olga", "").locked());
  // Released attempts (never verified) count nothing.
  clock.advance(1h);
  ASSERT_FALSE(t.reserve("erik", "").locked());
  t.release("erik", "");
  EXPECT_EQ(t.in_flight(), 0u);
  EXPECT_FALSE(t.check("erik", "").locked());
  ASSERT_FALSE(t.reserve("erik", "").locked());
  EXPECT_FALSE(t.settle_success("erik", "").locked());
}

}  // namespace
}  // namespace weir::security
