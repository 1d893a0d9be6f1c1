#include "security/audit_log.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "core/json.hpp"
#include "storage/database.hpp"

namespace weir::security {
namespace {

using namespace std::chrono_literals;

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() /
          ("weir_audit_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  AuditEntry entry(int minute, std::string user, AuditAction action, std::string target = {},
                   AuditResult result = AuditResult::success) {
    return AuditEntry{t0 + std::chrono::minutes(minute),
                      std::move(user),
                      "127.0.0.1",
                      action,
                      std::move(target),
                      result,
                      ""};
  }

  std::filesystem::path dir;
  WallTime t0{std::chrono::seconds{1'700'000'000}};
};

TEST_F(AuditLogTest, InsertAndQuery) {
  auto log = AuditLog::open(dir / "audit.db");
  ASSERT_TRUE(log) << log.error().message;
  auto& a = **log;
  a.record(entry(0, "olga", AuditAction::login));
  a.record(entry(1, "olga", AuditAction::command, "WaterTank@PUMP_CMD"));
  a.record(entry(2, "erik", AuditAction::config_save));
  a.record(entry(3, "", AuditAction::login_failed, "mallory", AuditResult::failure));
  a.record(entry(4, "olga", AuditAction::ack, "alarm/17"));

  auto all = a.query({});
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 5u);
  EXPECT_EQ((*all)[0].action, AuditAction::ack);  // newest first
  EXPECT_EQ((*all)[4].action, AuditAction::login);
  EXPECT_EQ((*all)[4].time, "2023-11-14T22:13:20.000Z");

  AuditQuery by_user;
  by_user.user = "olga";
  EXPECT_EQ(a.query(by_user)->size(), 3u);

  AuditQuery by_action;
  by_action.action = AuditAction::command;
  auto cmds = a.query(by_action);
  ASSERT_EQ(cmds->size(), 1u);
  EXPECT_EQ((*cmds)[0].target, "WaterTank@PUMP_CMD");
  EXPECT_EQ((*cmds)[0].user, "olga");
  EXPECT_EQ((*cmds)[0].address, "127.0.0.1");

  AuditQuery range;
  range.from = t0 + 1min;
  range.to = t0 + 3min;
  auto mid = a.query(range);
  ASSERT_EQ(mid->size(), 2u);
  EXPECT_EQ((*mid)[0].action, AuditAction::config_save);

  AuditQuery page;
  page.limit = 2;
  auto first = a.query(page);
  ASSERT_EQ(first->size(), 2u);
  page.before_id = first->back().id;
  auto second = a.query(page);
  ASSERT_EQ(second->size(), 2u);
  EXPECT_LT((*second)[0].id, first->back().id);

  auto failed = a.query(AuditQuery{.action = AuditAction::login_failed});
  ASSERT_EQ(failed->size(), 1u);
  EXPECT_EQ((*failed)[0].result, AuditResult::failure);

  // JSON form for the API
  auto text = json::to_string((*cmds)[0]);
  EXPECT_NE(text.find("\"action\":\"command\""), std::string::npos) << text;
}

TEST_F(AuditLogTest, SurvivesReopenAndWritesInBatches) {
  {
    auto log = AuditLog::open(dir / "audit.db", AuditLogOptions{.background_thread = false});
    ASSERT_TRUE(log);
    for (int i = 0; i < 250; ++i) (*log)->record(entry(i, "u", AuditAction::write_datapoint));
  }  // destructor flushes
  auto log = AuditLog::open(dir / "audit.db");
  ASSERT_TRUE(log);
  auto rows = (*log)->query(AuditQuery{.limit = 5000});
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->size(), 250u);  // clamped to 1000, all 250 there

  // The table is the documented one.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "audit.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM audit_log", -1, &s, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(s, 0), 250);
  sqlite3_finalize(s);
  sqlite3_close(db);
}

TEST_F(AuditLogTest, LongFieldsAreTruncatedAndPruneWorks) {
  auto log = AuditLog::open(dir / "audit.db");
  ASSERT_TRUE(log);
  auto e = entry(0, std::string(5000, 'u'), AuditAction::login_failed);
  e.detail = std::string(10000, 'd');
  (*log)->record(e);
  (*log)->record(entry(10, "olga", AuditAction::logout));
  auto rows = (*log)->query({});
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[1].user.size(), 1024u);
  EXPECT_EQ((*rows)[1].detail.size(), 4096u);
  auto pruned = (*log)->prune_before(t0 + 5min);
  ASSERT_TRUE(pruned);
  EXPECT_EQ(*pruned, 1u);
  EXPECT_EQ((*log)->query({})->size(), 1u);
}

