#include "mqtt/broker/sqlite_persistence.hpp"

#include <thread>
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

Result<StoredState> load_state(storage::Database& db);
Status write_batch(storage::Database& db, const SqlitePersistence::Batch& b);

}  // namespace

SqlitePersistence::SqlitePersistence(std::string path, storage::Post post,
                                     std::chrono::milliseconds min_commit_interval)
    : post_(std::move(post)), min_interval_(min_commit_interval) {
  // The busy timeout is the Writer thread's: it waits at most this long for the file.
  auto db = storage::Database::open(path, {.busy_timeout = std::chrono::milliseconds(2000)});
  if (!db) {
    open_error_ = db.error().message;
    return;
  }
  if (auto st = (*db)->migrate(kSchema); !st) {
    open_error_ = st.error().message;
    return;
  }
  // Checkpoints copy the WAL into the file and fsync it. SQLite's automatic one runs inside the
  // commit that crosses 1000 WAL pages, and its copy and fsync hold that commit's
  // acknowledgements for as long as the disk takes (tens of ms on a busy machine). A second
  // connection on its own thread checkpoints PASSIVE (never waiting for nor blocking the
  // writer) every kCheckpointPeriod, so the commit's own checkpoint finds the WAL mostly copied
  // and the file mostly synced. The writer keeps its automatic checkpoint: only a checkpoint
  // between the writer's transactions lets the next one restart the WAL from its beginning
  // (with only the PASSIVE one, under a steady stream, the WAL grew without end).
  // No rows are pushed (flush_interval 0): every write is a job carrying one batch.
  writer_ = std::make_unique<storage::Writer>(
      std::move(*db),
      storage::WriterOptions{
          .name = "mqtt-persist", .flush_interval = std::chrono::milliseconds(0), .post = post_});
  auto ck = storage::Database::open(path, {.busy_timeout = std::chrono::milliseconds(0)});
  if (!ck) return;  // the writer's automatic checkpoint alone, as before
  checkpointer_ = std::make_unique<storage::Writer>(
      std::move(*ck), storage::WriterOptions{.name = "mqtt-checkpoint",
                                             .flush_interval = std::chrono::milliseconds(0)});
  checkpointer_->every(kCheckpointPeriod, kCheckpointPeriod, [](storage::Database& d) {
    (void)d.exec("PRAGMA wal_checkpoint(PASSIVE)");
    return false;
  });
}

SqlitePersistence::~SqlitePersistence() {
  checkpointer_.reset();
  if (writer_) (void)flush();
}

Result<StoredState> SqlitePersistence::load() {
  if (!writer_) return not_open(open_error_);
  return writer_->read_now<StoredState>([](storage::Database& db) { return load_state(db); });
}

