#include "mqtt/broker/sqlite_persistence.hpp"

#include <sqlite3.h>

#include <vector>

namespace weir::mqtt {

namespace {

// A prepared statement that finalizes itself.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  explicit operator bool() const { return s_ != nullptr; }
  sqlite3_stmt* get() { return s_; }
  void text(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void blob(int i, const std::vector<std::uint8_t>& v) {
    sqlite3_bind_blob(s_, i, v.empty() ? "" : static_cast<const void*>(v.data()),
                      static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void i64(int i, std::int64_t v) { sqlite3_bind_int64(s_, i, v); }
  int step() { return sqlite3_step(s_); }
  void reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  std::string col_text(int i) {
    auto p = sqlite3_column_text(s_, i);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(s_, i)))
             : std::string();
  }
  std::vector<std::uint8_t> col_blob(int i) {
    auto p = static_cast<const std::uint8_t*>(sqlite3_column_blob(s_, i));
    auto n = static_cast<std::size_t>(sqlite3_column_bytes(s_, i));
    return p ? std::vector<std::uint8_t>(p, p + n) : std::vector<std::uint8_t>();
  }
  std::int64_t col_i64(int i) { return sqlite3_column_int64(s_, i); }

 private:
  sqlite3_stmt* s_ = nullptr;
};

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS mqtt_sessions(
  client_id TEXT PRIMARY KEY, protocol_version INTEGER NOT NULL, expiry_interval INTEGER NOT NULL,
  disconnected_unix_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS mqtt_subscriptions(
  client_id TEXT NOT NULL, filter TEXT NOT NULL, options INTEGER NOT NULL, subscription_id INTEGER NOT NULL,
  PRIMARY KEY(client_id, filter));
CREATE TABLE IF NOT EXISTS mqtt_session_messages(
  client_id TEXT NOT NULL, seq INTEGER NOT NULL, topic TEXT NOT NULL, payload BLOB NOT NULL,
  qos INTEGER NOT NULL, retain INTEGER NOT NULL, properties BLOB NOT NULL, expiry_unix_ms INTEGER NOT NULL,
  packet_id INTEGER NOT NULL, state INTEGER NOT NULL, PRIMARY KEY(client_id, seq));
CREATE TABLE IF NOT EXISTS mqtt_retained(
  topic TEXT PRIMARY KEY, payload BLOB NOT NULL, qos INTEGER NOT NULL, properties BLOB NOT NULL,
  expiry_unix_ms INTEGER NOT NULL);
)sql";

}  // namespace

SqlitePersistence::SqlitePersistence(std::string path) : path_(std::move(path)) {
  if (sqlite3_open(path_.c_str(), &db_) != SQLITE_OK) {
    open_error_ =
        std::string("cannot open ") + path_ + ": " + (db_ ? sqlite3_errmsg(db_) : "out of memory");
    sqlite3_close(db_);
    db_ = nullptr;
    return;
  }
  sqlite3_busy_timeout(db_, 2000);
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"}) {
    if (auto st = exec(sql); !st) {
      open_error_ = st.error().message;
      sqlite3_close(db_);
      db_ = nullptr;
      return;
    }
  }
  if (auto st = exec(kSchema); !st) {
    open_error_ = st.error().message;
    sqlite3_close(db_);
    db_ = nullptr;
  }
}

SqlitePersistence::~SqlitePersistence() {
  if (db_) {
    (void)flush();
    sqlite3_close(db_);
  }
}

Error SqlitePersistence::db_error(const std::string& what) const {
  return Error::make(
      ErrorKind::internal, "sqlite_error",
      path_ + ": " + what + ": " + (db_ ? sqlite3_errmsg(db_) : "database not open"));
}

Status SqlitePersistence::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return Error::make(ErrorKind::internal, "sqlite_error", path_ + ": " + msg);
  }
  return {};
}

Result<StoredState> SqlitePersistence::load() {
  if (!db_) return Error::make(ErrorKind::internal, "sqlite_error", open_error_);
  StoredState out;
  std::map<std::string, std::size_t> index;
  {
    Stmt s(db_,
           "SELECT client_id, protocol_version, expiry_interval, disconnected_unix_ms FROM "
           "mqtt_sessions");
    if (!s) return db_error("load sessions");
    while (s.step() == SQLITE_ROW) {
      StoredSession ss;
      ss.client_id = s.col_text(0);
      ss.protocol_version = static_cast<std::uint8_t>(s.col_i64(1));
      ss.expiry_interval = static_cast<std::uint32_t>(s.col_i64(2));
      ss.disconnected_unix_ms = s.col_i64(3);
      index[ss.client_id] = out.sessions.size();
      out.sessions.push_back(std::move(ss));
    }
  }
  {
    Stmt s(db_, "SELECT client_id, filter, options, subscription_id FROM mqtt_subscriptions");
    if (!s) return db_error("load subscriptions");
    while (s.step() == SQLITE_ROW) {
      auto it = index.find(s.col_text(0));
      if (it == index.end()) continue;
      out.sessions[it->second].subscriptions.push_back(
          StoredSubscription{s.col_text(1), static_cast<std::uint8_t>(s.col_i64(2)),
                             static_cast<std::uint32_t>(s.col_i64(3))});
    }
  }
  {
    Stmt s(db_,
           "SELECT client_id, topic, payload, qos, retain, properties, expiry_unix_ms, packet_id, "
           "state "
           "FROM mqtt_session_messages ORDER BY client_id, seq");
    if (!s) return db_error("load session messages");
    while (s.step() == SQLITE_ROW) {
      auto it = index.find(s.col_text(0));
      if (it == index.end()) continue;
      StoredMessage m;
      m.topic = s.col_text(1);
      m.payload = std::make_shared<const std::vector<std::uint8_t>>(s.col_blob(2));
      m.qos = static_cast<std::uint8_t>(s.col_i64(3));
      m.retain = s.col_i64(4) != 0;
      m.properties = s.col_blob(5);
      m.expiry_unix_ms = s.col_i64(6);
      m.packet_id = static_cast<std::uint16_t>(s.col_i64(7));
      m.state = static_cast<std::uint8_t>(s.col_i64(8));
      out.sessions[it->second].messages.push_back(std::move(m));
    }
  }
  {
    Stmt s(db_, "SELECT topic, payload, qos, properties, expiry_unix_ms FROM mqtt_retained");
    if (!s) return db_error("load retained");
    while (s.step() == SQLITE_ROW) {
      StoredMessage m;
      m.topic = s.col_text(0);
      m.payload = std::make_shared<const std::vector<std::uint8_t>>(s.col_blob(1));
      m.qos = static_cast<std::uint8_t>(s.col_i64(2));
      m.retain = true;
      m.properties = s.col_blob(3);
      m.expiry_unix_ms = s.col_i64(4);
      out.retained.push_back(std::move(m));
    }
  }
  return out;
}

