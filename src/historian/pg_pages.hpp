#pragma once
// What the PostgreSQL store does with rollup pages (rollup_page.hpp) besides encoding them, pure:
//   - the buckets of several writers' pages (read in page order) put back in start order, buckets
//     of the same start merged (two nodes, or two runs of one node, filled the same minute);
//   - the buckets a crashed writer still had open: one per level, the bucket of its last value.
#include <cstdint>
#include <span>
#include <vector>

#include "core/error.hpp"
#include "historian/rollup.hpp"
#include "historian/rollup_page.hpp"
#include "historian/sample.hpp"

namespace weir::historian {

// `buckets`: runs each sorted by start (one run per page read); afterwards sorted by start with
// the buckets of the same start merged. Already sorted and distinct (one writer): untouched.
void merge_runs(std::vector<Bucket>& buckets);

// The bucket of `level` that held the last of `samples` (in arrival order: sorted by time, as a
// writer's chunks are) — what a writer killed mid-bucket had not stored yet: its numeric samples
// from that bucket's start to `last_ms`. Empty when none is numeric.
std::optional<Bucket> open_bucket(Level level, std::span<const Sample> samples,
                                  std::int64_t last_ms);

}  // namespace weir::historian
