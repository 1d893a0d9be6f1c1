#include "historian/pg_copy.hpp"

#include <bit>
#include <cstring>

namespace weir::historian {

PgCopyBuffer::PgCopyBuffer() {
  static constexpr char kSignature[] = "PGCOPY\n\377\r\n";  // 11 bytes with the trailing NUL
  out_.append(kSignature, 11);
  be(0, 4);  // flags: no OIDs
  be(0, 4);  // header extension length
}

void PgCopyBuffer::be(std::uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void PgCopyBuffer::row(std::int16_t fields) {
  be(static_cast<std::uint16_t>(fields), 2);
  ++rows_;
}
void PgCopyBuffer::i16(std::int16_t v) {
  be(2, 4);
  be(static_cast<std::uint16_t>(v), 2);
}
void PgCopyBuffer::i32(std::int32_t v) {
  be(4, 4);
  be(static_cast<std::uint32_t>(v), 4);
}
void PgCopyBuffer::i64(std::int64_t v) {
  be(8, 4);
  be(static_cast<std::uint64_t>(v), 8);
}
void PgCopyBuffer::f64(double v) {
  be(8, 4);
  be(std::bit_cast<std::uint64_t>(v), 8);
}
void PgCopyBuffer::bytes(std::span<const std::uint8_t> v) {
  be(static_cast<std::uint32_t>(v.size()), 4);
  out_.append(reinterpret_cast<const char*>(v.data()), v.size());
}
void PgCopyBuffer::text(std::string_view v) {
  be(static_cast<std::uint32_t>(v.size()), 4);
  out_.append(v);
}
void PgCopyBuffer::null() {
  be(0xffffffffu, 4);
}

const std::string& PgCopyBuffer::finish() {
  be(0xffff, 2);
  return out_;
}

}  // namespace weir::historian
