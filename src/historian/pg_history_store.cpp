#include "historian/pg_history_store.hpp"

#include <libpq-fe.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <ctime>
#include <future>
#include <limits>
#include <pqxx/pqxx>
#include <random>
#include <tuple>
#include <utility>

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
CREATE TABLE IF NOT EXISTS history_pages_1m (
  tag bigint NOT NULL, writer bigint NOT NULL, page_ms bigint NOT NULL, n integer NOT NULL,
  data bytea NOT NULL, PRIMARY KEY (tag, writer, page_ms)) PARTITION BY RANGE (page_ms);
CREATE TABLE IF NOT EXISTS history_pages_1h (
  tag bigint NOT NULL, writer bigint NOT NULL, page_ms bigint NOT NULL, n integer NOT NULL,
  data bytea NOT NULL, PRIMARY KEY (tag, writer, page_ms)) PARTITION BY RANGE (page_ms);
CREATE TABLE IF NOT EXISTS history_events (
  id bigserial NOT NULL, time_ms bigint NOT NULL, kind text NOT NULL, source text NOT NULL,
  detail text NOT NULL, writer bigint NOT NULL) PARTITION BY RANGE (time_ms);
CREATE INDEX IF NOT EXISTS history_events_id ON history_events (id);
ALTER TABLE history_writers ADD COLUMN IF NOT EXISTS closed_ms bigint;
CREATE TABLE IF NOT EXISTS history_layout (version integer NOT NULL);
)sql";

// Layout 1: one row per rollup bucket (history_rollup_1m / _1h); 2: rollup pages.
constexpr int kLayout = 2;

// Per connection: staging tables emptied at each commit.
constexpr const char* kStaging = R"sql(
CREATE TEMP TABLE IF NOT EXISTS stage_open (
  tag bigint, t0 bigint, t1 bigint, n integer, data bytea) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS stage_pages (
  level smallint, tag bigint, writer bigint, page_ms bigint, n integer, data bytea)
  ON COMMIT DELETE ROWS;
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
                                {"history_pages_1m", "page_ms"},
                                {"history_pages_1h", "page_ms"},
                                {"history_events", "time_ms"}};
constexpr std::size_t kChunksT = 0, kRollup1mT = 1, kRollup1hT = 2, kEventsT = 3;

std::int64_t part_width(std::size_t table, std::int64_t partition_ms) {
  switch (table) {
    case kRollup1mT:  // 7 partitions' worth, whole pages (hours)
      return std::max<std::int64_t>(3'600'000, partition_ms * 7 / 3'600'000 * 3'600'000);
    case kRollup1hT:  // 64 partitions' worth, whole pages (days)
      return std::max<std::int64_t>(86'400'000, partition_ms * 64 / 86'400'000 * 86'400'000);
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

const char* pages_table(Level level) {
  return level == Level::m1 ? "history_pages_1m" : "history_pages_1h";
}
std::size_t pages_part(Level level) {
  return level == Level::m1 ? kRollup1mT : kRollup1hT;
}
int level_index(Level level) {
  return level == Level::m1 ? 0 : 1;
}
constexpr std::array<Level, 2> kStoredLevels{Level::m1, Level::h1};

// Writer $1's pages of `level` for the pairs (tag $2[i], page_ms $3[i]) (bigint arrays, as text):
// (tag, page_ms, data) in binary.
std::string stored_pages_sql(Level level) {
  return std::string("SELECT tag, page_ms, data FROM ") + pages_table(level) +
         " WHERE writer = $1 AND (tag, page_ms) IN (SELECT * FROM unnest($2::bigint[], "
         "$3::bigint[]))";
}

// A writer's pages from stage_pages into their table: each (tag, writer, page) once per batch.
std::string pages_upsert(Level level) {
  return std::string("INSERT INTO ") + pages_table(level) +
         " (tag, writer, page_ms, n, data) SELECT tag, writer, page_ms, n, data FROM stage_pages "
         "WHERE level = " +
         std::to_string(static_cast<int>(level)) +
         " ON CONFLICT (tag, writer, page_ms) DO UPDATE SET n = EXCLUDED.n, data = EXCLUDED.data";
}

// Big-endian integers of binary result fields.
std::int64_t be_i64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return static_cast<std::int64_t>(v);
}
std::int32_t be_i32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return static_cast<std::int32_t>(v);
}

