#include "schedule/cron.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace weir::schedule {
namespace {

using namespace std::chrono;

LocalMinutes at(year_month_day d, int h, int m) {
  return LocalMinutes{local_days{d}.time_since_epoch() + hours{h} + minutes{m}};
}

Cron compile(std::string_view text) {
  auto c = Cron::parse(text);
  EXPECT_TRUE(c) << text << ": " << (c ? "" : c.error().message);
  return c ? *c : Cron::parse("* * * * *").value();
}

// The next `n` fire times after `from`.
std::vector<LocalMinutes> fires(const Cron& c, LocalMinutes from, int n) {
  std::vector<LocalMinutes> out;
  local_seconds t{from.time_since_epoch()};
  for (int i = 0; i < n; ++i) {
    auto next = c.next_after(t);
    if (!next) break;
    out.push_back(*next);
    t = local_seconds{next->time_since_epoch()};
  }
  return out;
}

std::string error_of(std::string_view text) {
  auto c = Cron::parse(text);
  return c ? "compiled" : c.error().message;
}

TEST(Cron, EveryOperator) {
  const auto start = at(2026y / January / 1, 0, 0);
  EXPECT_EQ(fires(compile("* * * * *"), start, 2),
            (std::vector{at(2026y / January / 1, 0, 1), at(2026y / January / 1, 0, 2)}));
  EXPECT_EQ(fires(compile("5,20,40 * * * *"), start, 4),
            (std::vector{at(2026y / January / 1, 0, 5), at(2026y / January / 1, 0, 20),
                         at(2026y / January / 1, 0, 40), at(2026y / January / 1, 1, 5)}));
  EXPECT_EQ(fires(compile("0 9-11 * * *"), start, 4),
            (std::vector{at(2026y / January / 1, 9, 0), at(2026y / January / 1, 10, 0),
                         at(2026y / January / 1, 11, 0), at(2026y / January / 2, 9, 0)}));
  EXPECT_EQ(fires(compile("*/15 * * * *"), start, 5),
            (std::vector{at(2026y / January / 1, 0, 15), at(2026y / January / 1, 0, 30),
                         at(2026y / January / 1, 0, 45), at(2026y / January / 1, 1, 0),
                         at(2026y / January / 1, 1, 15)}));
  EXPECT_EQ(fires(compile("1-30/10 0 * * *"), start, 4),
            (std::vector{at(2026y / January / 1, 0, 1), at(2026y / January / 1, 0, 11),
                         at(2026y / January / 1, 0, 21), at(2026y / January / 2, 0, 1)}));
  // "a/n" is "a-max/n".
  EXPECT_EQ(fires(compile("50/5 0 * * *"), start, 3),
            (std::vector{at(2026y / January / 1, 0, 50), at(2026y / January / 1, 0, 55),
                         at(2026y / January / 2, 0, 50)}));
  // Lists of ranges and steps, spaces and tabs between fields.
  EXPECT_EQ(fires(compile("  0\t1-2,*/12  1 * *  "), start, 4),
            (std::vector{at(2026y / January / 1, 1, 0), at(2026y / January / 1, 2, 0),
                         at(2026y / January / 1, 12, 0), at(2026y / February / 1, 0, 0)}));
}

TEST(Cron, MonthAndWeekdayNames) {
  const auto start = at(2026y / January / 1, 0, 0);  // a Thursday
  EXPECT_EQ(fires(compile("0 8 * * MON-FRI"), start, 3),
            (std::vector{at(2026y / January / 1, 8, 0), at(2026y / January / 2, 8, 0),
                         at(2026y / January / 5, 8, 0)}));
  EXPECT_EQ(fires(compile("0 0 1 jun,Dec *"), start, 3),
            (std::vector{at(2026y / June / 1, 0, 0), at(2026y / December / 1, 0, 0),
                         at(2027y / June / 1, 0, 0)}));
  EXPECT_EQ(fires(compile("0 0 1 MAR-MAY/2 *"), start, 2),
            (std::vector{at(2026y / March / 1, 0, 0), at(2026y / May / 1, 0, 0)}));
  // 0 and 7 are both Sunday; a range may end at 7.
  const std::vector sundays = {at(2026y / January / 4, 0, 0), at(2026y / January / 11, 0, 0)};
  EXPECT_EQ(fires(compile("0 0 * * 0"), start, 2), sundays);
  EXPECT_EQ(fires(compile("0 0 * * 7"), start, 2), sundays);
  EXPECT_EQ(fires(compile("0 0 * * SUN"), start, 2), sundays);
  EXPECT_EQ(fires(compile("0 0 * * 6-7"), start, 3),
            (std::vector{at(2026y / January / 3, 0, 0), at(2026y / January / 4, 0, 0),
                         at(2026y / January / 10, 0, 0)}));
}

TEST(Cron, DayOfMonthOrDayOfWeekWhenBothAreRestricted) {
  const auto start = at(2026y / February / 1, 0, 0);  // a Sunday
  // Both restricted (Vixie): the 13th OR any Friday.
  EXPECT_EQ(fires(compile("0 0 13 * FRI"), start, 4),
            (std::vector{at(2026y / February / 6, 0, 0), at(2026y / February / 13, 0, 0),
                         at(2026y / February / 20, 0, 0), at(2026y / February / 27, 0, 0)}));
  // One of them '*' (or starting with '*'): both must match.
  EXPECT_EQ(fires(compile("0 0 13 * *"), start, 2),
            (std::vector{at(2026y / February / 13, 0, 0), at(2026y / March / 13, 0, 0)}));
  EXPECT_EQ(fires(compile("0 0 */2 * FRI"), start, 2),  // odd days that are Fridays
            (std::vector{at(2026y / February / 13, 0, 0), at(2026y / February / 27, 0, 0)}));
  // 30 FEB never exists, but with a weekday restricted too it fires on the weekday.
  EXPECT_EQ(fires(compile("0 0 30 FEB MON"), start, 1),
            (std::vector{at(2026y / February / 2, 0, 0)}));
}

TEST(Cron, Shorthands) {
  const auto start = at(2026y / January / 1, 10, 30);  // a Thursday
  EXPECT_EQ(fires(compile("@hourly"), start, 1), (std::vector{at(2026y / January / 1, 11, 0)}));
  EXPECT_EQ(fires(compile("@daily"), start, 1), (std::vector{at(2026y / January / 2, 0, 0)}));
  EXPECT_EQ(fires(compile("@midnight"), start, 1), (std::vector{at(2026y / January / 2, 0, 0)}));
  EXPECT_EQ(fires(compile("@weekly"), start, 1), (std::vector{at(2026y / January / 4, 0, 0)}));
  EXPECT_EQ(fires(compile("@monthly"), start, 1), (std::vector{at(2026y / February / 1, 0, 0)}));
  EXPECT_EQ(fires(compile(" @YEARLY "), start, 1), (std::vector{at(2027y / January / 1, 0, 0)}));
  EXPECT_EQ(fires(compile("@annually"), start, 1), (std::vector{at(2027y / January / 1, 0, 0)}));
  EXPECT_EQ(compile("@daily").text(), "@daily");
}

TEST(Cron, ErrorsNameTheFieldAndTheColumn) {
  EXPECT_EQ(error_of("0 25 * * *"), "cron \"0 25 * * *\": hour 25 out of range 0-23 at column 3");
  EXPECT_EQ(error_of("60 * * * *"), "cron \"60 * * * *\": minute 60 out of range 0-59 at column 1");
  EXPECT_EQ(error_of("0 0 0 * *"),
            "cron \"0 0 0 * *\": day-of-month 0 out of range 1-31 at column 5");
  EXPECT_EQ(error_of("0 0 1 13 *"), "cron \"0 0 1 13 *\": month 13 out of range 1-12 at column 7");
  EXPECT_EQ(error_of("0 0 * * 8"),
            "cron \"0 0 * * 8\": day-of-week 8 out of range 0-7 at column 9");
  EXPECT_EQ(error_of("0 0 * JANUARY *"),
            "cron \"0 0 * JANUARY *\": month \"JANUARY\" is not a name (JAN-DEC) at column 7");
  EXPECT_EQ(error_of("0 0 * * MON-FRY"),
            "cron \"0 0 * * MON-FRY\": day-of-week \"FRY\" is not a name (SUN-SAT) at column 13");
  EXPECT_EQ(error_of("0 noon * * *"),
            "cron \"0 noon * * *\": hour \"noon\" is not a number at column 3");
  EXPECT_EQ(error_of("30-10 * * * *"),
            "cron \"30-10 * * * *\": minute range 30-10 is backwards at column 4");
  EXPECT_EQ(error_of("*/0 * * * *"),
            "cron \"*/0 * * * *\": minute step 0 out of range 1-60 at column 3");
  EXPECT_EQ(error_of("*/ * * * *"),
            "cron \"*/ * * * *\": minute: expected a step number after '/' at column 3");
  EXPECT_EQ(error_of("1,,2 * * * *"), "cron \"1,,2 * * * *\": minute: empty list item at column 3");
  EXPECT_EQ(error_of("0 1- * * *"),
            "cron \"0 1- * * *\": hour: expected a number but found \"end of field\" at column 5");
  EXPECT_EQ(error_of("5x * * * *"), "cron \"5x * * * *\": minute: unexpected \"x\" at column 2");
  EXPECT_EQ(error_of("0 0 * *"),
            "cron \"0 0 * *\": expected 5 fields (minute hour day-of-month month day-of-week), "
            "found 4 at column 8");
  EXPECT_EQ(error_of("0 0 * * * root"),
            "cron \"0 0 * * * root\": expected 5 fields (minute hour day-of-month month "
            "day-of-week), found more at column 11");
  EXPECT_EQ(error_of(""),
            "cron \"\": expected 5 fields (minute hour day-of-month month day-of-week), found 0 "
            "at column 1");
  EXPECT_EQ(error_of("@reboot"),
            "cron \"@reboot\": @reboot is not supported (schedules never fire at start-up) at "
            "column 1");
  EXPECT_EQ(error_of(" @often"),
            "cron \" @often\": unknown shorthand \"@often\" (@hourly, @daily, @midnight, @weekly, "
            "@monthly, @yearly, @annually) at column 2");
  EXPECT_EQ(error_of("@daily 5"), "cron \"@daily 5\": unexpected \"5\" after @daily at column 8");
  EXPECT_EQ(error_of(std::string(300, '*')), "cron expression longer than 256 characters");
  auto c = Cron::parse("0 25 * * *");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, "invalid_cron");
  EXPECT_EQ(c.error().kind, ErrorKind::bad_request);
}

