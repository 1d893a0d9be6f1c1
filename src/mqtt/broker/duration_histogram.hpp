#pragma once
// A fixed-bucket histogram of durations for /metrics (Prometheus "histogram": cumulative
// buckets, sum, count) plus the largest value seen. Pure: the caller measures, with whatever
// clock it has (the broker's injected one, the transport's steady_clock).
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <string>

namespace weir::mqtt {

class DurationHistogram {
 public:
  // Upper bounds of the buckets (the last, +Inf, is implicit): from 50 µs, where a healthy event
  // loop lives, to 1 s, a stall nobody should ever see.
  static constexpr std::array<std::int64_t, 13> kBoundsUs = {
      50, 100, 250, 500, 1'000, 2'500, 5'000, 10'000, 25'000, 50'000, 100'000, 250'000, 1'000'000};

  // `n` values of `d` each (a batch whose replies all took the same time).
  void record(std::chrono::nanoseconds d, std::uint64_t n = 1) {
    const std::int64_t ns = d.count() < 0 ? 0 : d.count();
    std::size_t i = 0;
    while (i < kBoundsUs.size() && ns > kBoundsUs[i] * 1000) ++i;
    buckets_[i] += n;
    count_ += n;
    sum_ns_ += static_cast<std::uint64_t>(ns) * n;
    if (n > 0 && ns > max_ns_) max_ns_ = ns;
  }

  std::uint64_t count() const { return count_; }
  double sum_seconds() const { return static_cast<double>(sum_ns_) / 1e9; }
  double max_seconds() const { return static_cast<double>(max_ns_) / 1e9; }
  double mean_seconds() const { return count_ == 0 ? 0.0 : sum_seconds() / count_; }
  // An upper bound of the q-quantile (0 < q <= 1): the bound of the bucket holding it, or the
  // largest value when that is lower (the buckets are coarse: read it as "at most").
  double quantile_bound_seconds(double q) const {
    if (count_ == 0) return 0.0;
    const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_) + 0.999999);
    for (std::size_t i = 0; i < kBoundsUs.size(); ++i)
      if (at_or_below(i) >= rank)
        return std::min(static_cast<double>(kBoundsUs[i]) / 1e6, max_seconds());
    return max_seconds();
  }
  // Values at or below kBoundsUs[i] (cumulative, as Prometheus wants); i == size: all.
  std::uint64_t at_or_below(std::size_t i) const {
    std::uint64_t n = 0;
    for (std::size_t j = 0; j <= i && j < buckets_.size(); ++j) n += buckets_[j];
    return n;
  }

  // Appends `name` as a Prometheus histogram in seconds (_bucket{le=...}, _sum, _count) and
  // `name`_max_seconds as a gauge.
  void write(std::string& out, const std::string& name, const std::string& help) const {
    out += "# HELP " + name + " " + help + "\n# TYPE " + name + " histogram\n";
    for (std::size_t i = 0; i < kBoundsUs.size(); ++i)
      out += name + "_bucket{le=\"" + seconds_text(kBoundsUs[i]) + "\"} " +
             std::to_string(at_or_below(i)) + "\n";
    out += name + "_bucket{le=\"+Inf\"} " + std::to_string(count_) + "\n";
    out += name + "_sum " + std::to_string(sum_seconds()) + "\n";
    out += name + "_count " + std::to_string(count_) + "\n";
    const std::string max = name + "_max";
    out += "# HELP " + max + " Largest value of " + name + " since start\n# TYPE " + max +
           " gauge\n" + max + " " + std::to_string(max_seconds()) + "\n";
  }

 private:
  static std::string seconds_text(std::int64_t us) {
    std::string s =
        std::to_string(us / 1'000'000) + "." + std::to_string(1'000'000 + us % 1'000'000).substr(1);
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s;
  }

  std::array<std::uint64_t, kBoundsUs.size() + 1> buckets_{};
  std::uint64_t count_ = 0;
  std::uint64_t sum_ns_ = 0;
  std::int64_t max_ns_ = 0;
};

}  // namespace weir::mqtt
