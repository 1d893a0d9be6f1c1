#pragma once
// A standard 5-field cron expression (minute hour day-of-month month day-of-week), compiled once.
// Pure: no clock, no zone — it works on local civil minutes; time_zone.hpp maps them to instants.
//
//   *  a,b,c  a-b  */n  a-b/n  a/n (= a-max/n)   month names JAN..DEC, weekday names SUN..SAT
//   day-of-week 0 and 7 are both Sunday; @hourly @daily @midnight @weekly @monthly @yearly
//   @annually. When day-of-month and day-of-week are both restricted (neither starts with '*'),
//   a day matches if EITHER matches (Vixie cron); otherwise both must.
//
// An expression that can never fire (`0 0 30 FEB *`) is refused at compile time.
#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace weir::schedule {

using LocalMinutes = std::chrono::local_time<std::chrono::minutes>;

class Cron {
 public:
  static constexpr std::size_t kMaxLength = 256;

  // Errors are bad_request / "invalid_cron", e.g.
  //   cron "0 25 * * *": hour 25 out of range 0-23 at column 3
  static Result<Cron> parse(std::string_view text);

  // The first matching minute strictly after `t`, or nullopt when none comes within the search
  // horizon (50 years: 29 FEB on a given weekday may be decades apart) or before year 9999.
  std::optional<LocalMinutes> next_after(std::chrono::local_seconds t) const;
  // The last matching minute at or before `t` (same horizon, backwards).
  std::optional<LocalMinutes> last_at_or_before(std::chrono::local_seconds t) const;

  bool matches(LocalMinutes m) const;
  const std::string& text() const { return text_; }

 private:
  friend struct CronParser;
  Cron() = default;  // matches nothing; only the parser starts from it
  bool day_matches(std::chrono::year_month_day ymd) const;
  // The first matching minute from `from` (inclusive) going forwards (+1) or backwards (-1).
  std::optional<LocalMinutes> search(LocalMinutes from, int direction) const;

  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;     // 1..31
  std::bitset<13> months_;   // 1..12
  std::bitset<7> weekdays_;  // 0..6, Sunday = 0
  // A field starting with '*' (also "*/2") leaves the day to the other field (Vixie cron).
  bool days_star_ = true;
  bool weekdays_star_ = true;
};

}  // namespace weir::schedule
