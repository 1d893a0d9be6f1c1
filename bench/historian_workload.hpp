#pragma once
// The values both historian benchmarks (historian_bench.cpp on SQLite, historian_pg_bench.cpp on
// PostgreSQL) feed their store and the naive table, so their figures compare the same work.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "historian/history_store.hpp"

namespace weir::historian::bench {

using SteadyClock = std::chrono::steady_clock;

inline double seconds_since(SteadyClock::time_point t) {
  return std::chrono::duration<double>(SteadyClock::now() - t).count();
}

constexpr std::int64_t kT0 = 1'767'225'600'000;  // 2026-01-01

inline void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "failed: %s\n", what);
    std::exit(1);
  }
}

inline double median(std::vector<double> x) {
  std::sort(x.begin(), x.end());
  return x[x.size() / 2];
}

// Values in random tag order, each tag in time order: tag k's i-th value at kT0 + i s + k ms, a
// random walk rounded to 2 decimals.
inline std::vector<TaggedSample> random_order(std::uint32_t tags, int per_tag) {
  std::vector<std::uint32_t> order;
  order.reserve(static_cast<std::size_t>(tags) * per_tag);
  for (int i = 0; i < per_tag; ++i)
    for (std::uint32_t k = 0; k < tags; ++k) order.push_back(k);
  std::mt19937 rng(42);
  // Shuffle within windows of one "second" of every tag so each tag stays in time order.
  for (std::size_t w = 0; w < order.size(); w += tags)
    std::shuffle(order.begin() + static_cast<std::ptrdiff_t>(w),
                 order.begin() + static_cast<std::ptrdiff_t>(w + tags), rng);
  std::vector<int> next(tags, 0);
  std::vector<double> level(tags, 50);
  std::normal_distribution<double> step(0, 0.2);
  std::vector<TaggedSample> out;
  out.reserve(order.size());
  for (auto k : order) {
    const std::int64_t t = kT0 + next[k]++ * 1000LL + k % 1000;
    level[k] += step(rng);
    out.push_back({k, Sample{t, t + 2, std::round(level[k] * 100) / 100}});
  }
  return out;
}

// n values of tag 0, 1 s apart from kT0: a random walk (the trend benchmarks' one tag).
inline std::vector<TaggedSample> one_tag_walk(int n) {
  std::mt19937 rng(1);
  std::normal_distribution<double> step(0, 0.5);
  std::vector<TaggedSample> values;
  values.reserve(static_cast<std::size_t>(n));
  double v = 100;
  for (int i = 0; i < n; ++i) {
    v += step(rng);
    values.push_back({0, Sample{kT0 + i * 1000LL, kT0 + i * 1000LL, v}});
  }
  return values;
}

}  // namespace weir::historian::bench
