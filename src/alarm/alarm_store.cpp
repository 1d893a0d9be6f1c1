#include "alarm/alarm_store.hpp"

#include <algorithm>

#include "core/json.hpp"
#include "storage/statement.hpp"

namespace weir::alarm {
namespace {

using storage::Database;

constexpr std::size_t kMaxText = 1024;
constexpr std::size_t kMaxLimit = 1000;

constexpr storage::Migration kSchema[] = {{1, R"sql(
CREATE TABLE IF NOT EXISTS alarm_journal (
  id            INTEGER PRIMARY KEY,
  time_ms       INTEGER NOT NULL,
  rule_id       TEXT NOT NULL,
  occurrence_id TEXT NOT NULL,
  event         TEXT NOT NULL,
  state         TEXT NOT NULL,
  priority      INTEGER NOT NULL,
  username      TEXT NOT NULL,
  reason        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alarm_journal_time ON alarm_journal(time_ms);
CREATE INDEX IF NOT EXISTS alarm_journal_rule ON alarm_journal(rule_id, time_ms);
CREATE TABLE IF NOT EXISTS alarm_current (
  rule_id TEXT PRIMARY KEY,
  state   TEXT NOT NULL
);
)sql"}};

Status insert(Database& db, const JournalEntry& e) {
  auto s = db.prepare(
      "INSERT INTO alarm_journal(time_ms, rule_id, occurrence_id, event, state, priority, "
      "username, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  if (!s) return s.error();
  return s
      ->bind_all(to_unix_ms(e.time), e.rule_id, e.occurrence_id, json::enum_name(e.event),
                 e.state ? json::enum_name(*e.state) : "", e.priority, e.user, e.reason)
      .run();
}

AlarmStore::Records select(Database& db, const JournalQuery& q) {
  std::string sql =
      "SELECT id, time_ms, rule_id, occurrence_id, event, state, priority, username, reason FROM "
      "alarm_journal WHERE 1";
  if (q.from) sql += " AND time_ms >= :from";
  if (q.to) sql += " AND time_ms < :to";
  if (q.rule_id) sql += " AND rule_id = :rule";
  if (q.state) sql += " AND state = :state";
  if (q.before_id) sql += " AND id < :before";
  sql += " ORDER BY id DESC LIMIT :limit";
  auto s = db.prepare(sql);
  if (!s) return s.error();
  if (q.from) s->bind(":from", to_unix_ms(*q.from));
  if (q.to) s->bind(":to", to_unix_ms(*q.to));
  if (q.rule_id) s->bind(":rule", *q.rule_id);
  if (q.state) s->bind(":state", json::enum_name(*q.state));
  if (q.before_id) s->bind(":before", *q.before_id);
  s->bind(":limit", std::clamp<std::size_t>(q.limit, 1, kMaxLimit));
  return s->collect([](const storage::Statement& row) {
    JournalRecord r;
    r.id = row.int64(0);
    r.time = to_iso8601(from_unix_ms(row.int64(1)));
    r.rule_id = row.text(2);
    r.occurrence_id = row.text(3);
    json::enum_from_name(row.text(4), r.event);
    AlarmState st{};
    if (json::enum_from_name(row.text(5), st)) r.state = st;
    r.priority = static_cast<int>(row.int64(6));
    r.user = row.text(7);
    r.reason = row.text(8);
    return r;
  });
}

}  // namespace

Result<std::unique_ptr<AlarmStore>> AlarmStore::open(const std::filesystem::path& path,
                                                     AlarmStoreOptions options) {
  auto store =
      storage::LogStore::open(path, kSchema,
                              {"alarm-journal",
                               std::chrono::milliseconds(200),
                               10'000,
                               options.background_thread,
                               {{"alarm_journal", "time_ms", options.max_age, options.max_rows}},
                               std::chrono::hours(1),
                               options.clock,
                               options.post});
  if (!store) return store.error();
  return std::unique_ptr<AlarmStore>(new AlarmStore(std::move(*store), std::move(options.post)));
}

AlarmStore::AlarmStore(storage::LogStore store, storage::Post post)
    : writer_(std::move(store.writer)),
      retention_(std::move(store.retention)),
      post_(std::move(post)) {}

AlarmStore::~AlarmStore() = default;

namespace {

Status save(Database& db, const SavedState& st) {
  auto s = st.json.empty() ? db.prepare("DELETE FROM alarm_current WHERE rule_id = ?")
                           : db.prepare(
                                 "INSERT INTO alarm_current(rule_id, state) VALUES (?, ?) ON "
                                 "CONFLICT(rule_id) DO UPDATE SET state = excluded.state");
  if (!s) return s.error();
  if (st.json.empty()) return s->bind_all(st.rule_id).run();
  return s->bind_all(st.rule_id, st.json).run();
}

Status write(Database& db, const AlarmRows& rows) {
  auto tx = storage::Transaction::begin(db);
  if (!tx) return tx.error();
  for (const auto& j : rows.journal)
    if (auto st = insert(db, j); !st) return st;  // ~Transaction rolls back
  for (const auto& s : rows.states)
    if (auto st = save(db, s); !st) return st;
  return tx->commit();
}

// Rows whose commit failed go to the writer's queue: written (and retried) with its next flush.
void requeue(storage::Writer& writer, AlarmRows rows) {
  for (auto& j : rows.journal)
    writer.push([e = std::move(j)](Database& db) { return insert(db, e); });
  for (auto& s : rows.states) writer.push([s = std::move(s)](Database& db) { return save(db, s); });
}

}  // namespace

void AlarmStore::commit(AlarmRows rows, std::function<void(Status)> done) {
  for (auto& j : rows.journal) {
    storage::clip_utf8(j.user, kMaxText);
    storage::clip_utf8(j.reason, kMaxText);
  }
  auto shared = std::make_shared<AlarmRows>(std::move(rows));
  auto answer = [post = post_, done](Status st) {
    if (!post) return done(std::move(st));
    post([done, st = std::move(st)] { done(st); });
  };
  storage::Writer* writer = writer_.get();
  const bool queued = writer_->submit([shared, answer, writer](Database& db) {
    Status st = Error::make(ErrorKind::internal, "storage", "alarm commit: no answer");
    try {
      st = write(db, *shared);
    } catch (const std::exception& e) {
      st = Error::make(ErrorKind::internal, "storage", std::string("alarm commit: ") + e.what());
    }
    if (!st) requeue(*writer, std::move(*shared));
    answer(std::move(st));
  });
  if (queued) return;
  requeue(*writer_, std::move(*shared));
  answer(
      Error::make(ErrorKind::unavailable, "storage_busy", "alarm-journal: too many jobs waiting"));
}

Result<std::vector<std::pair<std::string, std::string>>> AlarmStore::load() {
  using Rows = std::vector<std::pair<std::string, std::string>>;
  return writer_->read_now<Rows>([](Database& db) -> Result<Rows> {
    auto s = db.prepare("SELECT rule_id, state FROM alarm_current ORDER BY rule_id");
    if (!s) return s.error();
    return s->collect(
        [](const storage::Statement& row) { return std::pair(row.text(0), row.text(1)); });
  });
}

void AlarmStore::query(JournalQuery q, std::function<void(Records)> done) {
  writer_->read<std::vector<JournalRecord>>([q](Database& db) { return select(db, q); },
                                            std::move(done));
}

AlarmStore::Records AlarmStore::query_now(const JournalQuery& q) {
  return writer_->read_now<std::vector<JournalRecord>>(
      [&q](Database& db) { return select(db, q); });
}

Status AlarmStore::flush() {
  return writer_->flush();
}

}  // namespace weir::alarm
