#include "core/backoff.hpp"

#include <algorithm>

namespace weir {

Backoff::Backoff(Millis initial, Millis cap) : Backoff(initial, cap, 0.0, nullptr) {}

Backoff::Backoff(Millis initial, Millis cap, double jitter, Random random)
    : initial_(std::max(initial, Millis(1))),
      cap_(std::max(cap, initial_)),
      next_(initial_),
      jitter_(random ? std::clamp(jitter, 0.0, 1.0) : 0.0),
      random_(std::move(random)) {}

Backoff::Millis Backoff::next_delay() {
  const Millis base = next_;
  // Halving the cap instead of doubling next_ cannot overflow, whatever the cap.
  next_ = next_ > cap_ / 2 ? cap_ : next_ * 2;
  if (jitter_ == 0.0) return base;
  const double r = std::clamp(random_(), 0.0, 1.0);
  const auto cut = static_cast<Millis::rep>(static_cast<double>(base.count()) * jitter_ * r);
  return base - Millis(cut);
}

void Backoff::reset() {
  next_ = initial_;
}

}  // namespace weir
