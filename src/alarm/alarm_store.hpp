#pragma once
// What the alarm module keeps on disk (data/alarms.db, through src/storage: one writer thread, the
// io thread never waits; each group of transitions committed before it is published, see
// commit_queue.hpp): the journal of every transition (queryable by time range, rule and state,
// newest first; retention by age and row count) and each alarm's current state as JSON, read back
// at start so active alarms, shelving and out of service survive a restart.
#include <boost/describe.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "alarm/commit_queue.hpp"
#include "storage/log_store.hpp"

namespace weir::alarm {

struct JournalRecord {
  std::int64_t id = 0;
  std::string time;  // ISO 8601 UTC
  std::string rule_id;
  std::string occurrence_id;
  AlarmEvent event = AlarmEvent::raised;
  std::optional<AlarmState> state;
  int priority = 3;
  std::string user;
  std::string reason;
};
BOOST_DESCRIBE_STRUCT(JournalRecord, (),
                      (id, time, rule_id, occurrence_id, event, state, priority, user, reason))

struct JournalQuery {
  std::optional<WallTime> from;  // inclusive
  std::optional<WallTime> to;    // exclusive
  std::optional<std::string> rule_id;
  std::optional<AlarmState> state;
  std::optional<std::int64_t> before_id;  // paging
  std::size_t limit = 100;                // clamped to [1, 1000]
};

struct AlarmStoreOptions {
  std::chrono::milliseconds max_age = std::chrono::days(400);
  std::uint64_t max_rows = 1'000'000;
  bool background_thread = true;
  const Clock* clock = nullptr;
  storage::Post post;
};

class AlarmStore {
 public:
  using Records = Result<std::vector<JournalRecord>>;

  static Result<std::unique_ptr<AlarmStore>> open(const std::filesystem::path& path,
                                                  AlarmStoreOptions options);
  ~AlarmStore();

  // Writes the journal entries and saved states in ONE transaction on the storage thread (after
  // the rows queued before), then calls `done` through the Post with how it went. When it fails
  // (or the writer is too busy to take it) the rows are queued for the writer's retries and `done`
  // gets the error. Never blocks.
  void commit(AlarmRows rows, std::function<void(Status)> done);
  // Blocking (start-up only): every saved state, by rule id.
  Result<std::vector<std::pair<std::string, std::string>>> load();
  void query(JournalQuery q, std::function<void(Records)> done);
  Records query_now(const JournalQuery& q);  // blocking: tests and tools
  Status flush();
  storage::WriterStats stats() const { return writer_->stats(); }

 private:
  AlarmStore(storage::LogStore store, storage::Post post);
  std::unique_ptr<storage::Writer> writer_;
  std::shared_ptr<storage::Retention> retention_;
  storage::Post post_;
};

}  // namespace weir::alarm
