#include "storage/statement.hpp"

#include <sqlite3.h>

#include <utility>

namespace weir::storage {

Statement::Statement(Database* db, sqlite3_stmt* s, std::vector<sqlite3_stmt*>* home)
    : db_(db), s_(s), home_(home) {}

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      s_(std::exchange(other.s_, nullptr)),
      home_(std::exchange(other.home_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    release();
    db_ = std::exchange(other.db_, nullptr);
    s_ = std::exchange(other.s_, nullptr);
    home_ = std::exchange(other.home_, nullptr);
  }
  return *this;
}

Statement::~Statement() {
  release();
}

void Statement::release() {
  if (!s_) return;
  clear();
  if (home_)
    home_->push_back(s_);
  else
    sqlite3_finalize(s_);
  s_ = nullptr;
}

int Statement::parameter_index(const char* name) const {
  return sqlite3_bind_parameter_index(s_, name);
}

Statement& Statement::bind(int i, std::int64_t v) {
  sqlite3_bind_int64(s_, i, v);
  return *this;
}

Statement& Statement::bind(int i, double v) {
  sqlite3_bind_double(s_, i, v);
  return *this;
}

Statement& Statement::bind(int i, std::string_view v) {
  sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}

Statement& Statement::bind(int i, std::span<const std::uint8_t> blob) {
  // A zero-length blob is still a blob (not NULL): give SQLite a valid pointer.
  static const std::uint8_t empty = 0;
  sqlite3_bind_blob64(s_, i, blob.empty() ? &empty : blob.data(), blob.size(), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind(int i, std::nullptr_t) {
  sqlite3_bind_null(s_, i);
  return *this;
}

Result<bool> Statement::step() {
  const int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  auto e = db_->error(std::string("step \"") + std::string(sqlite3_sql(s_)).substr(0, 80) + "\"");
  sqlite3_reset(s_);
  return e;
}

Status Statement::run() {
  for (;;) {
    auto row = step();
    if (!row) return row.error();
    if (!*row) break;
  }
  reset();
  return {};
}

void Statement::reset() {
  sqlite3_reset(s_);
}

void Statement::clear() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
}

std::int64_t Statement::int64(int col) const {
  return sqlite3_column_int64(s_, col);
}

double Statement::real(int col) const {
  return sqlite3_column_double(s_, col);
}

std::string Statement::text(int col) const {
  const auto* p = sqlite3_column_text(s_, col);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<std::size_t>(sqlite3_column_bytes(s_, col)))
           : std::string();
}

std::vector<std::uint8_t> Statement::blob(int col) const {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(s_, col));
  const auto n = static_cast<std::size_t>(sqlite3_column_bytes(s_, col));
  return p ? std::vector<std::uint8_t>(p, p + n) : std::vector<std::uint8_t>();
}

bool Statement::is_null(int col) const {
  return sqlite3_column_type(s_, col) == SQLITE_NULL;
}

Result<Transaction> Transaction::begin(Database& db, Mode mode) {
  if (auto st = db.exec(mode == Mode::immediate ? "BEGIN IMMEDIATE" : "BEGIN"); !st)
    return st.error();
  return Transaction(db);
}

Transaction::Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Transaction::~Transaction() {
  if (db_) (void)db_->exec("ROLLBACK");
}

Status Transaction::commit() {
  Database* db = std::exchange(db_, nullptr);
  if (!db) return Error::make(ErrorKind::internal, "storage", "commit: no transaction open");
  if (auto st = db->exec("COMMIT"); !st) {
    (void)db->exec("ROLLBACK");
    return st;
  }
  return {};
}

}  // namespace weir::storage
