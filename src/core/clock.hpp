#pragma once
// Time comes from an injected clock so logic can be tested without sleeping.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace weir {

using WallTime = std::chrono::system_clock::time_point;  // timestamps shown to people
using MonoTime = std::chrono::steady_clock::time_point;  // timeouts and intervals
using Millis = std::chrono::milliseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual WallTime now() const = 0;
  virtual MonoTime mono() const = 0;
};

class SystemClock final : public Clock {
 public:
  WallTime now() const override { return std::chrono::system_clock::now(); }
  MonoTime mono() const override { return std::chrono::steady_clock::now(); }
  static SystemClock& instance() {
    static SystemClock c;
    return c;
  }
};

// A clock tests move by hand.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(WallTime start = WallTime{std::chrono::seconds{1'700'000'000}})
      : wall_(start) {}
  WallTime now() const override { return wall_; }
  MonoTime mono() const override { return MonoTime{} + (wall_ - WallTime{}); }
  void advance(std::chrono::nanoseconds d) {
    wall_ += std::chrono::duration_cast<WallTime::duration>(d);
  }
  void set(WallTime t) { wall_ = t; }

 private:
  WallTime wall_;
};

// ISO 8601 UTC with milliseconds: 2026-11-25T06:34:09.123Z
std::string to_iso8601(WallTime t);
// Parses what to_iso8601 writes (and the same without fraction or with offset "+00:00").
bool parse_iso8601(const std::string& s, WallTime& out);
int64_t to_unix_ms(WallTime t);
WallTime from_unix_ms(int64_t ms);

}  // namespace weir
