#include "schedule/schedule_clock.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace weir::schedule {
namespace {

using namespace std::chrono;

sys_seconds utc(year_month_day d, int h, int m = 0, int s = 0) {
  return sys_seconds{sys_days{d}} + hours{h} + minutes{m} + seconds{s};
}

Cron cron(std::string_view text) {
  return Cron::parse(text).value();
}
TimeZone zone(std::string_view name) {
  return TimeZone::named(name).value();
}

// Ticks the clock every `step` from `from` to `to` (the injected wall time; no sleeping) and
// returns the scheduled times it fired.
std::vector<sys_seconds> run(ScheduleClock& clock, sys_seconds from, sys_seconds to,
                             seconds step = seconds{10}) {
  std::vector<sys_seconds> fired;
  for (auto t = from; t <= to; t += step)
    if (auto f = clock.tick(WallTime{t})) fired.push_back(f->scheduled);
  return fired;
}

TEST(ScheduleClock, NeverFiresAtStartUp) {
  // The fixture's schedule, started just after its time: nothing until the next day.
  ScheduleClock clock(cron("0 17 * * *"), TimeZone::utc(),
                      WallTime{utc(2026y / May / 4, 17, 0, 30)});
  EXPECT_EQ(clock.next_run(), utc(2026y / May / 5, 17));
  EXPECT_EQ(clock.last_run(), std::nullopt);
  EXPECT_TRUE(
      run(clock, utc(2026y / May / 4, 17, 0, 30), utc(2026y / May / 5, 16, 59, 50)).empty());
  // Started exactly at the time: that time is the start, not after it.
  ScheduleClock exact(cron("0 17 * * *"), TimeZone::utc(), WallTime{utc(2026y / May / 4, 17)});
  EXPECT_FALSE(exact.tick(WallTime{utc(2026y / May / 4, 17)} + milliseconds{500}));
  EXPECT_EQ(exact.next_run(), utc(2026y / May / 5, 17));
}

TEST(ScheduleClock, FiresAtItsTimeOnceAMinute) {
  ScheduleClock clock(cron("0 17 * * *"), TimeZone::utc(), WallTime{utc(2026y / May / 4, 16, 59)});
  EXPECT_FALSE(clock.tick(WallTime{utc(2026y / May / 4, 16, 59, 59)} + milliseconds{999}));
  const auto fire = clock.tick(WallTime{utc(2026y / May / 4, 17)});
  ASSERT_TRUE(fire);
  EXPECT_EQ(fire->scheduled, utc(2026y / May / 4, 17));
  EXPECT_EQ(fire->first_due, fire->scheduled);
  // Ticks later in the same second and minute do nothing.
  EXPECT_FALSE(clock.tick(WallTime{utc(2026y / May / 4, 17)} + milliseconds{400}));
  EXPECT_FALSE(clock.tick(WallTime{utc(2026y / May / 4, 17, 0, 59)}));
  EXPECT_EQ(clock.last_run(), utc(2026y / May / 4, 17));
  EXPECT_EQ(clock.next_run(), utc(2026y / May / 5, 17));

  ScheduleClock every(cron("*/15 * * * *"), TimeZone::utc(), WallTime{utc(2026y / May / 4, 9, 59)});
  EXPECT_EQ(run(every, utc(2026y / May / 4, 9, 59), utc(2026y / May / 4, 11), seconds{5}),
            (std::vector{utc(2026y / May / 4, 10), utc(2026y / May / 4, 10, 15),
                         utc(2026y / May / 4, 10, 30), utc(2026y / May / 4, 10, 45),
                         utc(2026y / May / 4, 11)}));
}

TEST(ScheduleClock, AClockStepBackwardsNeverFiresATimeAgain) {
  ScheduleClock clock(cron("* * * * *"), TimeZone::utc(), WallTime{utc(2026y / May / 4, 12)});
  EXPECT_EQ(run(clock, utc(2026y / May / 4, 12, 0, 10), utc(2026y / May / 4, 12, 3)),
            (std::vector{utc(2026y / May / 4, 12, 1), utc(2026y / May / 4, 12, 2),
                         utc(2026y / May / 4, 12, 3)}));
  // NTP steps the clock back 5 minutes: 11:58 .. 12:03 already fired, nothing fires again.
  EXPECT_TRUE(run(clock, utc(2026y / May / 4, 11, 58), utc(2026y / May / 4, 12, 3, 50)).empty());
  EXPECT_EQ(clock.last_run(), utc(2026y / May / 4, 12, 3));
  EXPECT_EQ(clock.next_run(), utc(2026y / May / 4, 12, 4));
  EXPECT_EQ(run(clock, utc(2026y / May / 4, 12, 4), utc(2026y / May / 4, 12, 5)),
            (std::vector{utc(2026y / May / 4, 12, 4), utc(2026y / May / 4, 12, 5)}));
}

TEST(ScheduleClock, AClockStepForwardsFiresTheMissedTimesOnce) {
  ScheduleClock clock(cron("0 * * * *"), TimeZone::utc(), WallTime{utc(2026y / May / 4, 16, 30)});
  // The clock jumps from 16:30 to 20:10: 17, 18, 19 and 20 h were passed; one fire.
  const auto fire = clock.tick(WallTime{utc(2026y / May / 4, 20, 10)});
  ASSERT_TRUE(fire);
  EXPECT_EQ(fire->first_due, utc(2026y / May / 4, 17));
  EXPECT_EQ(fire->scheduled, utc(2026y / May / 4, 20));
  EXPECT_FALSE(clock.tick(WallTime{utc(2026y / May / 4, 20, 10, 1)}));
  EXPECT_EQ(clock.last_run(), utc(2026y / May / 4, 20));
  EXPECT_EQ(clock.next_run(), utc(2026y / May / 4, 21));
}

TEST(ScheduleClock, TheLastRunGivenIsNotFiredAgain) {
  // Restarted at 16:59:50 after a step back, having fired 17:00 before: not again today.
  ScheduleClock clock(cron("0 17 * * *"), TimeZone::utc(),
                      WallTime{utc(2026y / May / 4, 16, 59, 50)}, utc(2026y / May / 4, 17));
  EXPECT_TRUE(run(clock, utc(2026y / May / 4, 16, 59, 50), utc(2026y / May / 4, 17, 1)).empty());
  EXPECT_EQ(clock.next_run(), utc(2026y / May / 5, 17));
  EXPECT_EQ(clock.last_run(), utc(2026y / May / 4, 17));
}

TEST(ScheduleClock, MadridSpringForwardFiresAtTheEndOfTheGapOnce) {
  // 29 March 2026: 02:00 CET becomes 03:00 CEST (01:00 UTC).
  const auto start = utc(2026y / March / 28, 23);
  ScheduleClock half_past_two(cron("30 2 * * *"), zone("Europe/Madrid"), WallTime{start});
  EXPECT_EQ(half_past_two.next_run(), utc(2026y / March / 29, 1));
  EXPECT_EQ(run(half_past_two, start, utc(2026y / March / 30, 3)),
            (std::vector{utc(2026y / March / 29, 1), utc(2026y / March / 30, 0, 30)}));

  // Four times inside the gap, one fire; the 03:00 time is that same instant.
  ScheduleClock quarters(cron("*/15 2-3 * * *"), zone("Europe/Madrid"), WallTime{start});
  EXPECT_EQ(run(quarters, start, utc(2026y / March / 29, 2)),
            (std::vector{utc(2026y / March / 29, 1), utc(2026y / March / 29, 1, 15),
                         utc(2026y / March / 29, 1, 30), utc(2026y / March / 29, 1, 45)}));
}

TEST(ScheduleClock, MadridFallBackFiresTheFirstOccurrenceOnly) {
  // 25 October 2026: 03:00 CEST becomes 02:00 CET; 02:30 happens at 00:30 and 01:30 UTC.
  const auto start = utc(2026y / October / 24, 22);
  ScheduleClock clock(cron("30 2 * * *"), zone("Europe/Madrid"), WallTime{start});
  EXPECT_EQ(run(clock, start, utc(2026y / October / 26, 3)),
            (std::vector{utc(2026y / October / 25, 0, 30), utc(2026y / October / 26, 1, 30)}));
}

TEST(ScheduleClock, NewYorkDaylightSavingBothWays) {
  const auto ny = zone("America/New_York");
  // 8 March 2026, 02:00 EST → 03:00 EDT (07:00 UTC).
  ScheduleClock spring(cron("30 2 * * *"), ny, WallTime{utc(2026y / March / 8, 0)});
  EXPECT_EQ(run(spring, utc(2026y / March / 8, 0), utc(2026y / March / 9, 8)),
            (std::vector{utc(2026y / March / 8, 7), utc(2026y / March / 9, 6, 30)}));
  // 1 November 2026, 02:00 EDT → 01:00 EST: every quarter of 01:xx fires in EDT only, then
  // nothing until 02:00 EST (07:00 UTC).
  ScheduleClock fall(cron("*/15 * * * *"), ny, WallTime{utc(2026y / November / 1, 4, 50)});
  EXPECT_EQ(run(fall, utc(2026y / November / 1, 4, 50), utc(2026y / November / 1, 7, 20)),
            (std::vector{utc(2026y / November / 1, 5), utc(2026y / November / 1, 5, 15),
                         utc(2026y / November / 1, 5, 30), utc(2026y / November / 1, 5, 45),
                         utc(2026y / November / 1, 7), utc(2026y / November / 1, 7, 15)}));
  EXPECT_EQ(next_fire_after(cron("*/15 * * * *"), ny, utc(2026y / November / 1, 6, 5)),
            utc(2026y / November / 1, 7));
}

TEST(ScheduleClock, AZoneWithoutDaylightSaving) {
  const auto start = utc(2026y / March / 1, 0);
  ScheduleClock clock(cron("0 9 * * *"), zone("Asia/Kolkata"), WallTime{start});
  const auto fired = run(clock, start, utc(2026y / November / 30, 0), minutes{1});
  ASSERT_EQ(fired.size(), 274u);  // every day from 1 March to 29 November
  for (const auto t : fired) EXPECT_EQ(t - floor<days>(t), hours{3} + minutes{30});
}

TEST(ScheduleClock, LeapDayFiresOnlyInLeapYears) {
  ScheduleClock clock(cron("0 12 29 2 *"), TimeZone::utc(), WallTime{utc(2025y / March / 1, 0)});
  EXPECT_EQ(clock.next_run(), utc(2028y / February / 29, 12));
  EXPECT_EQ(next_fire_after(clock.cron(), clock.zone(), utc(2028y / February / 29, 12)),
            utc(2032y / February / 29, 12));
}

}  // namespace
}  // namespace weir::schedule
