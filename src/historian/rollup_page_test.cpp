#include "historian/rollup_page.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>

#include "historian/page_budget.hpp"

namespace weir::historian {
namespace {

constexpr std::int64_t kHour = 3'600'000;

Bucket bucket(std::int64_t start, std::initializer_list<std::pair<std::int64_t, double>> values) {
  Bucket b;
  b.start_ms = start;
  for (auto [ms, v] : values) b.add(ms, v);
  return b;
}

TEST(RollupPage, AppendingBucketByBucketIsTheEncodedPage) {
  const std::int64_t page = 2 * kHour;
  const std::vector<Bucket> in{bucket(page, {{page + 1, 5}, {page + 2, 1}}),
                               bucket(page + 3 * 60'000, {{page + 3 * 60'000 + 7, -2}})};
  std::vector<std::uint8_t> appended;
  for (const auto& b : in) append_to_page(Level::m1, page, b, appended);
  EXPECT_EQ(appended, encode_page(Level::m1, page, in));
  auto out = decode_page(Level::m1, page, appended);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, in);
}

TEST(RollupPage, RoundTripKeepsEveryFieldAndTime) {
  const std::int64_t page = 5 * kHour;
  std::vector<Bucket> in{
      bucket(page, {{page + 10, 3}, {page + 20, -1}, {page + 59'000, 7}}),  // min, max inside
      bucket(page + 60'000, {{page + 60'000, 1}, {page + 61'000, 2}}),      // min first, max last
      bucket(page + 59 * 60'000, {{page + 59 * 60'000 + 5, 4}}),            // one value
      bucket(page + 30 * 60'000, {{page + 30 * 60'000, std::numeric_limits<double>::infinity()},
                                  {page + 30 * 60'000 + 1, -5}}),  // sum inf
  };
  std::sort(in.begin(), in.end(),
            [](const Bucket& a, const Bucket& b) { return a.start_ms < b.start_ms; });
  const auto bytes = encode_page(Level::m1, page, in);
  auto out = decode_page(Level::m1, page, bytes);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, in);
  // Min/max that are the first/last value cost nothing: a bucket of one value is small.
  const std::vector<Bucket> one{in[0]};
  EXPECT_LT(encode_page(Level::m1, page, {&in.back(), 1}).size(),
            encode_page(Level::m1, page, one).size());
}

TEST(RollupPage, DailyPagesOfHourBuckets) {
  const std::int64_t day = page_start(Level::h1, 1'700'000'000'000);
  EXPECT_EQ(day % 86'400'000, 0);
  EXPECT_EQ(page_start(Level::m1, -1), -kHour);  // floor, not truncation
  std::vector<Bucket> in;
  for (int h = 0; h < 24; ++h)
    in.push_back(bucket(day + h * kHour, {{day + h * kHour + 7, h * 1.5}}));
  auto out = decode_page(Level::h1, day, encode_page(Level::h1, day, in));
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, in);
}

TEST(RollupPage, CorruptPagesAreRefusedWithTheOffset) {
  const std::vector<Bucket> in{bucket(0, {{5, 1}, {7, 2}, {9, 0}})};
  auto bytes = encode_page(Level::m1, 0, in);
  for (std::size_t cut = 4; cut < bytes.size(); ++cut) {
    auto r = decode_page(Level::m1, 0, std::span(bytes).first(cut));
    ASSERT_FALSE(r) << cut;
    EXPECT_NE(r.error().message.find("at byte"), std::string::npos);
  }
  auto bad = bytes;
  bad[0] = 'X';
  EXPECT_FALSE(decode_page(Level::m1, 0, bad));
  bad = bytes;
  bad[4] = 0xf0;  // unknown flags
  EXPECT_FALSE(decode_page(Level::m1, 0, bad));
  bad = bytes;
  bad[3] = 60;  // index past the page (60 buckets of 1 min)
  auto r = decode_page(Level::m1, 0, bad);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("byte 3"), std::string::npos);
}

TEST(RollupPage, MergeAddsBucketsOfTheSameStart) {
  const std::vector<Bucket> stored{bucket(0, {{1, 5}, {2, 6}}), bucket(120'000, {{120'001, 1}})};
  const std::vector<Bucket> incoming{bucket(0, {{30, 100}}), bucket(60'000, {{60'000, 2}}),
                                     bucket(120'000, {{120'500, -4}})};
  const auto m = merge_buckets(stored, incoming);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].count, 3u);
  EXPECT_EQ(m[0].max, 100);  // a spike arriving after a restart is kept
  EXPECT_EQ(m[0].max_ms, 30);
  EXPECT_EQ(m[0].last, 100);
  EXPECT_EQ(m[1].start_ms, 60'000);
  EXPECT_EQ(m[2].min, -4);
  EXPECT_EQ(m[2].first, 1);
}

}  // namespace
}  // namespace weir::historian

namespace weir::historian {
namespace {

struct Owner {
  int id = 0;
};

TEST(PageBudget, EvictsTheLeastRecentlyAppendedWhileOverBudget) {
  PageBudget<Owner> budget(100);
  std::array<Owner, 4> owners{{{0}, {1}, {2}, {3}}};
  std::array<PageBudget<Owner>::Slot, 4> slots;
  for (int i = 0; i < 4; ++i) slots[i].owner = &owners[i];
  budget.appended(slots[0], 30);
  budget.appended(slots[1], 30);
  budget.appended(slots[2], 30);
  budget.appended(slots[0], 40);  // grew, and now the most recent
  EXPECT_EQ(budget.bytes(), 100u);
  std::vector<int> gone;
  auto drop = [&](PageBudget<Owner>::Slot& s) { gone.push_back(s.owner->id); };
  EXPECT_EQ(budget.evict(drop), 0u);  // not over
  budget.appended(slots[3], 50);      // 150: slots 1 and 2 (the oldest) go
  EXPECT_EQ(budget.evict(drop), 2u);
  EXPECT_EQ(gone, (std::vector<int>{1, 2}));
  EXPECT_EQ(budget.bytes(), 90u);
  budget.resized(slots[0], 60);  // merged with its row: 110, over again
  budget.released(slots[3]);     // its tag's next page started: 60
  EXPECT_EQ(budget.bytes(), 60u);
  EXPECT_FALSE(slots[3].linked);
  budget.resized(slots[3], 500);  // not held: nothing counted
  EXPECT_EQ(budget.bytes(), 60u);
  budget.set_max_bytes(0);
  EXPECT_EQ(budget.evict(drop), 1u);
  EXPECT_EQ(gone.back(), 0);
  EXPECT_EQ(budget.bytes(), 0u);
}

}  // namespace
}  // namespace weir::historian
