#include "demo/server/device_log.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

namespace weir::demo {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() /
           ("weir-device-log-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

const WallTime t0{std::chrono::seconds{1'700'000'000}};

std::unique_ptr<DeviceLog> open_log(const fs::path& p, std::size_t max_pending = 1000) {
  auto log = DeviceLog::open(
      p, {std::chrono::milliseconds(200), max_pending, /*background_thread=*/false});
  EXPECT_TRUE(log) << (log ? "" : log.error().message);
  return log ? std::move(*log) : nullptr;
}

TEST(DeviceLog, WritesAndQueriesEveryTable) {
  TempDir d;
  auto log = open_log(d.path / "demo.db");
  log->presence("esp32", "online", t0);
  log->reading("esp32", {29.4, 41, 28, true, "C"}, t0 + std::chrono::seconds(1));
  log->reading("raspberry", {20, 50, 28, false, "C"}, t0 + std::chrono::seconds(2));
  log->reading("esp32", {27.0, 40, 28, false, "C"}, t0 + std::chrono::seconds(3));
  log->command("esp32", "play", "true", "admin", "rest", t0 + std::chrono::seconds(4));
  log->rejected("esp32", "sensors/esp32", "expected a JSON object", "{oops",
                t0 + std::chrono::seconds(5));

  auto r = log->readings({"esp32", {}, {}, 100});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].temperature, 27.0);  // newest first
  EXPECT_EQ((*r)[1].temperature, 29.4);
  EXPECT_TRUE((*r)[1].over_threshold);
  EXPECT_GT((*r)[0].id, (*r)[1].id);
  EXPECT_EQ((*r)[1].time, "2023-11-14T22:13:21.000Z");

  auto all = log->readings({"", {}, {}, 100});
  EXPECT_EQ(all->size(), 3u);
  auto limited = log->readings({"", {}, {}, 1});
  ASSERT_EQ(limited->size(), 1u);
  EXPECT_EQ(limited->front().device, "esp32");
  auto range = log->readings({"", t0 + std::chrono::seconds(2), t0 + std::chrono::seconds(3), 100});
  ASSERT_EQ(range->size(), 1u);
  EXPECT_EQ(range->front().device, "raspberry");

  auto p = log->presence_log({"esp32", {}, {}, 10});
  ASSERT_EQ(p->size(), 1u);
  EXPECT_EQ(p->front().status, "online");
  auto c = log->commands({"esp32", {}, {}, 10});
  ASSERT_EQ(c->size(), 1u);
  EXPECT_EQ(c->front().action, "play");
  EXPECT_EQ(c->front().payload, "true");
  EXPECT_EQ(c->front().user, "admin");
  EXPECT_EQ(c->front().source, "rest");
  auto j = log->rejected_messages({"esp32", {}, {}, 10});
  ASSERT_EQ(j->size(), 1u);
  EXPECT_EQ(j->front().payload, "{oops");
  EXPECT_EQ(log->stats().written, 6u);
}

TEST(DeviceLog, SurvivesReopenInWalMode) {
  TempDir d;
  {
    auto log = open_log(d.path / "demo.db");
    log->presence("esp32", "offline", t0);
  }  // destruction writes what is pending
  auto log = open_log(d.path / "demo.db");
  EXPECT_EQ(log->presence_log({})->size(), 1u);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((d.path / "demo.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, nullptr);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)), "wal");
  sqlite3_finalize(s);
  sqlite3_close(db);
}

TEST(DeviceLog, TheQueueIsBounded) {
  TempDir d;
  auto log = open_log(d.path / "demo.db", 10);
  for (int i = 0; i < 25; ++i)
    log->reading("esp32", {20, 40, 28, false, "C"}, t0 + std::chrono::milliseconds(i));
  EXPECT_EQ(log->stats().pending, 10u);
  EXPECT_EQ(log->stats().dropped, 15u);
  EXPECT_EQ(log->readings({"esp32", {}, {}, 1000})->size(), 10u);
}

TEST(DeviceLog, LongFieldsAreTruncated) {
  TempDir d;
  auto log = open_log(d.path / "demo.db");
  log->rejected("esp32", "sensors/esp32", "bad", std::string(100000, 'x'), t0);
  auto j = log->rejected_messages({});
  ASSERT_EQ(j->size(), 1u);
  EXPECT_EQ(j->front().payload.size(), 512u);
}

TEST(DeviceLog, BackgroundThreadWritesOnItsOwn) {
  TempDir d;
  auto log = DeviceLog::open(d.path / "demo.db", {std::chrono::milliseconds(5), 1000, true});
  ASSERT_TRUE(log);
  (*log)->presence("esp32", "online", t0);
  auto q = (*log)->presence_log({});  // flushes first, whatever the thread did
  ASSERT_TRUE(q);
  EXPECT_EQ(q->size(), 1u);
}

TEST(DeviceLog, QueriesAnswerThroughPost) {
  TempDir d;
  std::mutex mu;
  std::vector<std::function<void()>> posted;
  DeviceLogOptions o{std::chrono::milliseconds(200), 1000, false};
  o.post = [&](std::function<void()> f) {
    std::lock_guard lock(mu);
    posted.push_back(std::move(f));
  };
  auto log = DeviceLog::open(d.path / "demo.db", o);
  ASSERT_TRUE(log);
  (*log)->reading("esp32", {21, 40, 28, false, "C"}, t0);
  std::promise<Result<std::vector<ReadingRow>>> answer;
  (*log)->readings({"esp32", {}, {}, 10},
                   [&](Result<std::vector<ReadingRow>> r) { answer.set_value(std::move(r)); });
  auto f = answer.get_future();
  for (int i = 0; i < 10'000; ++i) {
    {
      std::lock_guard lock(mu);
      if (!posted.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(f.wait_for(std::chrono::seconds(0)), std::future_status::timeout);  // not yet run
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(posted.size(), 1u);
    posted[0]();  // as the io thread would
  }
  auto rows = f.get();
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().temperature, 21);
}

TEST(DeviceLog, RetentionKeepsThirtyDaysPerTable) {
  TempDir d;
  ManualClock clock(t0);
  DeviceLogOptions o;
  o.retention_interval = std::chrono::milliseconds(1);
  o.clock = &clock;
  auto log = DeviceLog::open(d.path / "demo.db", o);
  ASSERT_TRUE(log);
  for (int days : {45, 31, 29, 1}) {
    const auto t = t0 - std::chrono::days(days);
    (*log)->presence("esp32", "online", t);
    (*log)->reading("esp32", {20, 40, 28, false, "C"}, t);
    (*log)->command("esp32", "play", "true", "admin", "rest", t);
    (*log)->rejected("esp32", "sensors/esp32", "bad", "{", t);
  }
  ASSERT_TRUE((*log)->flush());
  for (int i = 0; i < 10'000 && (*log)->expired() < 8; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ((*log)->expired(), 8u);  // 45 and 31 days old, in each of the four tables
  EXPECT_EQ((*log)->presence_log({})->size(), 2u);
  EXPECT_EQ((*log)->readings({})->size(), 2u);
  EXPECT_EQ((*log)->commands({})->size(), 2u);
  EXPECT_EQ((*log)->rejected_messages({})->size(), 2u);
}

}  // namespace
}  // namespace weir::demo
