#pragma once
// Persistence in one SQLite file (WAL mode, synchronous=NORMAL) written by a storage::Writer:
// the file is touched only on the Writer's thread, never on the broker thread. Changes are
// coalesced in memory (last write per session / retained topic wins); commit() hands them to
// that thread as ONE transaction and answers through the Post on the broker thread. A commit
// survives a crash of the process (SIGKILL) once it has returned; a power cut may lose the last
// commits (synchronous=NORMAL does not fsync each commit; `fsync_commits` does). The
// connection, statements, transaction and schema versions are storage's (src/storage).
// Checkpoints never run inside a commit: a second connection on its own thread checkpoints the
// WAL, and the writer catches up between commits when the WAL is long (wal_policy.hpp).
#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "mqtt/broker/broker_options.hpp"
#include "mqtt/broker/commit_pacing.hpp"
#include "mqtt/broker/duration_histogram.hpp"
#include "mqtt/broker/persistence.hpp"
#include "mqtt/broker/wal_policy.hpp"
#include "storage/writer.hpp"

namespace weir::mqtt {

struct SqlitePersistenceOptions {
  // A commit takes its batch at least this long after the previous one took its own
  // (BrokerOptions::commit_interval_ms); what arrives meanwhile joins it (ready_to_commit).
  std::chrono::milliseconds min_commit_interval{};
  // ... or earlier, once the acknowledgements waiting for it have stopped growing this long
  // (CommitPacer; zero: never early).
  std::chrono::microseconds commit_quiet{200};
  // ... if it rewrites at most this many sessions (CommitPacing::early_sessions).
  std::size_t commit_early_sessions = 2;
  WalLimits wal;
  // How often the checkpointer looks whether a pass is due (wal_background_pass).
  std::chrono::milliseconds checkpoint_period{10};
  // synchronous=FULL: every commit fsyncs the WAL before it answers, so what was acknowledged
  // also survives a power cut (BrokerOptions::persistence_fsync_commits).
  bool fsync_commits = false;
};

// The settings BrokerOptions gives (commit_interval_ms, persistence_fsync_commits,
// persistence_wal_max_mb: the hard size; the soft one is a quarter of it).
SqlitePersistenceOptions persistence_options(const BrokerOptions& o);

// The WAL and its checkpoints, for /metrics. Bytes are the WAL's logical length (frames since
// its last restart); the file itself is trimmed back to the hard size when the WAL restarts.
struct WalStats {
  std::uint64_t frames = 0;               // WAL frames after the last commit
  std::uint64_t bytes = 0;                // the same, in bytes
  std::uint64_t max_bytes = 0;            // the longest it has been
  std::uint64_t restarts = 0;             // WAL cycles (restarts from its first frame)
  std::uint64_t catch_ups = 0;            // catch-ups the writer ran between commits
  std::uint64_t catch_ups_deferred = 0;   // catch-ups put off: a pass held the checkpoint
  std::uint64_t catch_ups_waited = 0;     // catch-ups that waited for a pass (WAL at 2x hard)
  DurationHistogram checkpoint_time;      // the checkpointer's passes (no one waits for them)
  DurationHistogram catch_up_time;        // the writer's catch-ups (the next commit waits)
  DurationHistogram commit_write_time;    // a commit's transaction on the writer thread
  DurationHistogram restart_commit_time;  // the same, for commits that restarted the WAL
  // Restarts in a transaction of their own, between two commits (wal_restart_due), while a
  // commit waits for its turn (pacing). What one costs (the WAL header's fsync) no
  // acknowledgement waits for, unless it outlasts the pacing wait.
  std::uint64_t restarts_apart = 0;
  DurationHistogram restart_time;
};

class SqlitePersistence final : public Persistence {
 public:
  // Opens (creating if needed) the database; check ok() / open_error() before use. `post` runs
  // a commit's answer on the broker thread; without one commit() waits and answers at once
  // (tests, tools).
  explicit SqlitePersistence(std::string path, storage::Post post = {},
                             SqlitePersistenceOptions options = {});
  ~SqlitePersistence() override;
  SqlitePersistence(const SqlitePersistence&) = delete;
  SqlitePersistence& operator=(const SqlitePersistence&) = delete;

