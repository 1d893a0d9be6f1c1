#pragma once
// What the historian stores and asks, whatever the database: the SQLite store
// (sqlite_history_store.hpp, one writer thread, WAL) implements it, and so does the PostgreSQL
// store (pg_history_store.hpp). Writes are handed over in batches and never block the caller (a
// full queue drops the batch's excess and counts it); queries answer through a callback on the
// thread the store was given (the io thread in the server).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "historian/rollup.hpp"
#include "historian/sample.hpp"

namespace weir::historian {

// A tag the store knows, by the dense index samples carry.
struct TagDef {
  std::string name;  // "WaterTank@TANK"
  ValueKind kind = ValueKind::float_;
};

struct TaggedSample {
  std::uint32_t tag = 0;  // index into the last define_tags() list
  Sample sample;
};

// Something that happened: an alarm transition, a command's feedback, a driver's status, a
// device's presence, a user's action. `detail` is a JSON object (text).
struct Event {
  std::int64_t time_ms = 0;
  std::string kind;    // "alarm", "command", "driver", "presence", "user_action"
  std::string source;  // the rule, datapoint, driver, device or user
  std::string detail;
};

struct EventRecord {
  std::int64_t id = 0;
  Event event;
};

// Paging position in a raw query: the tag's position in the query, the time of the last row given
// and how many rows at that time were given.
struct RawCursor {
  std::size_t tag_pos = 0;
  std::int64_t ms = 0;
  std::uint64_t skip = 0;
  std::string encode() const;
  static std::optional<RawCursor> decode(std::string_view s);
};

struct RawQuery {
  std::vector<std::string> tags;
  std::int64_t from_ms = 0;  // inclusive (source time)
  std::int64_t to_ms = 0;    // exclusive
  std::size_t limit = 1000;
  std::optional<RawCursor> cursor;
};
struct RawRow {
  std::size_t tag_pos = 0;
  Sample sample;
};
struct RawPage {
  std::vector<RawRow> rows;
  std::optional<RawCursor> next;
};

struct TrendQuery {
  std::vector<std::string> tags;
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;
  std::size_t budget = 1000;  // output buckets per tag
};
struct TrendSeries {
  std::string tag;
  Level level = Level::raw;  // where the buckets came from
  std::int64_t width_ms = 0;
  std::vector<Bucket> buckets;
};

struct EventQuery {
  std::optional<std::int64_t> from_ms;
  std::optional<std::int64_t> to_ms;
  std::optional<std::string> kind;
  std::optional<std::string> source;
  std::optional<std::int64_t> before_id;
  std::size_t limit = 100;
};

struct RetentionSettings {
  std::int64_t raw_max_age_ms = 0;  // 0: no limit (each one)
  std::int64_t rollup_1s_max_age_ms = 0;
  std::int64_t rollup_1m_max_age_ms = 0;
  std::int64_t rollup_1h_max_age_ms = 0;
  std::int64_t events_max_age_ms = 0;
  std::uint64_t max_bytes = 0;  // the database's used pages; past it the oldest go first
  std::int64_t interval_ms = 60'000;
};

struct StoreStats {
  std::uint64_t queued = 0;               // samples handed over, not yet committed
  std::uint64_t dropped = 0;              // samples and events lost to a full queue
  std::uint64_t stored = 0;               // samples committed
  std::uint64_t events_stored = 0;        // events committed
  std::uint64_t commits = 0;              // transactions committed
  std::uint64_t write_errors = 0;         // transactions that failed (retried)
  std::int64_t committed_through_ms = 0;  // every sample accepted up to this server time is stored
  std::uint64_t retention_deleted_chunks = 0;
  std::uint64_t retention_deleted_rows = 0;        // rollup and event rows
  std::uint64_t used_bytes = 0;                    // at the last retention pass
  std::uint64_t retention_dropped_partitions = 0;  // PostgreSQL: whole partitions dropped
  std::uint64_t page_bytes = 0;      // open rollup pages in memory (bytes, at the last commit)
  std::uint64_t page_evictions = 0;  // open pages that left memory under the budget
  std::uint64_t page_reloads = 0;    // pages read back from the database and merged
  bool connected = true;             // PostgreSQL: the database answers
  std::string backend_error;         // why it does not (empty when connected)
};

class HistoryStore {
 public:
  virtual ~HistoryStore() = default;
  // The tags samples refer to from now on (by index). Unknown names are created.
  virtual void define_tags(std::vector<TagDef> tags) = 0;
  // Hands a batch over; never blocks. What does not fit in the queue is dropped and counted.
  virtual void append(std::vector<TaggedSample> samples, std::vector<Event> events) = 0;
  virtual void set_retention(RetentionSettings r) = 0;

  virtual void raw(RawQuery q, std::function<void(Result<RawPage>)> done) = 0;
  virtual void trend(TrendQuery q, std::function<void(Result<std::vector<TrendSeries>>)> done) = 0;
  virtual void events(EventQuery q, std::function<void(Result<std::vector<EventRecord>>)> done) = 0;

  // Blocking (tests, shutdown): everything handed over is committed; open rollups written too
  // when `final`.
  virtual Status flush(bool final = false) = 0;
  // Blocking (tests, tools): one retention pass to the end.
  virtual Status run_retention() = 0;
  virtual StoreStats stats() const = 0;
};

}  // namespace weir::historian
