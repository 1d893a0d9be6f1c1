#include "storage/retention.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "storage/statement.hpp"
#include "storage/storage_test_support.hpp"
#include "storage/writer.hpp"

namespace weir::storage {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

struct Fixture {
  TempDir dir;
  ManualClock clock;  // 2023-11-14T22:13:20Z
  std::unique_ptr<Database> db;

  Fixture() {
    auto d = Database::open(dir.file("r.db"));
    EXPECT_TRUE(d);
    db = std::move(*d);
    EXPECT_TRUE(
        db->exec("CREATE TABLE log(id INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL);"
                 "CREATE INDEX log_time ON log(time_ms);"
                 "CREATE TABLE other(id INTEGER PRIMARY KEY, at INTEGER NOT NULL);"));
  }
  // One row per minute, the last one `now`.
  void fill(const char* table, int minutes) {
    auto s = db->prepare(std::string("INSERT INTO ") + table + " VALUES (NULL, ?)");
    for (int i = minutes - 1; i >= 0; --i)
      ASSERT_TRUE(s->bind(1, to_unix_ms(clock.now() - std::chrono::minutes(i))).run());
  }
  std::int64_t count(const std::string& table, const std::string& where = "1") {
    auto s = db->prepare("SELECT count(*) FROM " + table + " WHERE " + where);
    EXPECT_TRUE(s) << s.error().message;
    EXPECT_TRUE(*s->step());
    return s->int64(0);
  }
};

TEST(Retention, DeletesRowsOlderThanTheMaximumAge) {
  Fixture f;
  f.fill("log", 100);
  Retention r({{"log", "time_ms", 30min, 0}}, f.clock);
  auto n = r.run(*f.db);
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, 69u);  // minutes 31..99 ago; the row exactly 30 min old stays
  EXPECT_EQ(f.count("log"), 31);
  f.clock.advance(10min);  // time passes: ten more are too old
  EXPECT_EQ(*r.run(*f.db), 10u);
  EXPECT_EQ(r.deleted(), 79u);
}

TEST(Retention, KeepsTheNewestMaximumRowCount) {
  Fixture f;
  f.fill("log", 100);
  Retention r({{"log", "time_ms", 0ms, 25}}, f.clock);
  EXPECT_EQ(*r.run(*f.db), 75u);
  EXPECT_EQ(f.count("log"), 25);
  EXPECT_EQ(f.count("log", "id > 75"), 25);  // the newest
  EXPECT_EQ(*r.run(*f.db), 0u);
}

TEST(Retention, WorksInBoundedBatchesPerTable) {
  Fixture f;
  f.fill("log", 100);
  f.fill("other", 50);
  Retention r({{"log", "time_ms", 0ms, 10}, {"other", "at", 20min, 0}}, f.clock, 30);
  int steps = 0;
  for (;;) {
    const auto before = r.deleted();
    auto more = r.step(*f.db);
    ASSERT_TRUE(more) << more.error().message;
    ++steps;
    EXPECT_LE(r.deleted() - before, 2 * 30u);  // one batch per rule at most
    if (!*more) break;
  }
  EXPECT_EQ(steps, 4);  // log: 90 rows as 30 + 30 + 30, then a step that finds none left
  EXPECT_EQ(f.count("log"), 10);
  EXPECT_EQ(f.count("other"), 21);
}

TEST(Retention, RunsOnTheWritersThreadWhenScheduled) {
  Fixture f;
  f.fill("log", 100);
  auto path = f.db->path();
  f.db.reset();
  auto db = Database::open(path);
  ASSERT_TRUE(db);
  WriterOptions o;
  o.flush_interval = 0ms;
  Writer w(std::move(*db), o);
  RetentionOptions ro;
  ro.first_pass = 0ms;
  ro.batch_rows = 7;
  auto r = Retention::schedule(w, {{"log", "time_ms", 1h, 40}}, f.clock, ro);
  for (int i = 0; i < 10'000 && r->deleted() < 60; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(r->deleted(), 60u);
  auto n = w.read_now<std::int64_t>([](Database& d) -> Result<std::int64_t> {
    auto s = d.prepare("SELECT count(*) FROM log");
    if (!s) return s.error();
    (void)s->step();
    return s->int64(0);
  });
  EXPECT_EQ(*n, 40);
}

TEST(Retention, AnUnknownTableIsAnError) {
  Fixture f;
  Retention r({{"missing", "time_ms", 1h, 0}}, f.clock);
  auto more = r.step(*f.db);
  ASSERT_FALSE(more);
  EXPECT_NE(more.error().message.find("no such table: missing"), std::string::npos);
}

}  // namespace
}  // namespace weir::storage
