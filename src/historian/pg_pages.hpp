#pragma once
// What the PostgreSQL store does with rollup pages (rollup_page.hpp) besides encoding them, pure:
//   - a writer's open page of one tag and level, grown bucket by bucket as buckets close (appended
//     in encoded form when the bucket starts after the page's last one, else merged);
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

struct PageBuffer {
  std::int64_t start = 0;          // page_start() of its buckets
  std::vector<std::uint8_t> data;  // encode_page() of its buckets; empty: no bucket yet
  std::size_t n = 0;               // buckets in it
  std::int64_t last_start = 0;     // start of its latest bucket (valid when n > 0)
};

// Adds `b` (a bucket of `level` within the page) to the page. A bucket after the last one is
// appended as it is encoded (a page is its buckets' encodings one after another); an earlier one
// or one of the same start (late values) has the page decoded, merged and encoded again.
Status add_to_page(Level level, PageBuffer& page, const Bucket& b);

// `buckets`: runs each sorted by start (one run per page read); afterwards sorted by start with
// the buckets of the same start merged. Already sorted and distinct (one writer): untouched.
void merge_runs(std::vector<Bucket>& buckets);

// The bucket of `level` that held the last of `samples` (in arrival order: sorted by time, as a
// writer's chunks are) — what a writer killed mid-bucket had not stored yet: its numeric samples
// from that bucket's start to `last_ms`. Empty when none is numeric.
std::optional<Bucket> open_bucket(Level level, std::span<const Sample> samples,
                                  std::int64_t last_ms);

}  // namespace weir::historian
