#pragma once
// What the SQLite and the PostgreSQL stores do alike before their database sees a batch: the
// bounded hand-over of append() with its counters, and a sample's way into its tag's open chunk
// and rollups. Each store keeps its own tag state (what its database needs: a row, a writer id);
// add_samples() asks of it only `kind`, `chunk`, `dirty` and `rollups`.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <vector>

#include "historian/chunk_codec.hpp"
#include "historian/history_store.hpp"
#include "historian/rollup.hpp"

namespace weir::historian {

// Read by stats() from any thread, written by append() and the store's thread.
struct StoreCounters {
  std::atomic<std::uint64_t> queued{0}, dropped{0}, stored{0}, events_stored{0}, commits{0},
      write_errors{0}, deleted_chunks{0}, deleted_rows{0}, used_bytes{0};
  // The open rollup pages (page_budget.hpp): bytes in memory (after the last commit), pages that
  // left memory under the budget, and pages read back (merged with their stored row).
  std::atomic<std::uint64_t> page_bytes{0}, page_evictions{0}, page_reloads{0};
  std::atomic<std::int64_t> committed_through{0};

  // Trims a batch to the room left in a queue of `max_queue`, keeping events first (rare, each
  // one different) and then the oldest samples; counts the rest as dropped and what is kept as
  // queued. Answers how many were kept (0: nothing to hand over).
  std::uint64_t admit(std::vector<TaggedSample>& samples, std::vector<Event>& events,
                      std::uint64_t max_queue) {
    const std::uint64_t want = samples.size() + events.size();
    const std::uint64_t q = queued.load();
    const std::uint64_t room = q >= max_queue ? 0 : max_queue - q;
    if (want > room) {
      std::uint64_t left = room;
      if (events.size() > left) events.resize(left);
      left -= events.size();
      if (samples.size() > left) samples.resize(left);
      dropped += want - samples.size() - events.size();
    }
    const std::uint64_t n = samples.size() + events.size();
    queued += n;
    return n;
  }
  // A batch admitted but not taken by the store's thread (it is stopping).
  void refused(std::uint64_t n) {
    queued -= n;
    dropped += n;
  }

  // A transaction committed `samples` and `events`, every sample up to server time `through_ms`.
  void committed(std::uint64_t samples, std::uint64_t events, std::int64_t through_ms) {
    stored += samples;
    events_stored += events;
    queued -= samples + events;
    committed_through = std::max(committed_through.load(), through_ms);
    ++commits;
  }

  StoreStats snapshot() const {
    StoreStats s;
    s.queued = queued.load();
    s.dropped = dropped.load();
    s.stored = stored.load();
    s.events_stored = events_stored.load();
    s.commits = commits.load();
    s.write_errors = write_errors.load();
    s.committed_through_ms = committed_through.load();
    s.retention_deleted_chunks = deleted_chunks.load();
    s.retention_deleted_rows = deleted_rows.load();
    s.used_bytes = used_bytes.load();
    s.page_bytes = page_bytes.load();
    s.page_evictions = page_evictions.load();
    s.page_reloads = page_reloads.load();
    return s;
  }
};

struct ChunkLimits {
  std::size_t values = 1024;
  std::int64_t ms = 3'600'000;
};

// How many samples ahead add_samples() fetches tag state into the cache, from how many tags.
constexpr std::size_t kPrefetch = 8;
constexpr std::size_t kPrefetchTags = 4096;
template <class T>
void prefetch_object(const T* p) {
  const char* c = reinterpret_cast<const char*>(p);
  for (std::size_t off = 0; off < sizeof(T); off += 64) __builtin_prefetch(c + off);
}

// Adds samples to their tags' open chunks and rollups (tags by index into `by_index`; an index
// past it — a reload changed the tags meanwhile — is skipped). `close(tag)` takes the open chunk
// away before a sample that would overfill it, outlast `limits.ms` or go back in time;
// `bucket(tag, closed)` gets every closed 1 min / 1 h bucket; a changed tag joins `dirty` once.
// Answers the latest server time among the samples added (0 if none).
template <class Tag, class Close, class OnBucket>
std::int64_t add_samples(const std::vector<TaggedSample>& samples,
                         const std::vector<Tag*>& by_index, ChunkLimits limits,
                         std::vector<Tag*>& dirty, Close&& close, OnBucket&& bucket) {
  std::int64_t latest = 0;
  std::vector<RollupAccumulator::Closed> closed;
  const std::size_t n = samples.size();
  // Many tags in any order: each sample's tag state is a cache miss, so it is fetched a few
  // samples ahead (where it is, the state, then its open chunk's end) and the misses overlap. Few
  // tags stay in the cache: no fetching.
  const bool fetch = by_index.size() >= kPrefetchTags;
  for (std::size_t i = 0; i < n; ++i) {
    if (fetch && i + 3 * kPrefetch < n && samples[i + 3 * kPrefetch].tag < by_index.size())
      __builtin_prefetch(&by_index[samples[i + 3 * kPrefetch].tag]);
    if (fetch && i + 2 * kPrefetch < n && samples[i + 2 * kPrefetch].tag < by_index.size())
      prefetch_object(by_index[samples[i + 2 * kPrefetch].tag]);
    if (fetch && i + kPrefetch < n && samples[i + kPrefetch].tag < by_index.size())
      if (const Tag* ahead = by_index[samples[i + kPrefetch].tag]; ahead->chunk)
        __builtin_prefetch(ahead->chunk->bytes().data() + ahead->chunk->bytes().size());
    const auto& ts = samples[i];
    if (ts.tag >= by_index.size()) continue;
    Tag& t = *by_index[ts.tag];
    const Sample& s = ts.sample;
    if (t.chunk &&
        (t.chunk->count() >= limits.values || s.source_ms - t.chunk->first_ms() >= limits.ms ||
         s.source_ms < t.chunk->last_ms()))
      close(t);
    if (!t.chunk) t.chunk.emplace(t.kind);
    t.chunk->append(s);
    if (!t.dirty) {
      t.dirty = true;
      dirty.push_back(&t);
    }
    if (auto v = numeric(s.value)) {
      closed.clear();
      t.rollups.add(s.source_ms, *v, closed);
      for (auto& c : closed)
        if (c.level != Level::s1) bucket(t, c);
    }
    latest = std::max(latest, s.server_ms);
  }
  return latest;
}

}  // namespace weir::historian
