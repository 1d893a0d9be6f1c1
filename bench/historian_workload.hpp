#pragma once
// The values both historian benchmarks (historian_bench.cpp on SQLite, historian_pg_bench.cpp on
// PostgreSQL) feed their store and the naive table, so their figures compare the same work.
#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
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

// The --big benchmarks (SQLite and PostgreSQL): 100 tags x 1,000,000 values, tag k's i-th value
// at kT0 + i s + k ms (a random walk), generated and handed over 100,000 at a time (never all in
// memory) with a flush every 5,000,000 so the store's queue stays bounded; then, on a reopened
// store, 1,000 points over the whole range of 1, 10 and 100 tags in one call, median of 15 each.
struct BigWorkload {
  static constexpr std::uint32_t tags = 100;
  static constexpr int per_tag = 1'000'000;
  std::vector<TagDef> defs;
  std::vector<std::string> names;

  BigWorkload() {
    for (std::uint32_t k = 0; k < tags; ++k) {
      names.push_back("Big@T" + std::to_string(k));
      defs.push_back({names.back(), ValueKind::float_});
    }
  }
  double values() const { return tags * static_cast<double>(per_tag); }

  template <class Store>
  void ingest(Store& store) {
    store.define_tags(defs);
    check(bool(store.flush()), "define");
    std::mt19937 rng(9);
    std::normal_distribution<double> step(0, 0.3);
    std::vector<double> level(tags, 50);
    const auto start = SteadyClock::now();
    const int seconds_per_batch = 1000;  // 100,000 values
    for (int i0 = 0; i0 < per_tag; i0 += seconds_per_batch) {
      std::vector<TaggedSample> b;
      b.reserve(static_cast<std::size_t>(seconds_per_batch) * tags);
      for (int i = i0; i < i0 + seconds_per_batch; ++i)
        for (std::uint32_t k = 0; k < tags; ++k) {
          const std::int64_t t = kT0 + i * 1000LL + k;
          level[k] += step(rng);
          b.push_back({k, Sample{t, t + 2, std::round(level[k] * 100) / 100}});
        }
      store.append(std::move(b), {});
      if ((i0 / seconds_per_batch) % 50 == 49) check(bool(store.flush()), "flush");
    }
    check(bool(store.flush(true)), "final flush");
    const double s = seconds_since(start);
    const auto st = store.stats();
    check(st.dropped == 0 && st.stored == std::uint64_t(tags) * per_tag, "nothing dropped");
    std::printf("ingest          : %8.1f s  %10.0f values/s (generation included, %llu commits)\n",
                s, st.stored / s, static_cast<unsigned long long>(st.commits));
  }

  template <class Store>
  void trends(Store& store) {
    store.define_tags(defs);
    const std::int64_t from = kT0, to = kT0 + per_tag * 1000LL;
    for (std::size_t count : {std::size_t{1}, std::size_t{10}, std::size_t{100}}) {
      std::vector<double> times;
      std::size_t buckets = 0;
      std::string level;
      for (int i = 0; i < 15; ++i) {
        std::vector<std::string> q;
        for (std::size_t k = 0; k < count; ++k) q.push_back(names[(i * 7 + k) % tags]);
        const auto t = SteadyClock::now();
        auto r = store.trend_now({q, from, to, 1000});
        times.push_back(seconds_since(t) * 1e3);
        check(bool(r) && r->size() == count, "trend");
        buckets = (*r)[0].buckets.size();
        level = level_name((*r)[0].level);
      }
      std::printf(
          "trend %3zu tag%s  : %8.3f ms median of 15 (%zu buckets per tag from the %s rollup)\n",
          count, count == 1 ? " " : "s", median(times), buckets, level.c_str());
    }
  }
};

// The open-page budget's benchmark (--pages, both stores): 100,000 tags, a value every `step_s`
// seconds each for `minutes` minutes from an hour's start, tags in random order within each step
// (each tag's values in time order), generated a step at a time (never all in memory) and handed
// over 5,000 at a time with a flush every 1,000,000. At 10 s a 1 min bucket closes every 6
// values (a 1 Hz tag: every 60), so pages grow 10x faster per value than at 1 Hz: the pessimistic
// case for the budget. Each budget runs in a child process so its peak RSS is its own.
struct PagesWorkload {
  static constexpr std::uint32_t tags = 100'000;
  int minutes = 70;
  int step_s = 10;

