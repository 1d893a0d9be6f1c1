#include "security/audit_log.hpp"

#include <algorithm>

#include "core/json.hpp"
#include "storage/statement.hpp"

namespace weir::security {
namespace {

using storage::Database;

constexpr std::size_t kMaxField = 1024;
constexpr std::size_t kMaxDetail = 4096;
constexpr std::size_t kMaxLimit = 1000;

// Errors keep the code and prefix the audit log always had.
Error audit_error(Error e) {
  e.code = "audit_db";
  e.message = "audit log: " + e.message;
  return e;
}

// Version 1 is the table as it was before migrations (IF NOT EXISTS: older files adopt it).
constexpr storage::Migration kSchema[] = {{1, R"sql(
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
)sql"}};

Status insert(Database& db, const AuditEntry& e) {
  auto s = db.prepare(
      "INSERT INTO audit_log(time_ms, username, address, action, target, result, detail) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)");
  if (!s) return s.error();
  return s
      ->bind_all(to_unix_ms(e.time), e.user, e.address, json::enum_name(e.action), e.target,
                 json::enum_name(e.result), e.detail)
      .run();
}

AuditLog::Records select_records(Database& db, const AuditQuery& q) {
  std::string sql =
      "SELECT id, time_ms, username, address, action, target, result, detail FROM audit_log WHERE "
      "1";
  if (q.from) sql += " AND time_ms >= :from";
  if (q.to) sql += " AND time_ms < :to";
  if (q.user) sql += " AND username = :user";
  if (q.action) sql += " AND action = :action";
  if (q.before_id) sql += " AND id < :before";
  sql += " ORDER BY id DESC LIMIT :limit";
  auto s = db.prepare(sql);
  if (!s) return s.error();
  if (q.from) s->bind(":from", to_unix_ms(*q.from));
  if (q.to) s->bind(":to", to_unix_ms(*q.to));
  if (q.user) s->bind(":user", *q.user);
  if (q.action) s->bind(":action", json::enum_name(*q.action));
  if (q.before_id) s->bind(":before", *q.before_id);
  s->bind(":limit", std::clamp<std::size_t>(q.limit, 1, kMaxLimit));
  return s->collect([](const storage::Statement& row) {
    AuditRecord r;
    r.id = row.int64(0);
    r.time = to_iso8601(from_unix_ms(row.int64(1)));
    r.user = row.text(2);
    r.address = row.text(3);
    json::enum_from_name(row.text(4), r.action);
    r.target = row.text(5);
    json::enum_from_name(row.text(6), r.result);
    r.detail = row.text(7);
    return r;
  });
}

std::int64_t pragma_int(Database& db, const char* sql) {
  auto s = db.prepare(sql);
  if (!s) return 0;
  auto more = s->step();
  return more && *more ? s->int64(0) : 0;
}

}  // namespace

Result<std::uint64_t> trim_audit_to_size(Database& db, std::uint64_t max_bytes,
                                         std::size_t batch_rows) {
  const auto page = pragma_int(db, "PRAGMA page_size");
  const auto used =
      (pragma_int(db, "PRAGMA page_count") - pragma_int(db, "PRAGMA freelist_count")) * page;
  if (max_bytes == 0 || used <= 0 || static_cast<std::uint64_t>(used) <= max_bytes) return 0;
  const auto rows = pragma_int(db, "SELECT count(*) FROM audit_log");
  if (rows <= 0) return 0;
  // Rows are about the same size: keep the newest 90 % of what fits, at most one batch a step.
  const double per_row = static_cast<double>(used) / static_cast<double>(rows);
  const auto keep = static_cast<std::int64_t>(0.9 * static_cast<double>(max_bytes) / per_row);
  const auto excess = std::min<std::int64_t>(rows - keep, static_cast<std::int64_t>(batch_rows));
  if (excess <= 0) return 0;
  auto s = db.prepare(
      "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log ORDER BY id LIMIT ?)");
  if (!s) return s.error();
  if (auto st = s->bind(1, excess).run(); !st) return st.error();
  return static_cast<std::uint64_t>(db.changes());
}

Result<std::unique_ptr<AuditLog>> AuditLog::open(const std::filesystem::path& db_path,
                                                 AuditLogOptions options) {
  auto store =
      storage::LogStore::open(db_path, kSchema,
                              {"audit-log",
                               options.flush_interval,
                               options.max_pending,
                               options.background_thread,
                               {{"audit_log", "time_ms", options.max_age, options.max_rows}},
                               options.retention_interval,
                               options.clock,
                               std::move(options.post)});
  if (!store) return audit_error(store.error());
  std::unique_ptr<AuditLog> log(new AuditLog(std::move(*store)));
  if (options.max_bytes > 0 && options.retention_interval.count() > 0)
    log->writer_->every(
        std::min<std::chrono::milliseconds>(std::chrono::minutes(1), options.retention_interval),
        options.retention_interval, [max = options.max_bytes](Database& db) {
          auto n = trim_audit_to_size(db, max, 5'000);
          return n && *n > 0;  // more to do: again soon
        });
  return log;
}

AuditLog::AuditLog(storage::LogStore store)
    : writer_(std::move(store.writer)), retention_(std::move(store.retention)) {}

AuditLog::~AuditLog() = default;  // the writer writes what is pending

void AuditLog::record(AuditEntry entry) {
  storage::clip_utf8(entry.user, kMaxField);
  storage::clip_utf8(entry.address, kMaxField);
  storage::clip_utf8(entry.target, kMaxField);
  storage::clip_utf8(entry.detail, kMaxDetail);
  writer_->push([e = std::move(entry)](Database& db) { return insert(db, e); });
}

void AuditLog::set_post(storage::Post post) {
  writer_->set_post(std::move(post));
}

void AuditLog::query(const AuditQuery& q, std::function<void(Records)> done) {
  writer_->read<std::vector<AuditRecord>>([q](Database& db) { return select_records(db, q); },
                                          [done = std::move(done)](Records r) {
                                            if (!r) r = audit_error(r.error());
                                            done(std::move(r));
                                          });
}

Status AuditLog::flush() {
  auto st = writer_->flush();
  if (!st) return audit_error(st.error());
  return st;
}

AuditLog::Records AuditLog::query(const AuditQuery& q) {
  auto r = writer_->read_now<std::vector<AuditRecord>>(
      [&q](Database& db) { return select_records(db, q); });
  if (!r) return audit_error(r.error());
  return r;
}

Result<std::size_t> AuditLog::prune_before(WallTime before) {
  auto r = writer_->read_now<std::size_t>([before](Database& db) -> Result<std::size_t> {
    auto s = db.prepare("DELETE FROM audit_log WHERE time_ms < ?");
    if (!s) return s.error();
    if (auto st = s->bind(1, to_unix_ms(before)).run(); !st) return st.error();
    return static_cast<std::size_t>(db.changes());
  });
  if (!r) return audit_error(r.error());
  return r;
}

std::size_t AuditLog::dropped() const {
  return writer_->stats().dropped;
}

storage::WriterStats AuditLog::stats() const {
  return writer_->stats();
}

std::uint64_t AuditLog::expired() const {
  return retention_ ? retention_->deleted() : 0;
}

}  // namespace weir::security
