#pragma once
// The historian's PostgreSQL 15 store (backend "postgresql"): the same HistoryStore calls as the
// SQLite store, the same chunk encoding (chunk_codec) and rollups (1 min, 1 h), for sites where
// several Weir nodes write into one database.
//
// One thread owns two connections: a libpq one for writes (binary COPY, partitions, retention)
// and a libpqxx one for queries. Values are ingested on that thread as in the SQLite store (open
// chunk and open rollup buckets per tag, in memory); every flush_interval ONE transaction:
//   - closed chunks: binary COPY straight into history_chunks (partitioned by t1);
//   - open chunks: binary COPY into a temporary staging table, then upserted into
//     history_open_chunks keyed (tag, writer) — a small table rewritten in place as they grow
//     (no other index and fillfactor 50: the updates are HOT, no index entry written);
//   - rollup pages (rollup_page.hpp: a tag's 1 min buckets of an hour, 1 h buckets of a day, in one
//     blob): each writer owns its pages, keyed (tag, writer, page_ms), keeps each tag's open page
//     in memory and upserts it whole (COPY into staging, INSERT ... ON CONFLICT DO UPDATE) in the
//     commit after a bucket closed into it; never a read-modify-write of another writer's row.
//     Past open_pages_bytes, after a commit, the least recently appended pages leave memory
//     (page_budget.hpp); the next bucket of one has the writer's row read back and merged.
//     Queries read every writer's pages of the range and merge buckets of the same start;
//   - events: binary COPY straight into history_events.
// Each store has a random 63-bit writer id (history_writers says which node it is): chunk and
// page rows carry it, so nodes never collide on a key. The write connection holds a session
// advisory lock on the id while it lives; a clean shutdown marks the writer closed. At start (and
// every few seconds until done) a writer of this node's earlier runs that is neither closed nor
// locked (killed) is recovered: the buckets it had open are rebuilt from its stored chunks and
// merged into its pages, its open chunks move into the partitions, and it is marked closed.
//
// Layout 2 (history_layout): a database of layout 1 (history_rollup_1m / _1h, one row per bucket)
// is migrated when first opened: its rows become pages of writer 0, the old tables are dropped.
// A newer layout is refused with its number.
//
// history_chunks, history_rollup_1m/_1h and history_events are range-partitioned by time
// (declarative partitions named <table>_p<UTC start>); partitions are created ahead as time
// advances and on demand for older data, under an advisory lock so nodes do not race. Retention
// drops whole partitions older than the age limit (and, past max_bytes, the oldest partitions
// first), logs each one and counts it.
//
// A database that is unreachable at start or lost later is retried with back-off (1 s doubling
// to 30 s); meanwhile values stay queued (bounded by max_queue, the excess dropped and counted),
// stats() says connected = false with the error, and queries answer 503.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "core/clock.hpp"
#include "historian/chunk_codec.hpp"
#include "historian/history_store.hpp"
#include "historian/page_budget.hpp"
#include "historian/pg_pages.hpp"
#include "historian/store_core.hpp"
#include "storage/writer.hpp"

namespace weir::historian {

struct PgStoreOptions {
  std::string conninfo;  // libpq connection string (from the environment, never the config file)
  std::chrono::milliseconds flush_interval{1000};
  std::size_t max_queue = 200'000;
  std::size_t open_pages_bytes = 64u << 20;  // the open rollup pages' budget (page_budget.hpp)
  std::size_t chunk_values = 1024;
  std::int64_t chunk_ms = 3'600'000;
  std::int64_t partition_ms = 86'400'000;  // history_chunks and history_events partitions
  bool background = true;        // false: no periodic commits nor retention (tests call flush())
  const Clock* clock = nullptr;  // retention's "now"; null: the system clock
  storage::Post post;            // where query answers go; empty: the store's thread
  std::string
      node;  // history_writers.node, whose dead writers this store recovers; empty: host name
};

class PgHistoryStore final : public HistoryStore {
 public:
  // Never fails for an unreachable database (it is retried); only for bad options.
  static Result<std::unique_ptr<PgHistoryStore>> open(PgStoreOptions options);
  ~PgHistoryStore() override;

  void define_tags(std::vector<TagDef> tags) override;
  void append(std::vector<TaggedSample> samples, std::vector<Event> events) override;
  void set_retention(RetentionSettings r) override;
  void raw(RawQuery q, std::function<void(Result<RawPage>)> done) override;
  void trend(TrendQuery q, std::function<void(Result<std::vector<TrendSeries>>)> done) override;
  void events(EventQuery q, std::function<void(Result<std::vector<EventRecord>>)> done) override;
  Status flush(bool final = false) override;
  Status run_retention() override;
  StoreStats stats() const override;

