#include "security/audit_log.hpp"

#include <sqlite3.h>

#include <algorithm>

#include "core/json.hpp"

namespace weir::security {
namespace {

constexpr std::size_t kMaxField = 1024;
constexpr std::size_t kMaxDetail = 4096;
constexpr std::size_t kMaxLimit = 1000;

Error db_error(sqlite3* db, const std::string& what) {
  return Error::make(ErrorKind::internal, "audit_db",
                     "audit log: " + what + ": " + sqlite3_errmsg(db));
}

void truncate(std::string& s, std::size_t n) {
  if (s.size() <= n) return;
  s.resize(n);
  // Do not leave half a UTF-8 sequence at the end.
  while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.pop_back();
  if (!s.empty() && (static_cast<unsigned char>(s.back()) & 0x80)) s.pop_back();
}

struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};

const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS audit_log (
  id       INTEGER PRIMARY KEY,
  time_ms  INTEGER NOT NULL,
  username TEXT NOT NULL,
  address  TEXT NOT NULL,
  action   TEXT NOT NULL,
  target   TEXT NOT NULL,
  result   TEXT NOT NULL,
  detail   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_time ON audit_log(time_ms);
CREATE INDEX IF NOT EXISTS audit_log_user ON audit_log(username, time_ms);
CREATE INDEX IF NOT EXISTS audit_log_action ON audit_log(action, time_ms);
)sql";

std::string text_column(sqlite3_stmt* s, int i) {
  auto p = sqlite3_column_text(s, i);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<std::size_t>(sqlite3_column_bytes(s, i)))
           : std::string();
}

}  // namespace

Result<std::unique_ptr<AuditLog>> AuditLog::open(const std::filesystem::path& db_path,
                                                 AuditLogOptions options) {
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(db_path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    auto e = Error::make(ErrorKind::internal, "audit_db",
                         "audit log: cannot open " + db_path.string() + ": " +
                             (db ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_close(db);
    return e;
  }
  sqlite3_busy_timeout(db, 5000);
  char* msg = nullptr;
  std::string setup = std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;") + kSchema;
  if (sqlite3_exec(db, setup.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
    auto e = Error::make(
        ErrorKind::internal, "audit_db",
        "audit log: cannot create the table in " + db_path.string() + ": " + (msg ? msg : "?"));
    sqlite3_free(msg);
    sqlite3_close(db);
    return e;
  }
  return std::unique_ptr<AuditLog>(new AuditLog(db, options));
}

AuditLog::AuditLog(sqlite3* db, AuditLogOptions options) : options_(options), db_(db) {
  if (options_.background_thread) writer_ = std::thread([this] { run(); });
}

AuditLog::~AuditLog() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable()) writer_.join();
  (void)flush();
  std::lock_guard lock(db_mu_);
  sqlite3_close(db_);
}

void AuditLog::run() {
  std::unique_lock lock(queue_mu_);
  while (!stopping_) {
    wake_.wait_for(lock, options_.flush_interval, [&] { return stopping_; });
    if (pending_.empty()) continue;
    lock.unlock();
    (void)flush();
    lock.lock();
  }
}

void AuditLog::record(AuditEntry entry) {
  truncate(entry.user, kMaxField);
  truncate(entry.address, kMaxField);
  truncate(entry.target, kMaxField);
  truncate(entry.detail, kMaxDetail);
  bool full;
  {
    std::lock_guard lock(queue_mu_);
    pending_.push_back(std::move(entry));
    full = pending_.size() >= options_.max_pending;
  }
  if (full) (void)flush();
}

Status AuditLog::flush() {
  // db_mu_ is held from taking the batch to committing it, so batches land in order and a query
  // that flushed first sees everything recorded before it. Lock order: db_mu_, then queue_mu_.
  std::lock_guard db_lock(db_mu_);
  std::vector<AuditEntry> batch;
  {
    std::lock_guard lock(queue_mu_);
    batch.swap(pending_);
  }
  if (batch.empty()) return {};
  Status st = write_batch(batch);
  if (!st) {
    // Keep the entries for the next attempt, within bounds: past twice max_pending the oldest go.
    std::lock_guard lock(queue_mu_);
    pending_.insert(pending_.begin(), std::make_move_iterator(batch.begin()),
                    std::make_move_iterator(batch.end()));
    std::size_t cap = options_.max_pending * 2;
    if (pending_.size() > cap) {
      auto excess = pending_.size() - cap;
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(excess));
      dropped_ += excess;
    }
  }
  return st;
}

