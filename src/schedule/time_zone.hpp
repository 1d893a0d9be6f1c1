#pragma once
// Time zones without std::chrono's tzdb (libstdc++ 12 has none): UTC and fixed offsets built in,
// IANA zones read from TZif files (/usr/share/zoneinfo, package tzdata), POSIX TZ strings.
//
// Local → UTC, with the daylight-saving rules made explicit (to_sys):
//   - a local time in a spring-forward gap (Madrid 2026-03-29 02:30 does not exist) maps to the
//     first valid instant after it: the end of the gap (03:00 CEST = 01:00 UTC). Every time of
//     the gap maps to that same instant, so a schedule fires there once;
//   - a local time in a fall-back overlap (New York 2026-11-01 01:30 happens twice) maps to its
//     first occurrence (01:30 EDT = 05:30 UTC); the second one is never chosen.
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "schedule/posix_tz.hpp"
#include "schedule/tzif.hpp"

namespace weir::schedule {

inline constexpr std::string_view kZoneinfoDir = "/usr/share/zoneinfo";

class TimeZone {
 public:
  static TimeZone utc();
  // A fixed offset east of UTC, named "+02:00" (|offset| < 24 h; asserted).
  static TimeZone fixed(std::chrono::seconds offset);
  // "UTC", "+02:00" / "-05:30" (ISO signs), or an IANA name ("Europe/Madrid") read from
  // <zoneinfo>/<name>. A name is letters, digits, '_', '-', '+' and '/'-separated parts (no "..",
  // no leading '/'). Errors: unprocessable / "unknown_time_zone" or "invalid_tzif".
  static Result<TimeZone> named(std::string_view name,
                                const std::filesystem::path& zoneinfo = kZoneinfoDir);
  static Result<TimeZone> from_tzif(std::string_view bytes, std::string name);
  static Result<TimeZone> from_posix(std::string_view tz);
  // The machine's zone: TZ when set (":Europe/Madrid", "Europe/Madrid", an absolute TZif path,
  // a POSIX string; empty means UTC), else /etc/localtime (named after its zoneinfo link), else
  // UTC. `tz` is the value of TZ (nullopt when unset).
  static Result<TimeZone> machine(std::optional<std::string_view> tz,
                                  const std::filesystem::path& localtime = "/etc/localtime",
                                  const std::filesystem::path& zoneinfo = kZoneinfoDir);
  static Result<TimeZone> machine();  // machine(getenv("TZ"))

  const std::string& name() const { return name_; }
  const ZoneOffset& offset_at(std::chrono::sys_seconds t) const;
  std::chrono::local_seconds to_local(std::chrono::sys_seconds t) const;

  // What a local time is: one instant, none (a gap: `first` is then the end of the gap), or two
  // (an overlap: `first` < `second`).
  struct LocalInfo {
    enum class Kind { unique, gap, overlap } kind = Kind::unique;
    std::chrono::sys_seconds first;
    std::chrono::sys_seconds second;
  };
  LocalInfo resolve(std::chrono::local_seconds t) const;
  // The policy above: resolve(t).first.
  std::chrono::sys_seconds to_sys(std::chrono::local_seconds t) const { return resolve(t).first; }

  // The first change of offset strictly after t, if the zone has one.
  std::optional<std::chrono::sys_seconds> next_transition_after(std::chrono::sys_seconds t) const;

 private:
  TimeZone(std::string name, std::shared_ptr<const Tzif> data)
      : name_(std::move(name)), data_(std::move(data)) {}
  std::string name_;
  std::shared_ptr<const Tzif> data_;  // immutable, shared by copies
};

}  // namespace weir::schedule
