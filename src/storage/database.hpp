#pragma once
// One SQLite connection, opened the way every Weir database is: WAL journal, synchronous=NORMAL
// (a commit does not fsync; a power cut may lose the WAL tail, never corrupt the file), a busy
// timeout, foreign keys on. Errors are values that name the file and carry SQLite's message.
// Schemas evolve by numbered migrations recorded in PRAGMA user_version.
//
// A Database is not thread-safe: one thread uses it at a time (the storage thread of a Writer,
// or the broker thread for the MQTT persistence).
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace weir::storage {

class Statement;

struct DatabaseOptions {
  std::chrono::milliseconds busy_timeout{5000};
  bool foreign_keys = true;
};

// Step `version` of a schema: SQL run in one transaction, after which user_version = version.
// Versions start at 1 and follow each other. Step 1 of a database that predates migrations
// should use CREATE ... IF NOT EXISTS so it adopts the existing tables.
struct Migration {
  int version = 0;
  std::string_view sql;
};

class Database {
 public:
  // Opens (creating if needed) the file; the parent folder must exist.
  static Result<std::unique_ptr<Database>> open(const std::filesystem::path& path,
                                                DatabaseOptions options = {});
  ~Database();  // finalizes cached statements, closes
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more statements with no parameters and no result rows.
  Status exec(std::string_view sql);
  // A prepared statement from this connection's cache (prepared on first use). The statement is
  // reset and its bindings cleared when the returned handle goes away.
  Result<Statement> prepare(std::string_view sql);

  // Brings the schema to the last migration's version; steps already applied are skipped.
  // Refuses a database whose user_version is newer than the last migration (a downgrade).
  Status migrate(std::span<const Migration> steps);
  Result<int> user_version();

  std::int64_t changes() const;  // rows changed by the last INSERT/UPDATE/DELETE
  std::int64_t last_insert_id() const;
  const std::filesystem::path& path() const { return path_; }
  sqlite3* handle() { return db_; }

  // "<file>: <what>: <SQLite's message>" (ErrorKind::internal, code "storage").
  Error error(std::string_view what) const;

 private:
  friend class Statement;
  Database(sqlite3* db, std::filesystem::path path);
  Status exec_as(std::string_view sql, std::string_view what);

  sqlite3* db_;
  std::filesystem::path path_;
  // Looked up by string_view: no allocation per prepare() of a known statement.
  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // Prepared statements not in use, by SQL text. A Statement takes one out and puts it back when
  // it goes away; a second prepare() of the same text meanwhile prepares another one. (Elements of
  // an unordered_map keep their address when it grows: a Statement points at its list.)
  std::unordered_map<std::string, std::vector<sqlite3_stmt*>, SqlHash, std::equal_to<>> cache_;
};

}  // namespace weir::storage
