#pragma once
// What the alarm module keeps on disk (data/alarms.db, through src/storage: one writer thread, the
// io thread never waits): the journal of every transition (queryable by time range, rule and state,
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

#include "alarm/alarm_table.hpp"
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

  void record(JournalEntry entry);
  // The alarm's current state as JSON; "" deletes it (nothing worth keeping).
  void save(std::string rule_id, std::string state_json);
  // Blocking (start-up only): every saved state, by rule id.
  Result<std::vector<std::pair<std::string, std::string>>> load();
  void query(JournalQuery q, std::function<void(Records)> done);
  Records query_now(const JournalQuery& q);  // blocking: tests and tools
  Status flush();
  storage::WriterStats stats() const { return writer_->stats(); }

 private:
  explicit AlarmStore(storage::LogStore store);
  std::unique_ptr<storage::Writer> writer_;
  std::shared_ptr<storage::Retention> retention_;
};

}  // namespace weir::alarm
