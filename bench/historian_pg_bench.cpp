// The historian's PostgreSQL store (src/historian/pg_history_store.*) against a naive PostgreSQL
// table (one row per value, primary key (tag, t), filled with binary COPY, 100,000 rows per
// transaction) in the same run, on a PostgreSQL 15 this program starts on loopback
// (tests/lib/pgserver.py, fsync on):
//  1. ingest: 100,000 tags, values in random tag order (each tag's values in time order);
//  2. trend: 1,000 buckets (M4) from 1,000,000 values of one tag;
//  3. with --big only (not in `make bench`: minutes of ingest): 100,000,000 values over 100 tags
//     through the store's own write path (1 s commits, a flush every 5,000,000 values so the queue
//     stays bounded), the tables' size, then with the store reopened (nothing from memory) the
//     trend of 1, 10 and 100 tags in one call (median of 15). The server's data directory goes
//     under `dir` (default: the temporary directory).
//
//  4. with --pages only: ingest with the default open-page budget (64 MB) and with one holding
//     every page (4096 MB), side by side (PagesWorkload in historian_workload.hpp).
//
//   build/release/bench/weir_historian_pg_bench [values_per_tag (default 20)] [--trend] [--big
//   [dir]] [--pages [minutes [step_s]]]
#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "historian/pg_copy.hpp"
#include "historian/pg_history_store.hpp"
#include "historian/pg_test_server.hpp"
#include "historian_workload.hpp"

