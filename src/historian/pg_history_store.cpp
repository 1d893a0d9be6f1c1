#include "historian/pg_history_store.hpp"

#include <libpq-fe.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <future>
#include <limits>
#include <pqxx/pqxx>
#include <random>
#include <tuple>

#include "historian/pg_copy.hpp"

namespace weir::historian {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS history_tags (
  id bigserial PRIMARY KEY, name text NOT NULL UNIQUE, kind text NOT NULL);
CREATE TABLE IF NOT EXISTS history_writers (
  id bigint PRIMARY KEY, node text NOT NULL, started_ms bigint NOT NULL, seen_ms bigint NOT NULL);
CREATE TABLE IF NOT EXISTS history_chunks (
  tag bigint NOT NULL, writer bigint NOT NULL, t0 bigint NOT NULL, t1 bigint NOT NULL,
  n integer NOT NULL, data bytea NOT NULL) PARTITION BY RANGE (t1);
CREATE INDEX IF NOT EXISTS history_chunks_tag_t1 ON history_chunks (tag, t1);
CREATE TABLE IF NOT EXISTS history_open_chunks (
  tag bigint NOT NULL, writer bigint NOT NULL, t0 bigint NOT NULL, t1 bigint NOT NULL,
  n integer NOT NULL, data bytea NOT NULL, PRIMARY KEY (tag, writer)) WITH (fillfactor = 50);
CREATE TABLE IF NOT EXISTS history_rollup_1m (
  tag bigint NOT NULL, start_ms bigint NOT NULL, count bigint NOT NULL,
  sum double precision NOT NULL, first double precision NOT NULL, first_ms bigint NOT NULL,
  last double precision NOT NULL, last_ms bigint NOT NULL, min double precision NOT NULL,
  min_ms bigint NOT NULL, max double precision NOT NULL, max_ms bigint NOT NULL,
  PRIMARY KEY (tag, start_ms)) PARTITION BY RANGE (start_ms);
CREATE TABLE IF NOT EXISTS history_rollup_1h (
  tag bigint NOT NULL, start_ms bigint NOT NULL, count bigint NOT NULL,
  sum double precision NOT NULL, first double precision NOT NULL, first_ms bigint NOT NULL,
  last double precision NOT NULL, last_ms bigint NOT NULL, min double precision NOT NULL,
  min_ms bigint NOT NULL, max double precision NOT NULL, max_ms bigint NOT NULL,
  PRIMARY KEY (tag, start_ms)) PARTITION BY RANGE (start_ms);
CREATE TABLE IF NOT EXISTS history_events (
  id bigserial NOT NULL, time_ms bigint NOT NULL, kind text NOT NULL, source text NOT NULL,
  detail text NOT NULL, writer bigint NOT NULL) PARTITION BY RANGE (time_ms);
CREATE INDEX IF NOT EXISTS history_events_id ON history_events (id);
)sql";

// Per connection: staging tables emptied at each commit.
constexpr const char* kStaging = R"sql(
CREATE TEMP TABLE IF NOT EXISTS stage_open (
  tag bigint, t0 bigint, t1 bigint, n integer, data bytea) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS stage_rollup (
  level smallint, tag bigint, start_ms bigint, count bigint, sum double precision,
  first double precision, first_ms bigint, last double precision, last_ms bigint,
  min double precision, min_ms bigint, max double precision, max_ms bigint) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS stage_tags (name text, kind text) ON COMMIT DELETE ROWS;
)sql";

// Advisory lock keys: schema and partition changes, one node at a time.
constexpr std::int64_t kDdlLock = 0x5745495248495354;  // "WEIRHIST"

// The partitioned tables: name, partition key, partition width (from the chunk partition width).
struct PartTable {
  const char* name;
  const char* key;
};
constexpr PartTable kParts[] = {{"history_chunks", "t1"},
                                {"history_rollup_1m", "start_ms"},
                                {"history_rollup_1h", "start_ms"},
                                {"history_events", "time_ms"}};
constexpr std::size_t kChunksT = 0, kRollup1mT = 1, kRollup1hT = 2, kEventsT = 3;