  std::vector<TagDef> defs() const {
    std::vector<TagDef> d;
    for (std::uint32_t k = 0; k < tags; ++k)
      d.push_back({"Plant@T" + std::to_string(k), ValueKind::float_});
    return d;
  }
  double values() const { return double(tags) * minutes * 60 / step_s; }

  template <class Store>
  void ingest(Store& store, double budget_mb) {
    store.define_tags(defs());
    check(bool(store.flush()), "define");
    const std::int64_t t0 = kT0;  // 2026-01-01T00:00Z: an hour's start
    std::mt19937 rng(42);
    std::normal_distribution<double> walk(0, 0.2);
    std::vector<double> level(tags, 50);
    std::vector<std::uint32_t> order(tags);
    for (std::uint32_t k = 0; k < tags; ++k) order[k] = k;
    const auto start = SteadyClock::now();
    std::size_t since_flush = 0;
    std::uint64_t most_pages = 0;  // the pages held after a commit, at most
    const int steps = minutes * 60 / step_s;
    for (int i = 0; i < steps; ++i) {
      std::shuffle(order.begin(), order.end(), rng);
      for (std::size_t j = 0; j < tags; j += 5'000) {
        std::vector<TaggedSample> b;
        b.reserve(5'000);
        for (std::size_t x = j; x < std::min<std::size_t>(tags, j + 5'000); ++x) {
          const std::uint32_t k = order[x];
          const std::int64_t t = t0 + i * step_s * 1000LL + k % 1000;
          level[k] += walk(rng);
          b.push_back({k, Sample{t, t + 2, std::round(level[k] * 100) / 100}});
        }
        store.append(std::move(b), {});
      }
      if ((since_flush += tags) >= 1'000'000) {
        check(bool(store.flush()), "flush");
        most_pages = std::max(most_pages, store.stats().page_bytes);
        since_flush = 0;
      }
    }
    check(bool(store.flush()), "flush");
    const double s = seconds_since(start);
    const auto st = store.stats();
    // The process's memory, then glibc's heap in use and what RSS is once glibc gives back its
    // free pages (malloc_trim): freed page buffers stay in its free lists otherwise.
    const double rss_mb = proc_mb("VmRSS:"), peak_mb = proc_mb("VmHWM:");
    const double heap_mb = static_cast<double>(::mallinfo2().uordblks) / 1048576.0;
    ::malloc_trim(0);
    const double trimmed_mb = proc_mb("VmRSS:");
    check(st.dropped == 0 && st.stored == std::uint64_t(values()), "nothing dropped");
    std::printf(
        "budget %6.0f MB: %7.1f s %9.0f values/s  pages held %6.1f MB (at most %6.1f MB)  "
        "evictions %8llu  reloads %8llu  RSS %5.0f MB (peak %5.0f MB, heap in use %5.0f MB, "
        "RSS after malloc_trim %5.0f MB)\n",
        budget_mb, s, values() / s, st.page_bytes / 1048576.0, most_pages / 1048576.0,
        static_cast<unsigned long long>(st.page_evictions),
        static_cast<unsigned long long>(st.page_reloads), rss_mb, peak_mb, heap_mb, trimmed_mb);
    std::fflush(stdout);
  }

  static double proc_mb(const char* field) {
    std::FILE* f = std::fopen("/proc/self/status", "r");
    if (!f) return 0;
    char line[256];
    double kb = 0;
    const std::size_t n = std::char_traits<char>::length(field);
    while (std::fgets(line, sizeof line, f))
      if (std::char_traits<char>::compare(line, field, n) == 0) kb = std::atof(line + n);
    std::fclose(f);
    return kb / 1024;
  }

  // Runs `one(budget_mb)` in a child process per budget, one after the other.
  template <class One>
  void each_budget(const std::vector<double>& budgets_mb, One&& one) {
    std::printf("== open-page budget: %u tags, a value every %d s for %d min (%.0f M values) ==\n",
                tags, step_s, minutes, values() / 1e6);
    std::fflush(stdout);
    for (double mb : budgets_mb) {
      const pid_t child = ::fork();
      check(child >= 0, "fork");
      if (child == 0) {
        one(mb);
        std::fflush(stdout);
        std::_Exit(0);
      }
      int status = 0;
      check(::waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0,
            "budget run");
    }
  }
};

}  // namespace weir::historian::bench