namespace {

using namespace weir;
using namespace weir::historian;
using namespace weir::historian::bench;
std::string url_with_schema(const std::string& url, const char* schema) {
  PGconn* c = PQconnectdb(url.c_str());
  check(PQstatus(c) == CONNECTION_OK, "connect");
  PGresult* r = PQexec(c, (std::string("CREATE SCHEMA ") + schema).c_str());
  check(PQresultStatus(r) == PGRES_COMMAND_OK, "create schema");
  PQclear(r);
  PQfinish(c);
  return url + " options='-c search_path=" + schema + "'";
}

std::unique_ptr<PgHistoryStore> open_store(
    const std::string& url, std::chrono::milliseconds flush = std::chrono::seconds(1),
    double open_pages_mb = 64) {
  PgStoreOptions o;
  o.conninfo = url;
  o.flush_interval = flush;
  o.open_pages_bytes = static_cast<std::size_t>(open_pages_mb * 1048576);
  o.max_queue = 50'000'000;
  auto s = PgHistoryStore::open(o);
  check(bool(s), "open store");
  return std::move(*s);
}

struct Naive {
  PGconn* c;
  explicit Naive(const std::string& url) : c(PQconnectdb(url.c_str())) {
    check(PQstatus(c) == CONNECTION_OK, "naive connect");
    exec(
        "CREATE TABLE naive (tag integer NOT NULL, t bigint NOT NULL, v double precision, "
        "quality smallint NOT NULL, PRIMARY KEY (tag, t))");
  }
  ~Naive() { PQfinish(c); }
  void exec(const std::string& sql) {
    PGresult* r = PQexec(c, sql.c_str());
    const auto st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
      std::fprintf(stderr, "%s: %s\n", sql.c_str(), PQresultErrorMessage(r));
    check(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "naive exec");
    PQclear(r);
  }
  void copy(const std::vector<TaggedSample>& v, std::size_t from, std::size_t to) {
    PgCopyBuffer b;
    for (std::size_t i = from; i < to; ++i) {
      b.row(4);
      b.i32(static_cast<std::int32_t>(v[i].tag));
      b.i64(v[i].sample.source_ms);
      b.f64(std::get<double>(v[i].sample.value));
      b.i16(0);
    }
    exec("BEGIN");
    PGresult* r = PQexec(c, "COPY naive (tag, t, v, quality) FROM STDIN (FORMAT binary)");
    check(PQresultStatus(r) == PGRES_COPY_IN, "naive copy");
    PQclear(r);
    const std::string& data = b.finish();
    check(PQputCopyData(c, data.data(), static_cast<int>(data.size())) == 1, "put");
    check(PQputCopyEnd(c, nullptr) == 1, "end");
    while ((r = PQgetResult(c)) != nullptr) {
      check(PQresultStatus(r) == PGRES_COMMAND_OK, "copy result");
      PQclear(r);
    }
    exec("COMMIT");
  }
};

void ingest(const std::string& url, int per_tag) {
  const std::uint32_t tags = 100'000;
  auto values = random_order(tags, per_tag);
  std::printf("== ingest into PostgreSQL: %u tags, %zu values in random tag order ==\n", tags,
              values.size());
  double store_rate = 0, naive_rate = 0;
  // The default flush interval (1 s: every commit rewrites the open chunk of every tag that got a
  // value) and 5 s (fewer, larger commits; a crash loses up to 5 s).
  for (const int flush_s : {1, 5}) {
    const std::string schema = "ingest" + std::to_string(flush_s);
    auto store = open_store(url_with_schema(url, schema.c_str()), std::chrono::seconds(flush_s));
    std::vector<TagDef> defs;
    for (std::uint32_t k = 0; k < tags; ++k)
      defs.push_back({"Plant@T" + std::to_string(k), ValueKind::float_});
    const auto def_start = SteadyClock::now();
    store->define_tags(std::move(defs));
    check(bool(store->flush()), "define");
    std::printf("(100,000 tags defined in %.3f s)\n", seconds_since(def_start));
    const auto start = SteadyClock::now();
    const std::size_t batch = 5'000;
    for (std::size_t i = 0; i < values.size(); i += batch) {
      std::vector<TaggedSample> b(
          values.begin() + static_cast<std::ptrdiff_t>(i),
          values.begin() + static_cast<std::ptrdiff_t>(std::min(values.size(), i + batch)));
      store->append(std::move(b), {});
    }
    auto st0 = store->flush();
    if (!st0) std::fprintf(stderr, "%s\n", st0.error().message.c_str());
    check(bool(st0), "flush");
    const double s = seconds_since(start);
    const auto st = store->stats();
    check(st.dropped == 0 && st.stored == values.size(), "nothing dropped");
    if (flush_s == 1) store_rate = static_cast<double>(values.size()) / s;
    std::printf("historian store, flush every %d s: %8.3f s  %10.0f values/s  (%llu commits)\n",
                flush_s, s, static_cast<double>(values.size()) / s,
                static_cast<unsigned long long>(st.commits));
    const auto final_start = SteadyClock::now();
    check(bool(store->flush(true)), "final flush");
    std::printf(
        "                  + %.3f s to write the open chunks and 1 min / 1 h buckets of every tag "
        "(shutdown)\n",
        seconds_since(final_start));
  }
  {
    Naive naive(url_with_schema(url, "naive_ingest"));
    const auto start = SteadyClock::now();
    for (std::size_t i = 0; i < values.size(); i += 100'000)
      naive.copy(values, i, std::min(values.size(), i + 100'000));
    const double s = seconds_since(start);
    naive_rate = static_cast<double>(values.size()) / s;
    std::printf("naive table     : %8.3f s  %10.0f values/s  (binary COPY, 100,000 per tx)\n", s,
                naive_rate);
  }
  std::printf("ratio (flush 1 s): %.1fx\n\n", store_rate / naive_rate);
}

void trend(const std::string& url) {
  const int n = 1'000'000;
  std::printf("== trend on PostgreSQL: 1,000 buckets from %d values of one tag (1 s apart) ==\n",
              n);
  const auto values = one_tag_walk(n);
  const std::int64_t from = kT0, to = kT0 + n * 1000LL;
  double store_ms = 0, naive_ms = 0;
  {
    auto store = open_store(url_with_schema(url, "trend"));
    store->define_tags({{"Plant@LEVEL", ValueKind::float_}});
    store->append(values, {});
    check(bool(store->flush(true)), "flush");
    std::vector<double> times;
    std::string level;
    std::size_t buckets = 0;
    for (int i = 0; i < 30; ++i) {
      const auto start = SteadyClock::now();
      auto r = store->trend_now({{"Plant@LEVEL"}, from, to, 1000});
      times.push_back(seconds_since(start) * 1e3);
      check(bool(r), "trend");
      level = level_name((*r)[0].level);
      buckets = (*r)[0].buckets.size();
    }
    store_ms = median(times);
    std::printf("historian store : %8.3f ms median of 30 (%zu buckets from the %s rollup)\n",
                store_ms, buckets, level.c_str());
  }
  {
    Naive naive(url_with_schema(url, "naive_trend"));
    for (std::size_t i = 0; i < values.size(); i += 100'000)
      naive.copy(values, i, std::min(values.size(), i + 100'000));
    naive.exec("ANALYZE naive");
    const std::int64_t width = output_width(from, to, 1000);
    const std::string sql =
        "SELECT (t - " + std::to_string(from) + ") / " + std::to_string(width) +
        " AS b, min(v), max(v), count(*), sum(v), min(t), max(t) FROM naive WHERE tag = 0 AND t "
        ">= " +
        std::to_string(from) + " AND t < " + std::to_string(to) + " GROUP BY b ORDER BY b";
    std::vector<double> times;
    for (int i = 0; i < 5; ++i) {
      const auto start = SteadyClock::now();
      PGresult* r = PQexec(naive.c, sql.c_str());
      times.push_back(seconds_since(start) * 1e3);
      check(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1000, "naive buckets");
      PQclear(r);
    }
    naive_ms = median(times);
    std::printf("naive table     : %8.3f ms median of 5 (GROUP BY over the rows)\n", naive_ms);
  }
  std::printf("ratio           : %.0fx faster\n\n", naive_ms / store_ms);
}

// A number from a one-value query.
double scalar(PGconn* c, const std::string& sql) {
  PGresult* r = PQexec(c, sql.c_str());
  check(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1, "scalar query");
  const double v = std::atof(PQgetvalue(r, 0, 0));
  PQclear(r);
  return v;
}

// 100,000,000 values over 100 tags, generated and handed over in batches (never all in memory).
void big(const std::string& server_url) {
  BigWorkload w;
  std::printf(
      "== big on PostgreSQL: %u tags x %d values (1 s apart, %.1f days) = %.0f M values ==\n",
      w.tags, w.per_tag, w.per_tag / 86400.0, w.values() / 1e6);
  const std::string url = url_with_schema(server_url, "big");
  w.ingest(*open_store(url));
  {
    PGconn* c = PQconnectdb(url.c_str());
    check(PQstatus(c) == CONNECTION_OK, "connect");
    const double n = w.values();
    const double total = scalar(
        c,
        "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = "
        "c.relnamespace WHERE c.relkind = 'r' AND c.relname LIKE 'history\\_%' AND n.nspname = "
        "current_schema()");
    const double chunks = scalar(c, "SELECT sum(octet_length(data)) FROM history_chunks");
    const double pages = scalar(c,
                                "SELECT (SELECT sum(octet_length(data)) FROM history_pages_1m) + "
                                "(SELECT sum(octet_length(data)) FROM history_pages_1h)");
    const double rows = scalar(c, "SELECT count(*) FROM history_pages_1m");
    std::printf(
        "size            : tables %.1f MB (%.2f B/value, indexes and TOAST included); chunk data "
        "%.2f B/value, rollup pages %.2f B/value (%.0f 1 min pages)\n",
        total / 1e6, total / n, chunks / n, pages / n, rows);
    PQfinish(c);
  }
  {
    w.trends(*open_store(url));  // reopened: nothing from memory
  }
  std::printf("(no naive table here: 100 M rows at its rate would take 10-50 min to write)\n");
}

}  // namespace

int main(int argc, char** argv) {
  int per_tag = 20;
  bool trend_only = false;
  std::optional<std::string> big_dir;
  std::optional<PagesWorkload> pages;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--pages") {
      pages.emplace();
      if (i + 1 < argc) pages->minutes = std::max(1, std::atoi(argv[++i]));
      if (i + 1 < argc) pages->step_s = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--trend") {
      trend_only = true;
    } else if (a == "--big") {
      big_dir = i + 1 < argc && argv[i + 1][0] != '-' ? std::string(argv[++i]) : std::string();
    } else {
      per_tag = std::max(1, std::atoi(a.c_str()));
    }
  }
  spdlog::set_level(spdlog::level::warn);
  if (big_dir && !big_dir->empty())
    ::setenv("TMPDIR", big_dir->c_str(), 1);  // pgserver.py's mkdtemp
  testing::PgTestServer server(WEIR_PGSERVER_PY, /*durable=*/true);
  if (server.url().empty()) {
    std::fprintf(stderr, "no PostgreSQL 15: %s\n", server.error().c_str());
    return 1;
  }
  if (big_dir) return big(server.url()), 0;
  if (pages) {
    pages->each_budget({64, 4096}, [&](double mb) {
      const std::string schema = "pages" + std::to_string(static_cast<int>(mb));
      auto store =
          open_store(url_with_schema(server.url(), schema.c_str()), std::chrono::seconds(1), mb);
      pages->ingest(*store, mb);
    });
    return 0;
  }
  if (!trend_only) ingest(server.url(), per_tag);
  trend(server.url());
  return 0;
}