  Result<RawPage> raw_now(const RawQuery& q);
  Result<std::vector<TrendSeries>> trend_now(const TrendQuery& q);
  Result<std::vector<EventRecord>> events_now(const EventQuery& q);
  std::int64_t writer_id() const { return writer_id_; }

  struct Db;  // the connections (pg_history_store.cpp)

 private:
  struct TagState {
    std::string name;
    std::int64_t id = 0;  // 0: not yet known to the database
    ValueKind kind = ValueKind::float_;
    std::optional<ChunkEncoder> chunk;
    bool dirty = false;
    RollupAccumulator rollups;
    std::array<PageBuffer, 2> pages;   // the open 1 min and 1 h page
    std::array<bool, 2> page_dirty{};  // a bucket closed into it since the last commit
    // The page left memory under the budget (pages[i].start is still its start, n 0): one more
    // bucket of it is merged with its row at the next commit (set again), a later page forgets it.
    std::array<bool, 2> page_stored{};
    std::array<PageBudget<TagState>::Slot, 2> slots;  // the pages' place in budget_
  };
  struct ClosedChunk {
    TagState* tag;
    std::int64_t t0, t1;
    std::size_t n;
    std::vector<std::uint8_t> data;
  };
  struct ClosedBucket {
    TagState* tag;
    RollupAccumulator::Closed b;
  };
  struct PageOut {    // a page to upsert
    TagState* state;  // its tag (id known at commit), or null: `tag` is the id
    std::int64_t tag;
    Level level;
    PageBuffer page;
    bool stored = false;  // holds only what came since its row was written: merged with it first
  };

  explicit PgHistoryStore(PgStoreOptions options);
  void run();
  bool submit(std::function<void()> job);
  template <class T>
  Result<T> call_now(std::function<Result<T>()> f);
  template <class T>
  void call(std::function<Result<T>()> f, std::function<void(Result<T>)> done);

  // Store thread only.
  Status connect();
  void disconnect(const std::string& why);
  Status resolve_ids();
  void ingest(const std::vector<TaggedSample>& samples, std::vector<Event>& events);
  void close_chunk(TagState& t);
  void add_bucket(TagState& t, const RollupAccumulator::Closed& c);
  Status commit(bool final);
  Status write_pages();
  // After a commit: the least recently appended pages leave memory while over the budget.
  void evict_pages();
  Status upsert_pages(std::int64_t writer, std::vector<PageOut>& pages);
  Status migrate_layout();
  Status recover_dead_writers();
  Result<std::int64_t> tag_id(const std::string& name);
  Result<std::vector<Sample>> read_samples(std::int64_t tag_id, std::int64_t from_ms,
                                           std::int64_t to_ms, std::size_t max);
  Result<RawPage> query_raw(const RawQuery& q);
  Result<std::vector<TrendSeries>> query_trend(const TrendQuery& q);
  Result<std::vector<EventRecord>> query_events(const EventQuery& q);
  Result<bool> retention_step();
  // Runs a query: an exception is an error, a broken connection is closed (and retried later).
  template <class T, class F>
  Result<T> guarded(F&& f);
  Status ensure_partition(std::size_t table, std::int64_t key);
  Status refresh_partitions(std::size_t table);

  PgStoreOptions options_;
  const Clock& clock_;
  std::int64_t writer_id_ = 0;

  // Store thread only.
  std::unique_ptr<Db> db_;
  std::unordered_map<std::string, TagState> by_name_;
  std::vector<TagState*> by_index_;
  bool ids_pending_ = false;
  std::vector<TagState*> dirty_;
  std::vector<ClosedChunk> closed_;
  std::vector<PageOut> pages_out_;  // open pages left behind, to write once more
  std::vector<std::pair<TagState*, int>> dirty_pages_;  // open pages to write (tag, level index)
  std::vector<ClosedBucket> late_;                      // buckets of pages older than the open one
  PageBudget<TagState> budget_;
  std::vector<Event> events_;
  bool recovery_pending_ = false;
  std::chrono::steady_clock::time_point next_recovery_{};
  std::uint64_t pending_samples_ = 0, pending_events_ = 0;
  std::int64_t pending_max_server_ms_ = 0;
  bool failing_ = false;
  std::chrono::steady_clock::time_point next_connect_{};
  std::chrono::milliseconds backoff_{1000};
  struct Partition {
    std::string name;
    std::int64_t lo = 0, hi = 0;
  };
  std::array<std::vector<Partition>, 4> parts_;  // per partitioned table, sorted by lo

  mutable std::mutex mu_;  // guards jobs_, stopping_, retention_, last_error_
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  RetentionSettings retention_;
  std::string last_error_;

  std::atomic<bool> connected_{false};
  StoreCounters counters_;
  std::atomic<std::uint64_t> dropped_partitions_{0};

  std::thread thread_;  // last: started once everything above exists
};

}  // namespace weir::historian
