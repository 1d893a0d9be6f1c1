#include "storage/database.hpp"

#include <gtest/gtest.h>

#include "storage/statement.hpp"
#include "storage/storage_test_support.hpp"

namespace weir::storage {
namespace {

using testing::TempDir;

std::unique_ptr<Database> open_db(const std::filesystem::path& p) {
  auto db = Database::open(p);
  EXPECT_TRUE(db) << (db ? "" : db.error().message);
  return db ? std::move(*db) : nullptr;
}

std::string pragma(Database& db, const char* name) {
  auto s = db.prepare(std::string("PRAGMA ") + name);
  EXPECT_TRUE(s);
  EXPECT_TRUE(*s->step());
  return s->text(0);
}

std::int64_t count(Database& db, const std::string& table) {
  auto s = db.prepare("SELECT count(*) FROM " + table);
  EXPECT_TRUE(s) << s.error().message;
  EXPECT_TRUE(*s->step());
  return s->int64(0);
}

TEST(Database, OpensInWalModeWithForeignKeys) {
  TempDir d;
  auto db = open_db(d.file("a.db"));
  EXPECT_EQ(pragma(*db, "journal_mode"), "wal");
  EXPECT_EQ(pragma(*db, "synchronous"), "1");  // NORMAL
  EXPECT_EQ(pragma(*db, "foreign_keys"), "1");
  EXPECT_EQ(db->path(), d.file("a.db"));
}

TEST(Database, ErrorsNameTheFileAndSqlitesMessage) {
  TempDir d;
  auto missing = Database::open(d.path / "no-such-folder" / "a.db");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::internal);
  EXPECT_NE(missing.error().message.find("no-such-folder/a.db"), std::string::npos)
      << missing.error().message;
  EXPECT_NE(missing.error().message.find("unable to open"), std::string::npos)
      << missing.error().message;

  auto db = open_db(d.file("a.db"));
  auto bad = db->prepare("SELEKT 1");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("a.db"), std::string::npos);
  EXPECT_NE(bad.error().message.find("syntax error"), std::string::npos) << bad.error().message;
  auto st = db->exec("INSERT INTO nowhere VALUES (1)");
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("no such table: nowhere"), std::string::npos);
}

const Migration kSteps[] = {
    {1, "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, name TEXT NOT NULL);"},
    {2,
     "ALTER TABLE t ADD COLUMN time_ms INTEGER NOT NULL DEFAULT 0;"
     "CREATE INDEX t_time ON t(time_ms);"},
};

TEST(Database, MigratesByUserVersion) {
  TempDir d;
  {
    auto db = open_db(d.file("m.db"));
    EXPECT_EQ(*db->user_version(), 0);
    ASSERT_TRUE(db->migrate(std::span(kSteps).first(1)));
    EXPECT_EQ(*db->user_version(), 1);
    ASSERT_TRUE(db->exec("INSERT INTO t(name) VALUES ('kept')"));
  }
  auto db = open_db(d.file("m.db"));
  ASSERT_TRUE(db->migrate(kSteps));
  EXPECT_EQ(*db->user_version(), 2);
  ASSERT_TRUE(db->migrate(kSteps));  // nothing left to do
  auto s = db->prepare("SELECT name, time_ms FROM t");
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_TRUE(*s->step());
  EXPECT_EQ(s->text(0), "kept");
  EXPECT_EQ(s->int64(1), 0);
}

TEST(Database, AdoptsTablesMadeBeforeMigrations) {
  TempDir d;
  auto db = open_db(d.file("old.db"));
  ASSERT_TRUE(
      db->exec("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
               "INSERT INTO t(name) VALUES ('old');"));
  ASSERT_TRUE(db->migrate(kSteps));
  EXPECT_EQ(count(*db, "t"), 1);
}

TEST(Database, AFailedMigrationChangesNothing) {
  TempDir d;
  auto db = open_db(d.file("f.db"));
  const Migration broken[] = {
      {1, "CREATE TABLE a(x); CREATE TABLE oops(;"},
  };
  auto st = db->migrate(broken);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("migration 1"), std::string::npos) << st.error().message;
  EXPECT_EQ(*db->user_version(), 0);
  EXPECT_FALSE(db->prepare("SELECT * FROM a"));  // rolled back

  const Migration gap[] = {{2, "CREATE TABLE b(x);"}};
  EXPECT_FALSE(db->migrate(gap));
}

TEST(Database, RefusesASchemaNewerThanItKnows) {
  TempDir d;
  auto db = open_db(d.file("n.db"));
  ASSERT_TRUE(db->exec("PRAGMA user_version=7"));
  auto st = db->migrate(kSteps);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("newer"), std::string::npos);
}

