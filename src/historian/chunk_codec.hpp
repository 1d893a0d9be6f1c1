#pragma once
// The chunk codec: a tag's samples in one blob, appended to one at a time (so a chunk being filled
// is written as it grows) and decoded whole. Pure: bytes in, samples out.
//
// Layout: "WH" magic, version 1, the ValueKind; then per sample:
//   flags (1 byte): bit0 quality/reason changed (then 1 byte: quality << 4 | reason),
//                   bit1 server-minus-source offset changed (then a zigzag varint),
//                   bit2 value equal to the previous one (nothing follows for the value),
//                   bit3 no value, bit4 the bool value; bits 5-7 must be 0.
//   source time: zigzag varint; the first sample's absolute ms, the second's delta, then the
//                delta of deltas (a regular period costs one byte).
//   value:  float: XOR with the previous value's bits: 1 byte (leading zero bytes << 4 |
//                  trailing zero bytes) then the middle bytes; NaN and infinities round-trip.
//           int:   zigzag varint of the difference from the previous value.
//           string/enum: varint length, then the bytes.
// A decoder that runs out of bytes, meets unknown flag bits or another count than expected
// refuses the chunk with an error naming the byte offset.
#include <cstdint>
#include <span>
#include <vector>

#include "core/error.hpp"
#include "historian/sample.hpp"

namespace weir::historian {

class ChunkEncoder {
 public:
  explicit ChunkEncoder(ValueKind kind);
  // Appends one sample. A value of another kind than the chunk's is stored as "no value".
  void append(const Sample& s);
  const std::vector<std::uint8_t>& bytes() const { return out_; }
  std::size_t count() const { return count_; }
  ValueKind kind() const { return kind_; }
  std::int64_t first_ms() const { return first_ms_; }
  std::int64_t last_ms() const { return prev_ms_; }

 private:
  ValueKind kind_;
  std::vector<std::uint8_t> out_;
  std::size_t count_ = 0;
  std::int64_t first_ms_ = 0;
  std::int64_t prev_ms_ = 0;
  std::int64_t prev_delta_ = 0;
  std::int64_t prev_offset_ = 0;
  std::uint8_t prev_quality_ = 0;  // quality << 4 | reason; good/none
  bool have_value_ = false;
  std::uint64_t prev_bits_ = 0;  // float: the bits; int: the value
  std::string prev_text_;
  bool prev_bool_ = false;
};

struct DecodedChunk {
  ValueKind kind = ValueKind::float_;
  std::vector<Sample> samples;
};

// `expected_count`: the count stored beside the blob (checked), or -1 when not known.
Result<DecodedChunk> decode_chunk(std::span<const std::uint8_t> bytes,
                                  std::int64_t expected_count = -1);

}  // namespace weir::historian
