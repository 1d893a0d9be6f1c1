// The PostgreSQL store against a real PostgreSQL 15 (one server for this binary, one schema per
// test): writes and raw paging, trends from each level, two writers into one database (their
// rollup pages merged), retention dropping whole partitions, an unreachable database, a writer
// killed with buckets open rebuilt by its node's next run, a layout-1 database converted and a
// newer one refused. The binary COPY buffer's layout; the page helpers (pg_pages.hpp).
#include "historian/pg_history_store.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <thread>

#include "historian/page_budget_test_support.hpp"
#include "historian/pg_copy.hpp"
#include "historian/pg_test_server.hpp"

namespace weir::historian {
namespace {

constexpr std::int64_t kT0 = 1'700'000'000'000;  // 2023-11-14T22:13:20Z

testing::PgTestServer& server() {
  static testing::PgTestServer s(WEIR_PGSERVER_PY);
  return s;
}

// A fresh schema per test: the store's tables go there (search_path in the connection string).
std::string fresh_schema_url() {
  static int n = 0;
  const std::string schema = "t" + std::to_string(++n);
  PGconn* c = PQconnectdb(server().url().c_str());
  EXPECT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
  PGresult* r = PQexec(c, ("CREATE SCHEMA " + schema).c_str());
  EXPECT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(c);
  return server().url() + " options='-c search_path=" + schema + "'";
}

// Runs SQL on the test's schema (the connection string's search_path).
std::vector<std::string> sql(const std::string& url, const std::string& q) {
  PGconn* c = PQconnectdb(url.c_str());
  EXPECT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
  PGresult* r = PQexec(c, q.c_str());
  const auto st = PQresultStatus(r);
  EXPECT_TRUE(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
      << q << ": " << PQresultErrorMessage(r);
  std::vector<std::string> out;
  for (int i = 0; i < PQntuples(r); ++i) out.emplace_back(PQgetvalue(r, i, 0));
  PQclear(r);
  PQfinish(c);
  return out;
}

struct PgStoreTest : ::testing::Test {
  ManualClock clock{from_unix_ms(kT0)};
  std::string url;
  std::size_t open_pages_bytes = 64u << 20;

  void SetUp() override {
    // PostgreSQL 15 is a dependency (scripts/debian-packages.txt): a machine without it fails here.
    ASSERT_FALSE(server().url().empty()) << "no PostgreSQL 15: " << server().error();
    url = fresh_schema_url();
  }
  // Runs `write` (opens a store it never closes, writes, commits) in a child process that then
  // ends without closing anything — what kill -9 leaves — and waits until the server has noticed
  // its connections gone (and freed its writer's session lock).
  template <class F>
  void run_and_die(F&& write) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) std::_Exit(write() ? 0 : 1);  // no destructor, no final flush
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    const std::string others =
        "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> "
        "pg_backend_pid()";
    for (int i = 0; i < 200 && sql(url, others)[0] != "0"; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::unique_ptr<PgHistoryStore> open(std::size_t chunk_values = 100,
                                       std::int64_t partition_ms = 86'400'000,
                                       std::string node = "") {
    PgStoreOptions o;
    o.node = std::move(node);
    o.conninfo = url;
    o.background = false;
    o.chunk_values = chunk_values;
    o.partition_ms = partition_ms;
    o.open_pages_bytes = open_pages_bytes;
    o.clock = &clock;
    auto s = PgHistoryStore::open(o);
    EXPECT_TRUE(s) << s.error().message;
    return std::move(*s);
  }
};

std::uint64_t count_sum(const TrendSeries& s) {
  std::uint64_t n = 0;
  for (const auto& b : s.buckets) n += b.count;
  return n;
}

std::vector<TaggedSample> series(std::uint32_t tag, std::int64_t from, int n, std::int64_t step,
                                 int phase = 0) {
  std::vector<TaggedSample> out;
  for (int i = 0; i < n; ++i) {
    const std::int64_t t = from + i * step;
    out.push_back({tag, Sample{t, t + 1, std::sin((i + phase) * 0.01) * 100 + (i % 7)}});
  }
  return out;
}

TEST(PgCopyBuffer, BinaryLayout) {
  PgCopyBuffer b;
  b.row(2);
  b.i64(-2);
  b.text("ab");
  const std::string& s = b.finish();
  const std::string want = std::string("PGCOPY\n\377\r\n\0", 11) + std::string(8, '\0') +
                           std::string("\0\2", 2) + std::string("\0\0\0\x08", 4) +
                           std::string(7, '\xff') + "\xfe" + std::string("\0\0\0\2", 4) + "ab" +
                           "\xff\xff";
  EXPECT_EQ(s, want);
  EXPECT_EQ(b.rows(), 1u);
}

TEST_F(PgStoreTest, WritesAndPagesRawValuesInOrder) {
  auto store = open(100);
  store->define_tags({{"A@X", ValueKind::float_}, {"A@S", ValueKind::string}});
  auto a = series(0, kT0, 2500, 1000);
  std::vector<TaggedSample> s;
  for (int i = 0; i < 30; ++i)
    s.push_back({1, Sample{kT0 + i * 500, kT0 + i * 500, std::string(i % 3 ? "run" : "stop")}});
  store->append(a, {{kT0, "user_action", "admin", R"({"action":"x"})"}});
  store->append(s, {});
  ASSERT_TRUE(store->flush());  // open chunks in history_open_chunks, closed ones in partitions
  auto check = [&] {
    std::vector<RawRow> rows;
    std::optional<RawCursor> cursor;
    int pages = 0;
    do {
      auto p = store->raw_now({{"A@X", "A@S"}, kT0, kT0 + 10'000'000, 700, cursor});
      ASSERT_TRUE(p) << p.error().message;
      rows.insert(rows.end(), p->rows.begin(), p->rows.end());
      cursor = p->next;
      ++pages;
    } while (cursor && pages < 20);
    ASSERT_EQ(rows.size(), a.size() + s.size());
    EXPECT_GE(pages, 4);
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(rows[i].tag_pos, 0u);
      EXPECT_EQ(rows[i].sample, a[i].sample) << i;
    }
    for (std::size_t i = 0; i < s.size(); ++i) EXPECT_EQ(rows[a.size() + i].sample, s[i].sample);
  };
  check();
  ASSERT_TRUE(store->flush(true));  // every chunk closed
  check();
  auto ev = store->events_now({});
  ASSERT_TRUE(ev);
  ASSERT_EQ(ev->size(), 1u);
  EXPECT_EQ((*ev)[0].event.source, "admin");
  const auto st = store->stats();
  EXPECT_EQ(st.stored, a.size() + s.size());
  EXPECT_EQ(st.events_stored, 1u);
  EXPECT_TRUE(st.connected);
  // Reopened: the values are there (a new writer id).
  const auto first_writer = store->writer_id();
  store.reset();
  store = open(100);
  EXPECT_NE(store->writer_id(), first_writer);
  store->define_tags({{"A@X", ValueKind::float_}, {"A@S", ValueKind::string}});
  check();
}

TEST_F(PgStoreTest, TrendReadsTheRightLevelAndKeepsSpikes) {
  auto store = open(256);
  store->define_tags({{"P@L", ValueKind::float_}});
  auto v = series(0, kT0, 3 * 8640, 10'000);  // 3 days, one value every 10 s
  v[5000].sample.value = 1e6;                 // a spike
  store->append(v, {});
  ASSERT_TRUE(store->flush());  // the open buckets stay in memory: the trend adds them
  auto sum_counts = [](const TrendSeries& s) {
    std::uint64_t n = 0;
    double mx = -1e300;
    for (const auto& b : s.buckets) {
      n += b.count;
      mx = std::max(mx, b.max);
    }
    return std::pair{n, mx};
  };
  const std::int64_t to = kT0 + 3 * 86'400'000LL;
  for (auto [budget, level] : {std::pair{50u, Level::h1}, std::pair{1000u, Level::m1}}) {
    auto r = store->trend_now({{"P@L"}, kT0, to, budget});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ((*r)[0].level, level);
    auto [n, mx] = sum_counts((*r)[0]);
    EXPECT_EQ(n, v.size());
    EXPECT_EQ(mx, 1e6);
  }
  // A short range: from the raw values, the same as bucketing them here.
  const std::int64_t from = kT0 + 49'000'000, end = from + 600'000;
  auto r = store->trend_now({{"P@L"}, from, end, 1000});
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].level, Level::raw);
  std::vector<Sample> raw;
  for (const auto& x : v)
    if (x.sample.source_ms >= from && x.sample.source_ms < end) raw.push_back(x.sample);
  EXPECT_EQ((*r)[0].buckets, bucket_samples(raw, from, end, output_width(from, end, 1000)));
  // After a final flush the buckets are all stored: the same answers.
  ASSERT_TRUE(store->flush(true));
  auto h = store->trend_now({{"P@L"}, kT0, to, 50});
  ASSERT_TRUE(h);
  EXPECT_EQ(sum_counts((*h)[0]).first, v.size());
}

TEST_F(PgStoreTest, TwoWritersShareOneDatabase) {
  auto a = open(64);
  auto b = open(64);
  a->define_tags({{"Plant@FLOW", ValueKind::float_}, {"Plant@A", ValueKind::float_}});
  b->define_tags({{"Plant@FLOW", ValueKind::float_}, {"Plant@B", ValueKind::float_}});
  std::vector<TaggedSample> va, vb;
  for (int i = 0; i < 2000; ++i) {
    const std::int64_t t = kT0 + i * 1000;
    (i % 2 ? vb : va).push_back({0, Sample{t, t, static_cast<double>(i)}});
  }
  a->append(va, {});
  b->append(vb, {});
  a->append({{1, Sample{kT0, kT0, 1.0}}}, {});
  b->append({{1, Sample{kT0, kT0, 2.0}}}, {});
  ASSERT_TRUE(a->flush(true));
  ASSERT_TRUE(b->flush(true));
  EXPECT_NE(a->writer_id(), b->writer_id());
  for (auto* s : {a.get(), b.get()}) {
    auto r = s->raw_now({{"Plant@FLOW", "Plant@A", "Plant@B"}, kT0, kT0 + 3'000'000, 10'000, {}});
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->rows.size(), 2002u);
    for (int i = 0; i < 2000; ++i) {
      EXPECT_EQ(r->rows[i].sample.source_ms, kT0 + i * 1000) << i;  // interleaved, in order
      EXPECT_EQ(std::get<double>(r->rows[i].sample.value), i);
    }
    // One 1 min bucket holds both writers' values: merged by ON CONFLICT DO UPDATE.
    const std::int64_t from = kT0 - kT0 % 60'000;  // whole minutes: every value in the range
    auto t = s->trend_now({{"Plant@FLOW"}, from, from + 34 * 60'000, 33});
    ASSERT_TRUE(t);
    ASSERT_EQ((*t)[0].level, Level::m1);
    std::uint64_t n = 0;
    for (const auto& bk : (*t)[0].buckets) n += bk.count;
    EXPECT_EQ(n, 2000u);
    // Each writer has its own page of those minutes; the buckets of one start are merged: one
    // bucket a minute, a whole minute holding both writers' 60 values.
    const auto& bk = (*t)[0].buckets;
    for (std::size_t i = 1; i < bk.size(); ++i) EXPECT_LT(bk[i - 1].start_ms, bk[i].start_ms);
    ASSERT_GE(bk.size(), 3u);
    EXPECT_EQ(bk[1].count, 60u);
    EXPECT_EQ((*t)[0].buckets.front().first, 0);
    EXPECT_EQ((*t)[0].buckets.front().first_ms, kT0);
  }
}

TEST_F(PgStoreTest, RetentionDropsWholePartitions) {
  auto store = open(32, 3'600'000);  // hourly partitions
  store->define_tags({{"P@L", ValueKind::float_}});
  const std::int64_t base = kT0 - kT0 % 3'600'000;
  store->append(series(0, base, 10 * 360, 10'000), {});  // 10 hours
  ASSERT_TRUE(store->flush(true));
  clock.set(from_unix_ms(base + 10 * 3'600'000LL));
  RetentionSettings r;
  r.raw_max_age_ms = 5 * 3'600'000LL;
  store->set_retention(r);
  ASSERT_TRUE(store->run_retention());
  const auto st = store->stats();
  EXPECT_GE(st.retention_dropped_partitions, 4u);
  EXPECT_GE(st.retention_deleted_chunks, 4u * 360 / 32);
  auto old = store->raw_now({{"P@L"}, base, base + 4 * 3'600'000LL, 10'000, {}});
  ASSERT_TRUE(old);
  EXPECT_TRUE(old->rows.empty());
  auto recent =
      store->raw_now({{"P@L"}, base + 6 * 3'600'000LL, base + 10 * 3'600'000LL, 10'000, {}});
  ASSERT_TRUE(recent);
  EXPECT_EQ(recent->rows.size(), 4u * 360);
  // The size cap: the oldest partitions go first, the newest stays.
  r.raw_max_age_ms = 0;
  r.max_bytes = 1;
  store->set_retention(r);
  ASSERT_TRUE(store->run_retention());
  auto left = store->raw_now({{"P@L"}, base, base + 11 * 3'600'000LL, 10'000, {}});
  ASSERT_TRUE(left);
  EXPECT_LT(left->rows.size(), 4u * 360);
}

TEST_F(PgStoreTest, ANodeRebuildsTheBucketsItsKilledRunHadOpen) {
  // 95.5 min of values 10 s apart: the run commits, then dies (no shutdown) with its open 1 min
  // and 1 h buckets only in memory; the values themselves are committed.
  const std::int64_t base = kT0 - kT0 % 3'600'000;
  const auto v = series(0, base, 95 * 6 + 3, 10'000);
  run_and_die([&] {
    auto* store = open(64, 86'400'000, "node-a").release();  // never closed
    store->define_tags({{"P@L", ValueKind::float_}});
    store->append(v, {});
    return bool(store->flush());
  });
  const std::int64_t to = base + 2 * 3'600'000LL;
  auto counts = [&](PgHistoryStore& s) {
    auto m = s.trend_now({{"P@L"}, base, to, 100});  // 120 1 min buckets
    auto h = s.trend_now({{"P@L"}, base, to, 2});    // 2 1 h buckets
    EXPECT_TRUE(m && h);
    EXPECT_EQ((*m)[0].level, Level::m1);
    EXPECT_EQ((*h)[0].level, Level::h1);
    return std::pair{count_sum((*m)[0]), count_sum((*h)[0])};
  };
  {
    auto other = open(64, 86'400'000, "node-b");  // another node's store leaves it alone
    other->define_tags({{"P@L", ValueKind::float_}});
    auto [m, h] = counts(*other);
    EXPECT_EQ(m, v.size() - 3);           // the open minute: 3 values
    EXPECT_EQ(h, v.size() - 35 * 6 - 3);  // the open hour: 35.5 min
    auto raw = other->raw_now({{"P@L"}, base, to, 10'000, {}});
    ASSERT_TRUE(raw);
    EXPECT_EQ(raw->rows.size(), v.size());
  }
  for (int run = 0; run < 2; ++run) {  // the second run finds nothing left to do: no double count
    auto store = open(64, 86'400'000, "node-a");
    store->define_tags({{"P@L", ValueKind::float_}});
    EXPECT_EQ(counts(*store), std::pair(std::uint64_t{v.size()}, std::uint64_t{v.size()}));
    EXPECT_EQ(sql(url, "SELECT count(*) FROM history_open_chunks")[0], "0");  // moved
    auto raw = store->raw_now({{"P@L"}, base, to, 10'000, {}});
    ASSERT_TRUE(raw);
    EXPECT_EQ(raw->rows.size(), v.size());
  }
  EXPECT_EQ(sql(url, "SELECT count(*) FROM history_writers WHERE closed_ms IS NULL")[0], "0");
}

// 20 tags, 90 minutes of a value every 10 s, with pages for 8 KB (the tags' pages need ~40 KB):
// after every commit the pages held stay under the budget, pages leave memory and come back
// (merged with the writer's rows), and every 1 min and 1 h bucket is exact — across a clean
// restart (minute 45) and a run killed after its commit at minute 70 (recovered by the next).
TEST_F(PgStoreTest, PagesStayUnderTheBudgetAndEveryBucketStaysExact) {
  testing::BudgetWorkload w;
  w.base = kT0 - kT0 % 3'600'000;
  open_pages_bytes = 8 * 1024;
  std::uint64_t evictions = 0, reloads = 0;
  // Minutes [from, to) into `store`, checking the budget after each commit.
  auto write = [&](PgHistoryStore& store, int from, int to) {
    bool ok = true;
    for (int m = from; m < to; ++m) {
      store.append(w.minute(m), {});
      ok = ok && store.flush();
      const auto st = store.stats();
      EXPECT_LE(st.page_bytes, open_pages_bytes) << "minute " << m;
      ok = ok && st.page_bytes <= open_pages_bytes;
    }
    return ok;
  };
  {
    auto store = open(1024, 86'400'000, "node-a");
    store->define_tags(w.defs());
    EXPECT_TRUE(write(*store, 0, 46));
    evictions += store->stats().page_evictions, reloads += store->stats().page_reloads;
  }                  // a clean restart
  run_and_die([&] {  // a run killed after its commit at minute 70
    auto* store = open(1024, 86'400'000, "node-a").release();  // never closed
    store->define_tags(w.defs());
    const bool ok = write(*store, 46, 71);
    const auto st = store->stats();
    if (!ok || st.page_evictions == 0 || st.page_reloads == 0)  // a child: no gtest counts
      std::fprintf(stderr, "killed run: ok %d, %llu evictions, %llu reloads\n", int(ok),
                   static_cast<unsigned long long>(st.page_evictions),
                   static_cast<unsigned long long>(st.page_reloads));
    return ok && st.page_evictions > 0 && st.page_reloads > 0;
  });
  auto store = open(1024, 86'400'000, "node-a");  // recovers the killed run's open buckets
  store->define_tags(w.defs());
  EXPECT_TRUE(write(*store, 71, 90));
  evictions += store->stats().page_evictions, reloads += store->stats().page_reloads;
  EXPECT_GT(evictions, 100u);
  EXPECT_GT(reloads, 100u);
  auto check = [&](PgHistoryStore& s, Level level, std::int64_t to, std::size_t points) {
    const auto want = w.expected(level, 90);
    for (std::uint32_t k = 0; k < w.tags; ++k) {
      auto r = s.trend_now({{w.name(k)}, w.base, to, points});
      ASSERT_TRUE(r) << r.error().message;
      ASSERT_EQ((*r)[0].level, level);
      EXPECT_EQ((*r)[0].buckets, want[k]) << level_name(level) << " tag " << k;
    }
  };
  check(*store, Level::m1, w.base + 90 * 60'000, 90);
  check(*store, Level::h1, w.base + 2 * 3'600'000, 2);
  store.reset();  // closed: everything from the database
  auto again = open(1024, 86'400'000, "node-a");
  again->define_tags(w.defs());
  check(*again, Level::m1, w.base + 90 * 60'000, 90);
  check(*again, Level::h1, w.base + 2 * 3'600'000, 2);
}

TEST_F(PgStoreTest, RecoveryOfAKilledRunCoversEveryTag) {
  // More tags than one recovery batch (500): each tag's open buckets rebuilt into a page.
  const std::int64_t base = kT0 - kT0 % 3'600'000;
  std::vector<TagDef> defs;
  std::vector<TaggedSample> v;
  for (std::uint32_t k = 0; k < 1'100; ++k) {
    defs.push_back({"Many@T" + std::to_string(k), ValueKind::float_});
    for (int i = 0; i < 3; ++i) v.push_back({k, Sample{base + i * 1000, base + i * 1000, 1.0 * i}});
  }
  run_and_die([&] {
    auto* store = open(64, 86'400'000, "node-a").release();  // never closed
    store->define_tags(defs);
    store->append(v, {});
    return bool(store->flush());
  });
  EXPECT_EQ(sql(url, "SELECT count(*) FROM history_pages_1m")[0], "0");  // all still open
  auto store = open(64, 86'400'000, "node-a");
  ASSERT_TRUE(store->flush());  // after the store's thread connected (and recovered)
  EXPECT_EQ(sql(url, "SELECT count(*) FROM history_pages_1m")[0], "1100");
  EXPECT_EQ(sql(url, "SELECT count(*) FROM history_pages_1h")[0], "1100");
  EXPECT_EQ(sql(url, "SELECT count(*) FROM history_open_chunks")[0], "0");
  EXPECT_EQ(sql(url, "SELECT count(*) FROM history_chunks")[0], "1100");
}

TEST_F(PgStoreTest, ConvertsALayout1DatabaseAndRefusesANewerOne) {
  // The previous version's tables (partitioned by time, as it made them): one row per bucket, 3
  // hours of 1 min buckets of 6 values.
  const std::int64_t base = kT0 - kT0 % 3'600'000;
  const std::string b = std::to_string(base);
  sql(url,
      "CREATE TABLE history_tags (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE, kind text "
      "NOT NULL); INSERT INTO history_tags (name, kind) VALUES ('P@L', 'float'); "
      "CREATE TABLE history_rollup_1m (tag bigint NOT NULL, start_ms bigint NOT NULL, count "
      "bigint NOT NULL, sum double precision NOT NULL, first double precision NOT NULL, first_ms "
      "bigint NOT NULL, last double precision NOT NULL, last_ms bigint NOT NULL, min double "
      "precision NOT NULL, min_ms bigint NOT NULL, max double precision NOT NULL, max_ms bigint "
      "NOT NULL, PRIMARY KEY (tag, start_ms)) PARTITION BY RANGE (start_ms); "
      "CREATE TABLE history_rollup_1m_p1 PARTITION OF history_rollup_1m FOR VALUES FROM (0) TO "
      "(" +
          b +
          " + 7200000); CREATE TABLE history_rollup_1m_p2 PARTITION OF history_rollup_1m "
          "FOR VALUES FROM (" +
          b + " + 7200000) TO (" + b +
          " + 86400000); "
          "CREATE TABLE history_rollup_1h (LIKE history_rollup_1m INCLUDING ALL); "
          "INSERT INTO history_rollup_1m SELECT 1, " +
          b + " + i * 60000, 6, 6 * i, i, " + b + " + i * 60000, i, " + b +
          " + i * 60000 + 50000, i - 1, " + b + " + i * 60000 + 10000, i + 1, " + b +
          " + i * 60000 + 20000 FROM generate_series(0, 179) i; "
          "INSERT INTO history_rollup_1h SELECT 1, " +
          b + " + i * 3600000, 360, 0, 0, " + b + " + i * 3600000, 0, " + b +
          " + i * 3600000 + 1, -1, " + b + " + i * 3600000, 1, " + b +
          " + i * 3600000 FROM generate_series(0, 2) i");
  auto store = open();
  store->define_tags({{"P@L", ValueKind::float_}});
  const std::int64_t to = base + 3 * 3'600'000LL;
  auto m = store->trend_now({{"P@L"}, base, to, 180});
  ASSERT_TRUE(m) << m.error().message;
  ASSERT_EQ((*m)[0].level, Level::m1);
  ASSERT_EQ((*m)[0].buckets.size(), 180u);
  EXPECT_EQ(count_sum((*m)[0]), 1080u);
  const Bucket& k = (*m)[0].buckets[7];
  EXPECT_EQ(k.start_ms, base + 7 * 60'000);
  EXPECT_EQ(std::tuple(k.min, k.min_ms, k.max, k.max_ms, k.last_ms),
            std::tuple(6.0, base + 7 * 60'000 + 10'000, 8.0, base + 7 * 60'000 + 20'000,
                       base + 7 * 60'000 + 50'000));
  auto h = store->trend_now({{"P@L"}, base, to, 3});
  ASSERT_TRUE(h);
  ASSERT_EQ((*h)[0].level, Level::h1);
  EXPECT_EQ(count_sum((*h)[0]), 1080u);
  EXPECT_EQ(sql(url, "SELECT to_regclass('history_rollup_1m') IS NULL")[0], "t");
  EXPECT_EQ(sql(url, "SELECT version FROM history_layout"), std::vector<std::string>{"2"});
  store.reset();
  // A database of a later layout: refused, saying which.
  url = fresh_schema_url();
  sql(url,
      "CREATE TABLE history_layout (version integer NOT NULL); INSERT INTO history_layout "
      "VALUES (3)");
  store = open();
  (void)store->flush();  // after the store's thread tried to connect
  const auto st = store->stats();
  EXPECT_FALSE(st.connected);
  EXPECT_NE(st.backend_error.find("historian layout 3, newer than this weir's (2)"),
            std::string::npos)
      << st.backend_error;
}

TEST(PgPages, AppendsInOrderAndMergesLateBuckets) {
  PageBuffer p;
  p.start = page_start(Level::m1, kT0);
  std::vector<Bucket> want;
  for (int i : {3, 5, 9}) {
    Bucket b;
    b.start_ms = p.start + i * 60'000;
    b.add(b.start_ms + 5, i);
    b.add(b.start_ms + 7, -i);
    ASSERT_TRUE(add_to_page(Level::m1, p, b));
    want.push_back(b);
  }
  EXPECT_EQ(p.data, encode_page(Level::m1, p.start, want));  // appended = encoded whole
  EXPECT_EQ(p.n, 3u);
  Bucket late;
  late.start_ms = p.start + 5 * 60'000;
  late.add(late.start_ms + 1, 100);
  ASSERT_TRUE(add_to_page(Level::m1, p, late));
  want[1].merge(late);
  auto got = decode_page(Level::m1, p.start, p.data);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, want);
  EXPECT_EQ(p.n, 3u);
  EXPECT_EQ(p.last_start, want.back().start_ms);
}

TEST(PgPages, MergesTheRunsOfSeveralWriters) {
  auto bucket = [](std::int64_t start, double v) {
    Bucket b;
    b.start_ms = start;
    b.add(start + 1, v);
    return b;
  };
  std::vector<Bucket> one{bucket(0, 1), bucket(60'000, 2)};
  merge_runs(one);  // one writer: as it was
  EXPECT_EQ(one.size(), 2u);
  // Writer A's page then writer B's page of the same hour.
  std::vector<Bucket> two{bucket(0, 1), bucket(60'000, 2), bucket(120'000, 3), bucket(60'000, 7),
                          bucket(180'000, 4)};
  merge_runs(two);
  ASSERT_EQ(two.size(), 4u);
  EXPECT_EQ(two[1].count, 2u);
  EXPECT_EQ(two[1].max, 7);
  EXPECT_EQ(two[1].min, 2);
  EXPECT_EQ(two[3].start_ms, 180'000);
}

TEST(PgPages, OpenBucketHoldsTheLastValuesBucket) {
  std::vector<Sample> s;
  for (int i = 0; i < 10; ++i) s.push_back(Sample{i * 20'000LL, i * 20'000LL, double(i)});
  s.push_back(Sample{200'000, 200'000, std::string("text")});  // not numeric: left out
  auto m = open_bucket(Level::m1, s, 180'000);  // the minute from 180 s: values 9 (at 180 s)
  ASSERT_TRUE(m);
  EXPECT_EQ(m->start_ms, 180'000);
  EXPECT_EQ(m->count, 1u);
  auto h = open_bucket(Level::h1, s, 180'000);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->count, 10u);
  EXPECT_FALSE(open_bucket(Level::m1, s, 250'000));
}

TEST_F(PgStoreTest, LateValuesMergeIntoTheWritersEarlierPage) {
  // Two hours in order, committed; then a value of the first hour (a device's buffer) and one of
  // the third: the first hour's page is this writer's stored one, read and merged in the commit.
  auto store = open(64);
  store->define_tags({{"P@L", ValueKind::float_}});
  const std::int64_t base = kT0 - kT0 % 3'600'000;
  auto v = series(0, base, 2 * 360, 10'000);
  store->append(v, {});
  ASSERT_TRUE(store->flush());
  store->append({{0, Sample{base + 30 * 60'000 + 5, base, -500.0}},
                 {0, Sample{base + 2 * 3'600'000LL + 1, base, 7.0}}},
                {});
  ASSERT_TRUE(store->flush(true));
  auto r = store->trend_now({{"P@L"}, base, base + 3 * 3'600'000LL, 180});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ((*r)[0].level, Level::m1);
  EXPECT_EQ(count_sum((*r)[0]), v.size() + 2);
  const auto& b = (*r)[0].buckets;
  auto minute = std::find_if(b.begin(), b.end(),
                             [&](const Bucket& x) { return x.start_ms == base + 30 * 60'000; });
  ASSERT_NE(minute, b.end());
  EXPECT_EQ(minute->count, 7u);  // its 6 values and the late one
  EXPECT_EQ(minute->min, -500.0);
  EXPECT_EQ(sql(url, "SELECT count(*) FROM history_pages_1m")[0], "3");  // one page per hour
}

TEST_F(PgStoreTest, RetentionDropsAPagePartitionOnceItsLastPageIsOld) {
  // Hourly partitions: 1 min pages in partitions of 7 hours. 10 hours of values.
  auto store = open(32, 3'600'000);
  store->define_tags({{"P@L", ValueKind::float_}});
  const std::int64_t w = 7 * 3'600'000LL;
  const std::int64_t base = kT0 - kT0 % w;  // the start of a page partition
  store->append(series(0, base, 10 * 360, 10'000), {});
  ASSERT_TRUE(store->flush(true));
  auto minutes = [&] {
    auto r = store->trend_now({{"P@L"}, base, base + 10 * 3'600'000LL, 600});
    EXPECT_TRUE(r && (*r)[0].level == Level::m1);
    return count_sum((*r)[0]);
  };
  ASSERT_EQ(minutes(), 3600u);
  RetentionSettings r;
  r.rollup_1m_max_age_ms = 3'600'000;
  store->set_retention(r);
  // The first partition's pages start before base + 7 h, so hold buckets up to base + 8 h: kept
  // while that is younger than the age limit, dropped after.
  clock.set(from_unix_ms(base + 9 * 3'600'000LL - 1));
  ASSERT_TRUE(store->run_retention());
  EXPECT_EQ(minutes(), 3600u);
  clock.set(from_unix_ms(base + 9 * 3'600'000LL));
  ASSERT_TRUE(store->run_retention());
  EXPECT_EQ(minutes(), 3 * 360u);  // hours 7-9 are in the next partition
  EXPECT_GE(store->stats().retention_dropped_partitions, 1u);
}

TEST(PgStoreUnreachable, KeepsRunningAndSaysWhy) {
  PgStoreOptions o;
  o.conninfo = "host=127.0.0.1 port=1 user=postgres dbname=postgres connect_timeout=2";
  o.background = false;
  o.max_queue = 1000;
  auto s = PgHistoryStore::open(o);
  ASSERT_TRUE(s);
  auto& store = **s;
  store.define_tags({{"A@X", ValueKind::float_}});
  store.append(series(0, kT0, 1500, 1000), {});
  EXPECT_FALSE(store.flush());
  const auto st = store.stats();
  EXPECT_FALSE(st.connected);
  EXPECT_FALSE(st.backend_error.empty());
  EXPECT_EQ(st.dropped, 500u);  // bounded
  auto r = store.raw_now({{"A@X"}, kT0, kT0 + 1, 10, {}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::unavailable);
}

}  // namespace
}  // namespace weir::historian
