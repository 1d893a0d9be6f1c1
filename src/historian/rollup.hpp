#pragma once
// Rollups and trend selection, pure: per tag and level (1 s, 1 min, 1 h) one bucket of
// first/last/min/max (each with its time), count and sum, maintained as values arrive; and the
// M4 reduction of a time range to a point budget (first, last, min and max per output bucket, so
// a spike is never lost), from the coarsest level that still gives at least `budget` buckets.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "historian/sample.hpp"

namespace weir::historian {

enum class Level : std::uint8_t { raw = 0, s1 = 1, m1 = 2, h1 = 3 };
constexpr std::array<Level, 3> kRollupLevels{Level::s1, Level::m1, Level::h1};
std::int64_t level_ms(Level l);  // raw: 0
// `ms` rounded down to a multiple of `width` (towards minus infinity: times before 1970 too).
std::int64_t floor_to(std::int64_t ms, std::int64_t width);
const char* level_name(Level l);         // "raw", "1s", "1m", "1h"
std::string_view rollup_table(Level l);  // "rollup_1s", ...

struct Bucket {
  std::int64_t start_ms = 0;
  std::uint64_t count = 0;
  double sum = 0;
  double first = 0, last = 0, min = 0, max = 0;
  std::int64_t first_ms = 0, last_ms = 0, min_ms = 0, max_ms = 0;

  void add(std::int64_t ms, double v);
  // Another bucket's values into this one (same or wider span); either may be empty.
  void merge(const Bucket& o);
  friend bool operator==(const Bucket&, const Bucket&) = default;
};

// The buckets a tag is filling, one per level. add() hands back the buckets it closed.
class RollupAccumulator {
 public:
  struct Closed {
    Level level;
    Bucket bucket;
  };
  void add(std::int64_t ms, double v, std::vector<Closed>& closed);
  // Every open bucket (shutdown: written so the next start finds them).
  void take_open(std::vector<Closed>& out);
  const std::optional<Bucket>& open(Level l) const { return open_[static_cast<int>(l) - 1]; }

 private:
  std::array<std::optional<Bucket>, 3> open_;
};

// The coarsest rollup level whose buckets over [from, to) number at least `budget`; raw when
// none does (a short range).
Level choose_level(std::int64_t from_ms, std::int64_t to_ms, std::size_t budget);

// Width of one output bucket: the range split into `budget` parts (at least 1 ms).
std::int64_t output_width(std::int64_t from_ms, std::int64_t to_ms, std::size_t budget);

// Groups level buckets (sorted by start) into output buckets of `width` from `from_ms`; buckets
// outside [from, to) are skipped. Empty output buckets are left out.
std::vector<Bucket> regroup(std::span<const Bucket> in, std::int64_t from_ms, std::int64_t to_ms,
                            std::int64_t width);
// The same from raw samples (sorted by source time); non-numeric values are skipped.
std::vector<Bucket> bucket_samples(std::span<const Sample> in, std::int64_t from_ms,
                                   std::int64_t to_ms, std::int64_t width);

struct Point {
  std::int64_t ms = 0;
  double value = 0;
  friend bool operator==(const Point&, const Point&) = default;
};
// The M4 points of output buckets: first, min, max, last of each, in time order, one per time.
std::vector<Point> m4_points(std::span<const Bucket> buckets);

}  // namespace weir::historian