Status AuditLog::write_batch(std::vector<AuditEntry>& batch) {
  if (sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK)
    return db_error(db_, "begin");
  Stmt ins;
  if (sqlite3_prepare_v2(
          db_,
          "INSERT INTO audit_log(time_ms, username, address, action, target, result, detail) "
          "VALUES (?, ?, ?, ?, ?, ?, ?)",
          -1, &ins.s, nullptr) != SQLITE_OK) {
    auto e = db_error(db_, "prepare insert");
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return e;
  }
  for (const auto& e : batch) {
    sqlite3_reset(ins.s);
    sqlite3_bind_int64(ins.s, 1, to_unix_ms(e.time));
    sqlite3_bind_text(ins.s, 2, e.user.data(), static_cast<int>(e.user.size()), SQLITE_STATIC);
    sqlite3_bind_text(ins.s, 3, e.address.data(), static_cast<int>(e.address.size()),
                      SQLITE_STATIC);
    sqlite3_bind_text(ins.s, 4, json::enum_name(e.action), -1, SQLITE_STATIC);
    sqlite3_bind_text(ins.s, 5, e.target.data(), static_cast<int>(e.target.size()), SQLITE_STATIC);
    sqlite3_bind_text(ins.s, 6, json::enum_name(e.result), -1, SQLITE_STATIC);
    sqlite3_bind_text(ins.s, 7, e.detail.data(), static_cast<int>(e.detail.size()), SQLITE_STATIC);
    if (sqlite3_step(ins.s) != SQLITE_DONE) {
      auto err = db_error(db_, "insert");
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      return err;
    }
  }
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    auto err = db_error(db_, "commit");
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return err;
  }
  return {};
}

Result<std::vector<AuditRecord>> AuditLog::query(const AuditQuery& q) {
  auto st = flush();
  if (!st) return st.error();
  std::string sql =
      "SELECT id, time_ms, username, address, action, target, result, detail FROM audit_log WHERE "
      "1";
  if (q.from) sql += " AND time_ms >= :from";
  if (q.to) sql += " AND time_ms < :to";
  if (q.user) sql += " AND username = :user";
  if (q.action) sql += " AND action = :action";
  if (q.before_id) sql += " AND id < :before";
  sql += " ORDER BY id DESC LIMIT :limit";

  std::lock_guard lock(db_mu_);
  Stmt s;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s.s, nullptr) != SQLITE_OK)
    return db_error(db_, "prepare query");
  auto idx = [&](const char* name) { return sqlite3_bind_parameter_index(s.s, name); };
  if (q.from) sqlite3_bind_int64(s.s, idx(":from"), to_unix_ms(*q.from));
  if (q.to) sqlite3_bind_int64(s.s, idx(":to"), to_unix_ms(*q.to));
  if (q.user)
    sqlite3_bind_text(s.s, idx(":user"), q.user->data(), static_cast<int>(q.user->size()),
                      SQLITE_STATIC);
  if (q.action)
    sqlite3_bind_text(s.s, idx(":action"), json::enum_name(*q.action), -1, SQLITE_STATIC);
  if (q.before_id) sqlite3_bind_int64(s.s, idx(":before"), *q.before_id);
  sqlite3_bind_int64(s.s, idx(":limit"),
                     static_cast<sqlite3_int64>(std::clamp<std::size_t>(q.limit, 1, kMaxLimit)));

  std::vector<AuditRecord> out;
  int rc;
  while ((rc = sqlite3_step(s.s)) == SQLITE_ROW) {
    AuditRecord r;
    r.id = sqlite3_column_int64(s.s, 0);
    r.time = to_iso8601(from_unix_ms(sqlite3_column_int64(s.s, 1)));
    r.user = text_column(s.s, 2);
    r.address = text_column(s.s, 3);
    json::enum_from_name(text_column(s.s, 4), r.action);
    r.target = text_column(s.s, 5);
    json::enum_from_name(text_column(s.s, 6), r.result);
    r.detail = text_column(s.s, 7);
    out.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return db_error(db_, "query");
  return out;
}

Result<std::size_t> AuditLog::prune_before(WallTime before) {
  auto st = flush();
  if (!st) return st.error();
  std::lock_guard lock(db_mu_);
  Stmt s;
  if (sqlite3_prepare_v2(db_, "DELETE FROM audit_log WHERE time_ms < ?", -1, &s.s, nullptr) !=
      SQLITE_OK)
    return db_error(db_, "prepare delete");
  sqlite3_bind_int64(s.s, 1, to_unix_ms(before));
  if (sqlite3_step(s.s) != SQLITE_DONE) return db_error(db_, "delete");
  return static_cast<std::size_t>(sqlite3_changes(db_));
}

std::size_t AuditLog::dropped() const {
  std::lock_guard lock(queue_mu_);
  return dropped_;
}

}  // namespace weir::security