// The two 32-bit halves of a writer id: the key of its session advisory lock (the two-key form
// is a lock space apart from kDdlLock's).
std::string writer_lock_key(std::int64_t w) {
  return std::to_string(static_cast<std::int32_t>(static_cast<std::uint64_t>(w) >> 32)) + ", " +
         std::to_string(static_cast<std::int32_t>(static_cast<std::uint64_t>(w) & 0xffffffffu));
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
  // A query with text parameters and results in binary (bytea as its bytes, no hex to decode).
  struct Binary {
    PGresult* res = nullptr;
    Binary() = default;
    Binary(Binary&& o) noexcept : res(std::exchange(o.res, nullptr)) {}
    Binary& operator=(Binary&& o) noexcept {
      std::swap(res, o.res);
      return *this;
    }
    ~Binary() {
      if (res) PQclear(res);
    }
    int size() const { return PQntuples(res); }
    std::int64_t i64(int row, int col) const { return be_i64(PQgetvalue(res, row, col)); }
    std::int32_t i32(int row, int col) const { return be_i32(PQgetvalue(res, row, col)); }
    double f64(int row, int col) const { return std::bit_cast<double>(i64(row, col)); }
    bool boolean(int row, int col) const { return PQgetvalue(res, row, col)[0] != 0; }
    std::span<const std::uint8_t> bytes(int row, int col) const {
      return {reinterpret_cast<const std::uint8_t*>(PQgetvalue(res, row, col)),
              static_cast<std::size_t>(PQgetlength(res, row, col))};
    }
  };
  Result<Binary> binary(const std::string& sql, const std::vector<std::string>& params = {}) {
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p.c_str());
    Binary b;
    b.res = PQexecParams(w, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                         nullptr, nullptr, 1);
    if (PQresultStatus(b.res) != PGRES_TUPLES_OK) {
      std::string msg = PQresultErrorMessage(b.res);
      while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
      return db_error(msg);
    }
    return b;
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
      clock_(options_.clock ? *options_.clock : SystemClock::instance()),
      budget_(options_.open_pages_bytes) {
  std::random_device rd;
  const std::uint64_t hi = rd(), lo = rd();
  writer_id_ = static_cast<std::int64_t>(((hi << 32) | lo) & 0x7fffffffffffffffULL);
  if (writer_id_ == 0) writer_id_ = 1;
  if (options_.node.empty()) {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    options_.node = host;  // the same every run: a restart recovers what a kill -9 left open
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
      if (db_ && recovery_pending_ && now >= next_recovery_) {  // a writer that was still locked
        next_recovery_ = now + std::chrono::seconds(2);
        if (auto st = recover_dead_writers(); !st) {
          spdlog::error("historian: recovering the writers of earlier runs (again in a minute): {}",
                        st.error().message);
          next_recovery_ = now + std::chrono::minutes(1);
        }
      }
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
  if (st) st = db->exec(kStaging);
  db_ = std::move(db);  // the layout check and migration use the store's partition helpers
  for (std::size_t t = 0; st && t < parts_.size(); ++t) st = refresh_partitions(t);
  if (st) st = migrate_layout();
  if (st) st = db_->exec("COMMIT");
  const std::int64_t now = to_unix_ms(clock_.now());
  if (st) {
    // The session lock says "alive" to other stores looking for dead writers to recover.
    char* node = PQescapeLiteral(db_->w, options_.node.data(), options_.node.size());
    // try: after a lost connection the server may not have noticed the old session yet (it
    // holds the lock until then); waiting for it could take as long as TCP keepalive.
    auto locked = db_->rows("SELECT pg_try_advisory_lock(" + writer_lock_key(writer_id_) + ")");
    if (!locked)
      st = locked.error();
    else if ((*locked)[0][0] != "t")
      spdlog::warn("historian: writer {}'s lock is still held by its previous connection",
                   writer_id_);
    if (st)
      st = db_->exec("INSERT INTO history_writers (id, node, started_ms, seen_ms) VALUES (" +
                     std::to_string(writer_id_) + ", " + node + ", " + std::to_string(now) + ", " +
                     std::to_string(now) +
                     ") ON CONFLICT (id) DO UPDATE SET seen_ms = EXCLUDED.seen_ms");
    PQfreemem(node);
  }
  if (!st) return fail(st.error().message);
  ids_pending_ = true;
  if (auto s = resolve_ids(); !s) return fail(s.error().message);
  backoff_ = std::chrono::milliseconds(1000);
  connected_ = true;
  {
    std::lock_guard lk(mu_);
    last_error_.clear();
  }
  spdlog::info("historian: connected to PostgreSQL (writer {}, node {})", writer_id_,
               options_.node);
  recovery_pending_ = true;
  if (auto s = recover_dead_writers(); !s)
    spdlog::error("historian: recovering the writers of earlier runs: {}", s.error().message);
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

// ---- layout and recovery -----------------------------------------------------------------------

// Inside the schema transaction (DDL lock held). A database without a layout row is new or of
// layout 1; layout 1's rollup rows (history_rollup_1m / _1h, one per bucket, already merged across
// writers) become pages of writer 0 and the old tables go. A newer layout is refused.
Status PgHistoryStore::migrate_layout() {
  auto v = db_->rows("SELECT max(version) FROM history_layout");
  if (!v) return v.error();
  const std::string have = v->empty() ? std::string() : (*v)[0][0];
  if (!have.empty() && std::stoi(have) > kLayout)
    return db_error("the database has historian layout " + have + ", newer than this weir's (" +
                    std::to_string(kLayout) +
                    "): upgrade this weir, or point connection_env at another database");
  auto old = db_->rows(
      "SELECT to_regclass('history_rollup_1m') IS NOT NULL, "
      "to_regclass('history_rollup_1h') IS NOT NULL");
  if (!old) return old.error();
  const bool has_old = (*old)[0][0] == "t" || (*old)[0][1] == "t";
  if (!have.empty()) {
    if (has_old)
      spdlog::warn(
          "historian: history_rollup_1m / _1h reappeared in a database of layout {} (a weir of "
          "the previous version writing to it?): their rows are not read; upgrade that node",
          have);
    return {};
  }
  if (has_old) {
    spdlog::warn(
        "historian: database of layout 1 (one row per rollup bucket): converting its rollups to "
        "pages (layout {})",
        kLayout);
    const std::int64_t now = to_unix_ms(clock_.now());
    std::uint64_t buckets = 0, pages = 0;
    for (const Level level : kStoredLevels) {
      const std::string table = level == Level::m1 ? "history_rollup_1m" : "history_rollup_1h";
      if ((*old)[0][level_index(level)] != "t") continue;
      Status st = db_->exec(
          "DECLARE weir_migrate NO SCROLL CURSOR FOR SELECT tag, start_ms, count, sum, first, "
          "first_ms, last, last_ms, min, min_ms, max, max_ms FROM " +
          table + " ORDER BY tag, start_ms");
      std::vector<PageOut> out;
      std::vector<Bucket> page;
      std::int64_t tag = 0;
      auto close_page = [&] {
        if (page.empty()) return;
        const std::int64_t start = page_start(level, page.front().start_ms);
        out.push_back({nullptr, tag, level, page_of(level, start, page)});
        page.clear();
      };
      auto write = [&]() -> Status {
        for (const auto& p : out)
          if (auto s = ensure_partition(pages_part(level), p.page.start); !s) return s;
        pages += out.size();
        auto s = upsert_pages(0, out);
        out.clear();
        return s;
      };
      while (st) {
        auto rows = db_->binary("FETCH 50000 FROM weir_migrate");
        if (!rows) return rows.error();
        if (rows->size() == 0) break;
        for (int i = 0; i < rows->size(); ++i) {
          Bucket b;
          b.start_ms = rows->i64(i, 1);
          b.count = static_cast<std::uint64_t>(rows->i64(i, 2));
          b.sum = rows->f64(i, 3);
          b.first = rows->f64(i, 4), b.first_ms = rows->i64(i, 5);
          b.last = rows->f64(i, 6), b.last_ms = rows->i64(i, 7);
          b.min = rows->f64(i, 8), b.min_ms = rows->i64(i, 9);
          b.max = rows->f64(i, 10), b.max_ms = rows->i64(i, 11);
          if (!page.empty() &&
              (rows->i64(i, 0) != tag ||
               page_start(level, b.start_ms) != page_start(level, page.front().start_ms)))
            close_page();
          tag = rows->i64(i, 0);
          page.push_back(b);
          ++buckets;
        }
        if (out.size() >= 5'000) st = write();
      }
      close_page();
      if (st) st = write();
      if (st) st = db_->exec("CLOSE weir_migrate");
      if (st) st = db_->exec("DROP TABLE " + table);
      if (!st) return st;
    }
    // The previous version's writers: their rollups are converted, nothing left to recover.
    Status st = db_->exec("UPDATE history_writers SET closed_ms = " + std::to_string(now) +
                          " WHERE closed_ms IS NULL");
    if (st)
      st = db_->exec(
          "INSERT INTO history_writers (id, node, started_ms, seen_ms, closed_ms) VALUES (0, "
          "'rollups of layout 1', " +
          std::to_string(now) + ", " + std::to_string(now) + ", " + std::to_string(now) +
          ") ON CONFLICT (id) DO NOTHING");
    if (!st) return st;
    spdlog::warn("historian: layout 1 converted: {} rollup buckets into {} pages", buckets, pages);
  }
  return db_->exec("INSERT INTO history_layout VALUES (" + std::to_string(kLayout) + ")");
}

// A writer of this node's earlier runs that is not closed and whose session lock is free died
// with buckets open (kill -9, power loss): those buckets are rebuilt from its stored chunks —
// per tag and level the bucket of its last stored value, from that bucket's start to the value —
// and merged into its pages; its open chunks move into the partitions; it is marked closed. One
// transaction per writer, holding its lock and its row, so two stores never do it twice. A writer
// still locked (alive, or its connection not yet noticed dead) is tried again later.
Status PgHistoryStore::recover_dead_writers() {
  if (!recovery_pending_ || !db_) return {};
  char* node = PQescapeLiteral(db_->w, options_.node.data(), options_.node.size());
  auto ids = db_->rows("SELECT id FROM history_writers WHERE closed_ms IS NULL AND id <> " +
                       std::to_string(writer_id_) + " AND node = " + node + " ORDER BY id");
  PQfreemem(node);
  if (!ids) return ids.error();
  bool waiting = false;
  for (const auto& row : *ids) {
    const std::int64_t dead = std::stoll(row[0]);
    const std::string w = std::to_string(dead);
    Status st = db_->exec("BEGIN");
    auto free = db_->rows("SELECT pg_try_advisory_xact_lock(" + writer_lock_key(dead) + ")");
    if (st && !free) st = free.error();
    if (st && (*free)[0][0] != "t") {  // alive
      waiting = true;
      (void)db_->exec("ROLLBACK");
      continue;
    }
    auto open = db_->rows("SELECT 1 FROM history_writers WHERE id = " + w +
                          " AND closed_ms IS NULL FOR UPDATE");
    if (st && !open) st = open.error();
    if (st && open->empty()) {  // another store just did it
      (void)db_->exec("ROLLBACK");
      continue;
    }
    // Per tag the open chunk and the chunks ending in its last value's hour, in time order; 500
    // tags at a time (a busy tag's hour is ~32 KB of chunks: memory stays bounded).
    constexpr int kBatch = 500;
    std::size_t rebuilt_n = 0, tags_n = 0;
    std::int64_t after = std::numeric_limits<std::int64_t>::min();
    for (bool more = bool(st); more;) {
      auto chunks = db_->binary(
          "WITH o AS (SELECT tag, writer, t0, t1, n, data FROM history_open_chunks WHERE writer = "
          "$1 AND tag > $2 ORDER BY tag LIMIT " +
              std::to_string(kBatch) +
              ") SELECT o.tag, o.t1, c.t0, c.n, c.data FROM o CROSS JOIN LATERAL (SELECT h.t0, "
              "h.n, h.data FROM history_chunks h WHERE h.tag = o.tag AND h.writer = o.writer AND "
              "h.t1 >= o.t1 - ((o.t1 % 3600000) + 3600000) % 3600000 UNION ALL SELECT o.t0, o.n, "
              "o.data) c ORDER BY o.tag, c.t0",
          {w, std::to_string(after)});
      if (!chunks) {
        st = chunks.error();
        break;
      }
      struct Rebuilt {
        std::int64_t tag;
        Level level;
        Bucket bucket;
      };
      std::vector<Rebuilt> rebuilt;
      std::vector<std::int64_t> open_t1;
      std::string tags = "{", starts = "{";
      for (int i = 0; st && i < chunks->size();) {
        const std::int64_t tag = chunks->i64(i, 0), last = chunks->i64(i, 1);
        std::vector<Sample> samples;
        for (; i < chunks->size() && chunks->i64(i, 0) == tag; ++i) {
          auto c = decode_chunk(chunks->bytes(i, 4), chunks->i32(i, 3));
          if (!c) {
            st = c.error();
            break;
          }
          for (auto& x : c->samples) samples.push_back(std::move(x));
        }
        after = tag;
        open_t1.push_back(last);
        for (const Level level : kStoredLevels)
          if (auto b = open_bucket(level, samples, last)) {
            rebuilt.push_back({tag, level, *b});
            tags += (tags.size() > 1 ? "," : "") + std::to_string(tag);
            starts +=
                (starts.size() > 1 ? "," : "") + std::to_string(page_start(level, b->start_ms));
          }
      }
      tags += "}", starts += "}";
      more = open_t1.size() == static_cast<std::size_t>(kBatch);
      rebuilt_n += rebuilt.size();
      tags_n += open_t1.size();
      // Merged into the dead writer's pages (read here: only this transaction may write them).
      std::vector<PageOut> out;
      for (const Level level : kStoredLevels) {
        if (!st || rebuilt.empty()) break;
        auto stored = db_->binary(stored_pages_sql(level), {w, tags, starts});
        if (!stored) {
          st = stored.error();
          break;
        }
        std::map<std::pair<std::int64_t, std::int64_t>, std::span<const std::uint8_t>> by_page;
        for (int i = 0; i < stored->size(); ++i)
          by_page[{stored->i64(i, 0), stored->i64(i, 1)}] = stored->bytes(i, 2);
        for (const auto& r : rebuilt) {
          if (r.level != level) continue;
          const std::int64_t start = page_start(level, r.bucket.start_ms);
          std::vector<Bucket> existing;
          if (auto it = by_page.find({r.tag, start}); it != by_page.end()) {
            auto page = decode_page(level, start, it->second);
            if (!page) {
              st = page.error();
              break;
            }
            existing = std::move(*page);
          }
          const auto merged = merge_buckets(existing, std::span(&r.bucket, 1));
          out.push_back({nullptr, r.tag, level, page_of(level, start, merged)});
          if (st) st = ensure_partition(pages_part(level), start);
        }
      }
      if (st) st = upsert_pages(dead, out);
      for (const std::int64_t t1 : open_t1)
        if (st) st = ensure_partition(kChunksT, t1);
      more = more && bool(st);
    }
    if (st)
      st = db_->exec(
          "INSERT INTO history_chunks (tag, writer, t0, t1, n, data) SELECT tag, writer, t0, t1, "
          "n, data FROM history_open_chunks WHERE writer = " +
          w);
    if (st) st = db_->exec("DELETE FROM history_open_chunks WHERE writer = " + w);
    if (st)
      st = db_->exec("UPDATE history_writers SET closed_ms = " +
                     std::to_string(to_unix_ms(clock_.now())) + " WHERE id = " + w);
    if (st) st = db_->exec("COMMIT");
    if (!st) {
      (void)db_->exec("ROLLBACK");
      for (std::size_t t = 0; t < parts_.size(); ++t) (void)refresh_partitions(t);
      return st;
    }
    spdlog::warn(
        "historian: writer {} of an earlier run ended without closing (killed?): {} open rollup "
        "buckets of {} tags rebuilt from its stored values, its open chunks moved to the "
        "partitions",
        dead, rebuilt_n, tags_n);
  }
  recovery_pending_ = waiting;
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

// A closed 1 min / 1 h bucket into the tag's open page of its level. A bucket of a later page
// leaves the open page behind (written once more if it changed); one of an earlier page (late
// values) waits for the commit, which merges it into this writer's stored page.
void PgHistoryStore::add_bucket(TagState& t, const RollupAccumulator::Closed& c) {
  const int i = level_index(c.level);
  PageBuffer& page = t.pages[i];
  auto& slot = t.slots[i];
  const std::int64_t start = page_start(c.level, c.bucket.start_ms);
  const bool known = page.n > 0 || t.page_stored[i];  // page.start is a page's
  if (known && start < page.start) {
    late_.push_back({&t, c});
    return;
  }
  if (known && start > page.start) {
    if (t.page_dirty[i]) {
      pages_out_.push_back({&t, 0, c.level, std::move(page), t.page_stored[i]});
      std::erase_if(dirty_pages_, [&](const auto& d) { return d.first == &t && d.second == i; });
      t.page_dirty[i] = false;
    }
    budget_.released(slot);
    page = PageBuffer{};
    t.page_stored[i] = false;
  }
  if (page.n == 0) page.start = start;
  if (auto st = add_to_page(c.level, page, c.bucket); !st) {  // a page of our own making
    spdlog::error("historian: rollup page of {} dropped: {}", t.name, st.error().message);
    budget_.released(slot);
    page = PageBuffer{};
    return;
  }
  slot.owner = &t;
  slot.level = static_cast<std::size_t>(i);
  budget_.appended(slot, page.data.capacity());
  if (!t.page_dirty[i]) {
    t.page_dirty[i] = true;
    dirty_pages_.push_back({&t, i});
  }
}

// Upserts `pages` (tag ids resolved) as `writer`'s, one COPY and one upsert per level.
Status PgHistoryStore::upsert_pages(std::int64_t writer, std::vector<PageOut>& pages) {
  if (pages.empty()) return {};
  PgCopyBuffer buf;
  for (const auto& p : pages) {
    buf.row(6);
    buf.i16(static_cast<std::int16_t>(p.level));
    buf.i64(p.state ? p.state->id : p.tag);
    buf.i64(writer);
    buf.i64(p.page.start);
    buf.i32(static_cast<std::int32_t>(p.page.n));
    buf.bytes(p.page.data);
  }
  Status st = db_->copy(
      "COPY stage_pages (level, tag, writer, page_ms, n, data) FROM STDIN (FORMAT binary)", buf);
  for (const Level level : kStoredLevels)
    if (st) st = db_->exec(pages_upsert(level));
  if (st) st = db_->exec("DELETE FROM stage_pages");  // not TRUNCATE: no new file per commit
  return st;
}

// This commit's pages: the ones left behind and the open ones that changed, then the late
// buckets merged into this writer's stored pages (read after the upsert: it may have written
// them). Inside the commit's transaction.
Status PgHistoryStore::write_pages() {
  // Pages that left memory under the budget and received buckets again hold only those: merged
  // with their rows first (one read per level), then kept whole in memory.
  struct Reload {
    TagState* tag;
    int level;
    PageBuffer* page;
    bool* stored;
  };
  std::vector<Reload> reload;
  for (auto& p : pages_out_)
    if (p.stored) reload.push_back({p.state, level_index(p.level), &p.page, &p.stored});
  for (const auto& [t, i] : dirty_pages_)
    if (t->page_stored[i]) reload.push_back({t, i, &t->pages[i], &t->page_stored[i]});
  for (int li = 0; li < 2 && !reload.empty(); ++li) {
    const Level level = kStoredLevels[li];
    std::string tags = "{", starts = "{";
    std::map<std::pair<std::int64_t, std::int64_t>, std::vector<const Reload*>> want;
    for (const auto& r : reload) {
      if (r.level != li) continue;
      tags += (tags.size() > 1 ? "," : "") + std::to_string(r.tag->id);
      starts += (starts.size() > 1 ? "," : "") + std::to_string(r.page->start);
      want[{r.tag->id, r.page->start}].push_back(&r);
    }
    if (want.empty()) continue;
    auto stored = db_->binary(stored_pages_sql(level),
                              {std::to_string(writer_id_), tags + "}", starts + "}"});
    if (!stored) return stored.error();
    for (int row = 0; row < stored->size(); ++row) {
      auto it = want.find({stored->i64(row, 0), stored->i64(row, 1)});
      if (it == want.end()) continue;
      for (const Reload* r : it->second) {
        if (auto st = merge_with_stored(level, *r->page, stored->bytes(row, 2)); !st) return st;
        ++counters_.page_reloads;
        if (r->stored == &r->tag->page_stored[r->level])
          budget_.resized(r->tag->slots[r->level], r->page->data.capacity());
      }
    }
  }
  for (const auto& r : reload) *r.stored = false;  // kept merged even if this transaction fails
  std::vector<PageOut> out = pages_out_;
  for (const auto& [t, i] : dirty_pages_) out.push_back({t, 0, kStoredLevels[i], t->pages[i]});
  if (auto st = upsert_pages(writer_id_, out); !st) return st;
  if (late_.empty()) return {};
  std::map<std::tuple<Level, std::int64_t, std::int64_t>, std::vector<Bucket>> groups;
  for (const auto& [t, c] : late_)
    groups[{c.level, t->id, page_start(c.level, c.bucket.start_ms)}].push_back(c.bucket);
  out.clear();
  for (auto& [key, buckets] : groups) {
    const auto [level, tag, start] = key;
    std::stable_sort(buckets.begin(), buckets.end(),
                     [](const Bucket& a, const Bucket& b) { return a.start_ms < b.start_ms; });
    auto stored =
        db_->binary(std::string("SELECT data FROM ") + pages_table(level) +
                        " WHERE tag = $1 AND writer = $2 AND page_ms = $3",
                    {std::to_string(tag), std::to_string(writer_id_), std::to_string(start)});
    if (!stored) return stored.error();
    std::vector<Bucket> existing;
    if (stored->size() > 0) {
      auto page = decode_page(level, start, stored->bytes(0, 0));
      if (!page) return page.error();
      existing = std::move(*page);
    }
    const auto merged = merge_buckets(existing, buckets);
    out.push_back({nullptr, tag, level, page_of(level, start, merged)});
  }
  return upsert_pages(writer_id_, out);
}

void PgHistoryStore::ingest(const std::vector<TaggedSample>& samples, std::vector<Event>& events) {
  pending_samples_ += samples.size();
  const auto latest = add_samples(
      samples, by_index_, {options_.chunk_values, options_.chunk_ms}, dirty_,
      [this](TagState& t) { close_chunk(t); },
      [this](TagState& t, const RollupAccumulator::Closed& c) { add_bucket(t, c); });
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
  // Inside a transaction (a migration, a recovery) the partition comes with it.
  const bool outer = PQtransactionStatus(db_->w) == PQTRANS_INTRANS;
  Status st = outer ? Status{} : db_->exec("BEGIN");
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
    // A page (at most ~5.5 KB: 60 buckets) stays in its row uncompressed: a trend reads ~280
    // of them, and pglz-compressing floats gains little and costs the reads.
    const bool pages = table == kRollup1mT || table == kRollup1hT;
    st = db_->exec("CREATE TABLE " + name + " PARTITION OF " + kParts[table].name +
                   " FOR VALUES FROM (" + std::to_string(lo) + ") TO (" + std::to_string(hi) + ")" +
                   (pages ? " WITH (toast_tuple_target = 8160)" : ""));
    if (st) parts_[table].push_back({name, lo, hi});
  }
  if (st && !outer) st = db_->exec("COMMIT");
  if (!st) {
    if (outer) return st;  // the caller rolls back (and reconnects, refreshing the partitions)
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
        if (c.level != Level::s1) add_bucket(t, c);
      if (t.chunk) {  // shutdown: the open chunks become ordinary chunks
        close_chunk(t);
        if (!t.dirty) {
          t.dirty = true;
          dirty_.push_back(&t);
        }
      }
    }
  }
  if (dirty_.empty() && closed_.empty() && dirty_pages_.empty() && pages_out_.empty() &&
      late_.empty() && events_.empty() && pending_samples_ == 0 && !(final && db_))
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
    for (const auto& p : pages_out_) keys.emplace_back(pages_part(p.level), p.page.start);
    for (const auto& [t, i] : dirty_pages_)
      keys.emplace_back(pages_part(kStoredLevels[i]), t->pages[i].start);
    for (const auto& b : late_)
      keys.emplace_back(pages_part(b.b.level), page_start(b.b.level, b.b.bucket.start_ms));
    for (const auto& e : events_) keys.emplace_back(kEventsT, e.time_ms);
    for (auto [t, k] : keys)
      if (auto s = ensure_partition(t, k); !s) return s;
    return {};
  }();
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
  if (st) st = write_pages();
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
                   ", closed_ms = " + (final ? std::to_string(now) : std::string("NULL")) +
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
  pages_out_.clear();
  for (auto& [t, i] : dirty_pages_) t->page_dirty[i] = false;
  dirty_pages_.clear();
  late_.clear();
  events_.clear();
  evict_pages();
  counters_.committed(pending_samples_, pending_events_, pending_max_server_ms_);
  pending_samples_ = pending_events_ = 0;
  return {};
}

void PgHistoryStore::evict_pages() {
  counters_.page_evictions += budget_.evict([](PageBudget<TagState>::Slot& s) {
    TagState& t = *s.owner;
    PageBuffer gone;  // written: its row holds it; a bucket of it again is merged with the row
    gone.start = t.pages[s.level].start;
    t.pages[s.level] = std::move(gone);
    t.page_stored[s.level] = true;
  });
  counters_.page_bytes = budget_.bytes();
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
// Chunks of one tag overlapping [from, to), closed and open ones, in t0 order.
constexpr const char* kChunksSql =
    "SELECT t0, n, data, writer FROM history_chunks WHERE tag = $1 AND t1 >= $2 AND t0 < $3 "
    "UNION ALL SELECT t0, n, data, writer FROM history_open_chunks WHERE tag = $1 AND t1 >= $2 "
    "AND t0 < $3 ORDER BY 1, 4";  // the same order every time: pages of equal times stay apart
constexpr std::size_t kMaxRawScan = 5'000'000;

// Calls `each` with a tag's samples in [from, to) in time order. Chunks of several writers may
// overlap in time: samples are held back until no later chunk can start before them.
template <class F>
Status each_sample(PgHistoryStore::Db& db, std::int64_t tag, std::int64_t from, std::int64_t to,
                   F&& each) {
  auto rows =
      db.binary(kChunksSql, {std::to_string(tag), std::to_string(from), std::to_string(to)});
  if (!rows) return rows.error();
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
  for (int i = 0; i < rows->size(); ++i) {
    const std::int64_t t0 = rows->i64(i, 0);
    if (!held.empty() && !release(t0)) return {};
    auto chunk = decode_chunk(rows->bytes(i, 2), rows->i32(i, 1));
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
  auto st = each_sample(*db_, tag, from_ms, to_ms, [&](Sample s) {
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
    auto st = each_sample(*db_, *id, from, q.to_ms, [&](Sample x) {
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
      // Every writer's pages holding buckets that start in (from - lw, to), in binary; each
      // decoded straight into the list, then the writers' buckets of one start merged.
      auto pages =
          db_->binary(std::string("SELECT page_ms, data FROM ") + pages_table(level) +
                          " WHERE tag = $1 AND page_ms > $2 AND page_ms < $3 ORDER BY "
                          "page_ms, writer",
                      {std::to_string(*id), std::to_string(q.from_ms - lw - page_ms(level)),
                       std::to_string(q.to_ms)});
      if (!pages) return pages.error();
      std::vector<Bucket> buckets;
      for (int i = 0; i < pages->size(); ++i)
        if (auto st = decode_page_into(level, pages->i64(i, 0), pages->bytes(i, 1), buckets); !st)
          return st.error();
      merge_runs(buckets);
      std::erase_if(buckets, [&](const Bucket& b) {
        return b.start_ms <= q.from_ms - lw || b.start_ms >= q.to_ms;
      });
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
      // A page partition's rows hold buckets up to one page past its upper bound.
      const std::int64_t reach = table == kRollup1mT   ? page_ms(Level::m1)
                                 : table == kRollup1hT ? page_ms(Level::h1)
                                                       : 0;
      for (const auto& p : parts)
        if (p.hi + reach <= now - age)
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
