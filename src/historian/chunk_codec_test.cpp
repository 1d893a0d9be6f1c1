#include "historian/chunk_codec.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

namespace weir::historian {
namespace {

using model::Quality;
using model::QualityReason;

Sample at(std::int64_t ms, model::Value v, Quality q = Quality::good,
          QualityReason r = QualityReason::none, std::int64_t server_delay = 3) {
  return Sample{ms, ms + server_delay, std::move(v), q, r};
}

std::vector<Sample> round_trip(ValueKind kind, const std::vector<Sample>& in) {
  ChunkEncoder enc(kind);
  for (const auto& s : in) enc.append(s);
  EXPECT_EQ(enc.count(), in.size());
  auto out = decode_chunk(enc.bytes(), static_cast<std::int64_t>(in.size()));
  EXPECT_TRUE(out) << (out ? "" : out.error().message);
  if (!out) return {};
  EXPECT_EQ(out->kind, kind);
  return out->samples;
}

TEST(ChunkCodec, EmptyChunkDecodesToNothing) {
  ChunkEncoder enc(ValueKind::float_);
  auto out = decode_chunk(enc.bytes(), 0);
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->samples.empty());
}

TEST(ChunkCodec, OneValue) {
  std::vector<Sample> in{at(1'700'000'000'123, 42.5)};
  EXPECT_EQ(round_trip(ValueKind::float_, in), in);
}

TEST(ChunkCodec, RegularFloatsRoundTripAndStaySmall) {
  std::vector<Sample> in;
  std::mt19937_64 rng(7);
  std::normal_distribution<double> step(0, 0.5);
  double v = 50;
  for (int i = 0; i < 1000; ++i) {
    v += step(rng);
    in.push_back(at(1'700'000'000'000 + i * 1000, v));
  }
  ChunkEncoder enc(ValueKind::float_);
  for (const auto& s : in) enc.append(s);
  EXPECT_EQ(round_trip(ValueKind::float_, in), in);
  // One byte of flags, one of time, at most 9 of value.
  EXPECT_LT(enc.bytes().size(), 11u * in.size());
}

TEST(ChunkCodec, NaNAndInfinitiesKeepTheirBits) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<Sample> in{at(1000, 1.0),  at(2000, nan), at(3000, inf),   at(4000, -inf),
                         at(5000, -0.0), at(6000, nan), at(7000, 1e-310)};
  auto out = round_trip(ValueKind::float_, in);
  ASSERT_EQ(out.size(), in.size());
  EXPECT_TRUE(std::isnan(std::get<double>(out[1].value)));
  EXPECT_TRUE(std::isnan(std::get<double>(out[5].value)));
  EXPECT_EQ(std::get<double>(out[2].value), inf);
  EXPECT_EQ(std::get<double>(out[3].value), -inf);
  EXPECT_TRUE(std::signbit(std::get<double>(out[4].value)));
  EXPECT_EQ(std::get<double>(out[6].value), 1e-310);
}

TEST(ChunkCodec, IntsBoolsStringsEnums) {
  std::vector<Sample> ints{at(0, std::int64_t{5}), at(10, std::int64_t{-7}),
                           at(20, std::int64_t{-7}),
                           at(30, std::numeric_limits<std::int64_t>::max()),
                           at(40, std::numeric_limits<std::int64_t>::min())};
  EXPECT_EQ(round_trip(ValueKind::int_, ints), ints);
  std::vector<Sample> bools{at(0, true), at(10, false), at(20, false), at(25, true)};
  EXPECT_EQ(round_trip(ValueKind::bool_, bools), bools);
  std::vector<Sample> texts{at(0, std::string("héllo")), at(1, std::string("")),
                            at(2, std::string("")), at(3, std::string(300, 'x'))};
  EXPECT_EQ(round_trip(ValueKind::string, texts), texts);
  std::vector<Sample> enums{at(0, std::string("OPENED")), at(1, std::string("OPENED")),
                            at(2, std::string("CLOSED"))};
  EXPECT_EQ(round_trip(ValueKind::enum_, enums), enums);
}

TEST(ChunkCodec, QualityReasonAndBothTimestampsAreKept) {
  std::vector<Sample> in{
      at(1000, 1.0, Quality::uncertain, QualityReason::initial, 0),
      at(2000, 2.0, Quality::good, QualityReason::none, 15),
      at(3000, 2.0, Quality::bad, QualityReason::not_connected, 15),
      at(2500, 3.0, Quality::bad, QualityReason::not_connected, -40),  // time going back
      at(4000, model::Value{}, Quality::bad, QualityReason::device_failure, 1),
      at(5000, 4.0, Quality::good, QualityReason::manual_override, 1)};
  EXPECT_EQ(round_trip(ValueKind::float_, in), in);
}

TEST(ChunkCodec, CorruptChunksAreRefusedWithWhere) {
  ChunkEncoder enc(ValueKind::string);
  enc.append(at(1000, std::string("abc")));
  enc.append(at(2000, std::string("defgh")));
  auto bytes = enc.bytes();

  auto truncated = bytes;
  truncated.pop_back();
  auto r = decode_chunk(truncated);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("corrupt chunk at byte"), std::string::npos);

  auto bad_magic = bytes;
  bad_magic[0] = 'X';
  EXPECT_FALSE(decode_chunk(bad_magic));

  auto bad_flags = bytes;
  bad_flags[4] = 0xE0;
  r = decode_chunk(bad_flags);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("unknown flags"), std::string::npos);

  r = decode_chunk(bytes, 3);  // the row says 3 samples
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("expected 3"), std::string::npos);

  EXPECT_FALSE(decode_chunk(std::vector<std::uint8_t>{'W', 'H'}));
  EXPECT_FALSE(decode_chunk(std::vector<std::uint8_t>{'W', 'H', 1, 9}));
}

TEST(ChunkCodec, RandomBytesNeverCrash) {
  std::mt19937 rng(3);
  for (int i = 0; i < 2000; ++i) {
    std::vector<std::uint8_t> b{'W', 'H', 1, static_cast<std::uint8_t>(1 + rng() % 5)};
    const int n = static_cast<int>(rng() % 40);
    for (int k = 0; k < n; ++k) b.push_back(static_cast<std::uint8_t>(rng()));
    (void)decode_chunk(b);
  }
}

}  // namespace
}  // namespace weir::historian