TEST_F(AuditLogTest, ConcurrentRecordersLoseNothing) {
  auto log = AuditLog::open(
      dir / "audit.db",
      AuditLogOptions{.flush_interval = std::chrono::milliseconds(1), .max_pending = 1000});
  ASSERT_TRUE(log);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i)
        (*log)->record(entry(i, "t" + std::to_string(t), AuditAction::command));
    });
  for (auto& th : threads) th.join();
  auto rows = (*log)->query(AuditQuery{.limit = 1000});
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->size(), 800u);
  EXPECT_EQ((*log)->dropped(), 0u);
}

TEST_F(AuditLogTest, AFullQueueDropsAndCountsInsteadOfBlocking) {
  auto log = AuditLog::open(dir / "audit.db",
                            AuditLogOptions{.max_pending = 10, .background_thread = false});
  ASSERT_TRUE(log);
  for (int i = 0; i < 25; ++i) (*log)->record(entry(i, "u", AuditAction::command));
  EXPECT_EQ((*log)->dropped(), 15u);
  EXPECT_EQ((*log)->stats().pending, 10u);
  EXPECT_EQ((*log)->query(AuditQuery{.limit = 100})->size(), 10u);
  EXPECT_EQ((*log)->stats().written, 10u);
}

TEST_F(AuditLogTest, QueriesAnswerThroughPost) {
  std::mutex mu;
  std::vector<std::function<void()>> posted;
  auto log = AuditLog::open(dir / "audit.db", AuditLogOptions{.background_thread = false});
  ASSERT_TRUE(log);
  (*log)->set_post([&](std::function<void()> f) {
    std::lock_guard lock(mu);
    posted.push_back(std::move(f));
  });
  (*log)->record(entry(0, "olga", AuditAction::login));
  (*log)->record(entry(1, "erik", AuditAction::login));
  std::promise<AuditLog::Records> answer;
  (*log)->query(AuditQuery{.user = "erik"}, [&](AuditLog::Records r) { answer.set_value(r); });
  // Nothing is answered until the io thread runs what was posted.
  auto f = answer.get_future();
  for (int i = 0; i < 10'000; ++i) {
    std::lock_guard lock(mu);
    if (!posted.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(f.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(posted.size(), 1u);
    posted[0]();
  }
  auto rows = f.get();
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].user, "erik");
}

TEST_F(AuditLogTest, RetentionDropsOldAndSurplusRows) {
  ManualClock clock(t0 + std::chrono::minutes(100));
  auto log = AuditLog::open(dir / "audit.db",
                            AuditLogOptions{.max_age = std::chrono::minutes(60),
                                            .max_rows = 30,
                                            .retention_interval = std::chrono::milliseconds(1),
                                            .clock = &clock});
  ASSERT_TRUE(log);
  // Minutes 0..99: 40 are older than an hour; of the 60 left, the newest 30 stay.
  for (int i = 0; i < 100; ++i) (*log)->record(entry(i, "u", AuditAction::command));
  ASSERT_TRUE((*log)->flush());
  for (int i = 0; i < 10'000 && (*log)->expired() < 70; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ((*log)->expired(), 70u);
  auto rows = (*log)->query(AuditQuery{.limit = 1000});
  ASSERT_EQ(rows->size(), 30u);
  EXPECT_EQ(rows->back().time, to_iso8601(t0 + std::chrono::minutes(70)));
}

TEST_F(AuditLogTest, SizeLimitDropsTheOldestRows) {
  auto log = AuditLog::open(dir / "audit.db",
                            AuditLogOptions{.retention_interval = std::chrono::milliseconds(0)});
  ASSERT_TRUE(log);
  for (int i = 0; i < 2000; ++i) {
    auto e = entry(i, "u", AuditAction::login_failed);
    e.detail = std::string(1000, 'x');
    (*log)->record(std::move(e));
  }
  ASSERT_TRUE((*log)->flush());
  auto db = storage::Database::open(dir / "audit.db");
  ASSERT_TRUE(db);
  std::uint64_t deleted = 0;
  for (int step = 0; step < 100; ++step) {
    auto n = trim_audit_to_size(**db, 512 * 1024, 300);
    ASSERT_TRUE(n) << n.error().message;
    if (*n == 0) break;
    deleted += *n;
  }
  EXPECT_GT(deleted, 1000u);
  auto rows = (*log)->query(AuditQuery{.limit = 1000});
  ASSERT_TRUE(rows);
  ASSERT_FALSE(rows->empty());
  EXPECT_EQ(rows->front().time, to_iso8601(t0 + std::chrono::minutes(1999)));  // newest kept
  EXPECT_LE(rows->size() * 1000, 512u * 1024);
  EXPECT_EQ(*trim_audit_to_size(**db, 0, 300), 0u);  // 0: no limit
}

TEST_F(AuditLogTest, OpenFailureIsAnError) {
  auto log = AuditLog::open(dir / "missing-dir" / "audit.db");
  ASSERT_FALSE(log);
  EXPECT_EQ(log.error().kind, ErrorKind::internal);
}

}  // namespace
}  // namespace weir::security
