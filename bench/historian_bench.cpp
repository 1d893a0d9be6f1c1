// The historian's store against a naive SQLite table (one row per value, primary key (tag, time),
// WAL, batched transactions) in the same run:
//  1. ingest: 100,000 tags, values in random tag order (each tag's values in time order);
//  2. trend: 1,000 buckets (M4) from 1,000,000 values of one tag;
//  3. bytes per stored value: a random walk and demo-like data (tank level ramps, pump and
//     door states).
//
//  4. with --big only (not in `make bench`: about 1 GB written, minutes): 100,000,000 values over
//     100 tags (1,000,000 each, 1 s apart), then trends of 1,000 points: one tag, 10 and 100 tags
//     in one call; ingest rate, file size and bytes per value.
//
//  5. with --pages only: ingest with the default open-page budget (64 MB) and with one holding
//     every page (4096 MB), side by side (PagesWorkload in historian_workload.hpp).
//
//   build/release/bench/weir_historian_bench [values_per_tag (default 20)] [--trend | --ingest]
//                                            [--big [dir]] [--pages [minutes [step_s]]]
// --trend: the trend case only; --ingest: the ingest case only (store and naive table);
// --ingest-store: the store's ingest only (profiling).
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "historian/sqlite_history_store.hpp"
#include "historian_workload.hpp"
#include "storage/database.hpp"
#include "storage/statement.hpp"

namespace {

using namespace weir;
using namespace weir::historian;
using namespace weir::historian::bench;
std::filesystem::path temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "weir-hbench-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) std::abort();
  return pattern;
}

std::unique_ptr<SqliteHistoryStore> open_store(const std::filesystem::path& p,
                                               double open_pages_mb = 64) {
  SqliteStoreOptions o;
  o.max_queue = 50'000'000;
  o.open_pages_bytes = static_cast<std::size_t>(open_pages_mb * 1048576);
  auto s = SqliteHistoryStore::open(p, o);
  check(bool(s), "open store");
  return std::move(*s);
}

std::unique_ptr<storage::Database> open_naive(const std::filesystem::path& p) {
  auto db = storage::Database::open(p);
  check(bool(db), "open naive");
  check(bool((*db)->exec("CREATE TABLE IF NOT EXISTS naive (tag INTEGER NOT NULL, t INTEGER NOT "
                         "NULL, v REAL, quality INTEGER NOT NULL, PRIMARY KEY (tag, t))")),
        "naive schema");
  return std::move(*db);
}

std::uint64_t used_bytes(storage::Database& db) {
  auto q = [&](const char* sql) {
    auto s = db.prepare(sql);
    (void)s->step();
    return s->int64(0);
  };
  return static_cast<std::uint64_t>((q("PRAGMA page_count") - q("PRAGMA freelist_count")) *
                                    q("PRAGMA page_size"));
}

void ingest(int per_tag, bool naive_too) {
  const std::uint32_t tags = 100'000;
  auto values = random_order(tags, per_tag);
  std::printf("== ingest: %u tags, %zu values in random tag order ==\n", tags, values.size());
  const auto dir = temp_dir();
  double store_rate = 0, naive_rate = 0;
  {
    auto store = open_store(dir / "history.db");
    std::vector<TagDef> defs;
    for (std::uint32_t k = 0; k < tags; ++k)
      defs.push_back({"Plant@T" + std::to_string(k), ValueKind::float_});
    store->define_tags(std::move(defs));
    check(bool(store->flush()), "define");
    const auto start = SteadyClock::now();
    const std::size_t batch = 5'000;  // what the module hands over per tick at 100 k values/s
    for (std::size_t i = 0; i < values.size(); i += batch) {
      std::vector<TaggedSample> b(
          values.begin() + static_cast<std::ptrdiff_t>(i),
          values.begin() + static_cast<std::ptrdiff_t>(std::min(values.size(), i + batch)));
      store->append(std::move(b), {});
    }
    check(bool(store->flush()), "flush");
    const double s = seconds_since(start);
    const auto st = store->stats();
    check(st.dropped == 0 && st.stored == values.size(), "nothing dropped");
    store_rate = static_cast<double>(values.size()) / s;
    std::printf("historian store : %8.3f s  %10.0f values/s  (%llu commits: chunks)\n", s,
                store_rate, static_cast<unsigned long long>(st.commits));
    const auto final_start = SteadyClock::now();
    check(bool(store->flush(true)), "final flush");
    const double final_s = seconds_since(final_start);
    std::printf(
        "                  + %.3f s to write the open 1 min and 1 h buckets of every tag "
        "(shutdown)\n",
        final_s);
    std::printf("counting it     : %8.3f s  %10.0f values/s (until everything is committed)\n",
                s + final_s, static_cast<double>(values.size()) / (s + final_s));
  }
  if (naive_too) {
    auto db = open_naive(dir / "naive.db");
    const auto start = SteadyClock::now();
    const std::size_t batch = 100'000;
    for (std::size_t i = 0; i < values.size(); i += batch) {
      auto tx = storage::Transaction::begin(*db);
      check(bool(tx), "begin");
      for (std::size_t j = i; j < std::min(values.size(), i + batch); ++j) {
        auto ins = db->prepare("INSERT INTO naive(tag, t, v, quality) VALUES (?, ?, ?, 0)");
        check(bool(ins->bind_all(values[j].tag, values[j].sample.source_ms,
                                 std::get<double>(values[j].sample.value))
                       .run()),
              "insert");
      }
      check(bool(tx->commit()), "commit");
    }
    const double s = seconds_since(start);
    naive_rate = static_cast<double>(values.size()) / s;
    std::printf("naive table     : %8.3f s  %10.0f values/s\n", s, naive_rate);
  }
  if (naive_too) std::printf("ratio           : %.1fx\n", store_rate / naive_rate);
  std::printf("\n");
  std::filesystem::remove_all(dir);
}

