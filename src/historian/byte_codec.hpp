#pragma once
// The byte-level pieces of the historian's encodings (chunk_codec: values in a chunk; rollup_page:
// a page of rollup buckets): zigzag, little-endian base-128 varints, little-endian doubles, and a
// bounds-checked reader that answers false instead of reading past the end.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace weir::historian::bytes {

inline std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
inline std::int64_t unzigzag(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

inline void put_varint(std::vector<std::uint8_t>& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(v));
}

inline void put_double(std::vector<std::uint8_t>& out, double d) {
  auto bits = std::bit_cast<std::uint64_t>(d);
  for (int i = 0; i < 8; ++i, bits >>= 8) out.push_back(static_cast<std::uint8_t>(bits));
}

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> b) : b_(b) {}
  bool done() const { return pos_ >= b_.size(); }
  std::size_t pos() const { return pos_; }
  bool byte(std::uint8_t& v) {
    if (pos_ >= b_.size()) return false;
    v = b_[pos_++];
    return true;
  }
  bool varint(std::uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      std::uint8_t c = 0;
      if (!byte(c)) return false;
      v |= static_cast<std::uint64_t>(c & 0x7f) << shift;
      if (!(c & 0x80)) return true;
    }
    return false;  // more than 10 bytes
  }
  bool bytes(std::size_t n, const std::uint8_t*& p) {
    if (b_.size() - pos_ < n) return false;
    p = b_.data() + pos_;
    pos_ += n;
    return true;
  }
  bool real(double& d) {
    if (b_.size() - pos_ < 8) return false;
    std::uint64_t bits = 0;
    for (int i = 7; i >= 0; --i) bits = bits << 8 | b_[pos_ + static_cast<std::size_t>(i)];
    pos_ += 8;
    d = std::bit_cast<double>(bits);
    return true;
  }

 private:
  std::span<const std::uint8_t> b_;
  std::size_t pos_ = 0;
};

}  // namespace weir::historian::bytes