  bool ok() const { return writer_ != nullptr; }
  const std::string& open_error() const { return open_error_; }

  Result<StoredState> load() override;
  void put_session(StoredSession s) override;
  void erase_session(const std::string& client_id) override;
  void put_retained(StoredMessage m) override;
  void erase_retained(const std::string& topic) override;
  void commit(std::function<void(Status)> done) override;
  bool ready_to_commit(std::function<void()> ready) override;
  void note_pending(std::size_t acks, std::size_t sessions) override;
  bool has_pending() const override { return pending() != 0; }
  Status flush() override;
  std::size_t pending() const { return pending_.sessions.size() + pending_.retained.size(); }
  WalStats wal_stats() const;
  // Broker thread: the pacing's counts (takes, early takes).
  CommitPacer::Counts pacing_counts() const { return pacer_.counts(); }

  struct Batch {
    std::map<std::string, std::optional<StoredSession>> sessions;  // nullopt = erase
    std::map<std::string, std::optional<StoredMessage>> retained;
  };

 private:
  // A failed batch goes back under what was recorded since (newer changes win).
  void restore(Batch&& failed);
  // Writer thread: a commit left the WAL `frames` long (SQLite's wal hook).
  void on_commit_frames(std::uint32_t frames);
  // Writer thread, after a commit has answered: wakes nobody (the checkpointer polls), or
  // catches up (wal_policy.hpp).
  void after_commit(storage::Database& db);
  // Writer thread: how long a commit's transaction took (paced commits: after the wait).
  void note_commit_time(std::chrono::nanoseconds took);
  // Checkpointer thread: one PASSIVE pass when one is due.
  void background_pass(storage::Database& db);
  // Writer thread: a paced commit waits for its turn until take_at_ (which the broker thread
  // may move), restarting the WAL meanwhile if a pass has copied all of it (wal_restart_due).
  void wait_for_turn(storage::Database& db);
  // Broker thread: publishes the pacer's take_at() to a waiting commit; wakes it if earlier.
  void publish_take_at();
  // Writer thread: restarts the WAL apart if a pass has copied all of it and none runs now;
  // whether it did.
  bool restart_if_due(storage::Database& db);
  // Writer thread, holding checkpoint_mu_: a one-row transaction that restarts a wholly copied
  // WAL.
  void restart_wal(storage::Database& db);
  static int wal_hook(void* self, ::sqlite3* db, const char* name, int frames);

  std::string open_error_;
  storage::Post post_;
  SqlitePersistenceOptions options_;
  std::uint64_t frame_bytes_ = 4096 + 24;  // a WAL frame: header + page
  Batch pending_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  // Pacing (broker thread only): when a commit may take its batch; whether one waits for it.
  CommitPacer pacer_;
  bool waiting_ = false;
  // What the waiting commit's thread reads (steady_clock nanoseconds; no lock on the broker
  // thread): moved later while acknowledgements keep arriving, earlier when the first arrives.
  std::atomic<std::int64_t> take_at_ns_{0};
  // The WAL's state, shared by the writer and the checkpointer threads (and /metrics).
  mutable std::mutex wal_mu_;
  // wait_for_turn listens: a background pass ended, or the take time moved earlier.
  std::condition_variable wal_copied_;
  WalStats wal_;                        // guarded by wal_mu_
  std::uint32_t copied_ = 0;            // guarded by wal_mu_: frames checkpointed this cycle
  std::uint64_t cycle_ = 0;             // guarded by wal_mu_: bumped when the WAL restarts
  bool last_commit_restarted_ = false;  // guarded by wal_mu_: set by the wal hook
  bool catch_up_wanted_ = false;        // guarded by wal_mu_
  bool restart_queued_ = false;         // guarded by wal_mu_: a restart job waits on the writer
  std::mutex checkpoint_mu_;            // one checkpoint at a time: a pass or a catch-up
  std::unique_ptr<storage::Writer> writer_;
  std::unique_ptr<storage::Writer> checkpointer_;  // WAL checkpoints, off the commits' thread
};

}  // namespace weir::mqtt
