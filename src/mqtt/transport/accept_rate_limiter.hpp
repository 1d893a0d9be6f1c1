#pragma once
// Admission of new connections: a token bucket, `rate` per second with a burst of `rate`. Pure;
// the caller passes the time. Beyond the rate the listener does not accept and close: it stops
// accepting for the time admit() says (the kernel's listen backlog holds the connections that
// wait), then accepts again, so a reconnect storm is slowed, not refused.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>

#include "core/clock.hpp"

namespace weir::mqtt {

class AcceptRateLimiter {
 public:
  explicit AcceptRateLimiter(std::uint32_t per_second) : rate_(per_second), tokens_(per_second) {}

  // Zero when a connection may be accepted at `now` (its token is taken); otherwise how long
  // until the next token, at most one second. A rate of 0 means unlimited.
  std::chrono::nanoseconds admit(MonoTime now) {
    if (rate_ == 0) return {};
    if (last_ != MonoTime{}) {
      const double elapsed = std::chrono::duration<double>(now - last_).count();
      tokens_ = std::min<double>(rate_, tokens_ + elapsed * rate_);
    }
    last_ = now;
    // (A hair of tolerance: a pause computed to the nanosecond refills to 1 up to rounding.)
    if (tokens_ >= 1.0 - 1e-6) {
      tokens_ = std::max(0.0, tokens_ - 1.0);
      return {};
    }
    const double wait_ns = std::min((1.0 - tokens_) / rate_, 1.0) * 1e9;
    return std::chrono::nanoseconds(static_cast<std::int64_t>(std::ceil(wait_ns - 1e-3)));
  }
  bool allow(MonoTime now) { return admit(now) == std::chrono::nanoseconds::zero(); }

 private:
  std::uint32_t rate_;
  double tokens_;
  MonoTime last_{};
};

}  // namespace weir::mqtt
