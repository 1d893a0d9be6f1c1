#pragma once
// A rollup page: one tag's buckets of one level over one page span (1 min buckets: an hour, 1 h
// buckets: a day) in one blob, so a trend over 11 days reads ~280 rows of 1 min buckets instead
// of ~16,700. Pure: buckets in, bytes out, and back.
//
// Layout: "WR" magic, version 1, then per bucket (in start order):
//   varint  index of the bucket in the page ((start - page start) / width)
//   flags   bit0 min is the first value (value and time), bit1 min is the last,
//           bit2 max is the first, bit3 max is the last; bits 4-7 must be 0
//   varint  count; 8 bytes: sum
//   first, last, then min and max unless a flag names them: zigzag varint of the time minus the
//   bucket start, 8 bytes of the value (the double's bits, little-endian).
// A decoder that runs out of bytes, meets unknown flags or buckets out of order refuses the page
// with an error naming the byte offset.
#include <cstdint>
#include <span>
#include <vector>

#include "core/error.hpp"
#include "historian/rollup.hpp"

namespace weir::historian {

// The span of one page of `level`'s buckets (1 min: an hour; 1 h: a day).
std::int64_t page_ms(Level level);
// The start of the page holding time `ms`.
std::int64_t page_start(Level level, std::int64_t ms);

// `buckets`: sorted by start, all within the page starting at `start` (width: level_ms(level)).
std::vector<std::uint8_t> encode_page(Level level, std::int64_t start,
                                      std::span<const Bucket> buckets);
// Appends one bucket to an encoded page (an empty `page` gets the header first): what
// encode_page() does bucket by bucket. `b` must start after the page's last bucket and within it.
void append_to_page(Level level, std::int64_t start, const Bucket& b,
                    std::vector<std::uint8_t>& page);
Result<std::vector<Bucket>> decode_page(Level level, std::int64_t start,
                                        std::span<const std::uint8_t> bytes);
// Decodes and appends to `out` (the trend's read path: no vector per page).
Status decode_page_into(Level level, std::int64_t start, std::span<const std::uint8_t> bytes,
                        std::vector<Bucket>& out);

// `existing` and `incoming` sorted by start: one list, buckets of the same start merged.
std::vector<Bucket> merge_buckets(std::span<const Bucket> existing,
                                  std::span<const Bucket> incoming);

// A page being filled in memory (a store's open page of one tag and level), kept encoded.
struct PageBuffer {
  std::int64_t start = 0;          // page_start() of its buckets
  std::vector<std::uint8_t> data;  // encode_page() of its buckets; empty: no bucket yet
  std::size_t n = 0;               // buckets in it
  std::int64_t last_start = 0;     // start of its latest bucket (valid when n > 0)
};
// The page starting at `start` holding `buckets` (sorted by start, at least one).
PageBuffer page_of(Level level, std::int64_t start, std::span<const Bucket> buckets);
// Adds `b` (a bucket of `level` within the page) to the page. A bucket after the last one is
// appended in its encoded form (append_to_page); an earlier one or one of the same start (late
// values) has the page decoded, merged and encoded again.
Status add_to_page(Level level, PageBuffer& page, const Bucket& b);
// The page in memory holds only what came since it was last written (a restart mid-page, or a
// page that left memory under the budget and received a bucket again): `stored`, its row's bytes,
// and it become one page (buckets of the same start merged).
Status merge_with_stored(Level level, PageBuffer& page, std::span<const std::uint8_t> stored);

}  // namespace weir::historian
