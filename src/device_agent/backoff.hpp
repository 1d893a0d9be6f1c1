#pragma once
// Reconnect delays: initial, doubling each failed attempt, capped; reset on a good connection.
#include <algorithm>
#include <chrono>

namespace weir::device_agent {

class Backoff {
 public:
  using Millis = std::chrono::milliseconds;
  Backoff(Millis initial, Millis cap)
      : initial_(initial), cap_(std::max(cap, initial)), next_(initial) {}

  Millis next() {
    const Millis d = next_;
    next_ = std::min(next_ * 2, cap_);
    return d;
  }
  void reset() { next_ = initial_; }

 private:
  Millis initial_, cap_, next_;
};

}  // namespace weir::device_agent
