#pragma once
// Persistence in one SQLite file (WAL mode, synchronous=NORMAL) written by a storage::Writer:
// the file is touched only on the Writer's thread, never on the broker thread. Changes are
// coalesced in memory (last write per session / retained topic wins); commit() hands them to
// that thread as ONE transaction and answers through the Post on the broker thread. A commit
// survives a crash of the process (SIGKILL) once it has returned; a power cut may lose the WAL
// tail (synchronous=NORMAL does not fsync each commit). The connection, statements,
// transaction and schema versions are storage's (src/storage). A second connection checkpoints
// the WAL on its own thread (see the constructor), so a commit's own checkpoint has little left.
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "mqtt/broker/persistence.hpp"
#include "storage/writer.hpp"

namespace weir::mqtt {

class SqlitePersistence final : public Persistence {
 public:
  static constexpr std::chrono::milliseconds kCheckpointPeriod{100};
  // Opens (creating if needed) the database; check ok() / open_error() before use. `post` runs
  // a commit's answer on the broker thread; without one commit() waits and answers at once
  // (tests, tools).
  // min_commit_interval: a commit starts at least this long after the previous one started
  // (BrokerOptions::commit_interval_ms).
  explicit SqlitePersistence(std::string path, storage::Post post = {},
                             std::chrono::milliseconds min_commit_interval = {});
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
  bool has_pending() const override { return pending() != 0; }
  Status flush() override;
  std::size_t pending() const { return pending_.sessions.size() + pending_.retained.size(); }

  struct Batch {
    std::map<std::string, std::optional<StoredSession>> sessions;  // nullopt = erase
    std::map<std::string, std::optional<StoredMessage>> retained;
  };

 private:
  // A failed batch goes back under what was recorded since (newer changes win).
  void restore(Batch&& failed);

  std::string open_error_;
  storage::Post post_;
  std::chrono::milliseconds min_interval_{};
  Batch pending_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::unique_ptr<storage::Writer> writer_;
  std::unique_ptr<storage::Writer> checkpointer_;
  std::chrono::steady_clock::time_point
      next_commit_{};  // writer thread only  // WAL checkpoints, off the commits' thread
};

}  // namespace weir::mqtt
