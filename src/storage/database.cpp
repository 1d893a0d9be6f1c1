#include "storage/database.hpp"

#include <sqlite3.h>

#include "storage/statement.hpp"

namespace weir::storage {

namespace {

Error storage_error(const std::filesystem::path& path, std::string_view what,
                    std::string_view message) {
  return Error::make(ErrorKind::internal, "storage",
                     path.string() + ": " + std::string(what) + ": " + std::string(message));
}

}  // namespace

Result<std::unique_ptr<Database>> Database::open(const std::filesystem::path& path,
                                                 DatabaseOptions options) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    auto e = storage_error(path, "cannot open", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return e;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, static_cast<int>(options.busy_timeout.count()));
  std::unique_ptr<Database> out(new Database(db, path));
  {
    // journal_mode answers with a row: the mode now in force.
    auto mode = out->prepare("PRAGMA journal_mode=WAL");
    if (!mode) return mode.error();
    auto row = mode->step();
    if (!row) return row.error();
    if (!*row || mode->text(0) != "wal")
      return storage_error(path, "cannot switch to WAL mode",
                           *row ? "journal_mode is " + mode->text(0) : "no answer");
  }
  std::string setup = "PRAGMA synchronous=NORMAL;";
  setup += options.foreign_keys ? "PRAGMA foreign_keys=ON;" : "PRAGMA foreign_keys=OFF;";
  if (auto st = out->exec(setup); !st) return st.error();
  return out;
}

Database::Database(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}

Database::~Database() {
  for (auto& [sql, list] : cache_)
    for (auto* s : list) sqlite3_finalize(s);
  sqlite3_close(db_);
}

Error Database::error(std::string_view what) const {
  return storage_error(path_, what, sqlite3_errmsg(db_));
}

Status Database::exec(std::string_view sql) {
  return exec_as(sql, "exec");
}

Status Database::exec_as(std::string_view sql, std::string_view what) {
  std::string text(sql);  // sqlite3_exec wants a terminated string
  char* msg = nullptr;
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
    auto e = storage_error(path_, what, msg ? msg : sqlite3_errmsg(db_));
    sqlite3_free(msg);
    return e;
  }
  return {};
}

Result<Statement> Database::prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) it = cache_.emplace(std::string(sql), std::vector<sqlite3_stmt*>{}).first;
  auto& list = it->second;
  if (!list.empty()) {
    sqlite3_stmt* s = list.back();
    list.pop_back();
    return Statement(this, s, &list);
  }
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &s, nullptr) != SQLITE_OK)
    return error("prepare \"" + std::string(sql.substr(0, 80)) + "\"");
  if (!s) return storage_error(path_, "prepare", "empty statement");
  return Statement(this, s, &list);
}

Result<int> Database::user_version() {
  auto s = prepare("PRAGMA user_version");
  if (!s) return s.error();
  auto row = s->step();
  if (!row) return row.error();
  return *row ? static_cast<int>(s->int64(0)) : 0;
}

Status Database::migrate(std::span<const Migration> steps) {
  auto have = user_version();
  if (!have) return have.error();
  const int latest = steps.empty() ? 0 : steps.back().version;
  if (*have > latest)
    return storage_error(path_, "migrate",
                         "schema version " + std::to_string(*have) +
                             " is newer than this program knows (" + std::to_string(latest) + ")");
  int expected = 1;
  for (const auto& m : steps) {
    if (m.version != expected++)
      return storage_error(path_, "migrate", "migrations must be numbered 1, 2, 3, ...");
    if (m.version <= *have) continue;
    auto tx = Transaction::begin(*this);
    if (!tx) return tx.error();
    if (auto st = exec_as(m.sql, "migration " + std::to_string(m.version)); !st) return st;
    if (auto st = exec("PRAGMA user_version=" + std::to_string(m.version)); !st) return st;
    if (auto st = tx->commit(); !st) return st;
  }
  return {};
}

std::int64_t Database::changes() const {
  return sqlite3_changes64(db_);
}

std::int64_t Database::last_insert_id() const {
  return sqlite3_last_insert_rowid(db_);
}

}  // namespace weir::storage
