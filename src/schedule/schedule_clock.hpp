#pragma once
// What one schedule fires now: the pure logic a schedule module ticks (no timer, no I/O).
//
//   - Nothing fires at start-up: only fire times strictly after the moment the clock is made
//     (and after the last run it is given) are due.
//   - A fire time is due once the wall clock reaches it; each fires at most once.
//   - A clock step backwards never fires a time again: the clock keeps the latest wall time it
//     has seen, and nothing is due until the wall clock passes it again.
//   - A clock step forwards (or a long stall between ticks) that passes several fire times fires
//     ONCE, at the tick that notices it: `scheduled` is the latest time passed, `first_due` the
//     earliest (they differ when times were merged).
//   - Times are local to the zone (see time_zone.hpp: a time in a spring-forward gap fires at the
//     end of the gap, once; a time in a fall-back overlap fires at its first occurrence only).
//
// A module ticking several schedules should run the fires of one tick in `scheduled` order.
#include <chrono>
#include <optional>

#include "core/clock.hpp"
#include "schedule/cron.hpp"
#include "schedule/time_zone.hpp"

namespace weir::schedule {

// The first fire time strictly after t (nullopt: none within the cron's search horizon).
std::optional<std::chrono::sys_seconds> next_fire_after(const Cron& cron, const TimeZone& zone,
                                                        std::chrono::sys_seconds t);

struct Fire {
  std::chrono::sys_seconds scheduled;  // the latest fire time due
  std::chrono::sys_seconds first_due;  // the earliest; == scheduled unless times were merged
};

class ScheduleClock {
 public:
  ScheduleClock(Cron cron, TimeZone zone, WallTime now,
                std::optional<std::chrono::sys_seconds> last_run = std::nullopt);

  // Call on every tick (any rate; a few times a second is plenty). At most one fire.
  std::optional<Fire> tick(WallTime now);

  std::optional<std::chrono::sys_seconds> last_run() const { return last_run_; }
  std::optional<std::chrono::sys_seconds> next_run() const { return next_; }
  const Cron& cron() const { return cron_; }
  const TimeZone& zone() const { return zone_; }

 private:
  Cron cron_;
  TimeZone zone_;
  std::chrono::sys_seconds seen_;  // the latest wall time considered: nothing at or before fires
  std::optional<std::chrono::sys_seconds> last_run_;
  std::optional<std::chrono::sys_seconds> next_;  // next_fire_after(seen_)
};

}  // namespace weir::schedule