TEST(Cron, ImpossibleDaysAreRefusedAtCompileTime) {
  EXPECT_EQ(error_of("0 0 30 FEB *"),
            "cron \"0 0 30 FEB *\": never fires: day-of-month \"30\" does not occur in month "
            "\"FEB\" at column 5");
  EXPECT_EQ(error_of("0 0 31 4,6,9,11 *"),
            "cron \"0 0 31 4,6,9,11 *\": never fires: day-of-month \"31\" does not occur in month "
            "\"4,6,9,11\" at column 5");
  EXPECT_EQ(error_of("0 0 30,31 2 */2"),
            "cron \"0 0 30,31 2 */2\": never fires: day-of-month \"30,31\" does not occur in "
            "month \"2\" at column 5");
  EXPECT_EQ(error_of("0 0 29 2 *"), "compiled");
  EXPECT_EQ(error_of("0 0 31 1-4 *"), "compiled");
}

TEST(Cron, MonthEnds) {
  // The 31st skips the months without one.
  EXPECT_EQ(fires(compile("0 12 31 * *"), at(2026y / January / 31, 13, 0), 4),
            (std::vector{at(2026y / March / 31, 12, 0), at(2026y / May / 31, 12, 0),
                         at(2026y / July / 31, 12, 0), at(2026y / August / 31, 12, 0)}));
  // The 30th skips February.
  EXPECT_EQ(fires(compile("0 0 30 * *"), at(2026y / January / 30, 0, 0), 1),
            (std::vector{at(2026y / March / 30, 0, 0)}));
  // Last minute of the year rolls into the next.
  EXPECT_EQ(fires(compile("59 23 31 DEC *"), at(2026y / December / 31, 23, 59), 1),
            (std::vector{at(2027y / December / 31, 23, 59)}));
  EXPECT_EQ(fires(compile("0 0 1 * *"), at(2026y / December / 31, 23, 59), 1),
            (std::vector{at(2027y / January / 1, 0, 0)}));
}

