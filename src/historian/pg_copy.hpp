#pragma once
// PostgreSQL's binary COPY format, pure: rows of typed fields into one buffer that is handed to
// libpq's PQputCopyData as it is (pg_history_store.cpp). Big-endian integers and floats, bytea and
// text as their bytes. See "COPY ... BINARY" in the PostgreSQL manual: an 11-byte signature, flags
// and extension length, then per row the field count and each field's length and bytes, then -1.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace weir::historian {

class PgCopyBuffer {
 public:
  PgCopyBuffer();
  // Starts a row of `fields` fields; then exactly that many field calls.
  void row(std::int16_t fields);
  void i16(std::int16_t v);
  void i32(std::int32_t v);
  void i64(std::int64_t v);
  void f64(double v);
  void bytes(std::span<const std::uint8_t> v);
  void text(std::string_view v);
  void null();
  // The trailer; the buffer is then complete.
  const std::string& finish();
  std::size_t rows() const { return rows_; }
  bool empty() const { return rows_ == 0; }

 private:
  void be(std::uint64_t v, int n);
  std::string out_;
  std::size_t rows_ = 0;
};

}  // namespace weir::historian
