#include "schedule/schedule_clock.hpp"

#include <algorithm>

namespace weir::schedule {

using namespace std::chrono;

namespace {

// Real zones need one or two rounds; the bound keeps a hostile zone file from looping.
constexpr int kMaxRounds = 16;

}  // namespace

std::optional<sys_seconds> next_fire_after(const Cron& cron, const TimeZone& zone, sys_seconds t) {
  local_seconds cursor = zone.to_local(t);
  for (int round = 0; round < kMaxRounds; ++round) {
    const auto m = cron.next_after(cursor);
    if (!m) return std::nullopt;
    const auto info = zone.resolve(local_seconds{*m});
    if (info.first > t) return info.first;
    // t is in the second pass of a fall-back overlap and this minute's first occurrence is past:
    // skip to the end of the overlap (its local times only fire at their first occurrence).
    cursor = local_seconds{*m};
    if (info.kind == TimeZone::LocalInfo::Kind::overlap) {
      if (const auto change = zone.next_transition_after(info.first)) {
        const seconds before = zone.offset_at(info.first).utc_offset;
        cursor = std::max(cursor, local_seconds{change->time_since_epoch() + before} - seconds{1});
      }
    }
  }
  return std::nullopt;
}

ScheduleClock::ScheduleClock(Cron cron, TimeZone zone, WallTime now,
                             std::optional<sys_seconds> last_run)
    : cron_(std::move(cron)),
      zone_(std::move(zone)),
      seen_(floor<seconds>(now)),
      last_run_(last_run) {
  if (last_run_) seen_ = std::max(seen_, *last_run_);
  next_ = next_fire_after(cron_, zone_, seen_);
}

std::optional<Fire> ScheduleClock::tick(WallTime now) {
  const auto t = floor<seconds>(now);
  if (t <= seen_) return std::nullopt;  // the same second, or the clock stepped back
  const auto due = next_;
  const auto floor_seen = seen_;
  seen_ = t;
  if (!due || *due > t) return std::nullopt;  // next_ stays the first fire after t
  Fire fire{*due, *due};
  // Several times passed at once (a step forwards): the latest of them is the one reported.
  if (const auto m = cron_.last_at_or_before(zone_.to_local(t))) {
    const auto latest = zone_.to_sys(local_seconds{*m});
    if (latest > floor_seen && latest <= t) fire.scheduled = std::max(fire.scheduled, latest);
  }
  last_run_ = fire.scheduled;
  next_ = next_fire_after(cron_, zone_, t);
  return fire;
}

}  // namespace weir::schedule
