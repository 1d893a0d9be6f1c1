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
