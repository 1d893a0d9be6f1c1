#pragma once
// A POSIX TZ rule string, as the footer of a TZif file (v2+) and the TZ variable write it:
//   CET-1CEST,M3.5.0/3   EST5EDT,M3.2.0,M11.1.0   <+0330>-3:30   <-03>3   UTC0
// POSIX signs: "EST5" is 5 hours WEST of UTC (offset -05:00). Rules: Mm.w.d (week 5 = last), Jn
// (1-365, 29 FEB never counted), n (0-365); times may reach ±167 h (TZif v3). DST without a rule
// follows the US rule M3.2.0,M11.1.0, as tzcode does.
#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace weir::schedule {

// One UTC offset and what it is called: a TZif "local time type".
struct ZoneOffset {
  std::chrono::seconds utc_offset{0};  // east of UTC is positive
  bool is_dst = false;
  std::string abbreviation;
  bool operator==(const ZoneOffset&) const = default;
};

class PosixTz {
 public:
  static constexpr std::size_t kMaxLength = 128;

  // Errors are bad_request / "invalid_tz": `TZ "CET-1CEST,M13.5.0": month 13 out of range 1-12
  // at column 12`.
  static Result<PosixTz> parse(std::string_view text);

  const ZoneOffset& at(std::chrono::sys_seconds t) const;
  // The first change of offset strictly after t (nullopt without DST).
  std::optional<std::chrono::sys_seconds> next_transition_after(std::chrono::sys_seconds t) const;
  const std::string& text() const { return text_; }

  // The day a rule names in year y, with its time of day (local).
  struct Rule {
    enum class Kind { julian_no_leap, julian_zero, month_week_day } kind = Kind::month_week_day;
    int day = 0;  // Jn: 1-365; n: 0-365; Mm.w.d: weekday 0-6 (Sunday = 0)
    int month = 0;
    int week = 0;                                      // 1-5, 5 = last
    std::chrono::seconds time{std::chrono::hours{2}};  // local time of day, -167..167 h
  };

 private:
  friend struct PosixTzParser;
  struct Change {
    std::chrono::sys_seconds at;
    bool to_dst;
  };
  // The changes of the years around t's, in UTC, sorted (start is given in standard time, end
  // in daylight time).
  std::array<Change, 6> changes_near(std::chrono::sys_seconds t) const;

  std::string text_;
  ZoneOffset std_;
  std::optional<ZoneOffset> dst_;
  Rule start_;
  Rule end_;
};

}  // namespace weir::schedule
