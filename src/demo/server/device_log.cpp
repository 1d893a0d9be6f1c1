#include "demo/server/device_log.hpp"

#include <sqlite3.h>

#include <algorithm>

namespace weir::demo {

namespace {

constexpr std::size_t kMaxField = 256;
constexpr std::size_t kMaxPayload = 512;
constexpr std::size_t kMaxLimit = 1000;

const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS device_presence (
  id INTEGER PRIMARY KEY, device TEXT NOT NULL, status TEXT NOT NULL, time TEXT NOT NULL, time_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS device_presence_device_time ON device_presence(device, time_ms);
CREATE TABLE IF NOT EXISTS sensor_readings (
  id INTEGER PRIMARY KEY, device TEXT NOT NULL, temperature REAL NOT NULL, humidity REAL NOT NULL,
  threshold REAL NOT NULL, over_threshold INTEGER NOT NULL, unit TEXT NOT NULL, time TEXT NOT NULL, time_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS sensor_readings_device_time ON sensor_readings(device, time_ms);
CREATE TABLE IF NOT EXISTS play_command_log (
  id INTEGER PRIMARY KEY, device TEXT NOT NULL, action TEXT NOT NULL, payload TEXT NOT NULL, user TEXT NOT NULL,
  source TEXT NOT NULL, time TEXT NOT NULL, time_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS play_command_log_device_time ON play_command_log(device, time_ms);
CREATE TABLE IF NOT EXISTS rejected_messages (
  id INTEGER PRIMARY KEY, device TEXT NOT NULL, topic TEXT NOT NULL, error TEXT NOT NULL, payload TEXT NOT NULL,
  time TEXT NOT NULL, time_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS rejected_messages_device_time ON rejected_messages(device, time_ms);
)";

struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};

Error db_error(sqlite3* db, const char* what) {
  return Error::make(ErrorKind::internal, "device_log",
                     std::string("device log: ") + what + ": " + sqlite3_errmsg(db));
}

void truncate(std::string& s, std::size_t n) {
  if (s.size() <= n) return;
  s.resize(n);
  // Do not leave half a UTF-8 sequence behind.
  while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.pop_back();
  if (!s.empty() && (static_cast<unsigned char>(s.back()) & 0x80)) s.pop_back();
}

void bind_text(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}

std::string text_column(sqlite3_stmt* s, int i) {
  const auto* p = sqlite3_column_text(s, i);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<std::size_t>(sqlite3_column_bytes(s, i)))
           : std::string();
}

}  // namespace

Result<std::unique_ptr<DeviceLog>> DeviceLog::open(const std::filesystem::path& db_path,
                                                   DeviceLogOptions options) {
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(db_path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    auto e = Error::make(ErrorKind::internal, "device_log",
                         "device log: cannot open " + db_path.string() + ": " +
                             (db ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_close(db);
    return e;
  }
  sqlite3_busy_timeout(db, 5000);
  char* msg = nullptr;
  std::string setup = std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;") + kSchema;
  if (sqlite3_exec(db, setup.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
    auto e = Error::make(
        ErrorKind::internal, "device_log",
        "device log: cannot create the tables in " + db_path.string() + ": " + (msg ? msg : "?"));
    sqlite3_free(msg);
    sqlite3_close(db);
    return e;
  }
  return std::unique_ptr<DeviceLog>(new DeviceLog(db, options));
}

DeviceLog::DeviceLog(sqlite3* db, DeviceLogOptions options) : options_(options), db_(db) {
  if (options_.background_thread) writer_ = std::thread([this] { run(); });
}

DeviceLog::~DeviceLog() {
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

void DeviceLog::run() {
  std::unique_lock lock(queue_mu_);
  while (!stopping_) {
    wake_.wait_for(lock, options_.flush_interval, [&] { return stopping_; });
    if (pending_.empty()) continue;
    lock.unlock();
    (void)flush();
    lock.lock();
  }
}

void DeviceLog::enqueue(Row row) {
  std::lock_guard lock(queue_mu_);
  if (pending_.size() >= options_.max_pending) {
    ++stats_.dropped;
    return;
  }
  pending_.push_back(std::move(row));
}

void DeviceLog::presence(std::string device, std::string status, WallTime t) {
  truncate(device, kMaxField);
  truncate(status, kMaxField);
  enqueue(Presence{std::move(device), std::move(status), t});
}

void DeviceLog::reading(std::string device, const devices::SensorReading& r, WallTime t) {
  truncate(device, kMaxField);
  Reading row{std::move(device), r, t};
  truncate(row.r.unit, 16);
  enqueue(std::move(row));
}

void DeviceLog::command(std::string device, std::string action, std::string payload,
                        std::string user, std::string source, WallTime t) {
  for (auto* s : {&device, &action, &user, &source}) truncate(*s, kMaxField);
  truncate(payload, kMaxPayload);
  enqueue(Command{std::move(device), std::move(action), std::move(payload), std::move(user),
                  std::move(source), t});
}

void DeviceLog::rejected(std::string device, std::string topic, std::string error,
                         std::string payload, WallTime t) {
  for (auto* s : {&device, &topic}) truncate(*s, kMaxField);
  truncate(error, kMaxPayload);
  truncate(payload, kMaxPayload);
  enqueue(Rejected{std::move(device), std::move(topic), std::move(error), std::move(payload), t});
}

Status DeviceLog::flush() {
  // db_mu_ is held from taking the batch to committing it, so batches land in order and a query
  // that flushed first sees everything queued before it. Lock order: db_mu_, then queue_mu_.
  std::lock_guard db_lock(db_mu_);
  std::vector<Row> batch;
  {
    std::lock_guard lock(queue_mu_);
    batch.swap(pending_);
  }
  if (batch.empty()) return {};
  Status st = write_batch(batch);
  std::lock_guard lock(queue_mu_);
  if (st) {
    stats_.written += batch.size();
    return st;
  }
  ++stats_.write_errors;
  // Keep the rows for the next attempt, within bounds.
  const std::size_t room =
      options_.max_pending > pending_.size() ? options_.max_pending - pending_.size() : 0;
  const std::size_t keep = std::min(room, batch.size());
  stats_.dropped += batch.size() - keep;
  pending_.insert(pending_.begin(),
                  std::make_move_iterator(batch.end() - static_cast<std::ptrdiff_t>(keep)),
                  std::make_move_iterator(batch.end()));
  return st;
}

Status DeviceLog::write_batch(const std::vector<Row>& batch) {
  if (sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK)
    return db_error(db_, "begin");
  Stmt presence, reading, command, rejected;
  const bool prepared =
      sqlite3_prepare_v2(
          db_, "INSERT INTO device_presence(device, status, time, time_ms) VALUES (?, ?, ?, ?)", -1,
          &presence.s, nullptr) == SQLITE_OK &&
      sqlite3_prepare_v2(db_,
                         "INSERT INTO sensor_readings(device, temperature, humidity, threshold, "
                         "over_threshold, unit, time, "
                         "time_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         -1, &reading.s, nullptr) == SQLITE_OK &&
      sqlite3_prepare_v2(
          db_,
          "INSERT INTO play_command_log(device, action, payload, user, source, time, time_ms) "
          "VALUES (?, ?, ?, ?, ?, ?, ?)",
          -1, &command.s, nullptr) == SQLITE_OK &&
      sqlite3_prepare_v2(db_,
                         "INSERT INTO rejected_messages(device, topic, error, payload, time, "
                         "time_ms) VALUES (?, ?, ?, ?, ?, ?)",
                         -1, &rejected.s, nullptr) == SQLITE_OK;
  if (!prepared) {
    auto e = db_error(db_, "prepare insert");
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return e;
  }
  for (const auto& row : batch) {
    sqlite3_stmt* s = nullptr;
    std::string time;
    std::visit(
        [&](const auto& r) {
          time = to_iso8601(r.t);
          using T = std::decay_t<decltype(r)>;
          if constexpr (std::is_same_v<T, Presence>) {
            s = presence.s;
            sqlite3_reset(s);
            bind_text(s, 1, r.device);
            bind_text(s, 2, r.status);
            bind_text(s, 3, time);
            sqlite3_bind_int64(s, 4, to_unix_ms(r.t));
          } else if constexpr (std::is_same_v<T, Reading>) {
            s = reading.s;
            sqlite3_reset(s);
            bind_text(s, 1, r.device);
            sqlite3_bind_double(s, 2, r.r.temperature);
            sqlite3_bind_double(s, 3, r.r.humidity);
            sqlite3_bind_double(s, 4, r.r.threshold);
            sqlite3_bind_int(s, 5, r.r.over_threshold ? 1 : 0);
            bind_text(s, 6, r.r.unit);
            bind_text(s, 7, time);
            sqlite3_bind_int64(s, 8, to_unix_ms(r.t));
          } else if constexpr (std::is_same_v<T, Command>) {
            s = command.s;
            sqlite3_reset(s);
            bind_text(s, 1, r.device);
            bind_text(s, 2, r.action);
            bind_text(s, 3, r.payload);
            bind_text(s, 4, r.user);
            bind_text(s, 5, r.source);
            bind_text(s, 6, time);
            sqlite3_bind_int64(s, 7, to_unix_ms(r.t));
          } else {
            s = rejected.s;
            sqlite3_reset(s);
            bind_text(s, 1, r.device);
            bind_text(s, 2, r.topic);
            bind_text(s, 3, r.error);
            bind_text(s, 4, r.payload);
            bind_text(s, 5, time);
            sqlite3_bind_int64(s, 6, to_unix_ms(r.t));
          }
        },
        row);
    if (sqlite3_step(s) != SQLITE_DONE) {
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

template <class Out, class Fill>
Result<std::vector<Out>> DeviceLog::query(const char* table, const char* columns, const LogQuery& q,
                                          Fill fill) {
  auto st = flush();
  if (!st) return st.error();
  std::string sql = std::string("SELECT id, ") + columns + " FROM " + table + " WHERE 1";
  if (!q.device.empty()) sql += " AND device = :device";
  if (q.from) sql += " AND time_ms >= :from";
  if (q.to) sql += " AND time_ms < :to";
  sql += " ORDER BY id DESC LIMIT :limit";
  std::lock_guard lock(db_mu_);
  Stmt s;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s.s, nullptr) != SQLITE_OK)
    return db_error(db_, "prepare query");
  auto idx = [&](const char* name) { return sqlite3_bind_parameter_index(s.s, name); };
  if (!q.device.empty()) bind_text(s.s, idx(":device"), q.device);
  if (q.from) sqlite3_bind_int64(s.s, idx(":from"), to_unix_ms(*q.from));
  if (q.to) sqlite3_bind_int64(s.s, idx(":to"), to_unix_ms(*q.to));
  sqlite3_bind_int64(s.s, idx(":limit"),
                     static_cast<sqlite3_int64>(std::clamp<std::size_t>(q.limit, 1, kMaxLimit)));
  std::vector<Out> out;
  int rc;
  while ((rc = sqlite3_step(s.s)) == SQLITE_ROW) {
    Out row;
    row.id = sqlite3_column_int64(s.s, 0);
    fill(s.s, row);
    out.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) return db_error(db_, "query");
  return out;
}

Result<std::vector<PresenceRow>> DeviceLog::presence_log(const LogQuery& q) {
  return query<PresenceRow>("device_presence", "device, status, time", q,
                            [](sqlite3_stmt* s, PresenceRow& r) {
                              r.device = text_column(s, 1);
                              r.status = text_column(s, 2);
                              r.time = text_column(s, 3);
                            });
}

Result<std::vector<ReadingRow>> DeviceLog::readings(const LogQuery& q) {
  return query<ReadingRow>("sensor_readings",
                           "device, temperature, humidity, threshold, over_threshold, unit, time",
                           q, [](sqlite3_stmt* s, ReadingRow& r) {
                             r.device = text_column(s, 1);
                             r.temperature = sqlite3_column_double(s, 2);
                             r.humidity = sqlite3_column_double(s, 3);
                             r.threshold = sqlite3_column_double(s, 4);
                             r.over_threshold = sqlite3_column_int(s, 5) != 0;
                             r.unit = text_column(s, 6);
                             r.time = text_column(s, 7);
                           });
}

Result<std::vector<CommandRow>> DeviceLog::commands(const LogQuery& q) {
  return query<CommandRow>("play_command_log", "device, action, payload, user, source, time", q,
                           [](sqlite3_stmt* s, CommandRow& r) {
                             r.device = text_column(s, 1);
                             r.action = text_column(s, 2);
                             r.payload = text_column(s, 3);
                             r.user = text_column(s, 4);
                             r.source = text_column(s, 5);
                             r.time = text_column(s, 6);
                           });
}

Result<std::vector<RejectedRow>> DeviceLog::rejected_messages(const LogQuery& q) {
  return query<RejectedRow>("rejected_messages", "device, topic, error, payload, time", q,
                            [](sqlite3_stmt* s, RejectedRow& r) {
                              r.device = text_column(s, 1);
                              r.topic = text_column(s, 2);
                              r.error = text_column(s, 3);
                              r.payload = text_column(s, 4);
                              r.time = text_column(s, 5);
                            });
}

DeviceLogStats DeviceLog::stats() const {
  std::lock_guard lock(queue_mu_);
  DeviceLogStats s = stats_;
  s.pending = pending_.size();
  return s;
}

}  // namespace weir::demo