TEST(Statement, BindsAndReadsEveryType) {
  TempDir d;
  auto db = open_db(d.file("s.db"));
  ASSERT_TRUE(db->exec("CREATE TABLE v(i INTEGER, r REAL, t TEXT, b BLOB, n INTEGER)"));
  const std::vector<std::uint8_t> bytes{0, 1, 2, 255};
  {
    auto ins = db->prepare("INSERT INTO v VALUES (?, ?, ?, ?, ?)");
    ASSERT_TRUE(ins);
    ASSERT_TRUE(
        ins->bind_all(std::int64_t{1} << 40, 2.5, std::string("héllo"), bytes, nullptr).run());
    ASSERT_TRUE(ins->bind_all(true, 0.0, "", std::vector<std::uint8_t>{}, 7u).run());
  }
  auto q = db->prepare("SELECT i, r, t, b, n FROM v WHERE i >= :min ORDER BY rowid");
  ASSERT_TRUE(q);
  q->bind(":min", 0);
  ASSERT_TRUE(*q->step());
  EXPECT_EQ(q->int64(0), std::int64_t{1} << 40);
  EXPECT_EQ(q->real(1), 2.5);
  EXPECT_EQ(q->text(2), "héllo");
  EXPECT_EQ(q->blob(3), bytes);
  EXPECT_TRUE(q->is_null(4));
  ASSERT_TRUE(*q->step());
  EXPECT_TRUE(q->boolean(0));
  EXPECT_EQ(q->text(2), "");
  EXPECT_FALSE(q->is_null(3));  // an empty blob is not NULL
  EXPECT_TRUE(q->blob(3).empty());
  EXPECT_EQ(q->int64(4), 7);
  EXPECT_FALSE(*q->step());
}

TEST(Statement, IsCachedAndResetWhenReturned) {
  TempDir d;
  auto db = open_db(d.file("c.db"));
  ASSERT_TRUE(db->exec("CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3);"));
  const char* sql = "SELECT x FROM t WHERE x >= ? ORDER BY x";
  {
    auto a = db->prepare(sql);
    a->bind(1, 2);
    ASSERT_TRUE(*a->step());
    EXPECT_EQ(a->int64(0), 2);
    // The same text while the first is in use: another statement, its own cursor.
    auto b = db->prepare(sql);
    b->bind(1, 1);
    ASSERT_TRUE(*b->step());
    EXPECT_EQ(b->int64(0), 1);
    ASSERT_TRUE(*a->step());
    EXPECT_EQ(a->int64(0), 3);
  }
  // Back from the cache: reset, bindings cleared (NULL: no row is >= NULL).
  auto again = db->prepare(sql);
  EXPECT_FALSE(*again->step());
  // A statement given back mid-result is reset: it no longer holds the table (DROP works).
  again = std::move(*db->prepare("SELECT x FROM t"));
  ASSERT_TRUE(*again->step());
  again = std::move(*db->prepare("SELECT 1"));
  EXPECT_TRUE(db->exec("DROP TABLE t"));
}

TEST(Transaction, RollsBackUnlessCommitted) {
  TempDir d;
  auto db = open_db(d.file("tx.db"));
  ASSERT_TRUE(db->exec("CREATE TABLE t(x)"));
  {
    auto tx = Transaction::begin(*db);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(db->exec("INSERT INTO t VALUES (1)"));
  }
  EXPECT_EQ(count(*db, "t"), 0);
  {
    auto tx = Transaction::begin(*db, Transaction::Mode::deferred);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(db->exec("INSERT INTO t VALUES (1)"));
    ASSERT_TRUE(tx->commit());
    EXPECT_FALSE(tx->commit());  // once
  }
  EXPECT_EQ(count(*db, "t"), 1);
  auto outer = Transaction::begin(*db);
  EXPECT_FALSE(Transaction::begin(*db));  // no nesting
}

TEST(Statement, StepErrorsNameTheStatement) {
  TempDir d;
  auto db = open_db(d.file("e.db"));
  ASSERT_TRUE(db->exec("CREATE TABLE u(x UNIQUE)"));
  auto ins = db->prepare("INSERT INTO u VALUES (?)");
  ASSERT_TRUE(ins->bind(1, 1).run());
  auto st = ins->bind(1, 1).run();
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("UNIQUE"), std::string::npos) << st.error().message;
  EXPECT_NE(st.error().message.find("INSERT INTO u"), std::string::npos) << st.error().message;
  EXPECT_TRUE(ins->bind(1, 2).run());  // usable again after the error
}

}  // namespace
}  // namespace weir::storage
