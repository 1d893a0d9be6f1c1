#include "core/clock.hpp"

#include <gtest/gtest.h>

namespace weir {
namespace {

TEST(Clock, Iso8601RoundTrip) {
  WallTime t = from_unix_ms(1'764'052'449'123);
  std::string s = to_iso8601(t);
  EXPECT_EQ(s, "2025-11-25T06:34:09.123Z");
  WallTime back;
  ASSERT_TRUE(parse_iso8601(s, back));
  EXPECT_EQ(to_unix_ms(back), 1'764'052'449'123);
  ASSERT_TRUE(parse_iso8601("2025-11-25T07:34:09+01:00", back));
  EXPECT_EQ(to_unix_ms(back), 1'764'052'449'000);
  EXPECT_FALSE(parse_iso8601("yesterday", back));
}

TEST(Clock, ManualClockMoves) {
  ManualClock c;
  auto a = c.now();
  c.advance(std::chrono::seconds(5));
  EXPECT_EQ(c.now() - a, std::chrono::seconds(5));
}

}  // namespace
}  // namespace weir
