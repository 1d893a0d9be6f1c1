// libFuzzer target: TZif zone files (and, through their footers, POSIX TZ strings). Whatever
// parses must answer every question without trouble: offsets, local↔UTC, a schedule's next time.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "schedule/schedule_clock.hpp"
#include "schedule/time_zone.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace std::chrono;
  using namespace weir::schedule;
  auto zone =
      TimeZone::from_tzif(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  if (!zone) {
    if (zone.error().message.empty()) std::abort();
    return 0;
  }
  static const Cron every_quarter = Cron::parse("*/15 * * * *").value();
  const sys_seconds probes[] = {sys_days{1900y / January / 1}, sys_days{2026y / March / 29},
                                sys_days{2026y / October / 25} + hours{1},
                                sys_days{2100y / July / 1}};
  for (const auto t : probes) {
    const auto local = zone->to_local(t);
    const auto info = zone->resolve(local);
    if (info.first > info.second) std::abort();
    (void)zone->next_transition_after(t);
    if (const auto next = next_fire_after(every_quarter, *zone, t); next && *next <= t)
      std::abort();
  }
  return 0;
}
