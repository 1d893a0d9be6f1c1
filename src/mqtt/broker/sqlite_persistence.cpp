#include "mqtt/broker/sqlite_persistence.hpp"

#include <vector>

#include "storage/statement.hpp"

namespace weir::mqtt {

namespace {

using storage::Statement;

// Version 1 is the schema as it was before migrations (IF NOT EXISTS: older files adopt it).
constexpr storage::Migration kSchema[] = {{1, R"sql(
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
)sql"},
                                          // The account owning a session (NULL: unknown).
                                          {2, R"sql(
ALTER TABLE mqtt_sessions ADD COLUMN owner TEXT;
)sql"}};

Error not_open(const std::string& why) {
  return Error::make(ErrorKind::internal, "storage", why);
}

const std::vector<std::uint8_t>& bytes(const Bytes& p) {
  static const std::vector<std::uint8_t> none;
  return p ? *p : none;
}

// Runs `fill` on every result row of `sql`.
template <class Fill>
Status each_row(storage::Database& db, const char* sql, Fill fill) {
  auto s = db.prepare(sql);
  if (!s) return s.error();
  return s->each(fill);
}

StoredMessage message_from(const Statement& s, int first) {
  // topic, payload, qos, retain, properties, expiry_unix_ms, packet_id, state
  StoredMessage m;
  m.topic = s.text(first);
  m.payload = std::make_shared<const std::vector<std::uint8_t>>(s.blob(first + 1));
  m.qos = static_cast<std::uint8_t>(s.int64(first + 2));
  m.retain = s.boolean(first + 3);
  m.properties = s.blob(first + 4);
  m.expiry_unix_ms = s.int64(first + 5);
  m.packet_id = static_cast<std::uint16_t>(s.int64(first + 6));
  m.state = static_cast<std::uint8_t>(s.int64(first + 7));
  return m;
}

}  // namespace

SqlitePersistence::SqlitePersistence(std::string path) {
  // The busy timeout is the broker thread's: it waits at most this long for the file.
  auto db = storage::Database::open(path, {.busy_timeout = std::chrono::milliseconds(2000)});
  if (!db) {
    open_error_ = db.error().message;
    return;
  }
  if (auto st = (*db)->migrate(kSchema); !st) {
    open_error_ = st.error().message;
    return;
  }
  db_ = std::move(*db);
}

SqlitePersistence::~SqlitePersistence() {
  if (db_) (void)flush();
}

Result<StoredState> SqlitePersistence::load() {
  if (!db_) return not_open(open_error_);
  StoredState out;
  std::map<std::string, std::size_t> index;
  auto session_of = [&](const Statement& s) -> StoredSession* {
    auto it = index.find(s.text(0));
    return it == index.end() ? nullptr : &out.sessions[it->second];
  };
  Status st =
      each_row(*db_,
               "SELECT client_id, protocol_version, expiry_interval, disconnected_unix_ms, owner "
               "FROM mqtt_sessions",
               [&](const Statement& s) {
                 StoredSession ss;
                 ss.client_id = s.text(0);
                 ss.protocol_version = static_cast<std::uint8_t>(s.int64(1));
                 ss.expiry_interval = static_cast<std::uint32_t>(s.int64(2));
                 ss.disconnected_unix_ms = s.int64(3);
                 if (!s.is_null(4)) ss.owner = s.text(4);
                 index[ss.client_id] = out.sessions.size();
                 out.sessions.push_back(std::move(ss));
               });
  if (st)
    st =
        each_row(*db_, "SELECT client_id, filter, options, subscription_id FROM mqtt_subscriptions",
                 [&](const Statement& s) {
                   if (auto* ss = session_of(s))
                     ss->subscriptions.push_back(
                         StoredSubscription{s.text(1), static_cast<std::uint8_t>(s.int64(2)),
                                            static_cast<std::uint32_t>(s.int64(3))});
                 });
  if (st)
    st = each_row(*db_,
                  "SELECT client_id, topic, payload, qos, retain, properties, expiry_unix_ms, "
                  "packet_id, state FROM mqtt_session_messages ORDER BY client_id, seq",
                  [&](const Statement& s) {
                    if (auto* ss = session_of(s)) ss->messages.push_back(message_from(s, 1));
                  });
  if (st)
    st = each_row(*db_,
                  "SELECT topic, payload, qos, 1, properties, expiry_unix_ms, 0, 0 FROM "
                  "mqtt_retained",
                  [&](const Statement& s) { out.retained.push_back(message_from(s, 0)); });
  if (!st) return st.error();
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
  if (!db_) return not_open(open_error_);
  // One transaction; on failure it rolls back and the changes stay pending for the next flush.
  auto tx = storage::Transaction::begin(*db_, storage::Transaction::Mode::immediate);
  if (!tx) return tx.error();
  if (auto st = write_pending(); !st) return st;
  if (auto st = tx->commit(); !st) return st;
  sessions_.clear();
  retained_.clear();
  return {};
}

Status SqlitePersistence::write_pending() {
  auto& db = *db_;
  auto run = [&db](const char* sql, const auto&... v) -> Status {
    auto s = db.prepare(sql);
    if (!s) return s.error();
    return s->bind_all(v...).run();
  };
  for (auto& [id, s] : sessions_) {
    for (const char* del : {"DELETE FROM mqtt_sessions WHERE client_id=?1",
                            "DELETE FROM mqtt_subscriptions WHERE client_id=?1",
                            "DELETE FROM mqtt_session_messages WHERE client_id=?1"})
      if (auto st = run(del, id); !st) return st;
    if (!s) continue;
    {
      auto ins = db.prepare(
          "INSERT INTO mqtt_sessions(client_id, protocol_version, expiry_interval, "
          "disconnected_unix_ms, owner) VALUES(?1,?2,?3,?4,?5)");
      if (!ins) return ins.error();
      ins->bind_all(id, s->protocol_version, s->expiry_interval, s->disconnected_unix_ms);
      if (s->owner)
        ins->bind(5, *s->owner);
      else
        ins->bind(5, nullptr);
      if (auto st = ins->run(); !st) return st;
    }
    for (const auto& sub : s->subscriptions)
      if (auto st = run("INSERT INTO mqtt_subscriptions VALUES(?1,?2,?3,?4)", id, sub.filter,
                        sub.options, sub.subscription_id);
          !st)
        return st;
    std::int64_t seq = 0;
    for (const auto& m : s->messages)
      if (auto st = run("INSERT INTO mqtt_session_messages VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
                        id, seq++, m.topic, bytes(m.payload), m.qos, m.retain, m.properties,
                        m.expiry_unix_ms, m.packet_id, m.state);
          !st)
        return st;
  }
  for (auto& [topic, m] : retained_) {
    Status st = m ? run("INSERT OR REPLACE INTO mqtt_retained VALUES(?1,?2,?3,?4,?5)", topic,
                        bytes(m->payload), m->qos, m->properties, m->expiry_unix_ms)
                  : run("DELETE FROM mqtt_retained WHERE topic=?1", topic);
    if (!st) return st;
  }
  return {};
}

}  // namespace weir::mqtt
