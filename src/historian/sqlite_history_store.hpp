#pragma once
// The historian's SQLite store (WAL, through src/storage: one writer thread owns the file).
//
// 1 s rollups are computed (RollupAccumulator) but not stored: for a tag updating about once a
// second a stored 1 s bucket costs a row per value (measured: 110 bytes per value instead of 9, and
// ingest as slow as a row-per-value table). A trend at the 1 s level (ranges shorter than
// 60 x budget seconds) is computed from the chunks; 1 min and 1 h buckets are stored.
//
// On the storage thread each tag has an open chunk (ChunkEncoder), open rollup buckets, and per
// stored level its newest rollup page (encoded, rollup_page.hpp: one row per tag per hour of 1 min
// buckets, per day of 1 h buckets). A closed bucket is appended to that page in memory; the page
// row is upserted at the next commit. A page leaves memory when the tag's next page starts (once
// written), or after a commit while the pages hold more than open_pages_bytes (least recently
// appended first, page_budget.hpp). The stored page is read only when a tag's first bucket after
// start, or after its page left under the budget, lands in that page on disk (a restart
// mid-hour): merged once at the commit, then kept. A bucket older
// than the tag's newest page (values from the past) is merged into its stored page (read, merged,
// written). Every flush_interval ONE transaction writes what changed: open chunks (inserted, then
// rewritten as they grow, so a crash loses at most one flush interval), chunks that closed
// (chunk_values samples or chunk_ms of time), the pages that received buckets, and events.
// Queries run on the same thread after writing what waits, so they see everything handed over
// before them; trend queries add the open rollup buckets from memory.
//
// The queue between the caller and the thread is bounded (max_queue samples and events); past it
// a batch's excess is dropped and counted, the caller never waits.
//
// Retention (retention_settings): per table a maximum age, and a cap on the database's used bytes
// past which the oldest chunks go first (then the oldest 1 min rollups, then events). Deleted pages
// go to SQLite's free list and are reused: no VACUUM.
#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "core/clock.hpp"
#include "historian/chunk_codec.hpp"
#include "historian/history_store.hpp"
#include "historian/page_budget.hpp"
#include "historian/rollup_page.hpp"
#include "historian/store_core.hpp"
#include "storage/writer.hpp"

namespace weir::historian {

struct SqliteStoreOptions {
  std::chrono::milliseconds flush_interval{1000};
  std::size_t max_queue = 200'000;
  std::size_t open_pages_bytes = 64u << 20;  // the open rollup pages' budget (page_budget.hpp)
  std::size_t chunk_values = 1024;
  std::int64_t chunk_ms = 3'600'000;
  bool background = true;        // false: no periodic commits nor retention (tests call flush())
  const Clock* clock = nullptr;  // retention's "now"; null: the system clock
  storage::Post post;            // where query answers go; empty: the storage thread
};

class SqliteHistoryStore final : public HistoryStore {
 public:
  static Result<std::unique_ptr<SqliteHistoryStore>> open(const std::filesystem::path& path,
                                                          SqliteStoreOptions options);
  ~SqliteHistoryStore() override;

  void define_tags(std::vector<TagDef> tags) override;
  void append(std::vector<TaggedSample> samples, std::vector<Event> events) override;
  void set_retention(RetentionSettings r) override;
  void raw(RawQuery q, std::function<void(Result<RawPage>)> done) override;
  void trend(TrendQuery q, std::function<void(Result<std::vector<TrendSeries>>)> done) override;
  void events(EventQuery q, std::function<void(Result<std::vector<EventRecord>>)> done) override;
  Status flush(bool final = false) override;
  Status run_retention() override;
  StoreStats stats() const override;

  // Blocking forms of the queries (tests, tools, benchmarks).
  Result<RawPage> raw_now(const RawQuery& q);
  Result<std::vector<TrendSeries>> trend_now(const TrendQuery& q);
  Result<std::vector<EventRecord>> events_now(const EventQuery& q);
  // The rollup pages in memory (each tag's newest page per stored level, and pages a tag has
  // left that wait for the next commit) and their encoded bytes.
  struct PageMemory {
    std::size_t pages = 0, bytes = 0;
  };
  Result<PageMemory> page_memory();

