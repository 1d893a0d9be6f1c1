#include "historian/pg_pages.hpp"

#include <algorithm>

namespace weir::historian {

void merge_runs(std::vector<Bucket>& buckets) {
  auto before = [](const Bucket& a, const Bucket& b) { return a.start_ms < b.start_ms; };
  const bool distinct =
      std::adjacent_find(buckets.begin(), buckets.end(), [](const Bucket& a, const Bucket& b) {
        return a.start_ms >= b.start_ms;
      }) == buckets.end();
  if (distinct) return;
  std::stable_sort(buckets.begin(), buckets.end(), before);
  std::size_t out = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    if (out > 0 && buckets[out - 1].start_ms == buckets[i].start_ms)
      buckets[out - 1].merge(buckets[i]);
    else
      buckets[out++] = buckets[i];
  }
  buckets.resize(out);
}

std::optional<Bucket> open_bucket(Level level, std::span<const Sample> samples,
                                  std::int64_t last_ms) {
  const std::int64_t start = floor_to(last_ms, level_ms(level));
  std::optional<Bucket> b;
  for (const auto& s : samples) {
    if (s.source_ms < start || s.source_ms > last_ms) continue;
    const auto v = numeric(s.value);
    if (!v) continue;
    if (!b) {
      b.emplace();
      b->start_ms = start;
    }
    b->add(s.source_ms, *v);
  }
  return b;
}

}  // namespace weir::historian
