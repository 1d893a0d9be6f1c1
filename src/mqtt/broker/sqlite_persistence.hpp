#pragma once
// Persistence in one SQLite file (WAL mode, synchronous=NORMAL). Changes are coalesced in memory
// (last write per session / retained topic wins) and written by flush() in ONE transaction.
// It runs on the broker thread: with WAL + synchronous=NORMAL a commit does not fsync, so a
// tick's transaction costs about what it writes (sessions that changed, retained topics that
// changed). A crash loses at most the last tick of changes; a power cut may lose the WAL tail.
// The connection, statements, transaction and schema versions are storage's (src/storage).
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "mqtt/broker/persistence.hpp"
#include "storage/database.hpp"

namespace weir::mqtt {

class SqlitePersistence final : public Persistence {
 public:
  // Opens (creating if needed) the database; check ok() / open_error() before use.
  explicit SqlitePersistence(std::string path);
  ~SqlitePersistence() override;
  SqlitePersistence(const SqlitePersistence&) = delete;
  SqlitePersistence& operator=(const SqlitePersistence&) = delete;

  bool ok() const { return db_ != nullptr; }
  const std::string& open_error() const { return open_error_; }

  Result<StoredState> load() override;
  void put_session(StoredSession s) override;
  void erase_session(const std::string& client_id) override;
  void put_retained(StoredMessage m) override;
  void erase_retained(const std::string& topic) override;
  Status flush() override;
  std::size_t pending() const { return sessions_.size() + retained_.size(); }

 private:
  Status write_pending();

  std::unique_ptr<storage::Database> db_;
  std::string open_error_;
  std::map<std::string, std::optional<StoredSession>> sessions_;  // nullopt = erase
  std::map<std::string, std::optional<StoredMessage>> retained_;
};

}  // namespace weir::mqtt
