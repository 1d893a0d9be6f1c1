#include "historian/chunk_codec.hpp"

#include <bit>
#include <cstring>
#include <string>

#include "historian/byte_codec.hpp"

namespace weir::historian {
namespace {

constexpr std::uint8_t kMagic0 = 'W';
constexpr std::uint8_t kMagic1 = 'H';
constexpr std::uint8_t kVersion = 1;
constexpr std::size_t kHeader = 4;

constexpr std::uint8_t kQualityChanged = 1;
constexpr std::uint8_t kOffsetChanged = 2;
constexpr std::uint8_t kSameValue = 4;
constexpr std::uint8_t kNoValue = 8;
constexpr std::uint8_t kBoolTrue = 16;
constexpr std::uint8_t kKnownFlags = 31;

constexpr std::size_t kMaxText = 1 << 20;  // a longer text value is refused as corrupt

using bytes::put_varint;
using bytes::Reader;
using bytes::unzigzag;
using bytes::zigzag;

std::uint8_t quality_byte(model::Quality q, model::QualityReason r) {
  return static_cast<std::uint8_t>((static_cast<unsigned>(q) << 4) | static_cast<unsigned>(r));
}

}  // namespace

ChunkEncoder::ChunkEncoder(ValueKind kind) : kind_(kind) {
  out_ = {kMagic0, kMagic1, kVersion, static_cast<std::uint8_t>(kind)};
}

void ChunkEncoder::append(const Sample& s) {
  const std::size_t flags_at = out_.size();
  out_.push_back(0);
  std::uint8_t flags = 0;
  const std::uint8_t q = quality_byte(s.quality, s.reason);
  if (q != prev_quality_) {
    flags |= kQualityChanged;
    out_.push_back(q);
    prev_quality_ = q;
  }
  const std::int64_t offset = s.server_ms - s.source_ms;
  if (offset != prev_offset_) {
    flags |= kOffsetChanged;
    put_varint(out_, zigzag(offset));
    prev_offset_ = offset;
  }
  // Source time: absolute, delta, then delta of deltas.
  if (count_ == 0) {
    put_varint(out_, zigzag(s.source_ms));
    first_ms_ = s.source_ms;
  } else {
    const std::int64_t delta = s.source_ms - prev_ms_;
    put_varint(out_, zigzag(count_ == 1 ? delta : delta - prev_delta_));
    prev_delta_ = delta;
  }
  prev_ms_ = s.source_ms;

  switch (kind_) {
    case ValueKind::float_: {
      double d = 0;
      if (const auto* x = std::get_if<double>(&s.value))
        d = *x;
      else if (const auto* i = std::get_if<std::int64_t>(&s.value))
        d = static_cast<double>(*i);
      else {
        flags |= kNoValue;
        break;
      }
      const auto bits = std::bit_cast<std::uint64_t>(d);
      const std::uint64_t x = have_value_ ? bits ^ prev_bits_ : bits;
      if (have_value_ && x == 0) {
        flags |= kSameValue;
        break;
      }
      const int lead = x == 0 ? 8 : std::countl_zero(x) / 8;
      const int trail = x == 0 ? 0 : std::countr_zero(x) / 8;
      out_.push_back(static_cast<std::uint8_t>(lead << 4 | trail));
      for (int i = 7 - lead; i >= trail; --i)
        out_.push_back(static_cast<std::uint8_t>(x >> (8 * i)));
      prev_bits_ = bits;
      have_value_ = true;
      break;
    }
    case ValueKind::int_: {
      const auto* i = std::get_if<std::int64_t>(&s.value);
      if (!i) {
        flags |= kNoValue;
        break;
      }
      const auto v = static_cast<std::uint64_t>(*i);
      if (have_value_ && v == prev_bits_) {
        flags |= kSameValue;
        break;
      }
      put_varint(out_, zigzag(static_cast<std::int64_t>(v - (have_value_ ? prev_bits_ : 0))));
      prev_bits_ = v;
      have_value_ = true;
      break;
    }
    case ValueKind::bool_: {
      const auto* b = std::get_if<bool>(&s.value);
      if (!b)
        flags |= kNoValue;
      else if (*b)
        flags |= kBoolTrue;
      break;
    }
    case ValueKind::string:
    case ValueKind::enum_: {
      const auto* t = std::get_if<std::string>(&s.value);
      if (!t) {
        flags |= kNoValue;
        break;
      }
      if (have_value_ && *t == prev_text_) {
        flags |= kSameValue;
        break;
      }
      const std::size_t n = std::min(t->size(), kMaxText);
      put_varint(out_, n);
      out_.insert(out_.end(), t->begin(), t->begin() + static_cast<std::ptrdiff_t>(n));
      prev_text_.assign(*t, 0, n);
      have_value_ = true;
      break;
    }
  }
  out_[flags_at] = flags;
  ++count_;
}

Result<DecodedChunk> decode_chunk(std::span<const std::uint8_t> bytes,
                                  std::int64_t expected_count) {
  auto corrupt = [](std::size_t at, const std::string& what) {
    return Error::make(ErrorKind::internal, "corrupt_chunk",
                       "corrupt chunk at byte " + std::to_string(at) + ": " + what);
  };
  if (bytes.size() < kHeader || bytes[0] != kMagic0 || bytes[1] != kMagic1)
    return corrupt(0, "not a historian chunk");
  if (bytes[2] != kVersion) return corrupt(2, "unknown version " + std::to_string(bytes[2]));
  const auto kind = static_cast<ValueKind>(bytes[3]);
  if (bytes[3] < 1 || bytes[3] > 5) return corrupt(3, "unknown value kind");
  DecodedChunk out;
  out.kind = kind;
  Reader r(bytes.subspan(kHeader));
  std::uint8_t quality = 0;
  std::int64_t offset = 0, prev_ms = 0, prev_delta = 0;
  std::uint64_t prev_bits = 0;
  std::string prev_text;
  bool have_value = false;
  std::size_t n = 0;
  while (!r.done()) {
    const std::size_t at = kHeader + r.pos();
    std::uint8_t flags = 0;
    r.byte(flags);
    if (flags & ~kKnownFlags) return corrupt(at, "unknown flags");
    if (flags & kQualityChanged) {
      if (!r.byte(quality)) return corrupt(at, "truncated quality");
      if ((quality >> 4) > 2 || (quality & 15) > 8) return corrupt(at, "bad quality");
    }
    std::uint64_t v = 0;
    if (flags & kOffsetChanged) {
      if (!r.varint(v)) return corrupt(at, "truncated server time");
      offset = unzigzag(v);
    }
    if (!r.varint(v)) return corrupt(at, "truncated time");
    if (n == 0) {
      prev_ms = unzigzag(v);
    } else {
      const std::int64_t delta = n == 1 ? unzigzag(v) : prev_delta + unzigzag(v);
      prev_ms += delta;
      prev_delta = delta;
    }
    Sample s;
    s.source_ms = prev_ms;
    s.server_ms = prev_ms + offset;
    s.quality = static_cast<model::Quality>(quality >> 4);
    s.reason = static_cast<model::QualityReason>(quality & 15);
    const bool same = flags & kSameValue;
    if (same && (flags & kNoValue)) return corrupt(at, "contradictory flags");
    if (same && !have_value) return corrupt(at, "repeats a value before the first");
    if (flags & kNoValue) {
      // no value
    } else if (kind == ValueKind::float_) {
      if (!same) {
        std::uint8_t ctl = 0;
        if (!r.byte(ctl)) return corrupt(at, "truncated value");
        const int lead = ctl >> 4, trail = ctl & 15;
        if (lead + trail > 8) return corrupt(at, "bad float control byte");
        const std::uint8_t* p = nullptr;
        if (!r.bytes(static_cast<std::size_t>(8 - lead - trail), p))
          return corrupt(at, "truncated value");
        std::uint64_t x = 0;
        for (int i = 0; i < 8 - lead - trail; ++i) x = (x << 8) | p[i];
        x <<= 8 * trail;
        prev_bits = have_value ? prev_bits ^ x : x;
        have_value = true;
      }
      s.value = std::bit_cast<double>(prev_bits);
    } else if (kind == ValueKind::int_) {
      if (!same) {
        if (!r.varint(v)) return corrupt(at, "truncated value");
        prev_bits = (have_value ? prev_bits : 0) + static_cast<std::uint64_t>(unzigzag(v));
        have_value = true;
      }
      s.value = static_cast<std::int64_t>(prev_bits);
    } else if (kind == ValueKind::bool_) {
      if (same) return corrupt(at, "contradictory flags");
      s.value = (flags & kBoolTrue) != 0;
    } else {
      if (!same) {
        if (!r.varint(v) || v > kMaxText) return corrupt(at, "bad text length");
        const std::uint8_t* p = nullptr;
        if (!r.bytes(static_cast<std::size_t>(v), p)) return corrupt(at, "truncated text");
        prev_text.assign(reinterpret_cast<const char*>(p), static_cast<std::size_t>(v));
        have_value = true;
      }
      s.value = prev_text;
    }
    if (kind != ValueKind::bool_ && (flags & kBoolTrue)) return corrupt(at, "unknown flags");
    out.samples.push_back(std::move(s));
    ++n;
  }
  if (expected_count >= 0 && static_cast<std::int64_t>(n) != expected_count)
    return corrupt(bytes.size(), "holds " + std::to_string(n) + " samples, expected " +
                                     std::to_string(expected_count));
  return out;
}

}  // namespace weir::historian