 private:
  // A tag's newest rollup page of one stored level, encoded.
  struct OpenPage : PageBuffer {  // start kNone: no page in memory
    static constexpr std::int64_t kNone = INT64_MIN;
    OpenPage() { start = kNone; }
    bool dirty = false;  // to be written at the next commit: pages_[write_index]
    std::size_t write_index = 0;
    bool merge_stored = false;           // may exist on disk: read and merged before writing
    std::int64_t stored_newest = kNone;  // the newest page on disk (known at start, then written)
  };
  struct TagState {
    std::int64_t id = 0;
    ValueKind kind = ValueKind::float_;
    std::optional<ChunkEncoder> chunk;
    std::int64_t row = 0;  // the open chunk's row once written
    bool dirty = false;
    bool recovered = false;  // rollups rebuilt from the chunks after the last stored bucket
    RollupAccumulator rollups;
    std::array<OpenPage, 2> pages;                    // 1 min, 1 h
    std::array<PageBudget<TagState>::Slot, 2> slots;  // their place in budget_
  };
  // A page to write at the next commit: a tag's open page (`left` null) or one the tag has left
  // (moved here; dropped from memory once written).
  struct PageWrite {
    TagState* tag;
    Level level;
    std::unique_ptr<OpenPage> left;
    std::int64_t tag_id, start;  // the sort key, here: sorting touches no tag state
  };
  struct ClosedChunk {
    TagState* tag;
    std::int64_t row;
    std::int64_t t0, t1;
    std::size_t n;
    std::vector<std::uint8_t> data;
  };
  struct ClosedBucket {
    std::int64_t tag_id;
    RollupAccumulator::Closed b;
  };

  SqliteHistoryStore(SqliteStoreOptions options);
  // Storage thread only.
  Status define_now(storage::Database& db, const std::vector<TagDef>& tags);
  void ingest(const std::vector<TaggedSample>& samples, std::vector<Event>& events);
  void close_chunk(TagState& t);
  // A closed 1 min / 1 h bucket into the tag's open page (or, older than it, to be merged into
  // its stored page).
  void add_bucket(TagState& t, const RollupAccumulator::Closed& c);
  // The pages in pages_ written (upserted; a page that may exist on disk read and merged first).
  Status write_pages(storage::Database& db);
  // After a commit: the least recently appended pages leave memory while over the budget (each
  // as if the store had restarted: its next bucket starts an empty page merged with the row).
  void evict_pages();
  Status commit(storage::Database& db, bool final);
  Result<TagState*> lookup(storage::Database& db, const std::string& name);
  // After a crash the open rollup buckets were lost: rebuild each level from the stored values
  // after its last stored bucket (merged, so a bucket written at shutdown just grows).
  Status recover_rollups(storage::Database& db, TagState& t);
  Result<std::vector<Sample>> read_samples(storage::Database& db, std::int64_t tag_id,
                                           std::int64_t from_ms, std::int64_t to_ms,
                                           std::size_t max);
  Result<RawPage> query_raw(storage::Database& db, const RawQuery& q);
  Result<std::vector<TrendSeries>> query_trend(storage::Database& db, const TrendQuery& q);
  Result<bool> retention_step(storage::Database& db);

  SqliteStoreOptions options_;
  const Clock& clock_;

  // Storage thread only.
  std::unordered_map<std::string, TagState> by_name_;  // nodes keep their address
  std::vector<TagState*> by_index_;
  std::vector<TagState*> dirty_;
  std::vector<ClosedChunk> closed_;
  std::vector<ClosedBucket> buckets_;  // older than their tag's open page: merged into stored pages
  std::vector<PageWrite> pages_;
  PageBudget<TagState> budget_;
  std::vector<Event> events_;
  std::int64_t next_chunk_id_ = 1;  // chunk ids are given here: rows written many per statement
  std::uint64_t pending_samples_ = 0;
  std::uint64_t pending_events_ = 0;
  std::int64_t pending_max_server_ms_ = 0;
  bool failing_ = false;

  mutable std::mutex retention_mu_;
  RetentionSettings retention_;  // guarded by retention_mu_

  StoreCounters counters_;

  std::unique_ptr<storage::Writer> writer_;  // last: its thread stops first
};

}  // namespace weir::historian