namespace {

Result<StoredState> load_state(storage::Database& db) {
  StoredState out;
  std::map<std::string, std::size_t> index;
  auto session_of = [&](const Statement& s) -> StoredSession* {
    auto it = index.find(s.text(0));
    return it == index.end() ? nullptr : &out.sessions[it->second];
  };
  Status st =
      each_row(db,
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
    st = each_row(db, "SELECT client_id, filter, options, subscription_id FROM mqtt_subscriptions",
                  [&](const Statement& s) {
                    if (auto* ss = session_of(s))
                      ss->subscriptions.push_back(
                          StoredSubscription{s.text(1), static_cast<std::uint8_t>(s.int64(2)),
                                             static_cast<std::uint32_t>(s.int64(3))});
                  });
  if (st)
    st = each_row(db,
                  "SELECT client_id, topic, payload, qos, retain, properties, expiry_unix_ms, "
                  "packet_id, state FROM mqtt_session_messages ORDER BY client_id, seq",
                  [&](const Statement& s) {
                    if (auto* ss = session_of(s)) ss->messages.push_back(message_from(s, 1));
                  });
  if (st)
    st = each_row(db,
                  "SELECT topic, payload, qos, 1, properties, expiry_unix_ms, 0, 0 FROM "
                  "mqtt_retained",
                  [&](const Statement& s) { out.retained.push_back(message_from(s, 0)); });
  if (!st) return st.error();
  return out;
}

}  // namespace

void SqlitePersistence::put_session(StoredSession s) {
  auto id = s.client_id;
  pending_.sessions[id] = std::move(s);
}
void SqlitePersistence::erase_session(const std::string& client_id) {
  pending_.sessions[client_id] = std::nullopt;
}
void SqlitePersistence::put_retained(StoredMessage m) {
  auto t = m.topic;
  pending_.retained[t] = std::move(m);
}
void SqlitePersistence::erase_retained(const std::string& topic) {
  pending_.retained[topic] = std::nullopt;
}

void SqlitePersistence::restore(Batch&& failed) {
  // std::map::merge keeps the destination's entry where both have the key: newer changes win.
  pending_.sessions.merge(failed.sessions);
  pending_.retained.merge(failed.retained);
}

void SqlitePersistence::commit(std::function<void(Status)> done) {
  if (!writer_) return done(not_open(open_error_));
  auto batch = std::make_shared<Batch>(std::exchange(pending_, Batch{}));
  auto query = [batch, this](storage::Database& db) -> Result<bool> {
    // Pacing (on the writer's thread, never the broker's): what arrives meanwhile joins the next
    // batch, so commits per second, and their CPU and WAL writes, stay bounded under load.
    if (min_interval_.count() > 0) {
      std::this_thread::sleep_until(next_commit_);
      next_commit_ = std::chrono::steady_clock::now() + min_interval_;
    }
    if (auto st = write_batch(db, *batch); !st) return st.error();
    return true;
  };
  // The answer runs on the broker thread (through post_), where pending_ lives; it may arrive
  // after this object is gone (shutdown), and is then ignored.
  auto answer = [this, alive = std::weak_ptr<bool>(alive_), batch,
                 done = std::move(done)](Result<bool> r) {
    if (!alive.lock()) return;
    if (!r) {
      restore(std::move(*batch));
      return done(r.error());
    }
    done({});
  };
  if (!post_) return answer(writer_->read_now<bool>(query));
  writer_->read<bool>(query, std::move(answer));
}

Status SqlitePersistence::flush() {
  if (pending_.sessions.empty() && pending_.retained.empty()) {
    if (writer_) return writer_->flush();  // waits for a commit still running
    return {};
  }
  if (!writer_) return not_open(open_error_);
  Batch batch = std::exchange(pending_, Batch{});
  auto r = writer_->read_now<bool>([&batch](storage::Database& db) -> Result<bool> {
    if (auto st = write_batch(db, batch); !st) return st.error();
    return true;
  });
  if (!r) {
    restore(std::move(batch));
    return r.error();
  }
  return {};
}

namespace {

Status write_batch(storage::Database& db, const SqlitePersistence::Batch& b) {
  // One transaction; on failure it rolls back and the batch is kept for the next commit.
  auto tx = storage::Transaction::begin(db, storage::Transaction::Mode::immediate);
  if (!tx) return tx.error();
  auto run = [&db](const char* sql, const auto&... v) -> Status {
    auto s = db.prepare(sql);
    if (!s) return s.error();
    return s->bind_all(v...).run();
  };
  for (const auto& [id, s] : b.sessions) {
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
  for (const auto& [topic, m] : b.retained) {
    Status st = m ? run("INSERT OR REPLACE INTO mqtt_retained VALUES(?1,?2,?3,?4,?5)", topic,
                        bytes(m->payload), m->qos, m->properties, m->expiry_unix_ms)
                  : run("DELETE FROM mqtt_retained WHERE topic=?1", topic);
    if (!st) return st;
  }
  return tx->commit();
}

}  // namespace

}  // namespace weir::mqtt