std::int64_t part_width(std::size_t table, std::int64_t partition_ms) {
  switch (table) {
    case kRollup1mT:  // 7 partitions' worth, whole minutes
      return std::max<std::int64_t>(60'000, partition_ms * 7 / 60'000 * 60'000);
    case kRollup1hT:  // 64 partitions' worth, whole hours
      return std::max<std::int64_t>(3'600'000, partition_ms * 64 / 3'600'000 * 3'600'000);
    default:
      return partition_ms;
  }
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - (a % b < 0 ? 1 : 0);
}

std::string part_name(std::size_t table, std::int64_t lo) {
  const std::time_t s = static_cast<std::time_t>(floor_div(lo, 1000));
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d_%H%M%S", &tm);
  std::string name = std::string(kParts[table].name) + "_p" + buf;
  if (lo % 1000 != 0) name += "_" + std::to_string(((lo % 1000) + 1000) % 1000);
  return name;
}

// "FOR VALUES FROM ('1767225600000') TO ('1767312000000')" -> the two numbers.
std::optional<std::pair<std::int64_t, std::int64_t>> parse_bound(std::string_view s) {
  std::int64_t v[2];
  int found = 0;
  for (std::size_t i = 0; i < s.size() && found < 2;) {
    if (s[i] == '-' || (s[i] >= '0' && s[i] <= '9')) {
      std::size_t j = i + (s[i] == '-' ? 1 : 0);
      std::int64_t x = 0;
      const std::size_t digits = j;
      while (j < s.size() && s[j] >= '0' && s[j] <= '9') x = x * 10 + (s[j++] - '0');
      if (j == digits) {
        i = j;
        continue;
      }
      v[found++] = s[i] == '-' ? -x : x;
      i = j;
    } else {
      ++i;
    }
  }
  if (found != 2) return std::nullopt;
  return std::pair{v[0], v[1]};
}

Error db_error(std::string what) {
  return Error::make(ErrorKind::unavailable, "history_database", "historian database: " + what);
}

std::string rollup_upsert(const char* table, int level) {
  const std::string t = table;
  return "INSERT INTO " + t +
         " AS r (tag, start_ms, count, sum, first, first_ms, last, last_ms, min, min_ms, max, "
         "max_ms) SELECT tag, start_ms, count, sum, first, first_ms, last, last_ms, min, min_ms, "
         "max, max_ms FROM stage_rollup WHERE level = " +
         std::to_string(level) +
         " ON CONFLICT (tag, start_ms) DO UPDATE SET count = r.count + EXCLUDED.count, "
         "sum = r.sum + EXCLUDED.sum, "
         "first = CASE WHEN EXCLUDED.first_ms < r.first_ms THEN EXCLUDED.first ELSE r.first END, "
         "first_ms = least(r.first_ms, EXCLUDED.first_ms), "
         "last = CASE WHEN EXCLUDED.last_ms >= r.last_ms THEN EXCLUDED.last ELSE r.last END, "
         "last_ms = greatest(r.last_ms, EXCLUDED.last_ms), "
         "min = CASE WHEN EXCLUDED.min < r.min THEN EXCLUDED.min ELSE r.min END, "
         "min_ms = CASE WHEN EXCLUDED.min < r.min THEN EXCLUDED.min_ms ELSE r.min_ms END, "
         "max = CASE WHEN EXCLUDED.max > r.max THEN EXCLUDED.max ELSE r.max END, "
         "max_ms = CASE WHEN EXCLUDED.max > r.max THEN EXCLUDED.max_ms ELSE r.max_ms END";
}

}  // namespace

// The connections: libpq for writes (COPY needs the raw connection, which libpqxx 6 keeps
// private), libpqxx for queries.
struct PgHistoryStore::Db {
  PGconn* w = nullptr;
  std::unique_ptr<pqxx::connection> r;
  ~Db() {
    if (w) PQfinish(w);
  }

  Status exec(const std::string& sql) {
    PGresult* res = PQexec(w, sql.c_str());
    const auto st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      std::string msg = PQresultErrorMessage(res);
      PQclear(res);
      while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
      return db_error(msg);
    }
    PQclear(res);
    return {};
  }
  // Rows of a query as text.
  Result<std::vector<std::vector<std::string>>> rows(const std::string& sql) {
    PGresult* res = PQexec(w, sql.c_str());
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
      std::string msg = PQresultErrorMessage(res);
      PQclear(res);
      return db_error(msg);
    }
    std::vector<std::vector<std::string>> out(static_cast<std::size_t>(PQntuples(res)));
    for (int i = 0; i < PQntuples(res); ++i)
      for (int j = 0; j < PQnfields(res); ++j) out[i].emplace_back(PQgetvalue(res, i, j));
    PQclear(res);
    return out;
  }
  Status copy(const std::string& sql, PgCopyBuffer& buf) {
    PGresult* res = PQexec(w, sql.c_str());
    if (PQresultStatus(res) != PGRES_COPY_IN) {
      std::string msg = PQresultErrorMessage(res);
      PQclear(res);
      return db_error(msg);
    }
    PQclear(res);
    const std::string& data = buf.finish();
    constexpr std::size_t kPiece = 1 << 20;
    for (std::size_t at = 0; at < data.size(); at += kPiece) {
      const int n = static_cast<int>(std::min(kPiece, data.size() - at));
      if (PQputCopyData(w, data.data() + at, n) != 1) return db_error(PQerrorMessage(w));
    }
    if (PQputCopyEnd(w, nullptr) != 1) return db_error(PQerrorMessage(w));
    Status st;
    while ((res = PQgetResult(w)) != nullptr) {
      if (PQresultStatus(res) != PGRES_COMMAND_OK && st) st = db_error(PQresultErrorMessage(res));
      PQclear(res);
    }
    return st;
  }
  bool broken() const { return !w || PQstatus(w) != CONNECTION_OK || !r || !r->is_open(); }
};

PgHistoryStore::PgHistoryStore(PgStoreOptions options)
    : options_(std::move(options)),
      clock_(options_.clock ? *options_.clock : SystemClock::instance()) {
  std::random_device rd;
  const std::uint64_t hi = rd(), lo = rd();
  writer_id_ = static_cast<std::int64_t>(((hi << 32) | lo) & 0x7fffffffffffffffULL);
  if (writer_id_ == 0) writer_id_ = 1;
  if (options_.node.empty()) {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    options_.node = std::string(host) + ":" + std::to_string(::getpid());
  }
}

Result<std::unique_ptr<PgHistoryStore>> PgHistoryStore::open(PgStoreOptions options) {
  if (options.conninfo.empty())
    return bad_request("no_connection", "historian: empty PostgreSQL connection string");
  if (options.partition_ms < 1000 || options.partition_ms % 1000 != 0)
    return bad_request("bad_partition", "historian: partitions must be whole seconds");
  std::unique_ptr<PgHistoryStore> s(new PgHistoryStore(std::move(options)));
  s->thread_ = std::thread([p = s.get()] { p->run(); });
  return s;
}

