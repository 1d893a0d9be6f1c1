#include "historian/sqlite_history_store.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "historian/page_budget_test_support.hpp"
#include "historian/rollup_page.hpp"
#include "storage/database.hpp"
#include "storage/statement.hpp"
#include "storage/storage_test_support.hpp"

namespace weir::historian {
namespace {

using storage::testing::TempDir;

constexpr std::int64_t kT0 = 1'700'000'000'000;

struct StoreFixture : ::testing::Test {
  TempDir dir;
  ManualClock clock{from_unix_ms(kT0)};
  std::unique_ptr<SqliteHistoryStore> store;

  std::string file = "history.db";
  std::size_t open_pages_bytes = 64u << 20;

  void open(std::size_t chunk_values = 100, std::size_t max_queue = 1'000'000) {
    store.reset();
    SqliteStoreOptions o;
    o.background = false;
    o.chunk_values = chunk_values;
    o.max_queue = max_queue;
    o.open_pages_bytes = open_pages_bytes;
    o.clock = &clock;
    auto s = SqliteHistoryStore::open(dir.file(file), o);
    ASSERT_TRUE(s) << s.error().message;
    store = std::move(*s);
    store->define_tags({{"A@X", ValueKind::float_}, {"A@S", ValueKind::enum_}});
  }
  void write_series(std::uint32_t tag, std::int64_t from, int n, std::int64_t step,
                    double (*f)(int)) {
    std::vector<TaggedSample> batch;
    for (int i = 0; i < n; ++i)
      batch.push_back({tag, Sample{from + i * step, from + i * step + 1, f(i)}});
    store->append(std::move(batch), {});
  }
};

TEST_F(StoreFixture, RawQueryPagesWithACursorAcrossChunksAndReopen) {
  open(64);
  write_series(0, kT0, 1000, 1000, [](int i) { return i * 0.5; });
  ASSERT_TRUE(store->flush());
  EXPECT_EQ(store->stats().stored, 1000u);
  open(64);  // reopened: everything written is there
  RawQuery q{{"A@X"}, kT0 + 10'000, kT0 + 500'000, 300, {}};
  std::vector<Sample> all;
  for (int page = 0; page < 10; ++page) {
    auto r = store->raw_now(q);
    ASSERT_TRUE(r) << r.error().message;
    for (auto& row : r->rows) all.push_back(row.sample);
    if (!r->next) break;
    auto c = RawCursor::decode(r->next->encode());
    ASSERT_TRUE(c);
    q.cursor = *c;
  }
  ASSERT_EQ(all.size(), 490u);
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].source_ms, kT0 + static_cast<std::int64_t>(10 + i) * 1000);
    EXPECT_EQ(all[i].server_ms, all[i].source_ms + 1);
    EXPECT_EQ(all[i].value, model::Value((10 + static_cast<double>(i)) * 0.5));
  }
}

