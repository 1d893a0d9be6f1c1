// libFuzzer target: cron expressions. Whatever compiles must behave: the next fire time is after
// the start and matches, the last one is at or before it and matches.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "schedule/cron.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace std::chrono;
  using weir::schedule::Cron;
  auto cron = Cron::parse(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!cron) {
    if (cron.error().message.empty()) std::abort();
    return 0;
  }
  const local_seconds starts[] = {local_days{2026y / March / 29} + hours{1} + minutes{59},
                                  local_days{2028y / February / 28} + hours{23} + seconds{59},
                                  local_days{9999y / December / 31}};
  for (const auto t : starts) {
    if (const auto next = cron->next_after(t)) {
      if (*next <= t || !cron->matches(*next)) std::abort();
    }
    if (const auto last = cron->last_at_or_before(t)) {
      if (*last > t || !cron->matches(*last)) std::abort();
    }
  }
  return 0;
}
