#include "demo/server/device_log.hpp"

#include <algorithm>
#include <boost/mp11/algorithm.hpp>

#include "storage/statement.hpp"

namespace weir::demo {

namespace {

using storage::Database;
using storage::Statement;

constexpr std::size_t kMaxField = 256;
constexpr std::size_t kMaxPayload = 512;
constexpr std::size_t kMaxLimit = 1000;

// Version 1 is the schema as it was before migrations (IF NOT EXISTS: older files adopt it).
constexpr storage::Migration kSchema[] = {{1, R"(
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
)"}};

// Errors keep the code and prefix the device log always had.
Error log_error(Error e) {
  e.code = "device_log";
  e.message = "device log: " + e.message;
  return e;
}

// Binds the values and the row's time (ISO 8601 text, then Unix ms) and runs the INSERT.
template <class... V>
Status insert(Database& db, const char* sql, WallTime t, const V&... v) {
  auto s = db.prepare(sql);
  if (!s) return s.error();
  return s->bind_all(v..., to_iso8601(t), to_unix_ms(t)).run();
}

// Where each kind of row lives. Its columns are the row's described members, by name.
const char* table_of(const PresenceRow*) {
  return "device_presence";
}
const char* table_of(const ReadingRow*) {
  return "sensor_readings";
}
const char* table_of(const CommandRow*) {
  return "play_command_log";
}
const char* table_of(const RejectedRow*) {
  return "rejected_messages";
}

template <class Row>
using Members = boost::describe::describe_members<Row, boost::describe::mod_public>;

template <class Row>
std::string columns_of() {
  std::string out;
  boost::mp11::mp_for_each<Members<Row>>([&](auto m) {
    if (!out.empty()) out += ", ";
    out += m.name;
  });
  return out;
}

void read_column(const Statement& s, int i, std::int64_t& v) {
  v = s.int64(i);
}
void read_column(const Statement& s, int i, double& v) {
  v = s.real(i);
}
void read_column(const Statement& s, int i, bool& v) {
  v = s.boolean(i);
}
void read_column(const Statement& s, int i, std::string& v) {
  v = s.text(i);
}

template <class Row>
Result<std::vector<Row>> select_rows(Database& db, const LogQuery& q) {
  std::string sql = "SELECT " + columns_of<Row>() + " FROM " +
                    table_of(static_cast<const Row*>(nullptr)) + " WHERE 1";
  if (!q.device.empty()) sql += " AND device = :device";
  if (q.from) sql += " AND time_ms >= :from";
  if (q.to) sql += " AND time_ms < :to";
  sql += " ORDER BY id DESC LIMIT :limit";
  auto s = db.prepare(sql);
  if (!s) return s.error();
  if (!q.device.empty()) s->bind(":device", q.device);
  if (q.from) s->bind(":from", to_unix_ms(*q.from));
  if (q.to) s->bind(":to", to_unix_ms(*q.to));
  s->bind(":limit", std::clamp<std::size_t>(q.limit, 1, kMaxLimit));
  return s->collect([](const Statement& result) {
    Row row;
    int i = 0;
    boost::mp11::mp_for_each<Members<Row>>(
        [&](auto m) { read_column(result, i++, row.*m.pointer); });
    return row;
  });
}

}  // namespace

Result<std::unique_ptr<DeviceLog>> DeviceLog::open(const std::filesystem::path& db_path,
                                                   DeviceLogOptions options) {
  std::vector<storage::RetentionRule> rules;
  for (const char* table :
       {"device_presence", "sensor_readings", "play_command_log", "rejected_messages"})
    rules.push_back({table, "time_ms", options.max_age, options.max_rows});
  auto store = storage::LogStore::open(
      db_path, kSchema,
      {"device-log", options.flush_interval, options.max_pending, options.background_thread,
       std::move(rules), options.retention_interval, options.clock, std::move(options.post)});
  if (!store) return log_error(store.error());
  return std::unique_ptr<DeviceLog>(new DeviceLog(std::move(*store)));
}

DeviceLog::DeviceLog(storage::LogStore store)
    : writer_(std::move(store.writer)), retention_(std::move(store.retention)) {}

DeviceLog::~DeviceLog() = default;  // the writer writes what is pending

void DeviceLog::push(storage::Writer::Row row) {
  writer_->push(std::move(row));
}

void DeviceLog::presence(std::string device, std::string status, WallTime t) {
  storage::clip_utf8(device, kMaxField);
  storage::clip_utf8(status, kMaxField);
  push([device = std::move(device), status = std::move(status), t](Database& db) {
    return insert(db,
                  "INSERT INTO device_presence(device, status, time, time_ms) VALUES (?, ?, ?, ?)",
                  t, device, status);
  });
}

void DeviceLog::reading(std::string device, const devices::SensorReading& r, WallTime t) {
  storage::clip_utf8(device, kMaxField);
  devices::SensorReading v = r;
  storage::clip_utf8(v.unit, 16);
  push([device = std::move(device), v = std::move(v), t](Database& db) {
    return insert(db,
                  "INSERT INTO sensor_readings(device, temperature, humidity, threshold, "
                  "over_threshold, unit, time, time_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                  t, device, v.temperature, v.humidity, v.threshold, v.over_threshold, v.unit);
  });
}

void DeviceLog::command(std::string device, std::string action, std::string payload,
                        std::string user, std::string source, WallTime t) {
  for (auto* s : {&device, &action, &user, &source}) storage::clip_utf8(*s, kMaxField);
  storage::clip_utf8(payload, kMaxPayload);
  push([device = std::move(device), action = std::move(action), payload = std::move(payload),
        user = std::move(user), source = std::move(source), t](Database& db) {
    return insert(db,
                  "INSERT INTO play_command_log(device, action, payload, user, source, time, "
                  "time_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
                  t, device, action, payload, user, source);
  });
}

void DeviceLog::rejected(std::string device, std::string topic, std::string error,
                         std::string payload, WallTime t) {
  for (auto* s : {&device, &topic}) storage::clip_utf8(*s, kMaxField);
  storage::clip_utf8(error, kMaxPayload);
  storage::clip_utf8(payload, kMaxPayload);
  push([device = std::move(device), topic = std::move(topic), error = std::move(error),
        payload = std::move(payload), t](Database& db) {
    return insert(db,
                  "INSERT INTO rejected_messages(device, topic, error, payload, time, time_ms) "
                  "VALUES (?, ?, ?, ?, ?, ?)",
                  t, device, topic, error, payload);
  });
}

template <class Row>
void DeviceLog::query(const LogQuery& q, Done<Row> done) {
  writer_->read<std::vector<Row>>([q](Database& db) { return select_rows<Row>(db, q); },
                                  [done = std::move(done)](Result<std::vector<Row>> r) {
                                    if (!r) r = log_error(r.error());
                                    done(std::move(r));
                                  });
}

template <class Row>
Result<std::vector<Row>> DeviceLog::query_now(const LogQuery& q) {
  auto r =
      writer_->read_now<std::vector<Row>>([&q](Database& db) { return select_rows<Row>(db, q); });
  if (!r) return log_error(r.error());
  return r;
}

void DeviceLog::presence_log(const LogQuery& q, Done<PresenceRow> done) {
  query<PresenceRow>(q, std::move(done));
}
void DeviceLog::readings(const LogQuery& q, Done<ReadingRow> done) {
  query<ReadingRow>(q, std::move(done));
}
void DeviceLog::commands(const LogQuery& q, Done<CommandRow> done) {
  query<CommandRow>(q, std::move(done));
}
void DeviceLog::rejected_messages(const LogQuery& q, Done<RejectedRow> done) {
  query<RejectedRow>(q, std::move(done));
}

Result<std::vector<PresenceRow>> DeviceLog::presence_log(const LogQuery& q) {
  return query_now<PresenceRow>(q);
}
Result<std::vector<ReadingRow>> DeviceLog::readings(const LogQuery& q) {
  return query_now<ReadingRow>(q);
}
Result<std::vector<CommandRow>> DeviceLog::commands(const LogQuery& q) {
  return query_now<CommandRow>(q);
}
Result<std::vector<RejectedRow>> DeviceLog::rejected_messages(const LogQuery& q) {
  return query_now<RejectedRow>(q);
}

void DeviceLog::set_post(storage::Post post) {
  writer_->set_post(std::move(post));
}

Status DeviceLog::flush() {
  auto st = writer_->flush();
  if (!st) return log_error(st.error());
  return st;
}

DeviceLogStats DeviceLog::stats() const {
  return writer_->stats();
}

std::uint64_t DeviceLog::expired() const {
  return retention_ ? retention_->deleted() : 0;
}

}  // namespace weir::demo