TEST(Cron, LeapDaysFireOnlyInLeapYears) {
  const auto c = compile("0 6 29 FEB *");
  EXPECT_EQ(fires(c, at(2025y / March / 1, 0, 0), 3),
            (std::vector{at(2028y / February / 29, 6, 0), at(2032y / February / 29, 6, 0),
                         at(2036y / February / 29, 6, 0)}));
  // 2100 is not a leap year: 8 years between.
  EXPECT_EQ(fires(c, at(2096y / March / 1, 0, 0), 1),
            (std::vector{at(2104y / February / 29, 6, 0)}));
  EXPECT_EQ(fires(compile("0 0 28-29 2 *"), at(2026y / February / 27, 0, 0), 3),
            (std::vector{at(2026y / February / 28, 0, 0), at(2027y / February / 28, 0, 0),
                         at(2028y / February / 28, 0, 0)}));
  EXPECT_EQ(c.last_at_or_before(local_seconds{at(2031y / January / 1, 0, 0).time_since_epoch()}),
            at(2028y / February / 29, 6, 0));
}

TEST(Cron, NothingAfterYear9999) {
  EXPECT_EQ(compile("0 0 1 1 *").next_after(local_days{9999y / June / 1}), std::nullopt);
  EXPECT_EQ(compile("* * * * *").last_at_or_before(local_days{1y / January / 1} - seconds{1}),
            std::nullopt);
}