void SqlitePersistence::put_session(StoredSession s) {
  auto id = s.client_id;
  sessions_[id] = std::move(s);
}
void SqlitePersistence::erase_session(const std::string& client_id) {
  sessions_[client_id] = std::nullopt;
}
void SqlitePersistence::put_retained(StoredMessage m) {
  auto t = m.topic;
  retained_[t] = std::move(m);
}
void SqlitePersistence::erase_retained(const std::string& topic) {
  retained_[topic] = std::nullopt;
}

Status SqlitePersistence::flush() {
  if (sessions_.empty() && retained_.empty()) return {};
  if (!db_) return Error::make(ErrorKind::internal, "sqlite_error", open_error_);
  if (auto st = exec("BEGIN IMMEDIATE"); !st) return st;
  auto fail = [&](const std::string& what) -> Status {
    auto e = db_error(what);
    (void)exec("ROLLBACK");
    return e;
  };
  {
    Stmt del_s(db_, "DELETE FROM mqtt_sessions WHERE client_id=?1");
    Stmt del_sub(db_, "DELETE FROM mqtt_subscriptions WHERE client_id=?1");
    Stmt del_msg(db_, "DELETE FROM mqtt_session_messages WHERE client_id=?1");
    Stmt ins_s(db_, "INSERT INTO mqtt_sessions VALUES(?1,?2,?3,?4)");
    Stmt ins_sub(db_, "INSERT INTO mqtt_subscriptions VALUES(?1,?2,?3,?4)");
    Stmt ins_msg(db_, "INSERT INTO mqtt_session_messages VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)");
    Stmt put_r(db_, "INSERT OR REPLACE INTO mqtt_retained VALUES(?1,?2,?3,?4,?5)");
    Stmt del_r(db_, "DELETE FROM mqtt_retained WHERE topic=?1");
    if (!del_s || !del_sub || !del_msg || !ins_s || !ins_sub || !ins_msg || !put_r || !del_r)
      return fail("prepare");
    auto run = [](Stmt& s) {
      const int rc = s.step();
      s.reset();
      return rc == SQLITE_DONE;
    };
    for (auto& [id, s] : sessions_) {
      for (Stmt* d : {&del_s, &del_sub, &del_msg}) {
        d->text(1, id);
        if (!run(*d)) return fail("delete session " + id);
      }
      if (!s) continue;
      ins_s.text(1, id);
      ins_s.i64(2, s->protocol_version);
      ins_s.i64(3, s->expiry_interval);
      ins_s.i64(4, s->disconnected_unix_ms);
      if (!run(ins_s)) return fail("insert session " + id);
      for (const auto& sub : s->subscriptions) {
        ins_sub.text(1, id);
        ins_sub.text(2, sub.filter);
        ins_sub.i64(3, sub.options);
        ins_sub.i64(4, sub.subscription_id);
        if (!run(ins_sub)) return fail("insert subscription " + id);
      }
      std::int64_t seq = 0;
      for (const auto& m : s->messages) {
        ins_msg.text(1, id);
        ins_msg.i64(2, seq++);
        ins_msg.text(3, m.topic);
        ins_msg.blob(4, m.payload ? *m.payload : std::vector<std::uint8_t>{});
        ins_msg.i64(5, m.qos);
        ins_msg.i64(6, m.retain ? 1 : 0);
        ins_msg.blob(7, m.properties);
        ins_msg.i64(8, m.expiry_unix_ms);
        ins_msg.i64(9, m.packet_id);
        ins_msg.i64(10, m.state);
        if (!run(ins_msg)) return fail("insert message " + id);
      }
    }
    for (auto& [topic, m] : retained_) {
      if (!m) {
        del_r.text(1, topic);
        if (!run(del_r)) return fail("delete retained " + topic);
        continue;
      }
      put_r.text(1, topic);
      put_r.blob(2, m->payload ? *m->payload : std::vector<std::uint8_t>{});
      put_r.i64(3, m->qos);
      put_r.blob(4, m->properties);
      put_r.i64(5, m->expiry_unix_ms);
      if (!run(put_r)) return fail("put retained " + topic);
    }
  }
  if (auto st = exec("COMMIT"); !st) {
    (void)exec("ROLLBACK");
    return st;
  }
  sessions_.clear();
  retained_.clear();
  return {};
}

}  // namespace weir::mqtt
