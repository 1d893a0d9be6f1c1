#include "historian/rollup_page.hpp"

#include <bit>
#include <string>

#include "historian/byte_codec.hpp"

namespace weir::historian {
namespace {

constexpr std::uint8_t kMagic0 = 'W';
constexpr std::uint8_t kMagic1 = 'R';
constexpr std::uint8_t kVersion = 1;
constexpr std::size_t kHeader = 3;

constexpr std::uint8_t kMinIsFirst = 1;
constexpr std::uint8_t kMinIsLast = 2;
constexpr std::uint8_t kMaxIsFirst = 4;
constexpr std::uint8_t kMaxIsLast = 8;
constexpr std::uint8_t kKnownFlags = 15;

using bytes::put_double;
using bytes::put_varint;
using bytes::Reader;
using bytes::unzigzag;
using bytes::zigzag;

bool same(double a, std::int64_t a_ms, double b, std::int64_t b_ms) {
  return a_ms == b_ms && std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

Error corrupt(std::size_t at, const std::string& what) {
  return Error::make(ErrorKind::internal, "corrupt_rollup",
                     "rollup page corrupt at byte " + std::to_string(at) + ": " + what);
}

}  // namespace

std::int64_t page_ms(Level level) {
  return level == Level::h1 ? 86'400'000 : level == Level::m1 ? 3'600'000 : 60'000;
}

std::int64_t page_start(Level level, std::int64_t ms) {
  return floor_to(ms, page_ms(level));
}

PageBuffer page_of(Level level, std::int64_t start, std::span<const Bucket> buckets) {
  return PageBuffer{start, encode_page(level, start, buckets), buckets.size(),
                    buckets.back().start_ms};
}

Status add_to_page(Level level, PageBuffer& page, const Bucket& b) {
  if (page.n == 0 || b.start_ms > page.last_start) {
    append_to_page(level, page.start, b, page.data);
    ++page.n;
    page.last_start = b.start_ms;
    return {};
  }
  auto stored = decode_page(level, page.start, page.data);
  if (!stored) return stored.error();
  page = page_of(level, page.start, merge_buckets(*stored, std::span(&b, 1)));
  return {};
}

Status merge_with_stored(Level level, PageBuffer& page, std::span<const std::uint8_t> stored) {
  auto old = decode_page(level, page.start, stored);
  if (!old) return old.error();
  auto mine = decode_page(level, page.start, page.data);
  if (!mine) return mine.error();
  const auto merged = merge_buckets(*old, *mine);
  if (!merged.empty()) page = page_of(level, page.start, merged);
  return {};
}

void append_to_page(Level level, std::int64_t start, const Bucket& b,
                    std::vector<std::uint8_t>& page) {
  if (page.empty()) {
    page.reserve(kHeader + 48);  // a bucket is 20-60 bytes
    page = {kMagic0, kMagic1, kVersion};
  }
  put_varint(page, static_cast<std::uint64_t>((b.start_ms - start) / level_ms(level)));
  std::uint8_t flags = 0;
  if (same(b.min, b.min_ms, b.first, b.first_ms))
    flags |= kMinIsFirst;
  else if (same(b.min, b.min_ms, b.last, b.last_ms))
    flags |= kMinIsLast;
  if (same(b.max, b.max_ms, b.first, b.first_ms))
    flags |= kMaxIsFirst;
  else if (same(b.max, b.max_ms, b.last, b.last_ms))
    flags |= kMaxIsLast;
  page.push_back(flags);
  put_varint(page, b.count);
  put_double(page, b.sum);
  auto point = [&](double v, std::int64_t ms) {
    put_varint(page, zigzag(ms - b.start_ms));
    put_double(page, v);
  };
  point(b.first, b.first_ms);
  point(b.last, b.last_ms);
  if (!(flags & (kMinIsFirst | kMinIsLast))) point(b.min, b.min_ms);
  if (!(flags & (kMaxIsFirst | kMaxIsLast))) point(b.max, b.max_ms);
}

std::vector<std::uint8_t> encode_page(Level level, std::int64_t start,
                                      std::span<const Bucket> buckets) {
  std::vector<std::uint8_t> out{kMagic0, kMagic1, kVersion};
  out.reserve(kHeader + buckets.size() * 40);
  for (const Bucket& b : buckets) append_to_page(level, start, b, out);
  return out;
}

Status decode_page_into(Level level, std::int64_t start, std::span<const std::uint8_t> bytes,
                        std::vector<Bucket>& out) {
  if (bytes.size() < kHeader || bytes[0] != kMagic0 || bytes[1] != kMagic1)
    return corrupt(0, "not a rollup page");
  if (bytes[2] != kVersion) return corrupt(2, "unknown version " + std::to_string(bytes[2]));
  const std::int64_t width = level_ms(level);
  const std::uint64_t slots = static_cast<std::uint64_t>(page_ms(level) / width);
  Reader r(bytes.subspan(kHeader));
  std::int64_t prev_index = -1;
  while (!r.done()) {
    const std::size_t at = kHeader + r.pos();
    std::uint64_t index = 0, count = 0;
    std::uint8_t flags = 0;
    Bucket b;
    if (!r.varint(index) || !r.byte(flags)) return corrupt(at, "truncated bucket");
    if (index >= slots || static_cast<std::int64_t>(index) <= prev_index)
      return corrupt(at, "bucket index " + std::to_string(index) + " out of order");
    if (flags & ~kKnownFlags) return corrupt(at + 1, "unknown flags");
    prev_index = static_cast<std::int64_t>(index);
    b.start_ms = start + static_cast<std::int64_t>(index) * width;
    if (!r.varint(count) || !r.real(b.sum)) return corrupt(kHeader + r.pos(), "truncated bucket");
    b.count = count;
    auto point = [&](double& v, std::int64_t& ms) {
      std::uint64_t z = 0;
      if (!r.varint(z) || !r.real(v)) return false;
      ms = b.start_ms + unzigzag(z);
      return true;
    };
    if (!point(b.first, b.first_ms) || !point(b.last, b.last_ms))
      return corrupt(kHeader + r.pos(), "truncated bucket");
    if (flags & kMinIsFirst)
      b.min = b.first, b.min_ms = b.first_ms;
    else if (flags & kMinIsLast)
      b.min = b.last, b.min_ms = b.last_ms;
    else if (!point(b.min, b.min_ms))
      return corrupt(kHeader + r.pos(), "truncated bucket");
    if (flags & kMaxIsFirst)
      b.max = b.first, b.max_ms = b.first_ms;
    else if (flags & kMaxIsLast)
      b.max = b.last, b.max_ms = b.last_ms;
    else if (!point(b.max, b.max_ms))
      return corrupt(kHeader + r.pos(), "truncated bucket");
    out.push_back(b);
  }
  return {};
}

Result<std::vector<Bucket>> decode_page(Level level, std::int64_t start,
                                        std::span<const std::uint8_t> bytes) {
  std::vector<Bucket> out;
  if (auto st = decode_page_into(level, start, bytes, out); !st) return st.error();
  return out;
}

std::vector<Bucket> merge_buckets(std::span<const Bucket> existing,
                                  std::span<const Bucket> incoming) {
  std::vector<Bucket> out;
  out.reserve(existing.size() + incoming.size());
  std::size_t i = 0, j = 0;
  while (i < existing.size() || j < incoming.size()) {
    const Bucket* next = nullptr;
    if (j == incoming.size() ||
        (i < existing.size() && existing[i].start_ms < incoming[j].start_ms))
      next = &existing[i++];
    else
      next = &incoming[j++];
    if (!out.empty() && out.back().start_ms == next->start_ms)
      out.back().merge(*next);
    else
      out.push_back(*next);
  }
  return out;
}

}  // namespace weir::historian