// The field-skipping search agrees with a minute-by-minute scan over 10 days, both ways (when the
// scan finds nothing, the search must find nothing within those days either).
TEST(Cron, SearchAgreesWithAScanMinuteByMinute) {
  const char* exprs[] = {"*/7 * * * *",     "0 */5 * * *",           "15,45 9-17 * * MON-FRI",
                         "0 0 13 * FRI",    "30 23 L * *",           "0 0 1,15,31 * SUN",
                         "59 23 28-31 * *", "0 12 * FEB,AUG */3",    "*/20 0-3 29 2 *",
                         "5 4 * * 0",       "1-59/29 1-23/11 * * *", "0 0 13 * *",
                         "0 6 29 FEB *",    "10 3 1,16-18/2 * *"};
  constexpr auto horizon = days{10};
  std::mt19937 rng(2026);
  for (const char* text : exprs) {
    auto parsed = Cron::parse(text);
    if (!parsed) continue;  // "L" is not cron syntax here: checked below
    const Cron& c = *parsed;
    for (int trial = 0; trial < 15; ++trial) {
      const auto start = at(2024y / January / 1, 0, 0) + minutes{rng() % (6 * 366 * 24 * 60)};
      const local_seconds t{start.time_since_epoch() + seconds{rng() % 60}};
      std::optional<LocalMinutes> scan_next, scan_last;
      for (auto m = start + minutes{1}; m <= start + horizon && !scan_next; m += minutes{1})
        if (c.matches(m)) scan_next = m;
      for (auto m = start; m >= start - horizon && !scan_last; m -= minutes{1})
        if (c.matches(m)) scan_last = m;
      const auto next = c.next_after(t);
      const auto last = c.last_at_or_before(t);
      if (scan_next)
        EXPECT_EQ(next, scan_next) << text;
      else
        EXPECT_TRUE(!next || *next > start + horizon) << text;
      if (scan_last)
        EXPECT_EQ(last, scan_last) << text;
      else
        EXPECT_TRUE(!last || *last < start - horizon) << text;
    }
  }
  EXPECT_FALSE(Cron::parse("30 23 L * *"));
}

}  // namespace
}  // namespace weir::schedule
