#pragma once
// Token bucket for new connections: `rate` per second with a burst of `rate`. Pure; the caller
// passes the time.
#include <algorithm>
#include <cstdint>

#include "core/clock.hpp"

namespace weir::mqtt {

class AcceptRateLimiter {
 public:
  explicit AcceptRateLimiter(std::uint32_t per_second) : rate_(per_second), tokens_(per_second) {}

  // True when a connection may be accepted at `now`; 0 means unlimited.
  bool allow(MonoTime now) {
    if (rate_ == 0) return true;
    if (last_ != MonoTime{}) {
      double elapsed = std::chrono::duration<double>(now - last_).count();
      tokens_ = std::min<double>(rate_, tokens_ + elapsed * rate_);
    }
    last_ = now;
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

 private:
  std::uint32_t rate_;
  double tokens_;
  MonoTime last_{};
};

}  // namespace weir::mqtt
