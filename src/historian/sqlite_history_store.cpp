#include "historian/sqlite_history_store.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <tuple>

#include "historian/rollup_page.hpp"
#include "storage/statement.hpp"

namespace weir::historian {
namespace {

using storage::Database;
using storage::Statement;

constexpr storage::Migration kSchema[] = {{1, R"sql(
CREATE TABLE IF NOT EXISTS tags (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
  id   INTEGER PRIMARY KEY,
  tag  INTEGER NOT NULL,
  t0   INTEGER NOT NULL,
  t1   INTEGER NOT NULL,
  n    INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_tag_t1 ON chunks(tag, t1);
CREATE INDEX IF NOT EXISTS chunks_t1 ON chunks(t1);
CREATE TABLE IF NOT EXISTS rollup_1s (
  tag INTEGER NOT NULL, start_ms INTEGER NOT NULL, count INTEGER NOT NULL, sum REAL NOT NULL,
  first REAL NOT NULL, first_ms INTEGER NOT NULL, last REAL NOT NULL, last_ms INTEGER NOT NULL,
  min REAL NOT NULL, min_ms INTEGER NOT NULL, max REAL NOT NULL, max_ms INTEGER NOT NULL,
  PRIMARY KEY (tag, start_ms)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_1m (
  tag INTEGER NOT NULL, start_ms INTEGER NOT NULL, count INTEGER NOT NULL, sum REAL NOT NULL,
  first REAL NOT NULL, first_ms INTEGER NOT NULL, last REAL NOT NULL, last_ms INTEGER NOT NULL,
  min REAL NOT NULL, min_ms INTEGER NOT NULL, max REAL NOT NULL, max_ms INTEGER NOT NULL,
  PRIMARY KEY (tag, start_ms)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_1h (
  tag INTEGER NOT NULL, start_ms INTEGER NOT NULL, count INTEGER NOT NULL, sum REAL NOT NULL,
  first REAL NOT NULL, first_ms INTEGER NOT NULL, last REAL NOT NULL, last_ms INTEGER NOT NULL,
  min REAL NOT NULL, min_ms INTEGER NOT NULL, max REAL NOT NULL, max_ms INTEGER NOT NULL,
  PRIMARY KEY (tag, start_ms)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
  id      INTEGER PRIMARY KEY,
  time_ms INTEGER NOT NULL,
  kind    TEXT NOT NULL,
  source  TEXT NOT NULL,
  detail  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_time ON events(time_ms);
)sql"},
                                          // Rollups packed in pages (rollup_page.hpp): a tag's
                                          // 1 min buckets of one hour, 1 h buckets of one day, in
                                          // one row. open() rebuilds them from the chunks.
                                          {2, R"sql(
DROP TABLE IF EXISTS rollup_1s;
DROP TABLE IF EXISTS rollup_1m;
DROP TABLE IF EXISTS rollup_1h;
CREATE TABLE rollup_1m (
  id      INTEGER PRIMARY KEY,
  tag     INTEGER NOT NULL,
  page_ms INTEGER NOT NULL,
  n       INTEGER NOT NULL,
  data    BLOB NOT NULL,
  UNIQUE (tag, page_ms)
);
CREATE INDEX rollup_1m_page ON rollup_1m(page_ms);
CREATE TABLE rollup_1h (
  id      INTEGER PRIMARY KEY,
  tag     INTEGER NOT NULL,
  page_ms INTEGER NOT NULL,
  n       INTEGER NOT NULL,
  data    BLOB NOT NULL,
  UNIQUE (tag, page_ms)
);
CREATE INDEX rollup_1h_page ON rollup_1h(page_ms);
)sql"}};
constexpr int kLayoutVersion = 2;
// Levels whose buckets are stored (1 s buckets are computed from the chunks).
constexpr std::array<Level, 2> kStoredLevels{Level::m1, Level::h1};

constexpr std::size_t kRetentionBatch = 2'000;
constexpr std::size_t kSizeBatch = 256;  // chunks per step over the size cap (then measured again)
constexpr std::size_t kMaxRawScan = 5'000'000;  // samples one trend query may decode

Result<std::int64_t> scalar(Database& db, std::string_view sql) {
  auto s = db.prepare(sql);
  if (!s) return s.error();
  auto more = s->step();
  if (!more) return more.error();
  return *more ? s->int64(0) : 0;
}

std::string level_table(Level l) {
  return std::string(rollup_table(l));
}

// Merges `buckets` (sorted by start, all of `level`) into the tag's stored pages: each page read,
// merged and written back (a restart mid-bucket adds to the stored bucket).
Status write_buckets(Database& db, Level level, std::int64_t tag, std::span<const Bucket> buckets) {
  const std::string table = level_table(level);
  std::size_t i = 0;
  while (i < buckets.size()) {
    const std::int64_t page = page_start(level, buckets[i].start_ms);
    std::size_t j = i;
    while (j < buckets.size() && page_start(level, buckets[j].start_ms) == page) ++j;
    const auto incoming = buckets.subspan(i, j - i);
    i = j;
    auto sel = db.prepare("SELECT id, data FROM " + table + " WHERE tag = ? AND page_ms = ?");
    if (!sel) return sel.error();
    sel->bind_all(tag, page);
    auto more = sel->step();
    if (!more) return more.error();
    std::vector<Bucket> merged;
    std::int64_t row = 0;
    if (*more) {
      row = sel->int64(0);
      auto existing = decode_page(level, page, sel->blob(1));
      if (!existing) return existing.error();
      merged = merge_buckets(*existing, incoming);
    } else {
      merged = merge_buckets({}, incoming);
    }
    const auto data = encode_page(level, page, merged);
    if (row != 0) {
      auto up = db.prepare("UPDATE " + table + " SET n = ?, data = ? WHERE id = ?");
      if (!up) return up.error();
      if (auto st = up->bind_all(merged.size(), data, row).run(); !st) return st;
    } else {
      auto ins = db.prepare("INSERT INTO " + table + "(tag, page_ms, n, data) VALUES (?, ?, ?, ?)");
      if (!ins) return ins.error();
      if (auto st = ins->bind_all(tag, page, merged.size(), data).run(); !st) return st;
    }
  }
  return {};
}

// The tag's newest stored page of `level` and the start of its newest bucket, if any.
struct NewestPage {
  std::int64_t page = 0, last_bucket = 0;
};
Result<std::optional<NewestPage>> newest_page(Database& db, Level level, std::int64_t tag) {
  auto s = db.prepare("SELECT page_ms, data FROM " + level_table(level) +
                      " WHERE tag = ? ORDER BY page_ms DESC LIMIT 1");
  if (!s) return s.error();
  s->bind(1, tag);
  auto more = s->step();
  if (!more) return more.error();
  if (!*more) return std::optional<NewestPage>{};
  auto page = decode_page(level, s->int64(0), s->blob(1));
  if (!page) return page.error();
  if (page->empty()) return std::optional<NewestPage>{};
  return std::optional<NewestPage>{NewestPage{s->int64(0), page->back().start_ms}};
}

// `rows` rows written through "<head> VALUES (?, ...), (?, ...) <tail>" statements of up to
// kRowsPerStatement rows each: a statement's fixed cost (setting up, the statement journal) paid
// once per batch instead of once per row. bind(statement, first parameter, row) binds one row's
// `columns` values.
constexpr std::size_t kRowsPerStatement = 64;
template <class Bind>
Status insert_rows(Database& db, std::string_view head, int columns, std::string_view tail,
                   std::size_t rows, Bind&& bind) {
  auto sql = [&](std::size_t n) {
    std::string row = "(?";
    for (int c = 1; c < columns; ++c) row += ", ?";
    row += ")";
    std::string out(head);
    out += " VALUES ";
    for (std::size_t r = 0; r < n; ++r) out += r == 0 ? row : ", " + row;
    out += " ";
    out += tail;
    return out;
  };
  std::size_t i = 0;
  for (const std::size_t per : {kRowsPerStatement, std::size_t{1}}) {
    if (rows - i < per) continue;
    auto st = db.prepare(sql(per));
    if (!st) return st.error();
    for (; rows - i >= per; i += per) {
      for (std::size_t r = 0; r < per; ++r) bind(*st, static_cast<int>(r) * columns + 1, i + r);
      if (auto s = st->run(); !s) return s;
    }
  }
  return {};
}

std::size_t page_slot(Level level) {
  return level == Level::m1 ? 0 : 1;
}

// Every stored bucket of every tag computed again from the chunks (a database of layout 1, whose
// rollups were one row per bucket). Tag by tag: one tag's buckets in memory at a time.
Status rebuild_rollups(Database& db) {
  auto tags = db.prepare("SELECT id FROM tags ORDER BY id");
  if (!tags) return tags.error();
  auto ids = tags->collect([](const Statement& r) { return r.int64(0); });
  if (!ids) return ids.error();
  std::uint64_t values = 0, buckets = 0;
  for (const std::int64_t tag : *ids) {
    std::array<std::map<std::int64_t, Bucket>, 2> levels;
    auto s = db.prepare("SELECT n, data FROM chunks WHERE tag = ? ORDER BY t1, id");
    if (!s) return s.error();
    s->bind(1, tag);
    for (;;) {
      auto more = s->step();
      if (!more) return more.error();
      if (!*more) break;
      auto chunk = decode_chunk(s->blob(1), s->int64(0));
      if (!chunk) return chunk.error();
      for (const auto& x : chunk->samples) {
        const auto v = numeric(x.value);
        if (!v) continue;
        ++values;
        for (std::size_t i = 0; i < kStoredLevels.size(); ++i) {
          const std::int64_t w = level_ms(kStoredLevels[i]);
          const std::int64_t start = floor_to(x.source_ms, w);
          Bucket& b = levels[i][start];
          b.start_ms = start;
          b.add(x.source_ms, *v);
        }
      }
    }
    for (std::size_t i = 0; i < kStoredLevels.size(); ++i) {
      std::vector<Bucket> sorted;
      sorted.reserve(levels[i].size());
      for (auto& [start, b] : levels[i]) sorted.push_back(b);
      buckets += sorted.size();
      if (auto st = write_buckets(db, kStoredLevels[i], tag, sorted); !st) return st;
    }
  }
  spdlog::info("historian: rollups rebuilt from the chunks: {} values, {} buckets, {} tags", values,
               buckets, ids->size());
  return {};
}

}  // namespace

std::string RawCursor::encode() const {
  return std::to_string(tag_pos) + "." + std::to_string(ms) + "." + std::to_string(skip);
}

std::optional<RawCursor> RawCursor::decode(std::string_view s) {
  RawCursor c;
  auto part = [&](auto& out) {
    const auto dot = s.find('.');
    const auto piece = s.substr(0, dot);
    auto [p, ec] = std::from_chars(piece.data(), piece.data() + piece.size(), out);
    if (ec != std::errc{} || p != piece.data() + piece.size() || piece.empty()) return false;
    s = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
    return true;
  };
  if (s.size() > 64 || !part(c.tag_pos) || !part(c.ms) || !part(c.skip) || !s.empty())
    return std::nullopt;
  return c;
}

SqliteHistoryStore::SqliteHistoryStore(SqliteStoreOptions options)
    : options_(std::move(options)),
      clock_(options_.clock ? *options_.clock : SystemClock::instance()),
      budget_(options_.open_pages_bytes) {}

Result<std::unique_ptr<SqliteHistoryStore>> SqliteHistoryStore::open(
    const std::filesystem::path& path, SqliteStoreOptions options) {
  auto db = Database::open(path);
  if (!db) return db.error();
  auto was = (*db)->user_version();
  if (!was) return was.error();
  if (auto st = (*db)->migrate(kSchema); !st) return st.error();
  if (*was == 1) {
    // Layout 1 kept one row per rollup bucket: the pages are computed again from the chunks (the
    // values themselves are unchanged).
    spdlog::warn(
        "historian: {}: database layout 1 found, rebuilding its rollups as pages (layout "
        "{})",
        path.string(), kLayoutVersion);
    auto tx = storage::Transaction::begin(**db);
    if (!tx) return tx.error();
    if (auto st = rebuild_rollups(**db); !st) return st.error();
    if (auto st = tx->commit(); !st) return st.error();
  }
  auto last_chunk = scalar(**db, "SELECT coalesce(max(id), 0) FROM chunks");
  if (!last_chunk) return last_chunk.error();
  std::unique_ptr<SqliteHistoryStore> store(new SqliteHistoryStore(std::move(options)));
  store->next_chunk_id_ = *last_chunk + 1;
  storage::WriterOptions wo;
  wo.name = "historian";
  wo.flush_interval = std::chrono::milliseconds(0);  // no rows: commits are ours
  wo.post = store->options_.post;
  store->writer_ = std::make_unique<storage::Writer>(std::move(*db), std::move(wo));
  auto* s = store.get();
  if (s->options_.background) {
    const auto every = std::max(s->options_.flush_interval, std::chrono::milliseconds(10));
    s->writer_->every(every, every, [s](Database& db) {
      (void)s->commit(db, false);
      return false;
    });
    auto last = std::make_shared<MonoTime>(s->clock_.mono());
    auto running = std::make_shared<bool>(false);
    s->writer_->every(
        std::chrono::milliseconds(100), std::chrono::milliseconds(100),
        [s, last, running](Database& db) {
          std::int64_t interval = 0;
          {
            std::lock_guard lock(s->retention_mu_);
            interval = s->retention_.interval_ms;
          }
          if (interval <= 0) return false;
          if (!*running && s->clock_.mono() - *last < std::chrono::milliseconds(interval))
            return false;
          *running = true;
          auto more = s->retention_step(db);
          if (!more || !*more) {
            *running = false;
            *last = s->clock_.mono();
            return false;
          }
          return true;
        });
  }
  return store;
}

SqliteHistoryStore::~SqliteHistoryStore() {
  if (writer_) (void)flush(true);
}

void SqliteHistoryStore::define_tags(std::vector<TagDef> tags) {
  writer_->submit([this, tags = std::move(tags)](Database& db) {
    if (auto st = define_now(db, tags); !st)
      spdlog::error("historian: tags not defined: {}", st.error().message);
  });
}

Status SqliteHistoryStore::define_now(Database& db, const std::vector<TagDef>& tags) {
  auto tx = storage::Transaction::begin(db);
  if (!tx) return tx.error();
  std::vector<TagState*> index;
  index.reserve(tags.size());
  for (const auto& def : tags) {
    auto t = lookup(db, def.name);
    if (!t) return t.error();
    TagState* state = *t;
    if (!state) {
      auto ins = db.prepare("INSERT INTO tags(name, kind) VALUES (?, ?)");
      if (!ins) return ins.error();
      if (auto st = ins->bind_all(def.name, kind_name(def.kind)).run(); !st) return st;
      state = &by_name_[def.name];
      state->id = db.last_insert_id();
      state->kind = def.kind;
      state->recovered = true;  // nothing to recover
    } else if (state->kind != def.kind) {
      close_chunk(*state);  // the next chunk has the new kind
      state->kind = def.kind;
      auto up = db.prepare("UPDATE tags SET kind = ? WHERE id = ?");
      if (!up) return up.error();
      if (auto st = up->bind_all(kind_name(def.kind), state->id).run(); !st) return st;
    }
    if (!state->recovered) {
      if (auto st = recover_rollups(db, *state); !st) return st;
      state->recovered = true;
    }
    index.push_back(state);
  }
  if (auto st = tx->commit(); !st) return st;
  by_index_ = std::move(index);
  return {};
}

Result<SqliteHistoryStore::TagState*> SqliteHistoryStore::lookup(Database& db,
                                                                 const std::string& name) {
  if (auto it = by_name_.find(name); it != by_name_.end()) return &it->second;
  auto s = db.prepare("SELECT id, kind FROM tags WHERE name = ?");
  if (!s) return s.error();
  s->bind(1, name);
  auto more = s->step();
  if (!more) return more.error();
  if (!*more) return static_cast<TagState*>(nullptr);
  TagState& t = by_name_[name];
  t.id = s->int64(0);
  t.kind = kind_from_name(s->text(1)).value_or(ValueKind::float_);
  return &t;
}

Status SqliteHistoryStore::recover_rollups(Database& db, TagState& t) {
  // The newest stored page of each level: what a page starting later need not read.
  std::array<std::optional<NewestPage>, 2> stored;
  for (const Level level : kStoredLevels) {
    auto last = newest_page(db, level, t.id);
    if (!last) return last.error();
    stored[page_slot(level)] = *last;
    if (*last) t.pages[page_slot(level)].stored_newest = (*last)->page;
  }
  if (t.kind == ValueKind::string || t.kind == ValueKind::enum_) return {};
  auto newest = db.prepare("SELECT max(t1) FROM chunks WHERE tag = ?");
  if (!newest) return newest.error();
  newest->bind(1, t.id);
  if (auto more = newest->step(); !more) return more.error();
  if (newest->is_null(0)) return {};
  // At most the last day is looked at (a crash loses at most the open buckets: one hour).
  const std::int64_t horizon = newest->int64(0) - 86'400'000;
  std::array<std::int64_t, 3> start{};
  std::int64_t from = INT64_MAX;
  start.fill(INT64_MAX);
  for (std::size_t i = 1; i < kRollupLevels.size(); ++i) {  // 1 min and 1 h (1 s is not stored)
    const Level level = kRollupLevels[i];
    const auto& last = stored[page_slot(level)];
    start[i] = std::max(horizon, last ? last->last_bucket + level_ms(level) : INT64_MIN);
    from = std::min(from, start[i]);
  }
  auto samples = read_samples(db, t.id, from, INT64_MAX, kMaxRawScan);
  if (!samples) return samples.error();
  std::size_t rebuilt = 0;
  for (std::size_t i = 1; i < kRollupLevels.size(); ++i) {
    const Level level = kRollupLevels[i];
    const std::int64_t w = level_ms(level);
    std::optional<Bucket> b;
    auto emit = [&] {
      if (b) add_bucket(t, {level, *b});
      ++rebuilt;
    };
    for (const auto& s : *samples) {
      const auto v = numeric(s.value);
      if (!v || s.source_ms < start[i]) continue;
      const std::int64_t bs = floor_to(s.source_ms, w);
      if (b && b->start_ms != bs) {
        emit();
        b.reset();
      }
      if (!b) {
        b.emplace();
        b->start_ms = bs;
      }
      b->add(s.source_ms, *v);
    }
    if (b) emit();
  }
  if (rebuilt > 0)
    spdlog::info("historian: {} rollup buckets of tag {} rebuilt from its stored values", rebuilt,
                 t.id);
  return {};
}

void SqliteHistoryStore::append(std::vector<TaggedSample> samples, std::vector<Event> events) {
  const std::uint64_t n = counters_.admit(samples, events, options_.max_queue);
  if (n == 0) return;
  const bool commit_now = counters_.queued.load() >= options_.max_queue / 2;
  const bool ok = writer_->submit([this, samples = std::move(samples), events = std::move(events),
                                   commit_now](Database& db) mutable {
    ingest(samples, events);
    if (commit_now) (void)commit(db, false);
  });
  if (!ok) counters_.refused(n);
}

void SqliteHistoryStore::close_chunk(TagState& t) {
  if (!t.chunk || t.chunk->count() == 0) {
    t.chunk.reset();
    return;
  }
  closed_.push_back(
      {&t, t.row, t.chunk->first_ms(), t.chunk->last_ms(), t.chunk->count(), t.chunk->bytes()});
  t.chunk.reset();
  t.row = 0;
}

void SqliteHistoryStore::ingest(const std::vector<TaggedSample>& samples,
                                std::vector<Event>& events) {
  pending_samples_ += samples.size();
  const auto latest = add_samples(
      samples, by_index_, {options_.chunk_values, options_.chunk_ms}, dirty_,
      [this](TagState& t) { close_chunk(t); },
      [this](TagState& t, const RollupAccumulator::Closed& c) { add_bucket(t, c); });
  pending_max_server_ms_ = std::max(pending_max_server_ms_, latest);
  pending_events_ += events.size();
  for (auto& e : events) events_.push_back(std::move(e));
}

void SqliteHistoryStore::add_bucket(TagState& t, const RollupAccumulator::Closed& c) {
  const std::size_t i = page_slot(c.level);
  OpenPage& p = t.pages[i];
  auto& slot = t.slots[i];
  const std::int64_t page = page_start(c.level, c.bucket.start_ms);
  if (page != p.start) {
    if (page < std::max(p.start, p.stored_newest)) {
      buckets_.push_back({t.id, c});  // from the past: merged into its stored page
      return;
    }
    // The tag's next page: the one in memory leaves it (to be written first if it has to be).
    // A page that left memory under the budget comes back here too (start kNone, stored_newest
    // its start): as after a restart, merged with its row at the next commit.
    const std::int64_t stored = p.stored_newest;
    budget_.released(slot);
    if (p.dirty) pages_[p.write_index].left = std::make_unique<OpenPage>(std::move(p));
    OpenPage next;
    next.start = page;
    next.stored_newest = stored;
    next.merge_stored = page == stored;  // a restart mid-page: read once, then kept
    p = std::move(next);
  }
  // A bucket again or out of order (values back in time) is merged into the page.
  if (auto st = add_to_page(c.level, p, c.bucket); !st) {
    // Our own encoding: not expected; the bucket is still kept.
    spdlog::error("historian: page in memory unreadable: {}", st.error().message);
    buckets_.push_back({t.id, c});
    return;
  }
  slot.owner = &t;
  slot.level = i;
  budget_.appended(slot, p.data.capacity());
  if (!p.dirty) {
    p.dirty = true;
    p.write_index = pages_.size();
    pages_.push_back({&t, c.level, nullptr, t.id, page});
  }
}

Status SqliteHistoryStore::write_pages(Database& db) {
  // In key order (level, tag, page): B-tree pages touched once each.
  auto page_of = [](const PageWrite& w) -> OpenPage& {
    return w.left ? *w.left : w.tag->pages[page_slot(w.level)];
  };
  std::sort(pages_.begin(), pages_.end(), [](const PageWrite& a, const PageWrite& b) {
    return std::tie(a.level, a.tag_id, a.start) < std::tie(b.level, b.tag_id, b.start);
  });
  for (std::size_t i = 0; i < pages_.size(); ++i)
    if (!pages_[i].left) pages_[i].tag->pages[page_slot(pages_[i].level)].write_index = i;
  for (const auto& w : pages_) {
    OpenPage& p = page_of(w);
    if (!p.merge_stored) continue;
    auto sel =
        db.prepare("SELECT data FROM " + level_table(w.level) + " WHERE tag = ? AND page_ms = ?");
    if (!sel) return sel.error();
    sel->bind_all(w.tag->id, p.start);
    auto more = sel->step();
    if (!more) return more.error();
    if (*more) {
      if (auto st = merge_with_stored(w.level, p, sel->blob(0)); !st) return st;
      ++counters_.page_reloads;
      if (!w.left) budget_.resized(w.tag->slots[page_slot(w.level)], p.data.capacity());
    }
    p.merge_stored = false;  // kept merged even if this transaction fails
  }
  // pages_ is sorted by level: one run of rows per table.
  for (std::size_t i = 0; i < pages_.size();) {
    const Level level = pages_[i].level;
    std::size_t j = i;
    while (j < pages_.size() && pages_[j].level == level) ++j;
    const std::string table = level_table(level);
    if (auto st = insert_rows(
            db, "INSERT INTO " + table + "(tag, page_ms, n, data)", 4,
            "ON CONFLICT (tag, page_ms) DO UPDATE SET n = excluded.n, "
            "data = excluded.data",
            j - i,
            [&](Statement& s, int at, std::size_t k) {
              const PageWrite& w = pages_[i + k];
              const OpenPage& p = page_of(w);
              s.bind(at, w.tag->id).bind(at + 1, p.start).bind(at + 2, p.n).bind(at + 3, p.data);
            });
        !st)
      return st;
    i = j;
  }
  return {};
}

Status SqliteHistoryStore::commit(Database& db, bool final) {
  if (final) {
    std::vector<RollupAccumulator::Closed> open;
    pages_.reserve(pages_.size() + 2 * by_name_.size());
    for (auto& [name, t] : by_name_) {
      open.clear();
      t.rollups.take_open(open);
      for (auto& c : open)
        if (c.level != Level::s1) add_bucket(t, c);
    }
  }
  if (dirty_.empty() && closed_.empty() && buckets_.empty() && pages_.empty() && events_.empty() &&
      pending_samples_ == 0)
    return {};
  // In key order: B-tree pages are then touched once each instead of at random (tags arrive in any
  // order).
  std::sort(dirty_.begin(), dirty_.end(),
            [](const TagState* a, const TagState* b) { return a->id < b->id; });
  std::sort(buckets_.begin(), buckets_.end(), [](const ClosedBucket& a, const ClosedBucket& b) {
    return std::tie(a.b.level, a.tag_id, a.b.bucket.start_ms) <
           std::tie(b.b.level, b.tag_id, b.b.bucket.start_ms);
  });
  std::vector<std::pair<TagState*, std::int64_t>> rows;  // open chunks inserted now
  Status st = [&]() -> Status {
    auto tx = storage::Transaction::begin(db);
    if (!tx) return tx.error();
    // Chunks by id, ours (next_chunk_id_): new ones appended, open ones rewritten in place (or
    // written again if retention removed them meanwhile).
    struct ChunkRow {
      std::int64_t id, tag, t0, t1;
      std::size_t n;
      const std::vector<std::uint8_t>* data;
    };
    std::vector<ChunkRow> chunks;
    chunks.reserve(closed_.size() + dirty_.size());
    for (const auto& c : closed_)
      chunks.push_back(
          {c.row != 0 ? c.row : next_chunk_id_++, c.tag->id, c.t0, c.t1, c.n, &c.data});
    for (auto* t : dirty_) {
      if (!t->chunk) continue;
      const std::int64_t id = t->row != 0 ? t->row : next_chunk_id_++;
      chunks.push_back({id, t->id, t->chunk->first_ms(), t->chunk->last_ms(), t->chunk->count(),
                        &t->chunk->bytes()});
      if (t->row == 0) rows.emplace_back(t, id);
    }
    std::sort(chunks.begin(), chunks.end(),
              [](const ChunkRow& a, const ChunkRow& b) { return a.id < b.id; });
    if (auto s = insert_rows(db, "INSERT INTO chunks(id, tag, t0, t1, n, data)", 6,
                             "ON CONFLICT (id) DO UPDATE SET t0 = excluded.t0, t1 = excluded.t1, "
                             "n = excluded.n, data = excluded.data",
                             chunks.size(),
                             [&](Statement& st, int at, std::size_t i) {
                               const ChunkRow& c = chunks[i];
                               st.bind(at, c.id)
                                   .bind(at + 1, c.tag)
                                   .bind(at + 2, c.t0)
                                   .bind(at + 3, c.t1)
                                   .bind(at + 4, c.n)
                                   .bind(at + 5, *c.data);
                             });
        !s)
      return s;
    // The pages first: a bucket from the past merges into a page written just before.
    if (auto s = write_pages(db); !s) return s;
    std::vector<Bucket> run;  // one tag's buckets of one level (buckets_ is sorted so)
    for (std::size_t i = 0; i < buckets_.size();) {
      const Level level = buckets_[i].b.level;
      const std::int64_t tag = buckets_[i].tag_id;
      run.clear();
      for (; i < buckets_.size() && buckets_[i].b.level == level && buckets_[i].tag_id == tag; ++i)
        run.push_back(buckets_[i].b.bucket);
      if (auto s = write_buckets(db, level, tag, run); !s) return s;
    }
    for (const auto& e : events_) {
      auto ins =
          db.prepare("INSERT INTO events(time_ms, kind, source, detail) VALUES (?, ?, ?, ?)");
      if (!ins) return ins.error();
      if (auto s = ins->bind_all(e.time_ms, e.kind, e.source, e.detail).run(); !s) return s;
    }
    return tx->commit();
  }();
  if (!st) {
    ++counters_.write_errors;
    if (!failing_)
      spdlog::error("historian: cannot write (kept for a retry): {}", st.error().message);
    failing_ = true;
    return st;
  }
  if (failing_) spdlog::info("historian: writing again");
  failing_ = false;
  for (auto [t, row] : rows) t->row = row;
  for (auto* t : dirty_) t->dirty = false;
  for (auto& w : pages_) {
    OpenPage& open = w.tag->pages[page_slot(w.level)];
    open.stored_newest = std::max(open.stored_newest, w.left ? w.left->start : open.start);
    if (!w.left) open.dirty = false;
  }
  dirty_.clear();
  closed_.clear();
  buckets_.clear();
  pages_.clear();  // the pages tags have left go from memory
  events_.clear();
  evict_pages();
  counters_.committed(pending_samples_, pending_events_, pending_max_server_ms_);
  pending_samples_ = pending_events_ = 0;
  return {};
}

void SqliteHistoryStore::evict_pages() {
  counters_.page_evictions += budget_.evict([](PageBudget<TagState>::Slot& s) {
    OpenPage& p = s.owner->pages[s.level];
    OpenPage gone;  // written (stored_newest >= its start): nothing lost
    gone.stored_newest = std::max(p.stored_newest, p.start);
    p = std::move(gone);
  });
  counters_.page_bytes = budget_.bytes();
}

Status SqliteHistoryStore::flush(bool final) {
  auto r = writer_->read_now<bool>([this, final](Database& db) -> Result<bool> {
    if (auto st = commit(db, final); !st) return st.error();
    return true;
  });
  if (!r) return r.error();
  return {};
}

void SqliteHistoryStore::set_retention(RetentionSettings r) {
  std::lock_guard lock(retention_mu_);
  retention_ = r;
}

StoreStats SqliteHistoryStore::stats() const {
  return counters_.snapshot();
}

// ---- queries ---------------------------------------------------------------------------------

Result<std::vector<Sample>> SqliteHistoryStore::read_samples(Database& db, std::int64_t tag_id,
                                                             std::int64_t from_ms,
                                                             std::int64_t to_ms, std::size_t max) {
  auto s = db.prepare(
      "SELECT t0, n, data FROM chunks WHERE tag = ? AND t1 >= ? AND t0 < ? ORDER BY t1, id");
  if (!s) return s.error();
  s->bind_all(tag_id, from_ms, to_ms);
  std::vector<Sample> out;
  for (;;) {
    auto more = s->step();
    if (!more) return more.error();
    if (!*more) break;
    const auto data = s->blob(2);
    auto chunk = decode_chunk(data, s->int64(1));
    if (!chunk) return chunk.error();
    for (auto& x : chunk->samples)
      if (x.source_ms >= from_ms && x.source_ms < to_ms) out.push_back(std::move(x));
    if (out.size() > max)
      return Error::make(ErrorKind::too_large, "too_many_values",
                         "more than " + std::to_string(max) + " values in the range");
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Sample& a, const Sample& b) { return a.source_ms < b.source_ms; });
  return out;
}

Result<RawPage> SqliteHistoryStore::query_raw(Database& db, const RawQuery& q) {
  if (auto st = commit(db, false); !st) return st.error();
  RawPage page;
  const std::size_t limit = std::max<std::size_t>(q.limit, 1);
  std::size_t pos = q.cursor ? q.cursor->tag_pos : 0;
  for (; pos < q.tags.size(); ++pos) {
    auto t = lookup(db, q.tags[pos]);
    if (!t) return t.error();
    if (!*t) continue;
    const bool resume = q.cursor && q.cursor->tag_pos == pos;
    const std::int64_t from = resume ? std::max(q.from_ms, q.cursor->ms) : q.from_ms;
    std::uint64_t skip = resume && q.cursor->ms >= q.from_ms ? q.cursor->skip : 0;
    auto s = db.prepare(
        "SELECT n, data FROM chunks WHERE tag = ? AND t1 >= ? AND t0 < ? ORDER BY t1, id");
    if (!s) return s.error();
    s->bind_all((*t)->id, from, q.to_ms);
    std::int64_t last_ms = resume ? q.cursor->ms : INT64_MIN;
    std::uint64_t at_last = skip;
    for (;;) {
      auto more = s->step();
      if (!more) return more.error();
      if (!*more) break;
      const auto data = s->blob(1);
      auto chunk = decode_chunk(data, s->int64(0));
      if (!chunk) return chunk.error();
      for (auto& x : chunk->samples) {
        if (x.source_ms < from || x.source_ms >= q.to_ms) continue;
        if (x.source_ms == from && skip > 0) {
          --skip;
          continue;
        }
        if (page.rows.size() == limit) {
          page.next = RawCursor{pos, last_ms, at_last};
          return page;
        }
        at_last = x.source_ms == last_ms ? at_last + 1 : 1;
        last_ms = x.source_ms;
        page.rows.push_back({pos, std::move(x)});
      }
    }
  }
  return page;
}

Result<std::vector<TrendSeries>> SqliteHistoryStore::query_trend(Database& db,
                                                                 const TrendQuery& q) {
  if (auto st = commit(db, false); !st) return st.error();
  std::vector<TrendSeries> out;
  // 1 s buckets are not stored (see kStoredLevels): that level is computed from the chunks.
  Level level = choose_level(q.from_ms, q.to_ms, q.budget);
  if (level == Level::s1) level = Level::raw;
  const std::int64_t width = output_width(q.from_ms, q.to_ms, q.budget);
  for (const auto& name : q.tags) {
    TrendSeries series;
    series.tag = name;
    series.level = level;
    series.width_ms = width;
    auto t = lookup(db, name);
    if (!t) return t.error();
    if (*t && level == Level::raw) {
      auto samples = read_samples(db, (*t)->id, q.from_ms, q.to_ms, kMaxRawScan);
      if (!samples) return samples.error();
      series.buckets = bucket_samples(*samples, q.from_ms, q.to_ms, width);
    } else if (*t) {
      const std::int64_t lw = level_ms(level);
      // The pages holding buckets that start in (from - lw, to); each decoded straight into the
      // list, buckets outside the range dropped.
      auto s = db.prepare("SELECT page_ms, data FROM " + level_table(level) +
                          " WHERE tag = ? AND page_ms > ? AND page_ms < ? ORDER BY page_ms");
      if (!s) return s.error();
      s->bind_all((*t)->id, q.from_ms - lw - page_ms(level), q.to_ms);
      Result<std::vector<Bucket>> rows{std::vector<Bucket>{}};
      for (;;) {
        auto more = s->step();
        if (!more) return more.error();
        if (!*more) break;
        if (auto st = decode_page_into(level, s->int64(0), s->blob(1), *rows); !st)
          return st.error();
      }
      std::erase_if(*rows, [&](const Bucket& b) {
        return b.start_ms <= q.from_ms - lw || b.start_ms >= q.to_ms;
      });
      if (!rows) return rows.error();
      if (const auto& open = (*t)->rollups.open(level);
          open && open->start_ms > q.from_ms - lw && open->start_ms < q.to_ms) {
        if (!rows->empty() && rows->back().start_ms == open->start_ms)
          rows->back().merge(*open);
        else
          rows->push_back(*open);
      }
      series.buckets = regroup(*rows, q.from_ms, q.to_ms, width);
    }
    out.push_back(std::move(series));
  }
  return out;
}

void SqliteHistoryStore::raw(RawQuery q, std::function<void(Result<RawPage>)> done) {
  writer_->read<RawPage>([this, q = std::move(q)](Database& db) { return query_raw(db, q); },
                         std::move(done));
}

void SqliteHistoryStore::trend(TrendQuery q,
                               std::function<void(Result<std::vector<TrendSeries>>)> done) {
  writer_->read<std::vector<TrendSeries>>(
      [this, q = std::move(q)](Database& db) { return query_trend(db, q); }, std::move(done));
}

namespace {
Result<std::vector<EventRecord>> select_events(Database& db, const EventQuery& q) {
  std::string sql = "SELECT id, time_ms, kind, source, detail FROM events WHERE 1";
  if (q.from_ms) sql += " AND time_ms >= :from";
  if (q.to_ms) sql += " AND time_ms < :to";
  if (q.kind) sql += " AND kind = :kind";
  if (q.source) sql += " AND source = :source";
  if (q.before_id) sql += " AND id < :before";
  sql += " ORDER BY id DESC LIMIT :limit";
  auto s = db.prepare(sql);
  if (!s) return s.error();
  if (q.from_ms) s->bind(":from", *q.from_ms);
  if (q.to_ms) s->bind(":to", *q.to_ms);
  if (q.kind) s->bind(":kind", *q.kind);
  if (q.source) s->bind(":source", *q.source);
  if (q.before_id) s->bind(":before", *q.before_id);
  s->bind(":limit", std::clamp<std::size_t>(q.limit, 1, 1000));
  return s->collect([](const Statement& r) {
    return EventRecord{r.int64(0), Event{r.int64(1), r.text(2), r.text(3), r.text(4)}};
  });
}
}  // namespace

void SqliteHistoryStore::events(EventQuery q,
                                std::function<void(Result<std::vector<EventRecord>>)> done) {
  writer_->read<std::vector<EventRecord>>(
      [this, q = std::move(q)](Database& db) -> Result<std::vector<EventRecord>> {
        if (auto st = commit(db, false); !st) return st.error();
        return select_events(db, q);
      },
      std::move(done));
}

Result<RawPage> SqliteHistoryStore::raw_now(const RawQuery& q) {
  return writer_->read_now<RawPage>([&](Database& db) { return query_raw(db, q); });
}
Result<std::vector<TrendSeries>> SqliteHistoryStore::trend_now(const TrendQuery& q) {
  return writer_->read_now<std::vector<TrendSeries>>(
      [&](Database& db) { return query_trend(db, q); });
}
Result<std::vector<EventRecord>> SqliteHistoryStore::events_now(const EventQuery& q) {
  return writer_->read_now<std::vector<EventRecord>>(
      [&](Database& db) -> Result<std::vector<EventRecord>> {
        if (auto st = commit(db, false); !st) return st.error();
        return select_events(db, q);
      });
}

Result<SqliteHistoryStore::PageMemory> SqliteHistoryStore::page_memory() {
  return writer_->read_now<PageMemory>([this](Database&) -> Result<PageMemory> {
    PageMemory m;
    auto count = [&](const OpenPage& p) {
      if (p.start == OpenPage::kNone) return;
      ++m.pages;
      m.bytes += p.data.capacity();  // what it holds (what the budget counts)
    };
    for (const auto& [name, t] : by_name_)
      for (const auto& p : t.pages) count(p);
    for (const auto& w : pages_)
      if (w.left) count(*w.left);
    return m;
  });
}

// ---- retention -------------------------------------------------------------------------------

Result<bool> SqliteHistoryStore::retention_step(Database& db) {
  RetentionSettings r;
  {
    std::lock_guard lock(retention_mu_);
    r = retention_;
  }
  if (auto st = commit(db, false); !st) return st.error();
  const std::int64_t now = to_unix_ms(clock_.now());
  std::uint64_t chunks = 0, rows = 0;
  auto run = [&](const std::string& sql, std::int64_t before, std::uint64_t& count,
                 std::size_t batch = kRetentionBatch) -> Status {
    auto s = db.prepare(sql);
    if (!s) return s.error();
    if (auto st = s->bind_all(before, batch).run(); !st) return st;
    count += static_cast<std::uint64_t>(db.changes());
    return {};
  };
  // The oldest rows whatever their age (the size cap): `before` is beyond every time.
  constexpr std::int64_t kAny = INT64_MAX;
  Status st = [&]() -> Status {
    auto tx = storage::Transaction::begin(db);
    if (!tx) return tx.error();
    if (r.raw_max_age_ms > 0)
      if (auto s = run("DELETE FROM chunks WHERE id IN (SELECT id FROM chunks WHERE t1 < ? "
                       "ORDER BY t1 LIMIT ?)",
                       now - r.raw_max_age_ms, chunks);
          !s)
        return s;
    // A page goes when all of it is older than the age (its newest bucket included).
    const std::pair<Level, std::int64_t> levels[] = {{Level::m1, r.rollup_1m_max_age_ms},
                                                     {Level::h1, r.rollup_1h_max_age_ms}};
    for (auto [level, age] : levels) {
      if (age <= 0) continue;
      const std::string t = level_table(level);
      if (auto s = run("DELETE FROM " + t + " WHERE id IN (SELECT id FROM " + t +
                           " WHERE page_ms < ? ORDER BY page_ms LIMIT ?)",
                       now - age - page_ms(level) + 1, rows);
          !s)
        return s;
    }
    if (r.events_max_age_ms > 0)
      if (auto s = run("DELETE FROM events WHERE id IN (SELECT id FROM events WHERE time_ms < ? "
                       "ORDER BY time_ms LIMIT ?)",
                       now - r.events_max_age_ms, rows);
          !s)
        return s;
    return tx->commit();
  }();
  if (!st) return st.error();

  // The size cap: the oldest chunks first, then the oldest 1 min rollups, then events.
  auto used = [&]() -> Result<std::uint64_t> {
    auto pages = scalar(db, "PRAGMA page_count");
    auto free = scalar(db, "PRAGMA freelist_count");
    auto size = scalar(db, "PRAGMA page_size");
    if (!pages) return pages.error();
    if (!free) return free.error();
    if (!size) return size.error();
    return static_cast<std::uint64_t>((*pages - *free) * *size);
  };
  auto u = used();
  if (!u) return u.error();
  counters_.used_bytes = *u;
  bool over = false;
  if (r.max_bytes > 0 && *u > r.max_bytes) {
    over = true;
    std::uint64_t before = chunks;
    auto tx = storage::Transaction::begin(db);
    if (!tx) return tx.error();
    if (auto s = run("DELETE FROM chunks WHERE id IN (SELECT id FROM chunks WHERE t1 < ? ORDER BY "
                     "t1 LIMIT ?)",
                     kAny, chunks, kSizeBatch);
        !s)
      return s.error();
    if (chunks == before) {
      if (auto s = run("DELETE FROM rollup_1m WHERE id IN (SELECT id FROM rollup_1m WHERE page_ms "
                       "< ? ORDER BY page_ms LIMIT ?)",
                       kAny, rows);
          !s)
        return s.error();
      if (auto s = run("DELETE FROM events WHERE id IN (SELECT id FROM events WHERE time_ms < ? "
                       "ORDER BY time_ms LIMIT ?)",
                       kAny, rows);
          !s)
        return s.error();
    }
    if (auto s = tx->commit(); !s) return s.error();
    if (chunks == before && rows == 0) over = false;  // nothing left to drop
  }
  counters_.deleted_chunks += chunks;
  counters_.deleted_rows += rows;
  if (chunks > 0 || rows > 0)
    spdlog::info("historian: retention dropped {} chunks and {} rollup/event rows{}", chunks, rows,
                 over ? " (database over its size cap)" : "");
  const bool more = over || chunks >= kRetentionBatch || rows >= kRetentionBatch;
  return more;
}

Status SqliteHistoryStore::run_retention() {
  auto r = writer_->read_now<bool>([this](Database& db) -> Result<bool> {
    for (int i = 0; i < 100'000; ++i) {
      auto more = retention_step(db);
      if (!more) return more.error();
      if (!*more) return true;
    }
    return true;
  });
  if (!r) return r.error();
  return {};
}

}  // namespace weir::historian
