#include "core/clock.hpp"

#include <cstdio>
#include <ctime>

namespace weir {

int64_t to_unix_ms(WallTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

WallTime from_unix_ms(int64_t ms) {
  return WallTime{std::chrono::milliseconds{ms}};
}

std::string to_iso8601(WallTime t) {
  const int64_t ms = to_unix_ms(t);
  std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  int frac = static_cast<int>(ms - static_cast<int64_t>(secs) * 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];  // wide enough for any int fields: keeps -Wformat-truncation quiet at -O3
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  return buf;
}

bool parse_iso8601(const std::string& s, WallTime& out) {
  int y, mo, d, h, mi, sec;
  char tail[16] = {0};
  int n = std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%15s", &y, &mo, &d, &h, &mi, &sec, tail);
  if (n < 6) return false;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return false;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  std::time_t secs = timegm(&tm);
  int64_t ms = static_cast<int64_t>(secs) * 1000;
  const char* p = tail;
  if (*p == '.') {
    ++p;
    int digits = 0, frac = 0;
    while (*p >= '0' && *p <= '9') {
      if (digits < 3) frac = frac * 10 + (*p - '0');
      ++digits;
      ++p;
    }
    if (digits == 0) return false;
    for (int i = digits; i < 3; ++i) frac *= 10;
    ms += frac;
  }
  if (*p == 'Z' || *p == 0) {
  } else if (*p == '+' || *p == '-') {
    int oh = 0, om = 0;
    if (std::sscanf(p + 1, "%2d:%2d", &oh, &om) != 2) return false;
    int64_t off = (oh * 60 + om) * 60'000LL;
    ms += (*p == '+') ? -off : off;
  } else {
    return false;
  }
  out = from_unix_ms(ms);
  return true;
}

}  // namespace weir
