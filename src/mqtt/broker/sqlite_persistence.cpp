#include "mqtt/broker/sqlite_persistence.hpp"

#include <sqlite3.h>

#include <algorithm>
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
)sql"},
                                          // One row the WAL restarts write (restart_wal).
                                          {3, R"sql(
CREATE TABLE mqtt_wal_restarts(count INTEGER NOT NULL);
INSERT INTO mqtt_wal_restarts VALUES(0);
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

// One PASSIVE checkpoint pass (it blocks no reader or writer): SQLite's answer, the WAL frames
// copied into the database so far (-1 if unknown), and how long the pass took.
struct CheckpointPass {
  int rc;
  int done;
  std::chrono::steady_clock::duration took;
};
CheckpointPass passive_checkpoint(storage::Database& db) {
  const auto start = std::chrono::steady_clock::now();
  int log = 0, done = 0;
  const int rc =
      sqlite3_wal_checkpoint_v2(db.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
  return {rc, done, std::chrono::steady_clock::now() - start};
}

}  // namespace

SqlitePersistenceOptions persistence_options(const BrokerOptions& o) {
  SqlitePersistenceOptions out;
  out.min_commit_interval = std::chrono::milliseconds(o.commit_interval_ms);
  out.fsync_commits = o.persistence_fsync_commits;
  // Frames of 4 KiB pages (SQLite's default page size) and their 24-byte headers.
  const std::uint64_t frames = std::uint64_t{o.persistence_wal_max_mb} * 1024 * 1024 / (4096 + 24);
  out.wal.hard_frames = static_cast<std::uint32_t>(std::max<std::uint64_t>(frames, 8));
  out.wal.soft_frames = out.wal.hard_frames / 4;
  return out;
}

SqlitePersistence::SqlitePersistence(std::string path, storage::Post post,
                                     SqlitePersistenceOptions options)
    : post_(std::move(post)),
      options_(options),
      pacer_({.interval = options.min_commit_interval,
              .quiet = options.commit_quiet,
              .early_sessions = options.commit_early_sessions}) {
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
  if (auto ps = (*db)->prepare("PRAGMA page_size"); ps) {
    if (auto row = ps->step(); row && *row) frame_bytes_ = 24 + std::uint64_t(ps->int64(0));
  }
  // synchronous=NORMAL (storage's): a commit writes the WAL without an fsync, so it survives a
  // crash of the process but a power cut may lose the last commits; FULL fsyncs every commit.
  // journal_size_limit: when the WAL restarts, its file is cut back to the hard size (it only
  // passes it by what one commit and one checkpoint pass write, wal_policy.hpp).
  const std::uint64_t hard_bytes = 32 + std::uint64_t{options_.wal.hard_frames} * frame_bytes_;
  if (auto st = (*db)->exec(std::string(options_.fsync_commits ? "PRAGMA synchronous=FULL;"
                                                               : "PRAGMA synchronous=NORMAL;") +
                            "PRAGMA journal_size_limit=" + std::to_string(hard_bytes));
      !st) {
    open_error_ = st.error().message;
    return;
  }
  // No automatic checkpoint: registering a wal hook replaces SQLite's (which checkpointed
  // inside the commit crossing 1,000 frames, fsyncs included, while its acknowledgements
  // waited). The hook only notes the WAL's length; after_commit() and the checkpointer act on
  // it (wal_policy.hpp).
  sqlite3_wal_hook((*db)->handle(), &SqlitePersistence::wal_hook, this);
  // No rows are pushed (flush_interval 0): every write is a job carrying one batch.
  writer_ = std::make_unique<storage::Writer>(
      std::move(*db),
      storage::WriterOptions{
          .name = "mqtt-persist", .flush_interval = std::chrono::milliseconds(0), .post = post_});
  auto ck = storage::Database::open(path, {.busy_timeout = std::chrono::milliseconds(0)});
  if (!ck) return;  // then only the writer's catch-ups checkpoint: still bounded
  checkpointer_ = std::make_unique<storage::Writer>(
      std::move(*ck), storage::WriterOptions{.name = "mqtt-checkpoint",
                                             .flush_interval = std::chrono::milliseconds(0)});
  checkpointer_->every(options_.checkpoint_period, options_.checkpoint_period,
                       [this](storage::Database& d) {
                         background_pass(d);
                         return false;
                       });
}

SqlitePersistence::~SqlitePersistence() {
  checkpointer_.reset();
  if (writer_) (void)flush();
}

int SqlitePersistence::wal_hook(void* self, ::sqlite3*, const char*, int frames) {
  static_cast<SqlitePersistence*>(self)->on_commit_frames(
      static_cast<std::uint32_t>(std::max(frames, 0)));
  return SQLITE_OK;
}

void SqlitePersistence::on_commit_frames(std::uint32_t frames) {
  std::lock_guard lock(wal_mu_);
  last_commit_restarted_ = frames < wal_.frames;
  if (last_commit_restarted_) {  // the transaction restarted the WAL from its first frame
    ++wal_.restarts;
    ++cycle_;
    copied_ = 0;
    catch_up_wanted_ = false;
  }
  wal_.frames = frames;
  wal_.bytes = frames == 0 ? 0 : 32 + frames * frame_bytes_;
  wal_.max_bytes = std::max(wal_.max_bytes, wal_.bytes);
}

void SqlitePersistence::after_commit(storage::Database& db) {
  bool must = false;
  {
    std::lock_guard lock(wal_mu_);
    const auto frames = static_cast<std::uint32_t>(wal_.frames);
    const auto step = wal_step_after_commit(options_.wal, frames, copied_);
    if (step != WalStep::catch_up) return;  // the checkpointer polls for `background`
    catch_up_wanted_ = true;                // no new pass starts from now on
    must = wal_must_wait_for_pass(options_.wal, frames);
  }
  // A pass under way holds the checkpoint: the next commit tries again (the WAL grows by one
  // commit meanwhile) instead of this thread waiting for the pass's fsyncs; only a WAL twice
  // its hard size waits for the pass (the bound; the checkpointer fell far behind).
  std::unique_lock ck(checkpoint_mu_, std::defer_lock);
  if (must)
    ck.lock();
  else if (!ck.try_lock()) {
    std::lock_guard lock(wal_mu_);
    ++wal_.catch_ups_deferred;
    return;
  }
  const auto [rc, done, took] = passive_checkpoint(db);
  std::lock_guard lock(wal_mu_);
  ++wal_.catch_ups;
  if (must) ++wal_.catch_ups_waited;
  wal_.catch_up_time.record(took);
  if (rc == SQLITE_OK && done >= 0) copied_ = static_cast<std::uint32_t>(done);
}

void SqlitePersistence::wait_for_turn(storage::Database& db) {
  using std::chrono::steady_clock;
  bool tried = false;  // one restart per wait (a failed one is not retried in a loop)
  for (;;) {
    if (!tried) tried = restart_if_due(db);
    std::unique_lock lock(wal_mu_);
    // The broker thread moves the time later while acknowledgements keep arriving (this wait
    // then wakes at the old one and sleeps again), and earlier when they stop (it notifies).
    const steady_clock::time_point due{
        steady_clock::duration(take_at_ns_.load(std::memory_order_acquire))};
    if (steady_clock::now() >= due) return;
    // Woken early by a pass that may have copied everything (background_pass), or by the
    // broker thread moving the time earlier (publish_take_at).
    wal_copied_.wait_until(lock, due);
  }
}

void SqlitePersistence::publish_take_at() {
  const auto at = pacer_.take_at().time_since_epoch().count();
  const auto before = take_at_ns_.exchange(at, std::memory_order_release);
  // A later time needs no wake-up: the wait wakes at the earlier one and reads this. An earlier
  // one does (without the lock: a wake-up lost in the instant before the wait blocks leaves it
  // until the time it had read, the pacing without the early take).
  if (at < before) wal_copied_.notify_all();
}

void SqlitePersistence::note_pending(std::size_t acks, std::size_t sessions) {
  if (!pacer_.changes(acks, sessions)) return;  // most entry points: nothing new
  // The clock is read only when acknowledgements arrived.
  pacer_.waiting(acks, sessions,
                 pacer_.grows(acks) ? std::chrono::steady_clock::now()
                                    : std::chrono::steady_clock::time_point{});
  if (waiting_) publish_take_at();
}

bool SqlitePersistence::restart_if_due(storage::Database& db) {
  {
    std::lock_guard lock(wal_mu_);
    if (!wal_restart_due(static_cast<std::uint32_t>(wal_.frames), copied_)) return false;
  }
  // A pass under way would hold read locks the restart needs (SQLite would append instead of
  // restarting); its end wakes a waiting commit again, or queues a restart of its own.
  std::unique_lock ck(checkpoint_mu_, std::try_to_lock);
  if (!ck) return false;
  restart_wal(db);
  return true;
}

void SqlitePersistence::restart_wal(storage::Database& db) {
  const auto start = std::chrono::steady_clock::now();
  Status st = [&db]() -> Status {
    auto tx = storage::Transaction::begin(db, storage::Transaction::Mode::immediate);
    if (!tx) return tx.error();
    auto s = db.prepare("UPDATE mqtt_wal_restarts SET count = count + 1");
    if (!s) return s.error();
    if (auto r = s->run(); !r) return r;
    return tx->commit();
  }();
  const auto took = std::chrono::steady_clock::now() - start;
  std::lock_guard lock(wal_mu_);
  if (st && last_commit_restarted_) {
    ++wal_.restarts_apart;
    wal_.restart_time.record(took);
  }
  last_commit_restarted_ = false;
}

void SqlitePersistence::background_pass(storage::Database& db) {
  std::uint64_t cycle = 0;
  {
    std::lock_guard lock(wal_mu_);
    if (!wal_background_pass(options_.wal, static_cast<std::uint32_t>(wal_.frames), copied_,
                             catch_up_wanted_))
      return;
    cycle = cycle_;
  }
  {
    std::lock_guard ck(checkpoint_mu_);
    const auto [rc, done, took] = passive_checkpoint(db);
    std::lock_guard lock(wal_mu_);
    wal_.checkpoint_time.record(took);
    // A restart meanwhile makes this pass's count stale: the new cycle starts from nothing
    // copied.
    if (rc == SQLITE_OK && done >= 0 && cycle == cycle_) copied_ = static_cast<std::uint32_t>(done);
  }
  // After the checkpoint is released: a commit waiting for its turn may restart the WAL now.
  wal_copied_.notify_all();
  // When none waits, a job of its own restarts it on the writer thread, between two commits
  // (the writer is idle most of the time between paced commits); else the next commit would.
  {
    std::lock_guard lock(wal_mu_);
    if (restart_queued_ || !wal_restart_due(static_cast<std::uint32_t>(wal_.frames), copied_))
      return;
    restart_queued_ = true;
  }
  const bool queued = writer_->submit([this](storage::Database& wdb) {
    {
      std::lock_guard lock(wal_mu_);
      restart_queued_ = false;
    }
    (void)restart_if_due(wdb);  // a waiting commit may have restarted it already
  });
  if (!queued) {
    std::lock_guard lock(wal_mu_);
    restart_queued_ = false;
  }
}

void SqlitePersistence::note_commit_time(std::chrono::nanoseconds took) {
  std::lock_guard lock(wal_mu_);
  // A commit that restarted the WAL wrote and fsynced its header first (SQLite does, so that a
  // power cut cannot mix two cycles' frames): its own histogram shows what that costs.
  if (last_commit_restarted_)
    wal_.restart_commit_time.record(took);
  else
    wal_.commit_write_time.record(took);
  last_commit_restarted_ = false;
}

WalStats SqlitePersistence::wal_stats() const {
  std::lock_guard lock(wal_mu_);
  return wal_;
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

bool SqlitePersistence::ready_to_commit(std::function<void()> ready) {
  if (!post_ || !writer_ || pacer_.may_take(std::chrono::steady_clock::now())) return true;
  // Pacing: the writer's thread waits (never the broker's), then asks the broker thread for
  // the batch. Taking it at the end of the wait, not the start, lets what arrives meanwhile
  // join this commit: a lone publisher's window is acknowledged by one commit, not two.
  waiting_ = true;
  take_at_ns_.store(pacer_.take_at().time_since_epoch().count(), std::memory_order_release);
  const bool queued =
      writer_->submit([self = this, post = post_, alive = std::weak_ptr<bool>(alive_),
                       ready = std::move(ready)](storage::Database& db) {
        self->wait_for_turn(db);
        post([alive, ready]() {
          if (alive.lock()) ready();
        });
      });
  waiting_ = queued;
  return !queued;  // a writer that takes no job: the commit itself reports why
}

void SqlitePersistence::commit(std::function<void(Status)> done) {
  if (!writer_) return done(not_open(open_error_));
  pacer_.taken(std::chrono::steady_clock::now());  // the pacing counts from here
  waiting_ = false;
  auto batch = std::make_shared<Batch>(std::exchange(pending_, Batch{}));
  // The answer runs on the broker thread (through post_), where pending_ lives; it may arrive
  // after this object is gone (shutdown), and is then ignored.
  auto answer = [this, alive = std::weak_ptr<bool>(alive_), batch,
                 done = std::move(done)](Status st) {
    if (!alive.lock()) return;
    if (!st) {
      restore(std::move(*batch));
      return done(st.error());
    }
    done({});
  };
  auto write = [batch, this](storage::Database& db) -> Status {
    const auto start = std::chrono::steady_clock::now();
    Status st = write_batch(db, *batch);
    note_commit_time(std::chrono::steady_clock::now() - start);
    return st;
  };
  if (!post_) {
    auto r = writer_->read_now<bool>([&](storage::Database& db) -> Result<bool> {
      auto st = write(db);
      after_commit(db);
      if (!st) return st.error();
      return true;
    });
    if (!r) return answer(r.error());
    return answer(Status{});
  }
  // The answer is posted before a catch-up runs: no acknowledgement waits for a checkpoint.
  auto shared = std::make_shared<decltype(answer)>(std::move(answer));
  const bool queued = writer_->submit([this, write, shared](storage::Database& db) {
    Status st;
    try {
      st = write(db);
    } catch (const std::exception& e) {  // the answer must come, or its acknowledgements hang
      st = not_open(std::string("mqtt-persist: commit failed: ") + e.what());
    }
    post_([shared, st]() { (*shared)(st); });
    after_commit(db);
  });
  if (!queued)
    post_([shared]() {
      (*shared)(Error::make(ErrorKind::unavailable, "storage", "mqtt-persist: busy or stopping"));
    });
}

Status SqlitePersistence::flush() {
  if (pending_.sessions.empty() && pending_.retained.empty()) {
    if (writer_) return writer_->flush();  // waits for a commit still running
    return {};
  }
  if (!writer_) return not_open(open_error_);
  Batch batch = std::exchange(pending_, Batch{});
  auto r = writer_->read_now<bool>([&batch, this](storage::Database& db) -> Result<bool> {
    auto st = write_batch(db, batch);
    after_commit(db);
    if (!st) return st.error();
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
