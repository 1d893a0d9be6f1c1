#include "mqtt/transport/accept_rate_limiter.hpp"

#include <gtest/gtest.h>

namespace weir::mqtt {
namespace {

TEST(AcceptRateLimiter, ZeroMeansUnlimited) {
  AcceptRateLimiter l(0);
  MonoTime t{};
  for (int i = 0; i < 100000; ++i) ASSERT_TRUE(l.allow(t));
}

TEST(AcceptRateLimiter, BurstThenRefill) {
  AcceptRateLimiter l(10);
  MonoTime t = MonoTime{} + std::chrono::seconds(100);
  int allowed = 0;
  for (int i = 0; i < 20; ++i) allowed += l.allow(t) ? 1 : 0;
  EXPECT_EQ(allowed, 10);
  EXPECT_FALSE(l.allow(t));
  t += std::chrono::milliseconds(250);  // 2.5 tokens
  EXPECT_TRUE(l.allow(t));
  EXPECT_TRUE(l.allow(t));
  EXPECT_FALSE(l.allow(t));
}

}  // namespace
}  // namespace weir::mqtt

namespace weir::mqtt {
namespace {

TEST(AcceptRateLimiter, AdmitSaysHowLongToPause) {
  AcceptRateLimiter l(1000);
  MonoTime t = MonoTime{} + std::chrono::seconds(100);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(l.admit(t), std::chrono::nanoseconds::zero());
  const auto wait = l.admit(t);  // the burst is spent: one token comes back in 1 ms
  EXPECT_EQ(wait, std::chrono::milliseconds(1));
  t += wait;
  EXPECT_EQ(l.admit(t), std::chrono::nanoseconds::zero());
  t += std::chrono::microseconds(500);  // half a token
  EXPECT_EQ(l.admit(t), std::chrono::microseconds(500));
}

TEST(AcceptRateLimiter, PauseIsBounded) {
  AcceptRateLimiter l(1);  // one per second: never more than a second's pause
  MonoTime t = MonoTime{} + std::chrono::seconds(100);
  EXPECT_EQ(l.admit(t), std::chrono::nanoseconds::zero());
  EXPECT_EQ(l.admit(t), std::chrono::seconds(1));
  EXPECT_EQ(l.admit(t + std::chrono::milliseconds(400)), std::chrono::milliseconds(600));
}

TEST(AcceptRateLimiter, StormIsAdmittedAtTheRate) {
  // 10,000 waiting connections at 2,000/s: all admitted, the 8,000 beyond the
  // burst in 4 s.
  AcceptRateLimiter l(2000);
  MonoTime t = MonoTime{} + std::chrono::seconds(100);
  const MonoTime start = t;
  int admitted = 0, pauses = 0;
  while (admitted < 10000) {
    const auto wait = l.admit(t);
    if (wait == std::chrono::nanoseconds::zero()) {
      ++admitted;
    } else {
      ++pauses;
      t += wait;
    }
  }
  EXPECT_EQ(pauses, 8000);
  EXPECT_NEAR(std::chrono::duration<double>(t - start).count(), 4.0, 0.01);
}

}  // namespace
}  // namespace weir::mqtt