TEST_F(StoreFixture, CursorHandlesEqualTimestamps) {
  open();
  std::vector<TaggedSample> batch;
  for (int i = 0; i < 10; ++i) batch.push_back({0, Sample{kT0, kT0, double(i)}});
  store->append(std::move(batch), {});
  RawQuery q{{"A@X", "A@S"}, kT0, kT0 + 1, 3, {}};
  std::vector<double> seen;
  for (int page = 0; page < 10; ++page) {
    auto r = store->raw_now(q);
    ASSERT_TRUE(r);
    for (auto& row : r->rows) seen.push_back(std::get<double>(row.sample.value));
    if (!r->next) break;
    q.cursor = r->next;
  }
  ASSERT_EQ(seen.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(seen[i], i);
}

TEST_F(StoreFixture, TrendUsesRollupsAndKeepsTheSpike) {
  open(256);
  // 2 days at 1 s: 172,800 values, one spike.
  const int n = 172'800;
  write_series(0, kT0, n, 1000, [](int i) { return i == 100'000 ? 999.0 : (i % 60) * 0.1; });
  ASSERT_TRUE(store->flush());
  auto r = store->trend_now({{"A@X"}, kT0, kT0 + n * 1000LL, 100});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  const auto& s = (*r)[0];
  EXPECT_EQ(s.level, Level::m1);  // 2880 minutes >= 100 > 48 hours
  ASSERT_EQ(s.buckets.size(), 100u);
  std::uint64_t count = 0;
  double max = 0;
  for (const auto& b : s.buckets) {
    count += b.count;
    max = std::max(max, b.max);
  }
  EXPECT_EQ(count, static_cast<std::uint64_t>(n));  // the open buckets come from memory
  EXPECT_EQ(max, 999.0);
  // A short range is served from raw values: the same answer.
  auto raw = store->trend_now({{"A@X"}, kT0 + 99'990'000, kT0 + 100'010'000, 1000});
  ASSERT_TRUE(raw);
  EXPECT_EQ((*raw)[0].level, Level::raw);
  EXPECT_EQ((*raw)[0].buckets.size(), 20u);
  // Rollups written on the final flush survive a reopen and merge with what follows.
  ASSERT_TRUE(store->flush(true));
  open(256);
  write_series(0, kT0 + n * 1000LL, 10, 1000, [](int) { return 1.0; });
  ASSERT_TRUE(store->flush(true));
  auto after = store->trend_now({{"A@X"}, kT0, kT0 + (n + 10) * 1000LL, 10});
  ASSERT_TRUE(after);
  count = 0;
  for (const auto& b : (*after)[0].buckets) count += b.count;
  EXPECT_EQ(count, static_cast<std::uint64_t>(n + 10));
}

TEST_F(StoreFixture, RollupsLostInACrashAreRebuiltFromTheStoredValues) {
  open(256);
  const int n = 7'300;  // two hours and a bit at 1 s: every level has an open bucket
  write_series(0, kT0, n, 1000, [](int i) { return double(i % 100); });
  ASSERT_TRUE(store->flush());  // committed, open buckets only in memory
  // What a kill -9 leaves: the file and its WAL as they are now.
  for (const char* ext : {"", "-wal"})
    std::filesystem::copy_file(dir.file(std::string("history.db") + ext),
                               dir.file(std::string("crash.db") + ext));
  SqliteStoreOptions o;
  o.background = false;
  auto crashed = SqliteHistoryStore::open(dir.file("crash.db"), o);
  ASSERT_TRUE(crashed);
  (*crashed)->define_tags({{"A@X", ValueKind::float_}});
  for (std::size_t budget : {2, 100, 1000}) {  // the 1 h, 1 min and 1 s levels
    auto r = (*crashed)->trend_now({{"A@X"}, kT0, kT0 + n * 1000LL, budget});
    ASSERT_TRUE(r) << r.error().message;
    std::uint64_t count = 0;
    for (const auto& b : (*r)[0].buckets) count += b.count;
    EXPECT_EQ(count, static_cast<std::uint64_t>(n)) << level_name((*r)[0].level);
  }
}

// The buckets stored in a tag's rollup page, read from the file.
std::vector<Bucket> stored_page(const std::filesystem::path& file, Level level, std::int64_t page) {
  auto db = storage::Database::open(file);
  EXPECT_TRUE(db);
  auto s = (*db)->prepare(std::string("SELECT data FROM ") + std::string(rollup_table(level)) +
                          " WHERE tag = (SELECT id FROM tags WHERE name = 'A@X') AND page_ms = ?");
  EXPECT_TRUE(s);
  s->bind(1, page);
  auto more = s->step();
  EXPECT_TRUE(more && *more) << "no page at " << page;
  if (!more || !*more) return {};
  auto b = decode_page(level, page, s->blob(0));
  EXPECT_TRUE(b);
  return b ? *b : std::vector<Bucket>{};
}

std::uint64_t total_count(const std::vector<Bucket>& buckets) {
  std::uint64_t n = 0;
  for (const auto& b : buckets) n += b.count;
  return n;
}

TEST_F(StoreFixture, RestartMidHourMergesWithTheStoredPage) {
  const std::int64_t hour = (kT0 / 3'600'000 + 1) * 3'600'000;
  open(256);
  write_series(0, hour, 1800, 1000, [](int i) { return double(i % 7); });  // half an hour
  ASSERT_TRUE(store->flush(true));  // shutdown: the open buckets go into the pages
  open(256);                        // a restart mid-hour (and mid-day)
  write_series(0, hour + 1'800'000, 1200, 1000, [](int i) { return 10.0 + i % 5; });
  ASSERT_TRUE(store->flush(true));
  store.reset();
  // The 1 min page holds both runs' buckets: the second run read the stored page once and
  // merged, it did not overwrite it.
  const auto minutes = stored_page(dir.file("history.db"), Level::m1, hour);
  ASSERT_EQ(minutes.size(), 50u);
  EXPECT_EQ(minutes.front().start_ms, hour);
  EXPECT_EQ(minutes.back().start_ms, hour + 49 * 60'000);
  EXPECT_EQ(total_count(minutes), 3000u);
  // The 1 h bucket was open at the restart: the stored part and the new part are one bucket.
  const auto hours = stored_page(dir.file("history.db"), Level::h1, page_start(Level::h1, hour));
  ASSERT_EQ(hours.size(), 1u);
  EXPECT_EQ(hours[0].count, 3000u);
  EXPECT_EQ(hours[0].first_ms, hour);
  EXPECT_EQ(hours[0].last_ms, hour + 2'999'000);
  EXPECT_EQ(hours[0].max, 14.0);
  EXPECT_EQ(hours[0].min, 0.0);
}

TEST_F(StoreFixture, APageLeavesMemoryWhenTheTagsNextPageStarts) {
  const std::int64_t hour = (kT0 / 3'600'000 + 1) * 3'600'000;
  open(256);
  std::size_t most = 0;
  for (int h = 0; h < 4; ++h) {
    write_series(0, hour + h * 3'600'000LL, 360, 10'000, [](int i) { return double(i); });
    ASSERT_TRUE(store->flush());
    auto m = store->page_memory();
    ASSERT_TRUE(m) << m.error().message;
    // One page per stored level at most: this hour's 1 min buckets, today's 1 h buckets.
    EXPECT_LE(m->pages, 2u) << "hour " << h;
    most = std::max(most, m->bytes);
  }
  EXPECT_LT(most, 60u * 64);  // about an hour of 1 min buckets, not four
  ASSERT_TRUE(store->flush(true));
  store.reset();
  // Each hour's page was written once it was left (and the last one at shutdown).
  for (int h = 0; h < 4; ++h) {
    const auto minutes = stored_page(dir.file("history.db"), Level::m1, hour + h * 3'600'000LL);
    EXPECT_EQ(minutes.size(), 60u) << "hour " << h;
    EXPECT_EQ(total_count(minutes), 360u) << "hour " << h;
  }
}

// 20 tags, 90 minutes of a value every 10 s, with pages for 8 KB (the tags' pages need ~40 KB):
// after every commit the pages held stay under the budget, pages leave memory and come back, and
// every 1 min and 1 h bucket is exact — across a clean restart (minute 45) and a kill -9 (70).
TEST_F(StoreFixture, PagesStayUnderTheBudgetAndEveryBucketStaysExact) {
  testing::BudgetWorkload w;
  w.base = (kT0 / 3'600'000 + 1) * 3'600'000;
  open_pages_bytes = 8 * 1024;
  std::uint64_t evictions = 0, reloads = 0;
  auto reopen = [&] {
    open(1024);
    store->define_tags(w.defs());
  };
  reopen();
  for (int m = 0; m < 90; ++m) {
    store->append(w.minute(m), {});
    ASSERT_TRUE(store->flush());
    const auto st = store->stats();
    EXPECT_LE(st.page_bytes, open_pages_bytes) << "minute " << m;
    auto mem = store->page_memory();
    ASSERT_TRUE(mem);
    EXPECT_LE(mem->bytes, open_pages_bytes) << "minute " << m;
    EXPECT_EQ(mem->bytes, st.page_bytes) << "minute " << m;
    if (m == 45) {  // a clean restart
      evictions += st.page_evictions, reloads += st.page_reloads;
      ASSERT_TRUE(store->flush(true));
      reopen();
    }
    if (m == 70) {  // a kill -9 after the commit: the file and its WAL as they are now
      evictions += st.page_evictions, reloads += st.page_reloads;
      for (const char* ext : {"", "-wal"})
        std::filesystem::copy_file(dir.file(std::string("history.db") + ext),
                                   dir.file(std::string("crash.db") + ext));
      file = "crash.db";
      reopen();
    }
  }
  evictions += store->stats().page_evictions, reloads += store->stats().page_reloads;
  EXPECT_GT(evictions, 100u);
  EXPECT_GT(reloads, 100u);
  auto check = [&](Level level, std::int64_t to, std::size_t points) {
    const auto want = w.expected(level, 90);
    for (std::uint32_t k = 0; k < w.tags; ++k) {
      auto r = store->trend_now({{w.name(k)}, w.base, to, points});
      ASSERT_TRUE(r) << r.error().message;
      ASSERT_EQ((*r)[0].level, level);
      EXPECT_EQ((*r)[0].buckets, want[k]) << level_name(level) << " tag " << k;
    }
  };
  check(Level::m1, w.base + 90 * 60'000, 90);
  check(Level::h1, w.base + 2 * 3'600'000, 2);
  ASSERT_TRUE(store->flush(true));
  open(1024);  // everything from the file
  store->define_tags(w.defs());
  check(Level::m1, w.base + 90 * 60'000, 90);
  check(Level::h1, w.base + 2 * 3'600'000, 2);
}

TEST_F(StoreFixture, EnumsAndEvents) {
  open();
  store->append({{1, Sample{kT0, kT0, std::string("OPENED")}},
                 {1, Sample{kT0 + 5, kT0 + 5, std::string("CLOSED")}}},
                {{kT0, "alarm", "pump_low", R"({"state":"ACTIVE"})"},
                 {kT0 + 1, "driver", "WaterTank", R"({"state":"online"})"}});
  auto r = store->raw_now({{"A@S"}, kT0, kT0 + 10, 10, {}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->rows.size(), 2u);
  EXPECT_EQ(r->rows[1].sample.value, model::Value(std::string("CLOSED")));
  EventQuery q;
  q.kind = "driver";
  auto e = store->events_now(q);
  ASSERT_TRUE(e);
  ASSERT_EQ(e->size(), 1u);
  EXPECT_EQ((*e)[0].event.source, "WaterTank");
  EXPECT_EQ(store->stats().events_stored, 2u);
}

TEST_F(StoreFixture, FullQueueDropsAndCounts) {
  open(100, 50);
  std::vector<TaggedSample> batch;
  for (int i = 0; i < 80; ++i) batch.push_back({0, Sample{kT0 + i, kT0 + i, double(i)}});
  store->append(std::move(batch), {});
  ASSERT_TRUE(store->flush());
  const auto s = store->stats();
  EXPECT_EQ(s.stored, 50u);
  EXPECT_EQ(s.dropped, 30u);
  EXPECT_EQ(s.queued, 0u);
  EXPECT_EQ(s.committed_through_ms, kT0 + 49);
}

TEST_F(StoreFixture, RetentionByAgeAndBySize) {
  open(16);
  write_series(0, kT0, 10'000, 1000, [](int i) { return double(i % 7) + i * 1e-3; });
  ASSERT_TRUE(store->flush());
  clock.set(from_unix_ms(kT0 + 10'000'000));
  RetentionSettings r;
  r.raw_max_age_ms = 5'000'000;  // keeps what is younger than kT0 + 5,000 s
  store->set_retention(r);
  ASSERT_TRUE(store->run_retention());
  EXPECT_GT(store->stats().retention_deleted_chunks, 0u);
  auto rows = store->raw_now({{"A@X"}, 0, kT0 + 100'000'000, 100'000, {}});
  ASSERT_TRUE(rows);
  ASSERT_FALSE(rows->rows.empty());
  EXPECT_GE(rows->rows.front().sample.source_ms, kT0 + 4'900'000);
  EXPECT_LT(rows->rows.front().sample.source_ms, kT0 + 5'100'000);
  EXPECT_EQ(rows->rows.back().sample.source_ms, kT0 + 9'999'000);

  // Over the size cap: the oldest chunks go first, the newest stay.
  const auto used = store->stats().used_bytes;
  const auto deleted = store->stats().retention_deleted_chunks;
  r.raw_max_age_ms = 0;
  r.max_bytes = used - 8192;
  store->set_retention(r);
  ASSERT_TRUE(store->run_retention());
  EXPECT_GT(store->stats().retention_deleted_chunks, deleted);
  EXPECT_LE(store->stats().used_bytes, used - 8192);
  auto left = store->raw_now({{"A@X"}, 0, kT0 + 100'000'000, 100'000, {}});
  ASSERT_TRUE(left);
  ASSERT_FALSE(left->rows.empty());
  ASSERT_LT(left->rows.size(), rows->rows.size());
  const std::size_t dropped = rows->rows.size() - left->rows.size();
  for (std::size_t i = 0; i < left->rows.size(); ++i)
    ASSERT_EQ(left->rows[i].sample, rows->rows[dropped + i].sample);
}

TEST_F(StoreFixture, TrendFromRollupPagesMatchesTheRawValuesAndKeepsASpike) {
  open(256);
  const int n = 20'000;  // 5.5 hours at 1 s: 100 points come from the 1 min pages
  write_series(0, kT0, n, 1000, [](int i) { return i == 12'345 ? 1e6 : std::sin(i / 50.0); });
  ASSERT_TRUE(store->flush(true));
  open(256);  // read back from the file: every bucket from the pages
  const std::int64_t from = kT0 + 777, to = kT0 + n * 1000LL;
  auto r = store->trend_now({{"A@X"}, from, to, 100});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ((*r)[0].level, Level::m1);
  auto raw = store->raw_now({{"A@X"}, 0, INT64_MAX, 100'000, {}});
  ASSERT_TRUE(raw);
  // The same output buckets computed from the values on 1 min boundaries.
  std::vector<Sample> samples;
  for (const auto& row : raw->rows)
    if (row.sample.source_ms >= page_start(Level::m1, from)) samples.push_back(row.sample);
  const std::int64_t width = (*r)[0].width_ms;
  std::vector<Bucket> minutes = bucket_samples(samples, kT0 - kT0 % 60'000, to + 60'000, 60'000);
  const auto expect = regroup(minutes, from, to, width);
  ASSERT_EQ((*r)[0].buckets, expect);
  double max = 0;
  for (const auto& b : (*r)[0].buckets) max = std::max(max, b.max);
  EXPECT_EQ(max, 1e6);
}

TEST_F(StoreFixture, ALayoutOneDatabaseGetsItsRollupsRebuilt) {
  {
    // A database as the first historian wrote it: one row per 1 min bucket (here a wrong one,
    // which must not survive) and the values in a chunk.
    auto db = storage::Database::open(dir.file("history.db"));
    ASSERT_TRUE(db);
    ASSERT_TRUE((*db)->exec(R"sql(
CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, kind TEXT NOT NULL);
CREATE TABLE chunks (id INTEGER PRIMARY KEY, tag INTEGER NOT NULL, t0 INTEGER NOT NULL,
  t1 INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE rollup_1m (tag INTEGER NOT NULL, start_ms INTEGER NOT NULL, count INTEGER NOT NULL,
  sum REAL NOT NULL, first REAL NOT NULL, first_ms INTEGER NOT NULL, last REAL NOT NULL,
  last_ms INTEGER NOT NULL, min REAL NOT NULL, min_ms INTEGER NOT NULL, max REAL NOT NULL,
  max_ms INTEGER NOT NULL, PRIMARY KEY (tag, start_ms)) WITHOUT ROWID;
CREATE TABLE events (id INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, kind TEXT NOT NULL,
  source TEXT NOT NULL, detail TEXT NOT NULL);
INSERT INTO tags VALUES (1, 'A@X', 'float');
INSERT INTO rollup_1m VALUES (1, 0, 99, 0, 0, 0, 0, 0, 0, 0, 0, 0);
PRAGMA user_version = 1;
)sql"));
    ChunkEncoder enc(ValueKind::float_);
    for (int i = 0; i < 600; ++i)
      enc.append(Sample{kT0 + i * 1000LL, kT0 + i * 1000LL, double(i % 7)});
    auto ins = (*db)->prepare("INSERT INTO chunks(tag, t0, t1, n, data) VALUES (1, ?, ?, ?, ?)");
    ASSERT_TRUE(ins);
    ASSERT_TRUE(ins->bind_all(enc.first_ms(), enc.last_ms(), enc.count(), enc.bytes()).run());
  }
  open();
  auto r = store->trend_now({{"A@X"}, kT0 - 3'600'000, kT0 + 3'600'000, 60});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ((*r)[0].level, Level::m1);
  std::uint64_t count = 0;
  for (const auto& b : (*r)[0].buckets) count += b.count;
  EXPECT_EQ(count, 600u);
  store.reset();
  auto db = storage::Database::open(dir.file("history.db"));
  ASSERT_TRUE(db);
  EXPECT_EQ(*(*db)->user_version(), 2);
}

}  // namespace
}  // namespace weir::historian