void trend() {
  const int n = 1'000'000;
  std::printf("== trend: 1,000 buckets from %d values of one tag (1 s apart, %.1f days) ==\n", n,
              n / 86400.0);
  const auto dir = temp_dir();
  const auto values = one_tag_walk(n);
  const std::int64_t from = kT0, to = kT0 + n * 1000LL;
  double store_ms = 0, naive_ms = 0;
  {
    auto store = open_store(dir / "history.db");
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
    auto db = open_naive(dir / "naive.db");
    auto tx = storage::Transaction::begin(*db);
    for (const auto& s : values) {
      auto ins = db->prepare("INSERT INTO naive(tag, t, v, quality) VALUES (0, ?, ?, 0)");
      (void)ins->bind_all(s.sample.source_ms, std::get<double>(s.sample.value)).run();
    }
    check(bool(tx->commit()), "commit");
    std::vector<double> times;
    const std::int64_t width = output_width(from, to, 1000);
    for (int i = 0; i < 5; ++i) {
      const auto start = SteadyClock::now();
      auto q = db->prepare(
          "SELECT (t - ?1) / ?2 AS b, min(v), max(v), count(*), sum(v), min(t), max(t) FROM naive "
          "WHERE tag = 0 AND t >= ?1 AND t < ?3 GROUP BY b ORDER BY b");
      q->bind_all(from, width, to);
      std::size_t rows = 0;
      (void)q->each([&](const storage::Statement&) { ++rows; });
      times.push_back(seconds_since(start) * 1e3);
      check(rows == 1000, "naive buckets");
    }
    naive_ms = median(times);
    std::printf("naive table     : %8.3f ms median of 5 (GROUP BY over the rows)\n", naive_ms);
  }
  std::printf("ratio           : %.0fx faster\n\n", naive_ms / store_ms);
  std::filesystem::remove_all(dir);
}

void bytes_per_value(const char* name, std::uint32_t tags, const std::vector<TaggedSample>& values,
                     std::vector<TagDef> defs) {
  const auto dir = temp_dir();
  std::uint64_t total = 0, chunk_bytes = 0, naive = 0;
  {
    auto store = open_store(dir / "history.db");
    store->define_tags(std::move(defs));
    store->append(values, {});
    check(bool(store->flush(true)), "flush");
  }
  {
    auto db = storage::Database::open(dir / "history.db");
    total = used_bytes(**db);
    auto s = (*db)->prepare("SELECT sum(length(data)) FROM chunks");
    (void)s->step();
    chunk_bytes = static_cast<std::uint64_t>(s->int64(0));
  }
  {
    auto db = open_naive(dir / "naive.db");
    auto tx = storage::Transaction::begin(*db);
    for (const auto& s : values) {
      auto ins = db->prepare("INSERT INTO naive(tag, t, v, quality) VALUES (?, ?, ?, 0)");
      const auto v = numeric(s.sample.value);
      (void)ins->bind_all(s.tag, s.sample.source_ms, v.value_or(0)).run();
    }
    (void)tx->commit();
    naive = used_bytes(*db);
  }
  const double n = static_cast<double>(values.size());
  std::printf(
      "%-28s: chunks %5.2f B/value, whole file (with rollups, indexes) %5.2f B/value; "
      "naive table %5.2f B/value (%u tags, %zu values)\n",
      name, chunk_bytes / n, total / n, naive / n, tags, values.size());
  std::filesystem::remove_all(dir);
}