PgHistoryStore::~PgHistoryStore() {
  (void)flush(true);
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool PgHistoryStore::submit(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

template <class T>
Result<T> PgHistoryStore::call_now(std::function<Result<T>()> f) {
  if (std::this_thread::get_id() == thread_.get_id()) return f();
  auto p = std::make_shared<std::promise<Result<T>>>();
  auto fut = p->get_future();
  if (!submit([p, f = std::move(f)] { p->set_value(f()); }))
    return Error::make(ErrorKind::unavailable, "stopping", "historian: shutting down");
  return fut.get();
}

template <class T>
void PgHistoryStore::call(std::function<Result<T>()> f, std::function<void(Result<T>)> done) {
  auto deliver = [this, done](Result<T> r) {
    if (options_.post)
      options_.post([done, r = std::move(r)]() mutable { done(std::move(r)); });
    else
      done(std::move(r));
  };
  std::size_t waiting = 0;
  {
    std::lock_guard lock(mu_);
    waiting = jobs_.size();
  }
  if (waiting > 1'000)
    return deliver(Error::make(ErrorKind::unavailable, "busy", "historian: too many queries"));
  if (!submit([f = std::move(f), deliver] { deliver(f()); }))
    deliver(Error::make(ErrorKind::unavailable, "stopping", "historian: shutting down"));
}

void PgHistoryStore::run() {
  using SteadyClock = std::chrono::steady_clock;
  auto next_commit = SteadyClock::now() + options_.flush_interval;
  auto next_tick = SteadyClock::now();
  auto last_retention = SteadyClock::now();
  bool retention_running = false;
  (void)connect();
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      const auto wake = options_.background ? std::min(next_commit, next_tick)
                                            : SteadyClock::now() + std::chrono::seconds(1);
      cv_.wait_until(lock, wake, [&] { return stopping_ || !jobs_.empty(); });
      if (!jobs_.empty()) {
        job = std::move(jobs_.front());
        jobs_.pop_front();
      } else if (stopping_) {
        return;
      }
    }
    if (job) {
      if (!db_ && SteadyClock::now() >= next_connect_) (void)connect();
      job();
    }
    // The timers run between jobs too: a steady stream of batches must not hold commits back.
    if (!options_.background) continue;
    const auto now = SteadyClock::now();
    if (!db_ && now >= next_connect_) (void)connect();
    if (now >= next_commit) {
      (void)commit(false);
      next_commit = now + std::max(options_.flush_interval, std::chrono::milliseconds(10));
    }
    if (now >= next_tick) {
      next_tick = now + std::chrono::milliseconds(100);
      std::int64_t interval = 0;
      {
        std::lock_guard lock(mu_);
        interval = retention_.interval_ms;
      }
      if (db_ && interval > 0 &&
          (retention_running || now - last_retention >= std::chrono::milliseconds(interval))) {
        auto more = retention_step();
        retention_running = more && *more;
        if (!retention_running) last_retention = SteadyClock::now();
      }
    }
  }
}

// ---- connection --------------------------------------------------------------------------------

Status PgHistoryStore::connect() {
  auto db = std::make_unique<Db>();
  auto fail = [&](std::string why) -> Status {
    disconnect(why);
    return db_error(why);
  };
  // Without a timeout libpq waits for an unreachable host as long as TCP does.
  std::string conninfo = options_.conninfo;
  if (conninfo.find("connect_timeout") == std::string::npos) {
    if (conninfo.starts_with("postgres://") || conninfo.starts_with("postgresql://"))
      conninfo += conninfo.find('?') == std::string::npos ? "?" : "&";
    else
      conninfo += " ";
    conninfo += "connect_timeout=5";
  }
  db->w = PQconnectdb(conninfo.c_str());
  if (PQstatus(db->w) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(db->w);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    return fail(msg);
  }
  try {
    db->r = std::make_unique<pqxx::connection>(conninfo);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  const std::string lock = "SELECT pg_advisory_xact_lock(" + std::to_string(kDdlLock) + ")";
  Status st = db->exec("SET client_min_messages = warning");
  if (st) st = db->exec("BEGIN");
  if (st) st = db->exec(lock);
  if (st) st = db->exec(kSchema);
  if (st) st = db->exec("COMMIT");
  if (st) st = db->exec(kStaging);
  const std::int64_t now = to_unix_ms(clock_.now());
  if (st) {
    char* node = PQescapeLiteral(db->w, options_.node.data(), options_.node.size());
    st = db->exec("INSERT INTO history_writers VALUES (" + std::to_string(writer_id_) + ", " +
                  node + ", " + std::to_string(now) + ", " + std::to_string(now) +
                  ") ON CONFLICT (id) DO UPDATE SET seen_ms = EXCLUDED.seen_ms");
    PQfreemem(node);
  }
  if (!st) return fail(st.error().message);
  db_ = std::move(db);
  for (std::size_t t = 0; t < parts_.size(); ++t)
    if (auto s = refresh_partitions(t); !s) return fail(s.error().message);
  ids_pending_ = true;
  if (auto s = resolve_ids(); !s) return fail(s.error().message);
  backoff_ = std::chrono::milliseconds(1000);
  connected_ = true;
  {
    std::lock_guard lk(mu_);
    last_error_.clear();
  }
  spdlog::info("historian: connected to PostgreSQL (writer {})", writer_id_);
  return {};
}

void PgHistoryStore::disconnect(const std::string& why) {
  const bool was = connected_.exchange(false);
  db_.reset();
  {
    std::lock_guard lk(mu_);
    last_error_ = why;
  }
  next_connect_ = std::chrono::steady_clock::now() + backoff_;
  if (was || backoff_ == std::chrono::milliseconds(1000))
    spdlog::warn("historian: PostgreSQL unavailable ({}), retrying in {} ms", why,
                 backoff_.count());
  backoff_ = std::min(backoff_ * 2, std::chrono::milliseconds(30'000));
}

Status PgHistoryStore::resolve_ids() {
  if (!ids_pending_ || !db_) return {};
  PgCopyBuffer buf;
  for (const auto* t : by_index_) {
    if (t->id != 0) continue;
    buf.row(2);
    buf.text(t->name);
    buf.text(kind_name(t->kind));
  }
  if (!buf.empty()) {
    Status st = db_->exec("BEGIN");
    if (st) st = db_->copy("COPY stage_tags (name, kind) FROM STDIN (FORMAT binary)", buf);
    if (st)
      st = db_->exec(
          "INSERT INTO history_tags (name, kind) SELECT name, kind FROM stage_tags ORDER BY name "
          "ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind "
          "WHERE history_tags.kind <> EXCLUDED.kind");
    Result<std::vector<std::vector<std::string>>> rows = db_error("not run");
    if (st)
      rows = db_->rows("SELECT t.id, t.name FROM history_tags t JOIN stage_tags s USING (name)");
    if (st && !rows) st = rows.error();
    if (st) st = db_->exec("COMMIT");
    if (!st) {
      (void)db_->exec("ROLLBACK");
      return st;
    }
    for (const auto& r : *rows)
      if (auto it = by_name_.find(r[1]); it != by_name_.end()) it->second.id = std::stoll(r[0]);
  }
  ids_pending_ = false;
  return {};
}

// ---- writes ------------------------------------------------------------------------------------

void PgHistoryStore::define_tags(std::vector<TagDef> tags) {
  submit([this, tags = std::move(tags)] {
    std::vector<TagState*> index;
    index.reserve(tags.size());
    for (const auto& def : tags) {
      auto [it, fresh] = by_name_.try_emplace(def.name);
      TagState& t = it->second;
      if (fresh) {
        t.name = def.name;
        t.kind = def.kind;
      } else if (t.kind != def.kind) {
        close_chunk(t);  // the next chunk has the new kind
        t.kind = def.kind;
        t.id = 0;  // written again with its new kind
      }
      if (t.id == 0) ids_pending_ = true;
      index.push_back(&t);
    }
    by_index_ = std::move(index);
    if (auto st = resolve_ids(); !st) disconnect(st.error().message);
  });
}

void PgHistoryStore::append(std::vector<TaggedSample> samples, std::vector<Event> events) {
  const std::uint64_t n = counters_.admit(samples, events, options_.max_queue);
  if (n == 0) return;
  const bool commit_now = counters_.queued.load() >= options_.max_queue / 2;
  const bool ok = submit(
      [this, samples = std::move(samples), events = std::move(events), commit_now]() mutable {
        ingest(samples, events);
        if (commit_now) (void)commit(false);
      });
  if (!ok) counters_.refused(n);
}

void PgHistoryStore::close_chunk(TagState& t) {
  if (t.chunk && t.chunk->count() > 0)
    closed_.push_back(
        {&t, t.chunk->first_ms(), t.chunk->last_ms(), t.chunk->count(), t.chunk->bytes()});
  t.chunk.reset();
}

void PgHistoryStore::ingest(const std::vector<TaggedSample>& samples, std::vector<Event>& events) {
  pending_samples_ += samples.size();
  const auto latest = add_samples(
      samples, by_index_, {options_.chunk_values, options_.chunk_ms}, dirty_,
      [this](TagState& t) { close_chunk(t); },
      [this](TagState& t, const RollupAccumulator::Closed& c) {
        buckets_.push_back({&t, c});
      });
  pending_max_server_ms_ = std::max(pending_max_server_ms_, latest);
  pending_events_ += events.size();
  for (auto& e : events) events_.push_back(std::move(e));
}

Status PgHistoryStore::refresh_partitions(std::size_t table) {
  auto rows = db_->rows(
      std::string("SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i JOIN "
                  "pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = '") +
      kParts[table].name + "'::regclass");
  if (!rows) return rows.error();
  auto& parts = parts_[table];
  parts.clear();
  for (const auto& r : *rows)
    if (auto b = parse_bound(r[1])) parts.push_back({r[0], b->first, b->second});
  std::sort(parts.begin(), parts.end(),
            [](const Partition& a, const Partition& b) { return a.lo < b.lo; });
  return {};
}

Status PgHistoryStore::ensure_partition(std::size_t table, std::int64_t key) {
  auto covered = [&] {
    const auto& parts = parts_[table];
    auto it = std::upper_bound(parts.begin(), parts.end(), key,
                               [](std::int64_t k, const Partition& p) { return k < p.lo; });
    return it != parts.begin() && key < std::prev(it)->hi;
  };
  if (covered()) return {};
  Status st = db_->exec("BEGIN");
  if (st) st = db_->exec("SELECT pg_advisory_xact_lock(" + std::to_string(kDdlLock) + ")");
  if (st) st = refresh_partitions(table);  // another node may have made it meanwhile
  if (st && !covered()) {
    const std::int64_t w = part_width(table, options_.partition_ms);
    std::int64_t lo = floor_div(key, w) * w, hi = lo + w;
    for (const auto& p : parts_[table]) {
      if (p.hi <= key) lo = std::max(lo, p.hi);
      if (p.lo > key) hi = std::min(hi, p.lo);
    }
    const std::string name = part_name(table, lo);
    st = db_->exec("CREATE TABLE " + name + " PARTITION OF " + kParts[table].name +
                   " FOR VALUES FROM (" + std::to_string(lo) + ") TO (" + std::to_string(hi) + ")");
    if (st) parts_[table].push_back({name, lo, hi});
  }
  if (st) st = db_->exec("COMMIT");
  if (!st) {
    (void)db_->exec("ROLLBACK");
    (void)refresh_partitions(table);
    return st;
  }
  std::sort(parts_[table].begin(), parts_[table].end(),
            [](const Partition& a, const Partition& b) { return a.lo < b.lo; });
  return {};
}

Status PgHistoryStore::commit(bool final) {
  if (final) {
    for (auto& [name, t] : by_name_) {
      std::vector<RollupAccumulator::Closed> open;
      t.rollups.take_open(open);
      for (auto& c : open)
        if (c.level != Level::s1) buckets_.push_back({&t, c});
      if (t.chunk) {  // shutdown: the open chunks become ordinary chunks
        close_chunk(t);
        if (!t.dirty) {
          t.dirty = true;
          dirty_.push_back(&t);
        }
      }
    }
  }
  if (dirty_.empty() && closed_.empty() && buckets_.empty() && events_.empty() &&
      pending_samples_ == 0)
    return {};
  if (!db_) return db_error("not connected");
  if (auto st = resolve_ids(); !st) {
    disconnect(st.error().message);
    return st;
  }
  // Partitions for what goes in, and ahead for what comes next.
  const std::int64_t now = to_unix_ms(clock_.now());
  Status st = [&]() -> Status {
    std::vector<std::pair<std::size_t, std::int64_t>> keys{{kChunksT, now},
                                                           {kChunksT, now + options_.partition_ms},
                                                           {kRollup1mT, now},
                                                           {kRollup1hT, now},
                                                           {kEventsT, now}};
    for (const auto& c : closed_) keys.emplace_back(kChunksT, c.t1);
    for (const auto& b : buckets_)
      keys.emplace_back(b.b.level == Level::m1 ? kRollup1mT : kRollup1hT, b.b.bucket.start_ms);
    for (const auto& e : events_) keys.emplace_back(kEventsT, e.time_ms);
    for (auto [t, k] : keys)
      if (auto s = ensure_partition(t, k); !s) return s;
    return {};
  }();
  // Same bucket twice (a bucket reopened by late values, or the open ones at shutdown): merged
  // here, one INSERT ... ON CONFLICT may touch a row only once.
  std::sort(buckets_.begin(), buckets_.end(), [](const ClosedBucket& a, const ClosedBucket& b) {
    return std::tuple(a.b.level, a.tag->id, a.b.bucket.start_ms) <
           std::tuple(b.b.level, b.tag->id, b.b.bucket.start_ms);
  });
  std::vector<ClosedBucket> merged;
  for (const auto& b : buckets_) {
    if (!merged.empty() && merged.back().b.level == b.b.level && merged.back().tag == b.tag &&
        merged.back().b.bucket.start_ms == b.b.bucket.start_ms)
      merged.back().b.bucket.merge(b.b.bucket);
    else
      merged.push_back(b);
  }
  buckets_ = std::move(merged);
  std::sort(dirty_.begin(), dirty_.end(),
            [](const TagState* a, const TagState* b) { return a->id < b->id; });

  const std::string w = std::to_string(writer_id_);
  if (st) st = db_->exec("BEGIN");
  if (st && !closed_.empty()) {
    PgCopyBuffer buf;
    std::string tags = "{";
    for (const auto& c : closed_) {
      buf.row(6);
      buf.i64(c.tag->id);
      buf.i64(writer_id_);
      buf.i64(c.t0);
      buf.i64(c.t1);
      buf.i32(static_cast<std::int32_t>(c.n));
      buf.bytes(c.data);
      if (tags.size() > 1) tags += ",";
      tags += std::to_string(c.tag->id);
    }
    tags += "}";
    st = db_->copy("COPY history_chunks (tag, writer, t0, t1, n, data) FROM STDIN (FORMAT binary)",
                   buf);
    if (st)
      st = db_->exec("DELETE FROM history_open_chunks WHERE writer = " + w + " AND tag = ANY('" +
                     tags + "'::bigint[])");
  }
  if (st) {
    PgCopyBuffer buf;
    for (const auto* t : dirty_) {
      if (!t->chunk) continue;
      buf.row(5);
      buf.i64(t->id);
      buf.i64(t->chunk->first_ms());
      buf.i64(t->chunk->last_ms());
      buf.i32(static_cast<std::int32_t>(t->chunk->count()));
      buf.bytes(t->chunk->bytes());
    }
    if (!buf.empty()) {
      st = db_->copy("COPY stage_open (tag, t0, t1, n, data) FROM STDIN (FORMAT binary)", buf);
      if (st)
        st = db_->exec(
            "INSERT INTO history_open_chunks (writer, tag, t0, t1, n, data) SELECT " + w +
            ", tag, t0, t1, n, data FROM stage_open ON CONFLICT (tag, writer) DO UPDATE SET "
            "t0 = EXCLUDED.t0, t1 = EXCLUDED.t1, n = EXCLUDED.n, data = EXCLUDED.data");
    }
  }
  if (st && !buckets_.empty()) {
    PgCopyBuffer buf;
    for (const auto& [tag, c] : buckets_) {
      const Bucket& b = c.bucket;
      buf.row(13);
      buf.i16(static_cast<std::int16_t>(c.level));
      buf.i64(tag->id);
      buf.i64(b.start_ms);
      buf.i64(static_cast<std::int64_t>(b.count));
      buf.f64(b.sum);
      buf.f64(b.first);
      buf.i64(b.first_ms);
      buf.f64(b.last);
      buf.i64(b.last_ms);
      buf.f64(b.min);
      buf.i64(b.min_ms);
      buf.f64(b.max);
      buf.i64(b.max_ms);
    }
    st = db_->copy(
        "COPY stage_rollup (level, tag, start_ms, count, sum, first, first_ms, last, last_ms, "
        "min, min_ms, max, max_ms) FROM STDIN (FORMAT binary)",
        buf);
    if (st) st = db_->exec(rollup_upsert("history_rollup_1m", static_cast<int>(Level::m1)));
    if (st) st = db_->exec(rollup_upsert("history_rollup_1h", static_cast<int>(Level::h1)));
  }
  if (st && !events_.empty()) {
    PgCopyBuffer buf;
    for (const auto& e : events_) {
      buf.row(5);
      buf.i64(e.time_ms);
      buf.text(e.kind);
      buf.text(e.source);
      buf.text(e.detail);
      buf.i64(writer_id_);
    }
    st = db_->copy(
        "COPY history_events (time_ms, kind, source, detail, writer) FROM STDIN (FORMAT binary)",
        buf);
  }
  if (st)
    st = db_->exec("UPDATE history_writers SET seen_ms = " + std::to_string(now) +
                   " WHERE id = " + w);
  if (st) st = db_->exec("COMMIT");
  if (!st) {
    ++counters_.write_errors;
    if (db_ && !db_->broken()) (void)db_->exec("ROLLBACK");
    if (!failing_)
      spdlog::error("historian: cannot write to PostgreSQL (kept for a retry): {}",
                    st.error().message);
    failing_ = true;
    if (db_ && db_->broken()) disconnect(st.error().message);
    return st;
  }
  if (failing_) spdlog::info("historian: writing to PostgreSQL again");
  failing_ = false;
  for (auto* t : dirty_) t->dirty = false;
  dirty_.clear();
  closed_.clear();
  buckets_.clear();
  events_.clear();
  counters_.committed(pending_samples_, pending_events_, pending_max_server_ms_);
  pending_samples_ = pending_events_ = 0;
  return {};
}

Status PgHistoryStore::flush(bool final) {
  auto r = call_now<bool>([this, final]() -> Result<bool> {
    if (!db_ && std::chrono::steady_clock::now() >= next_connect_) (void)connect();
    if (auto st = commit(final); !st) return st.error();
    return true;
  });
  if (!r) return r.error();
  return {};
}

void PgHistoryStore::set_retention(RetentionSettings r) {
  std::lock_guard lock(mu_);
  retention_ = r;
}

StoreStats PgHistoryStore::stats() const {
  StoreStats s = counters_.snapshot();
  s.retention_dropped_partitions = dropped_partitions_.load();
  s.connected = connected_.load();
  std::lock_guard lock(mu_);
  s.backend_error = last_error_;
  return s;
}

// ---- queries -----------------------------------------------------------------------------------

Result<std::int64_t> PgHistoryStore::tag_id(const std::string& name) {
  if (auto it = by_name_.find(name); it != by_name_.end() && it->second.id != 0)
    return it->second.id;
  pqxx::nontransaction tx(*db_->r);
  auto r = tx.exec_params("SELECT id FROM history_tags WHERE name = $1", name);
  return r.empty() ? std::int64_t{0} : r[0][0].as<std::int64_t>();
}

namespace {
// libpqxx 6 converts numbers through a stringstream (slow for thousands of rollup rows): the text
// is parsed here instead.
std::int64_t to_i64(const pqxx::field& f) {
  std::int64_t v = 0;
  const char* s = f.c_str();
  std::from_chars(s, s + f.size(), v);
  return v;
}
double to_f64(const pqxx::field& f) {
  const std::string_view s(f.c_str(), f.size());
  if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (s == "Infinity") return std::numeric_limits<double>::infinity();
  if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
  double v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// Chunks of one tag overlapping [from, to), closed and open ones, in t0 order.
constexpr const char* kChunksSql =
    "SELECT t0, n, data, writer FROM history_chunks WHERE tag = $1 AND t1 >= $2 AND t0 < $3 "
    "UNION ALL SELECT t0, n, data, writer FROM history_open_chunks WHERE tag = $1 AND t1 >= $2 "
    "AND t0 < $3 ORDER BY 1, 4";  // the same order every time: pages of equal times stay apart
constexpr std::size_t kMaxRawScan = 5'000'000;

// Calls `each` with a tag's samples in [from, to) in time order. Chunks of several writers may
// overlap in time: samples are held back until no later chunk can start before them.
template <class F>
Status each_sample(pqxx::connection& c, std::int64_t tag, std::int64_t from, std::int64_t to,
                   F&& each) {
  pqxx::nontransaction tx(c);
  auto rows = tx.exec_params(kChunksSql, tag, from, to);
  std::vector<Sample> held;
  auto release = [&](std::int64_t before) -> bool {
    std::stable_sort(held.begin(), held.end(),
                     [](const Sample& a, const Sample& b) { return a.source_ms < b.source_ms; });
    std::size_t k = 0;
    for (; k < held.size() && held[k].source_ms < before; ++k)
      if (!each(std::move(held[k]))) return false;
    held.erase(held.begin(), held.begin() + static_cast<std::ptrdiff_t>(k));
    return true;
  };
  for (const auto& row : rows) {
    const std::int64_t t0 = row[0].as<std::int64_t>();
    if (!held.empty() && !release(t0)) return {};
    pqxx::binarystring data(row[2]);
    auto chunk = decode_chunk(std::span(data.data(), data.size()), row[1].as<std::int64_t>());
    if (!chunk) return chunk.error();
    for (auto& x : chunk->samples)
      if (x.source_ms >= from && x.source_ms < to) held.push_back(std::move(x));
  }
  release(INT64_MAX);
  return {};
}

}  // namespace

template <class T, class F>
Result<T> PgHistoryStore::guarded(F&& f) {
  if (!db_) {
    std::lock_guard lock(mu_);
    return db_error("not connected" + (last_error_.empty() ? std::string() : ": " + last_error_));
  }
  Result<T> r = db_error("not run");
  try {
    r = f();
  } catch (const std::exception& e) {
    r = db_error(e.what());
  }
  if (!r && db_ && db_->broken()) disconnect(r.error().message);
  return r;
}

Result<std::vector<Sample>> PgHistoryStore::read_samples(std::int64_t tag, std::int64_t from_ms,
                                                         std::int64_t to_ms, std::size_t max) {
  std::vector<Sample> out;
  bool over = false;
  auto st = each_sample(*db_->r, tag, from_ms, to_ms, [&](Sample s) {
    out.push_back(std::move(s));
    over = out.size() > max;
    return !over;
  });
  if (!st) return st.error();
  if (over)
    return Error::make(ErrorKind::too_large, "too_many_values",
                       "more than " + std::to_string(max) + " values in the range");
  return out;
}

Result<RawPage> PgHistoryStore::query_raw(const RawQuery& q) {
  if (auto st = commit(false); !st) return st.error();
  RawPage page;
  const std::size_t limit = std::max<std::size_t>(q.limit, 1);
  for (std::size_t pos = q.cursor ? q.cursor->tag_pos : 0; pos < q.tags.size(); ++pos) {
    auto id = tag_id(q.tags[pos]);
    if (!id) return id.error();
    if (*id == 0) continue;
    const bool resume = q.cursor && q.cursor->tag_pos == pos;
    const std::int64_t from = resume ? std::max(q.from_ms, q.cursor->ms) : q.from_ms;
    std::uint64_t skip = resume && q.cursor->ms >= q.from_ms ? q.cursor->skip : 0;
    std::int64_t last_ms = resume ? q.cursor->ms : INT64_MIN;
    std::uint64_t at_last = skip;
    bool full = false;
    auto st = each_sample(*db_->r, *id, from, q.to_ms, [&](Sample x) {
      if (x.source_ms == from && skip > 0) {
        --skip;
        return true;
      }
      if (page.rows.size() == limit) {
        page.next = RawCursor{pos, last_ms, at_last};
        full = true;
        return false;
      }
      at_last = x.source_ms == last_ms ? at_last + 1 : 1;
      last_ms = x.source_ms;
      page.rows.push_back({pos, std::move(x)});
      return true;
    });
    if (!st) return st.error();
    if (full) return page;
  }
  return page;
}

Result<std::vector<TrendSeries>> PgHistoryStore::query_trend(const TrendQuery& q) {
  if (auto st = commit(false); !st) return st.error();
  std::vector<TrendSeries> out;
  Level level = choose_level(q.from_ms, q.to_ms, q.budget);
  if (level == Level::s1) level = Level::raw;  // 1 s buckets are not stored: from the chunks
  const std::int64_t width = output_width(q.from_ms, q.to_ms, q.budget);
  for (const auto& name : q.tags) {
    TrendSeries series;
    series.tag = name;
    series.level = level;
    series.width_ms = width;
    auto id = tag_id(name);
    if (!id) return id.error();
    if (*id != 0 && level == Level::raw) {
      auto samples = read_samples(*id, q.from_ms, q.to_ms, kMaxRawScan);
      if (!samples) return samples.error();
      series.buckets = bucket_samples(*samples, q.from_ms, q.to_ms, width);
    } else if (*id != 0) {
      const std::int64_t lw = level_ms(level);
      pqxx::nontransaction tx(*db_->r);
      auto rows = tx.exec_params(
          "SELECT start_ms, count, sum, first, first_ms, last, last_ms, min, min_ms, max, max_ms "
          "FROM " +
              std::string(level == Level::m1 ? "history_rollup_1m" : "history_rollup_1h") +
              " WHERE tag = $1 AND start_ms > $2 AND start_ms < $3 ORDER BY start_ms",
          *id, q.from_ms - lw, q.to_ms);
      std::vector<Bucket> buckets;
      buckets.reserve(rows.size());
      for (const auto& r : rows) {
        Bucket b;
        b.start_ms = to_i64(r[0]);
        b.count = static_cast<std::uint64_t>(to_i64(r[1]));
        b.sum = to_f64(r[2]);
        b.first = to_f64(r[3]);
        b.first_ms = to_i64(r[4]);
        b.last = to_f64(r[5]);
        b.last_ms = to_i64(r[6]);
        b.min = to_f64(r[7]);
        b.min_ms = to_i64(r[8]);
        b.max = to_f64(r[9]);
        b.max_ms = to_i64(r[10]);
        buckets.push_back(b);
      }
      if (auto it = by_name_.find(name); it != by_name_.end()) {
        const auto& open = it->second.rollups.open(level);
        if (open && open->start_ms > q.from_ms - lw && open->start_ms < q.to_ms) {
          auto at =
              std::lower_bound(buckets.begin(), buckets.end(), open->start_ms,
                               [](const Bucket& b, std::int64_t ms) { return b.start_ms < ms; });
          if (at != buckets.end() && at->start_ms == open->start_ms)
            at->merge(*open);
          else
            buckets.insert(at, *open);
        }
      }
      series.buckets = regroup(buckets, q.from_ms, q.to_ms, width);
    }
    out.push_back(std::move(series));
  }
  return out;
}

Result<std::vector<EventRecord>> PgHistoryStore::query_events(const EventQuery& q) {
  if (auto st = commit(false); !st) return st.error();
  std::string sql = "SELECT id, time_ms, kind, source, detail FROM history_events WHERE true";
  pqxx::nontransaction tx(*db_->r);
  auto lit = [&](std::int64_t v) { return std::to_string(v); };
  if (q.from_ms) sql += " AND time_ms >= " + lit(*q.from_ms);
  if (q.to_ms) sql += " AND time_ms < " + lit(*q.to_ms);
  if (q.kind) sql += " AND kind = " + tx.quote(*q.kind);
  if (q.source) sql += " AND source = " + tx.quote(*q.source);
  if (q.before_id) sql += " AND id < " + lit(*q.before_id);
  sql += " ORDER BY id DESC LIMIT " +
         lit(static_cast<std::int64_t>(std::clamp<std::size_t>(q.limit, 1, 1000)));
  auto rows = tx.exec(sql);
  std::vector<EventRecord> out;
  for (const auto& r : rows)
    out.push_back({r[0].as<std::int64_t>(), Event{r[1].as<std::int64_t>(), r[2].as<std::string>(),
                                                  r[3].as<std::string>(), r[4].as<std::string>()}});
  return out;
}

void PgHistoryStore::raw(RawQuery q, std::function<void(Result<RawPage>)> done) {
  call<RawPage>(
      [this, q = std::move(q)]() -> Result<RawPage> {
        return guarded<RawPage>([&] { return query_raw(q); });
      },
      std::move(done));
}

void PgHistoryStore::trend(TrendQuery q,
                           std::function<void(Result<std::vector<TrendSeries>>)> done) {
  call<std::vector<TrendSeries>>(
      [this, q = std::move(q)]() -> Result<std::vector<TrendSeries>> {
        return guarded<std::vector<TrendSeries>>([&] { return query_trend(q); });
      },
      std::move(done));
}

void PgHistoryStore::events(EventQuery q,
                            std::function<void(Result<std::vector<EventRecord>>)> done) {
  call<std::vector<EventRecord>>(
      [this, q = std::move(q)]() -> Result<std::vector<EventRecord>> {
        return guarded<std::vector<EventRecord>>([&] { return query_events(q); });
      },
      std::move(done));
}

Result<RawPage> PgHistoryStore::raw_now(const RawQuery& q) {
  return call_now<RawPage>(
      [&]() -> Result<RawPage> { return guarded<RawPage>([&] { return query_raw(q); }); });
}
Result<std::vector<TrendSeries>> PgHistoryStore::trend_now(const TrendQuery& q) {
  return call_now<std::vector<TrendSeries>>([&]() -> Result<std::vector<TrendSeries>> {
    return guarded<std::vector<TrendSeries>>([&] { return query_trend(q); });
  });
}
Result<std::vector<EventRecord>> PgHistoryStore::events_now(const EventQuery& q) {
  return call_now<std::vector<EventRecord>>([&]() -> Result<std::vector<EventRecord>> {
    return guarded<std::vector<EventRecord>>([&] { return query_events(q); });
  });
}

// ---- retention ---------------------------------------------------------------------------------

Result<bool> PgHistoryStore::retention_step() {
  RetentionSettings r;
  {
    std::lock_guard lock(mu_);
    r = retention_;
  }
  if (!db_) return false;
  const std::int64_t now = to_unix_ms(clock_.now());
  // Drops one whole partition (under the DDL lock: another node may be doing the same).
  auto drop = [&](std::size_t table, const Partition& p, const char* why) -> Status {
    Status st = db_->exec("BEGIN");
    if (st) st = db_->exec("SELECT pg_advisory_xact_lock(" + std::to_string(kDdlLock) + ")");
    std::uint64_t rows = 0;
    if (st) {
      auto n = db_->rows("SELECT count(*) FROM " + std::string(kParts[table].name) + " WHERE " +
                         kParts[table].key + " >= " + std::to_string(p.lo) + " AND " +
                         kParts[table].key + " < " + std::to_string(p.hi));
      if (!n)
        st = n.error();
      else if (!n->empty())
        rows = std::stoull((*n)[0][0]);
    }
    if (st) st = db_->exec("DROP TABLE IF EXISTS " + p.name);
    if (st) st = db_->exec("COMMIT");
    if (!st) {
      (void)db_->exec("ROLLBACK");
      return st;
    }
    (table == kChunksT ? counters_.deleted_chunks : counters_.deleted_rows) += rows;
    ++dropped_partitions_;
    spdlog::info("historian: retention dropped partition {} ({} rows before {}): {}", p.name, rows,
                 to_iso8601(from_unix_ms(p.hi)), why);
    return refresh_partitions(table);
  };
  Status st = [&]() -> Status {
    const std::pair<std::size_t, std::int64_t> ages[] = {{kChunksT, r.raw_max_age_ms},
                                                         {kRollup1mT, r.rollup_1m_max_age_ms},
                                                         {kRollup1hT, r.rollup_1h_max_age_ms},
                                                         {kEventsT, r.events_max_age_ms}};
    for (auto [table, age] : ages) {
      if (age <= 0) continue;
      const auto parts = parts_[table];
      for (const auto& p : parts)
        if (p.hi <= now - age)
          if (auto s = drop(table, p, "older than the age limit"); !s) return s;
    }
    if (r.raw_max_age_ms > 0) {  // open chunks of writers gone for good
      PGresult* res = PQexec(db_->w, ("DELETE FROM history_open_chunks WHERE t1 < " +
                                      std::to_string(now - r.raw_max_age_ms))
                                         .c_str());
      if (PQresultStatus(res) == PGRES_COMMAND_OK)
        counters_.deleted_chunks += std::stoull(PQcmdTuples(res));
      PQclear(res);
    }
    return {};
  }();
  if (!st) return st.error();
  auto used = db_->rows(
      "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c JOIN pg_namespace n "
      "ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND c.relname LIKE 'history\\_%' AND "
      "n.nspname = current_schema()");
  if (!used) return used.error();
  counters_.used_bytes = used->empty() ? 0 : std::stoull((*used)[0][0]);
  if (r.max_bytes > 0 && counters_.used_bytes.load() > r.max_bytes) {
    // The oldest partition first: chunks, then 1 min rollups, then events; the newest partition of
    // each stays (it is being written).
    for (std::size_t table : {kChunksT, kRollup1mT, kEventsT})
      if (parts_[table].size() > 1) {
        if (auto s = drop(table, parts_[table].front(), "database over its size cap"); !s)
          return s.error();
        return true;
      }
  }
  return false;
}

Status PgHistoryStore::run_retention() {
  auto r = call_now<bool>([this]() -> Result<bool> {
    if (!db_) return db_error("not connected");
    for (int i = 0; i < 10'000; ++i) {
      auto more = retention_step();
      if (!more) return more.error();
      if (!*more) return true;
    }
    return true;
  });
  if (!r) return r.error();
  return {};
}

}  // namespace weir::historian
