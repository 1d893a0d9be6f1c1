#pragma once
// What the SQLite and PostgreSQL store tests of the open-page budget write and expect: `tags`
// tags, a value every 10 s each (distinct values: no ties for min/max), minute by minute in an
// interleaved order, and the 1 min / 1 h buckets those values make.
#include <cstdint>
#include <map>
#include <vector>

#include "historian/history_store.hpp"
#include "historian/rollup.hpp"

namespace weir::historian::testing {

struct BudgetWorkload {
  std::uint32_t tags = 20;
  std::int64_t base = 0;  // an hour's start

  double value(std::uint32_t tag, int i) const { return (i * 37 % 1000) + tag * 1000.0; }
  std::int64_t time(std::uint32_t tag, int i) const { return base + i * 10'000LL + tag * 17; }
  // Minute m's values of every tag (6 per tag), tags interleaved in a varying order.
  std::vector<TaggedSample> minute(int m) const {
    std::vector<TaggedSample> out;
    for (int i = m * 6; i < m * 6 + 6; ++i)
      for (std::uint32_t k = 0; k < tags; ++k) {
        const std::uint32_t tag = (k * 7 + static_cast<std::uint32_t>(i)) % tags;
        const std::int64_t t = time(tag, i);
        out.push_back({tag, Sample{t, t + 1, value(tag, i)}});
      }
    return out;
  }
  // The buckets of `level` (1 min or 1 h) the first `minutes` minutes of values make, per tag.
  std::vector<std::vector<Bucket>> expected(Level level, int minutes) const {
    std::vector<std::vector<Bucket>> out(tags);
    for (std::uint32_t tag = 0; tag < tags; ++tag) {
      std::map<std::int64_t, Bucket> by_start;
      for (int i = 0; i < minutes * 6; ++i) {
        const std::int64_t t = time(tag, i);
        const std::int64_t start = floor_to(t, level_ms(level));
        Bucket& b = by_start[start];
        b.start_ms = start;
        b.add(t, value(tag, i));
      }
      for (auto& [s, b] : by_start) out[tag].push_back(b);
    }
    return out;
  }
  std::string name(std::uint32_t tag) const { return "B@T" + std::to_string(tag); }
  std::vector<TagDef> defs() const {
    std::vector<TagDef> d;
    for (std::uint32_t k = 0; k < tags; ++k) d.push_back({name(k), ValueKind::float_});
    return d;
  }
};

}  // namespace weir::historian::testing