void bytes() {
  std::printf("== bytes per stored value ==\n");
  {  // random walk: 100 tags x 10,000 values at 1 s, 2 decimals
    std::vector<TaggedSample> values;
    std::vector<TagDef> defs;
    std::mt19937 rng(5);
    std::normal_distribution<double> step(0, 0.3);
    for (std::uint32_t k = 0; k < 100; ++k) {
      defs.push_back({"W@T" + std::to_string(k), ValueKind::float_});
      double v = 50;
      for (int i = 0; i < 10'000; ++i) {
        v += step(rng);
        values.push_back(
            {k, Sample{kT0 + i * 1000LL + 3, kT0 + i * 1000LL + 5, std::round(v * 100) / 100}});
      }
    }
    bytes_per_value("random walk (2 decimals)", 100, values, std::move(defs));
  }
  {  // raw doubles: a random walk at full precision
    std::vector<TaggedSample> values;
    std::vector<TagDef> defs;
    std::mt19937 rng(6);
    std::normal_distribution<double> step(0, 0.3);
    for (std::uint32_t k = 0; k < 100; ++k) {
      defs.push_back({"W@T" + std::to_string(k), ValueKind::float_});
      double v = 50;
      for (int i = 0; i < 10'000; ++i) {
        v += step(rng);
        values.push_back({k, Sample{kT0 + i * 1000LL, kT0 + i * 1000LL + 1, v}});
      }
    }
    bytes_per_value("random walk (full doubles)", 100, values, std::move(defs));
  }
  {  // the demo plant: tank level ramps 0.5 per 100 ms tick, pump and door states
    std::vector<TaggedSample> values;
    std::vector<TagDef> defs{{"WaterTank@TANK", ValueKind::float_},
                             {"WaterTank@PUMP", ValueKind::enum_},
                             {"WaterTank@DOOR", ValueKind::enum_},
                             {"Boiler@PRESSURE", ValueKind::float_}};
    double level = 50, pressure = 2.0;
    bool filling = true;
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> jitter(-0.02, 0.02);
    for (int i = 0; i < 200'000; ++i) {
      const std::int64_t t = kT0 + i * 100LL;
      level += filling ? 0.5 : -0.5;
      if (level >= 90 || level <= 10) {
        filling = !filling;
        values.push_back({1, Sample{t, t + 1, std::string(filling ? "OPENED" : "CLOSED")}});
      }
      values.push_back({0, Sample{t, t + 1, level}});
      if (i % 10 == 0) {
        pressure = std::round((pressure + jitter(rng)) * 100) / 100;
        values.push_back({3, Sample{t, t + 1, pressure}});
      }
      if (i % 3000 == 0)
        values.push_back({2, Sample{t, t + 1, std::string(i % 6000 ? "OPENED" : "CLOSED")}});
    }
    bytes_per_value("demo plant (tank, boiler)", 4, values, std::move(defs));
  }
}

// 100,000,000 values over 100 tags, generated and handed over in batches (never all in memory).
void big(const std::filesystem::path& where) {
  BigWorkload w;
  std::printf("== big: %u tags x %d values (1 s apart, %.1f days) = %.0f M values ==\n", w.tags,
              w.per_tag, w.per_tag / 86400.0, w.values() / 1e6);
  std::filesystem::create_directories(where);
  std::string pattern = (where / "weir-hbig-XXXXXX").string();
  check(::mkdtemp(pattern.data()) != nullptr, "temp dir");
  const std::filesystem::path dir = pattern;
  w.ingest(*open_store(dir / "history.db"));
  std::uint64_t file = 0, used = 0, chunk_bytes = 0, rollup_bytes = 0;
  {
    auto db = storage::Database::open(dir / "history.db");
    used = used_bytes(**db);
    file = std::filesystem::file_size(dir / "history.db");
    auto q = [&](const char* sql) {
      auto s = (*db)->prepare(sql);
      (void)s->step();
      return static_cast<std::uint64_t>(s->int64(0));
    };
    chunk_bytes = q("SELECT sum(length(data)) FROM chunks");
    rollup_bytes =
        q("SELECT (SELECT sum(length(data)) FROM rollup_1m) + "
          "(SELECT sum(length(data)) FROM rollup_1h)");
  }
  const double n = w.values();
  std::printf(
      "size            : file %.1f MB (used %.1f MB), %.2f B/value whole file; chunks "
      "%.2f B/value, rollup pages %.2f B/value\n",
      file / 1e6, used / 1e6, used / n, chunk_bytes / n, rollup_bytes / n);
  {
    w.trends(*open_store(dir / "history.db"));  // reopened: nothing from memory
  }
  std::printf("(no naive table here: 100 M rows would take ~20 min to write at its rate)\n");
  std::filesystem::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  int per_tag = 20;
  bool trend_only = false, ingest_only = false, naive_too = true;
  std::optional<std::filesystem::path> big_dir;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--trend") {
      trend_only = true;
    } else if (a == "--ingest" || a == "--ingest-store") {
      ingest_only = true;
      naive_too = a == "--ingest";
    } else if (a == "--big") {
      big_dir = i + 1 < argc && argv[i + 1][0] != '-' ? std::filesystem::path(argv[++i])
                                                      : std::filesystem::temp_directory_path();
    } else if (a == "--pages") {
      PagesWorkload w;
      if (i + 1 < argc) w.minutes = std::max(1, std::atoi(argv[++i]));
      if (i + 1 < argc) w.step_s = std::max(1, std::atoi(argv[++i]));
      w.each_budget({64, 4096}, [&](double mb) {
        const auto dir = temp_dir();
        {
          auto store = open_store(dir / "history.db", mb);
          w.ingest(*store, mb);
        }
        std::filesystem::remove_all(dir);
      });
      return 0;
    } else {
      per_tag = std::max(1, std::atoi(a.c_str()));
    }
  }
  if (big_dir) return big(*big_dir), 0;
  if (!trend_only) ingest(per_tag, naive_too);
  if (ingest_only) return 0;
  trend();
  if (!trend_only) bytes();
}
