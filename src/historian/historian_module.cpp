#include "historian/historian_module.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <unordered_map>
#include <unordered_set>

#include "api/system_routes.hpp"
#include "datapoint/datapoint_service.hpp"
#include "historian/logging_policy.hpp"
#include "historian/pg_history_store.hpp"
#include "historian/sqlite_history_store.hpp"
#include "model/alarm_messages.hpp"

namespace weir::historian {

bool pattern_matches(std::string_view pattern, std::string_view id) {
  if (pattern == "*") return true;
  if (pattern.size() >= 2 && pattern.ends_with("@*"))
    return id.starts_with(pattern.substr(0, pattern.size() - 1));
  return pattern == id;
}

// ---- REST DTOs -------------------------------------------------------------------------------

struct HistoryValue {
  std::string tag;
  std::string time;  // source time, ISO 8601 UTC
  std::string server_time;
  boost::json::value value;
  model::Quality quality = model::Quality::good;
  model::QualityReason reason = model::QualityReason::none;
};
BOOST_DESCRIBE_STRUCT(HistoryValue, (), (tag, time, server_time, value, quality, reason))

struct RawHistory {
  std::vector<HistoryValue> items;
  std::optional<std::string> next_cursor;  // more rows: ask again with cursor=this
};
BOOST_DESCRIBE_STRUCT(RawHistory, (), (items, next_cursor))

struct TrendBucket {
  std::string time;  // the bucket's start
  std::uint64_t count = 0;
  std::optional<double> first, last, min, max, avg;
};
BOOST_DESCRIBE_STRUCT(TrendBucket, (), (time, count, first, last, min, max, avg))

struct TrendPointDto {
  std::string time;
  std::optional<double> value;
};
BOOST_DESCRIBE_STRUCT(TrendPointDto, (), (time, value))

struct TrendSeriesDto {
  std::string tag;
  std::string level;  // raw, 1s, 1m, 1h: where the buckets were read from
  std::int64_t bucket_ms = 0;
  std::vector<TrendBucket> buckets;
  std::vector<TrendPointDto> points;  // M4: first, min, max, last of each bucket, in time order
};
BOOST_DESCRIBE_STRUCT(TrendSeriesDto, (), (tag, level, bucket_ms, buckets, points))

struct TrendHistory {
  std::string from;
  std::string to;
  std::vector<TrendSeriesDto> series;
};
BOOST_DESCRIBE_STRUCT(TrendHistory, (), (from, to, series))

struct HistoryEventDto {
  std::int64_t id = 0;
  std::string time;
  std::string kind;
  std::string source;
  boost::json::value detail;
};
BOOST_DESCRIBE_STRUCT(HistoryEventDto, (), (id, time, kind, source, detail))

struct HistoryEvents {
  std::vector<HistoryEventDto> items;
};
BOOST_DESCRIBE_STRUCT(HistoryEvents, (), (items))

struct HistoryStatus {
  std::string backend;
  std::uint64_t tags = 0;  // datapoints recorded
  std::uint64_t queued = 0;
  std::uint64_t dropped = 0;
  std::uint64_t stored = 0;
  std::uint64_t events_stored = 0;
  std::uint64_t commits = 0;
  std::uint64_t write_errors = 0;
  std::optional<std::string> committed_through;  // every value accepted up to then is stored
  std::int64_t committed_through_ms = 0;
  std::uint64_t retention_deleted_chunks = 0;
  std::uint64_t retention_deleted_rows = 0;
  std::uint64_t used_bytes = 0;
  std::uint64_t retention_dropped_partitions = 0;  // postgresql: whole time partitions dropped
  bool connected = true;                           // postgresql: the database answers
  std::optional<std::string> backend_error;        // why it does not
};
BOOST_DESCRIBE_STRUCT(HistoryStatus, (),
                      (backend, tags, queued, dropped, stored, events_stored, commits, write_errors,
                       committed_through, committed_through_ms, retention_deleted_chunks,
                       retention_deleted_rows, used_bytes, retention_dropped_partitions, connected,
                       backend_error))

namespace {

using api::RequestContext;

constexpr std::size_t kMaxTags = 100;
constexpr std::size_t kMaxTagName = 256;
constexpr std::size_t kMaxRawLimit = 10'000;
constexpr std::size_t kMaxPoints = 10'000;
constexpr std::size_t kCsvPieceBytes = 8 << 20;  // a page of wide rows with long string values
constexpr std::size_t kMaxDetail = 2048;
constexpr double kDayMs = 86'400'000.0;

std::optional<double> finite(double v) {
  if (!std::isfinite(v)) return std::nullopt;
  return v;
}

Result<std::int64_t> number_param(const HttpRequest& req, const char* key, std::int64_t lo,
                                  std::int64_t hi, std::int64_t fallback) {
  const auto s = req.query_param(key);
  if (s.empty()) return fallback;
  std::int64_t n = 0;
  bool ok = s.size() <= 18;
  for (char c : s) ok = ok && c >= '0' && c <= '9';
  if (ok)
    for (char c : s) n = n * 10 + (c - '0');
  if (!ok || n < lo || n > hi)
    return bad_request("bad_" + std::string(key),
                       std::string(key) + ": expected a number from " + std::to_string(lo) +
                           " to " + std::to_string(hi),
                       key);
  return n;
}

struct Range {
  std::vector<std::string> tags;
  std::int64_t from_ms = 0, to_ms = 0;
};

// tags (comma-separated, required), from / to (ISO 8601; default: the last hour).
Result<Range> range_of(const HttpRequest& req, WallTime now) {
  Range r;
  const auto tags = req.query_param("tags");
  if (tags.empty())
    return bad_request("missing_tags", "tags: one or more datapoint ids, comma-separated", "tags");
  std::size_t start = 0;
  while (start <= tags.size()) {
    auto end = tags.find(',', start);
    if (end == std::string_view::npos) end = tags.size();
    const auto t = tags.substr(start, end - start);
    if (t.empty() || t.size() > kMaxTagName)
      return bad_request("bad_tags", "tags: empty or too long datapoint id", "tags");
    r.tags.emplace_back(t);
    if (r.tags.size() > kMaxTags)
      return bad_request("too_many_tags", "tags: at most " + std::to_string(kMaxTags), "tags");
    start = end + 1;
  }
  r.to_ms = to_unix_ms(now);
  r.from_ms = r.to_ms - 3'600'000;
  for (const char* key : {"from", "to"}) {
    const auto v = req.query_param(key);
    if (v.empty()) continue;
    WallTime t;
    if (!parse_iso8601(std::string(v), t))
      return bad_request(
          "bad_time", std::string(key) + ": expected an ISO 8601 UTC time (2026-01-31T12:00:00Z)",
          key);
    (std::string_view(key) == "from" ? r.from_ms : r.to_ms) = to_unix_ms(t);
  }
  if (r.from_ms >= r.to_ms) return bad_request("bad_range", "from: must be before to", "from");
  return r;
}

void csv_field(std::string& out, std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += s;
    return;
  }
  out.push_back('"');
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

std::string csv_value(const model::Value& v) {
  if (const auto* d = std::get_if<double>(&v)) {
    if (std::isnan(*d)) return "NaN";
    if (std::isinf(*d)) return *d > 0 ? "Infinity" : "-Infinity";
    char buf[32];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, *d);
    return std::string(buf, p);
  }
  if (std::holds_alternative<std::monostate>(v)) return "";
  return model::to_display(v);
}

// The header row. Long: time, tag, value, quality, reason, server_time. Wide: time and one column
// per tag.
std::string csv_header(const Range& r, bool wide) {
  if (!wide) return "time,tag,value,quality,reason,server_time\r\n";
  std::string out = "time";
  for (const auto& t : r.tags) {
    out.push_back(',');
    csv_field(out, t);
  }
  out += "\r\n";
  return out;
}

// The rows of one page. Long: one row per value. Wide: one row per time, one column per tag
// (empty where a tag has no value at that time); the page must hold every value of its times.
void csv_rows(std::string& out, const Range& r, const RawPage& page, bool wide) {
  if (!wide) {
    for (const auto& row : page.rows) {
      out += to_iso8601(from_unix_ms(row.sample.source_ms));
      out.push_back(',');
      csv_field(out, r.tags[row.tag_pos]);
      out.push_back(',');
      csv_field(out, csv_value(row.sample.value));
      out.push_back(',');
      out += json::enum_name(row.sample.quality);
      out.push_back(',');
      out += json::enum_name(row.sample.reason);
      out.push_back(',');
      out += to_iso8601(from_unix_ms(row.sample.server_ms));
      out += "\r\n";
    }
    return;
  }
  // Rows are grouped by tag, each in time order: merge them by time.
  std::vector<std::pair<std::size_t, std::size_t>> spans(r.tags.size(), {0, 0});
  for (std::size_t i = 0; i < page.rows.size(); ++i) {
    auto& s = spans[page.rows[i].tag_pos];
    if (s.first == s.second) s.first = i;
    s.second = i + 1;
  }
  std::vector<std::size_t> at(r.tags.size());
  for (std::size_t k = 0; k < at.size(); ++k) at[k] = spans[k].first;
  std::vector<std::string> cells(r.tags.size());
  for (;;) {
    std::int64_t t = INT64_MAX;
    for (std::size_t k = 0; k < at.size(); ++k)
      if (at[k] < spans[k].second) t = std::min(t, page.rows[at[k]].sample.source_ms);
    if (t == INT64_MAX) break;
    for (std::size_t k = 0; k < at.size(); ++k) {
      cells[k].clear();
      if (at[k] < spans[k].second && page.rows[at[k]].sample.source_ms == t)
        cells[k] = csv_value(page.rows[at[k]++].sample.value);
    }
    out += to_iso8601(from_unix_ms(t));
    for (const auto& c : cells) {
      out.push_back(',');
      csv_field(out, c);
    }
    out += "\r\n";
  }
}

// Where a streamed export is. Long layout: the raw query's cursor, page after page. Wide layout:
// time windows, each read whole (so a time's row is complete), sized to give about a page of
// values: doubled after a small window, halved and read again when a window holds more.
struct CsvExport {
  Range range;
  bool wide = false;
  std::size_t page_rows = 5'000;
  bool header_sent = false;
  bool done = false;
  std::optional<RawCursor> cursor;  // long
  std::int64_t window_from = 0;     // wide
  std::int64_t window_ms = 60'000;
  std::uint64_t rows = 0;
};

TrendSeriesDto to_dto(const TrendSeries& s) {
  TrendSeriesDto d;
  d.tag = s.tag;
  d.level = level_name(s.level);
  d.bucket_ms = s.width_ms;
  d.buckets.reserve(s.buckets.size());
  for (const auto& b : s.buckets) {
    TrendBucket t;
    t.time = to_iso8601(from_unix_ms(b.start_ms));
    t.count = b.count;
    if (b.count > 0) {
      t.first = finite(b.first);
      t.last = finite(b.last);
      t.min = finite(b.min);
      t.max = finite(b.max);
      t.avg = finite(b.sum / static_cast<double>(b.count));
    }
    d.buckets.push_back(std::move(t));
  }
  for (const auto& p : m4_points(s.buckets))
    d.points.push_back({to_iso8601(from_unix_ms(p.ms)), finite(p.value)});
  return d;
}

std::size_t open_pages_bytes(const HistorianSettings& s) {
  return static_cast<std::size_t>(s.open_pages_mb * 1024 * 1024);
}

class HistorianModule final : public module::ModuleWith<HistorianSettings> {
 public:
  HistorianModule(module::ModuleHost& host, std::unique_ptr<HistoryStore> store)
      : host_(host), store_(std::move(store)) {}

  static Result<std::unique_ptr<HistorianModule>> create(module::ModuleHost& host,
                                                         const config::SystemConfig& config,
                                                         const HistorianSettings& s) {
    if (s.backend == "postgresql") {
      const char* env = std::getenv(s.connection_env.c_str());
      if (!env || !*env)
        return unprocessable("no_connection",
                             "historian: backend \"postgresql\" needs the connection string in "
                             "the environment variable " +
                                 s.connection_env + " (modules[historian].config.connection_env)");
      PgStoreOptions o;
      o.conninfo = env;
      o.flush_interval = std::chrono::milliseconds(s.flush_interval_ms);
      o.max_queue = s.max_queue;
      o.open_pages_bytes = open_pages_bytes(s);
      o.chunk_values = s.chunk_values;
      o.chunk_ms = static_cast<std::int64_t>(s.chunk_seconds) * 1000;
      o.partition_ms = static_cast<std::int64_t>(s.partition_seconds) * 1000;
      o.node = s.node;
      o.clock = &host.clock;
      o.post = host.post;
      auto store = PgHistoryStore::open(std::move(o));
      if (!store) return store.error();
      auto m = std::make_unique<HistorianModule>(host, std::move(*store));
      if (auto st = m->apply(config, s); !st) return st.error();
      m->wire();
      return m;
    }
    const std::filesystem::path dir(host.options.data_dir);
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    SqliteStoreOptions o;
    o.flush_interval = std::chrono::milliseconds(s.flush_interval_ms);
    o.max_queue = s.max_queue;
    o.open_pages_bytes = open_pages_bytes(s);
    o.chunk_values = s.chunk_values;
    o.chunk_ms = static_cast<std::int64_t>(s.chunk_seconds) * 1000;
    o.clock = &host.clock;
    o.post = host.post;
    auto store = SqliteHistoryStore::open(dir / s.file, std::move(o));
    if (!store) return store.error();
    EventQuery alarms;
    alarms.kind = "alarm";
    alarms.limit = 1000;
    auto stored_alarms = (*store)->events_now(alarms);
    if (!stored_alarms) return stored_alarms.error();
    auto m = std::make_unique<HistorianModule>(host, std::move(*store));
    m->seed_alarms(*stored_alarms);
    if (auto st = m->apply(config, s); !st) return st.error();
    m->wire();
    return m;
  }

  static void check(const module::ModuleRegistry&, const config::SystemConfig& config,
                    const HistorianSettings& s, const std::string& path,
                    std::vector<config::ConfigIssue>& issues) {
    auto issue = [&](const std::string& p, std::string msg) {
      issues.push_back({"system_config.json", p, std::move(msg), true});
    };
    if (s.backend != "sqlite" && s.backend != "postgresql")
      issue(path + ".backend", "unknown backend \"" + s.backend + "\" (known: sqlite, postgresql)");
    if (s.backend == "postgresql") {
      bool name_ok = !s.connection_env.empty() && s.connection_env.size() <= 128 &&
                     !(s.connection_env[0] >= '0' && s.connection_env[0] <= '9');
      for (char c : s.connection_env)
        name_ok = name_ok && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                              (c >= '0' && c <= '9') || c == '_');
      if (!name_ok)
        issue(path + ".connection_env",
              "expected the name of the environment variable holding the PostgreSQL connection "
              "string (letters, digits, _), e.g. WEIR_HISTORIAN_PG");
      if (s.partition_seconds < 1 || s.partition_seconds > 366 * 86'400)
        issue(path + ".partition_seconds", "must be between 1 and 31622400 (a year)");
      bool node_ok = s.node.size() <= 64;
      for (unsigned char c : s.node) node_ok = node_ok && c >= 0x20 && c != 0x7f;
      if (!node_ok)
        issue(path + ".node", "expected at most 64 printable characters (empty: the host name)");
    }
    const std::filesystem::path f(s.file);
    if (s.file.empty() || f.is_absolute() || s.file.find("..") != std::string::npos ||
        s.file.find('/') != std::string::npos)
      issue(path + ".file", "expected a file name in the data folder (no folders, no \"..\")");
    if (s.flush_interval_ms < 10 || s.flush_interval_ms > 60'000)
      issue(path + ".flush_interval_ms", "must be between 10 and 60000");
    if (s.max_queue < 1'000 || s.max_queue > 10'000'000)
      issue(path + ".max_queue", "must be between 1000 and 10000000");
    if (!(s.open_pages_mb >= 0 && s.open_pages_mb <= 65'536))
      issue(path + ".open_pages_mb",
            "must be between 0 and 65536 (MB of open rollup pages kept in memory; 0: none past a "
            "commit)");
    if (s.chunk_values < 16 || s.chunk_values > 65'536)
      issue(path + ".chunk_values", "must be between 16 and 65536");
    if (s.export_page_rows < 10 || s.export_page_rows > 50'000)
      issue(path + ".export_page_rows", "must be between 10 and 50000");
    if (s.chunk_seconds < 1 || s.chunk_seconds > 7 * 86'400)
      issue(path + ".chunk_seconds", "must be between 1 and 604800 (one week)");
    const std::pair<const char*, double> ages[] = {
        {"raw_max_age_days", s.raw_max_age_days},
        {"rollup_1m_max_age_days", s.rollup_1m_max_age_days},
        {"rollup_1h_max_age_days", s.rollup_1h_max_age_days},
        {"events_max_age_days", s.events_max_age_days},
        {"max_size_mb", s.max_size_mb}};
    for (const auto& [name, v] : ages)
      if (!(v >= 0) || v > 1e6) issue(path + "." + name, "must be from 0 (no limit) to 1000000");
    auto registry = datapoint::Registry::build(config);
    for (std::size_t i = 0; i < s.tags.size(); ++i) {
      const auto& t = s.tags[i];
      const std::string p = json::index_path(path + ".tags", i);
      bool any = false, ranged = false;
      for (const auto& info : registry->all())
        if (pattern_matches(t.datapoints, info.id)) {
          any = true;
          ranged = ranged || (info.type && info.type->min && info.type->max);
        }
      if (!any)
        issue(p + ".datapoints",
              "\"" + t.datapoints + "\" names no datapoint (expected Driver@TAG, Driver@* or *)");
      if (!(t.deadband >= 0)) issue(p + ".deadband", "must be 0 or more");
      if (!(t.deadband_percent >= 0) || t.deadband_percent > 100)
        issue(p + ".deadband_percent", "must be from 0 to 100");
      if (t.deadband_percent > 0 && any && !ranged)
        issue(p + ".deadband_percent",
              "needs datapoints whose type has min and max (a percentage of the range)");
      if (t.max_interval_ms > 0 && t.min_interval_ms > t.max_interval_ms)
        issue(p + ".min_interval_ms", "must not be more than max_interval_ms");
    }
  }

  Status apply(const config::SystemConfig& config, const HistorianSettings& s) override {
    settings_ = s;
    read_alarm_priorities(config);
    RetentionSettings r;
    auto ms = [](double days) { return static_cast<std::int64_t>(days * kDayMs); };
    r.raw_max_age_ms = ms(s.raw_max_age_days);
    r.rollup_1m_max_age_ms = ms(s.rollup_1m_max_age_days);
    r.rollup_1h_max_age_ms = ms(s.rollup_1h_max_age_days);
    r.events_max_age_ms = ms(s.events_max_age_days);
    r.max_bytes = static_cast<std::uint64_t>(s.max_size_mb * 1024 * 1024);
    r.interval_ms = s.retention_interval_ms;
    store_->set_retention(r);
    rebind();
    return {};
  }

  void tick() override {
    if (registry_ != current_registry()) rebind();
    const std::int64_t now = to_unix_ms(host_.clock.now());
    due_.clear();
    recorder_.tick(now, due_);
    for (auto& d : due_) batch_.push_back({d.tag, std::move(d.sample)});
    hand_over();
  }

  void stop() override {
    hand_over();
    if (auto st = store_->flush(true); !st)
      spdlog::warn("historian: last write failed: {}", st.error().message);
  }

  void metrics(std::string& out) const override {
    const auto s = store_->stats();
    auto m = [&](const char* name, const char* type, const char* help, double v) {
      api::metric(out, name, type, help, v);
    };
    m("weir_historian_values_stored_total", "counter", "Tag values committed to the history",
      static_cast<double>(s.stored));
    m("weir_historian_events_stored_total", "counter", "Events committed to the history",
      static_cast<double>(s.events_stored));
    m("weir_historian_queued", "gauge", "Values and events handed over, not yet committed",
      static_cast<double>(s.queued));
    m("weir_historian_dropped_total", "counter",
      "Values and events lost because the historian's queue was full",
      static_cast<double>(s.dropped));
    m("weir_historian_write_errors_total", "counter", "History transactions that failed",
      static_cast<double>(s.write_errors));
    m("weir_historian_retention_deleted_chunks_total", "counter",
      "Value chunks dropped by retention (age or size cap)",
      static_cast<double>(s.retention_deleted_chunks));
    m("weir_historian_used_bytes", "gauge", "Bytes the history database uses",
      static_cast<double>(s.used_bytes));
    m("weir_historian_open_page_bytes", "gauge",
      "Bytes of open rollup pages in memory (at the last commit; budget: open_pages_mb)",
      static_cast<double>(s.page_bytes));
    m("weir_historian_page_evictions_total", "counter",
      "Open rollup pages that left memory under the open_pages_mb budget (written first)",
      static_cast<double>(s.page_evictions));
    m("weir_historian_page_reloads_total", "counter",
      "Rollup pages read back from the database and merged (a bucket after an eviction or a "
      "restart)",
      static_cast<double>(s.page_reloads));
    if (settings_.backend == "postgresql") {
      m("weir_historian_connected", "gauge", "1 when the PostgreSQL history database answers",
        s.connected ? 1 : 0);
      m("weir_historian_retention_dropped_partitions_total", "counter",
        "Whole time partitions dropped by retention (PostgreSQL)",
        static_cast<double>(s.retention_dropped_partitions));
    }
  }

  void health(api::Health& h) const override {
    const auto s = store_->stats();
    h.history_dropped = s.dropped;
    if (!s.connected)
      h.history_error = "history database unavailable (retrying): " + s.backend_error;
  }

 private:
  const void* current_registry() const {
    auto* dp = host_.services.find<datapoint::DatapointService>();
    return dp ? &dp->registry() : nullptr;
  }

  // The datapoints recorded and their policies, from the current registry and settings.
  void rebind() {
    auto* dp = host_.services.find<datapoint::DatapointService>();
    registry_ = current_registry();
    if (!dp) return;
    hand_over();  // samples of the old indices go first
    const auto& reg = dp->registry();
    std::vector<TagDef> defs;
    std::vector<Policy> policies;
    defs.reserve(reg.size());
    presence_.assign(reg.size(), false);
    for (std::size_t i = 0; i < reg.size(); ++i) {
      const auto& info = reg.info(static_cast<model::DatapointIndex>(i));
      Policy p;
      std::optional<ValueKind> kind;
      if (info.type) kind = kind_of(info.type->type);
      p.record = kind.has_value();
      for (const auto& t : settings_.tags) {
        if (!pattern_matches(t.datapoints, info.id)) continue;
        p.record = p.record && t.record;
        p.deadband = t.deadband;
        if (t.deadband_percent > 0 && info.type && info.type->min && info.type->max)
          p.deadband =
              std::max(p.deadband, t.deadband_percent / 100 * (*info.type->max - *info.type->min));
        p.min_interval_ms = t.min_interval_ms;
        p.max_interval_ms = t.max_interval_ms;
        break;
      }
      defs.push_back({info.id, kind.value_or(ValueKind::float_)});
      policies.push_back(p);
      presence_[i] = info.tag == "PRESENCE";
    }
    recorded_ = 0;
    for (const auto& p : policies) recorded_ += p.record ? 1 : 0;
    recorder_ = Recorder{};  // indices may name other datapoints now
    recorder_.configure(std::move(policies));
    store_->define_tags(std::move(defs));
  }

  void hand_over() {
    if (batch_.empty() && events_.empty()) return;
    store_->append(std::move(batch_), std::move(events_));
    batch_.clear();
    events_.clear();
  }

  void event(WallTime t, const char* kind, std::string source, boost::json::object detail) {
    if (!settings_.record_events) return;
    std::string text = json::dump(detail);
    if (text.size() > kMaxDetail) text = R"({"truncated":true})";
    storage::clip_utf8(source, kMaxTagName);
    events_.push_back({to_unix_ms(t), kind, std::move(source), std::move(text)});
  }

  void wire() {
    subs_.push_back(host_.bus.subscribe<model::TagUpdate>([this](const model::TagUpdate& u) {
      if (registry_ != current_registry()) rebind();
      if (u.index >= recorder_.size() || !u.value) return;
      Sample s;
      s.server_ms = to_unix_ms(u.server_time);
      s.source_ms = u.source_time == WallTime{} ? s.server_ms : to_unix_ms(u.source_time);
      s.value = *u.value;
      s.quality = u.quality;
      s.reason = u.reason;
      if (u.index < presence_.size() && presence_[u.index]) {
        auto* dp = host_.services.find<datapoint::DatapointService>();
        if (dp)
          event(u.server_time, "presence", dp->registry().info(u.index).driver,
                {{"value", model::to_json(s.value)}, {"quality", json::enum_name(s.quality)}});
      }
      if (recorder_.offer(u.index, s)) batch_.push_back({u.index, std::move(s)});
      if (batch_.size() >= 4096) hand_over();
    }));
    subs_.push_back(host_.bus.subscribe<model::AlarmUpdate>(
        [this](const model::AlarmUpdate& a) { on_alarm(a); }));
    subs_.push_back(host_.bus.subscribe<model::AlarmsRestored>(
        [this](const model::AlarmsRestored& r) { close_unrestored(r); }));
    subs_.push_back(
        host_.bus.subscribe<model::CommandFeedback>([this](const model::CommandFeedback& f) {
          auto* dp = host_.services.find<datapoint::DatapointService>();
          std::string id = dp && f.index < dp->registry().size() ? dp->registry().info(f.index).id
                                                                 : std::to_string(f.index);
          event(f.time, "command", std::move(id),
                {{"command_id", f.command_id},
                 {"value", model::to_json(f.value)},
                 {"status", json::enum_name(f.status)},
                 {"reason", json::enum_name(f.reason)},
                 {"detail", f.detail},
                 {"user", f.user}});
        }));
    subs_.push_back(host_.bus.subscribe<model::DriverStatusChanged>(
        [this](const model::DriverStatusChanged& d) {
          event(d.time, "driver", d.driver,
                {{"state", json::enum_name(d.state)}, {"detail", d.detail}});
        }));
    subs_.push_back(host_.bus.subscribe<model::UserAction>([this](const model::UserAction& a) {
      event(a.time, "user_action", a.user,
            {{"action", a.action},
             {"target", a.target},
             {"ok", a.ok},
             {"detail", a.detail},
             {"address", a.address}});
    }));
    add_routes();
  }

  // An alarm's transition (the alarm module publishes one per change): stored as an "alarm" event
  // unless it is not news for its occurrence (StoredAlarm::news).
  void on_alarm(const model::AlarmUpdate& a) {
    StoredAlarm now{a.occurrence_id, std::string(json::enum_name(a.state)),
                    a.acknowledge_time.has_value(), a.user};
    auto& recent = stored_alarms_[a.rule_id];
    auto it = std::find_if(recent.begin(), recent.end(),
                           [&](const StoredAlarm& x) { return x.occurrence == a.occurrence_id; });
    if (it != recent.end()) {
      if (!it->news(now)) return;
      recent.erase(it);
    }
    recent.push_back(std::move(now));
    if (recent.size() > kAlarmOccurrencesKept) recent.erase(recent.begin());
    auto d = alarm_detail(a.rule_id, a.state, a.occurrence_id);
    if (a.activation_time != WallTime{}) d["activation_time"] = to_iso8601(a.activation_time);
    if (a.deactivation_time) d["deactivation_time"] = to_iso8601(*a.deactivation_time);
    if (a.acknowledge_time) d["acknowledge_time"] = to_iso8601(*a.acknowledge_time);
    if (!a.user.empty()) d["user"] = a.user;
    event(host_.clock.now(), "alarm", a.rule_id, std::move(d));
  }
  boost::json::object alarm_detail(const std::string& rule_id, model::AlarmState state,
                                   const std::string& occurrence) const {
    boost::json::object d{{"state", json::enum_name(state)}, {"occurrence_id", occurrence}};
    if (auto p = alarm_priority_.find(rule_id); p != alarm_priority_.end())
      d["priority"] = p->second;
    else if (!default_alarm_priority_.empty())
      d["priority"] = default_alarm_priority_;
    return d;
  }
  // The alarm module started: every occurrence stored here as open (not FINISHED) that its table
  // does not hold will never get another transition — its state was lost (a kill -9 before its
  // save, a data/alarms.db restored from a backup or removed). Each gets a FINISHED event saying
  // why, so no occurrence stays ACTIVE or ACK in the history forever. Covers what seed_alarms
  // read (the newest 1,000 alarm events) and what was stored since.
  void close_unrestored(const model::AlarmsRestored& r) {
    const std::unordered_set<std::string> open(r.open_occurrences.begin(),
                                               r.open_occurrences.end());
    std::vector<std::pair<std::string, StoredAlarm*>> closing;  // by rule id, for a stable order
    for (auto& [rule_id, recent] : stored_alarms_)
      for (auto& x : recent)
        if (x.state != "FINISHED" && !open.contains(x.occurrence))
          closing.emplace_back(rule_id, &x);
    std::sort(closing.begin(), closing.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [rule_id, x] : closing) {
      auto d = alarm_detail(rule_id, model::AlarmState::FINISHED, x->occurrence);
      d["reason"] = "closed at restart: not in the restored alarm state";
      x->state = "FINISHED";
      event(host_.clock.now(), "alarm", rule_id, std::move(d));
    }
  }
  // Each alarm's priority as the alarm module's settings give it (modules[alarm].config: alarms[]
  // by rule id, else default_priority, "medium" when unset): AlarmUpdate does not carry it.
  void read_alarm_priorities(const config::SystemConfig& config) {
    alarm_priority_.clear();
    default_alarm_priority_.clear();
    for (const auto& m : config.modules) {
      if (m.name != "alarm") continue;
      default_alarm_priority_ = "medium";
      auto text = [](const boost::json::object& o, const char* k) -> std::string {
        auto* x = o.if_contains(k);
        return x && x->is_string() ? std::string(x->as_string()) : std::string();
      };
      if (auto d = text(m.config, "default_priority"); !d.empty()) default_alarm_priority_ = d;
      if (auto* list = m.config.if_contains("alarms"); list && list->is_array())
        for (const auto& a : list->as_array())
          if (a.is_object())
            if (auto p = text(a.as_object(), "priority"); !p.empty())
              alarm_priority_[text(a.as_object(), "rule_id")] = p;
    }
  }
  // The last stored state of one occurrence of an alarm.
  struct StoredAlarm {
    std::string occurrence, state;
    bool acked = false;
    std::string user;
    // Whether `next`, of the same occurrence, is a transition to store. Not when it repeats this
    // state (an alarm republished at start, a change of something not stored), nor when it is an
    // older state: the alarm module never takes an acknowledgement back and FINISHED is final
    // (alarm_table.cpp), so an unacknowledged update after a stored acknowledgement, or any update
    // after FINISHED, is the alarm module running on a state older than the one stored here (its
    // own saves, every 200 ms, lost in a kill -9: it restores and republishes an occurrence the
    // historian has seen finish, and replays its transitions).
    bool news(const StoredAlarm& next) const {
      if (state == "FINISHED") return false;
      if (acked && !next.acked) return false;
      return next.state != state || next.acked != acked || next.user != user;
    }
  };

 public:
  // The last stored state of each rule's latest occurrences (newest events first), so what the
  // alarm module republishes when it starts is not stored twice.
  void seed_alarms(const std::vector<EventRecord>& newest_first) {
    for (const auto& r : newest_first) {
      auto& recent = stored_alarms_[r.event.source];
      if (recent.size() >= kAlarmOccurrencesKept) continue;
      boost::system::error_code ec;
      auto v = boost::json::parse(r.event.detail, ec);
      if (ec || !v.is_object()) continue;
      const auto& o = v.as_object();
      auto text = [&](const char* k) -> std::string {
        auto* x = o.if_contains(k);
        return x && x->is_string() ? std::string(x->as_string()) : std::string();
      };
      const std::string occurrence = text("occurrence_id");
      if (std::any_of(recent.begin(), recent.end(),
                      [&](const StoredAlarm& x) { return x.occurrence == occurrence; }))
        continue;  // a newer state of it came first
      recent.insert(recent.begin(), StoredAlarm{occurrence, text("state"),
                                                o.contains("acknowledge_time"), text("user")});
    }
  }

 private:
  void add_routes();
  void export_next(std::shared_ptr<CsvExport> x, BodyStream::Give give);

  module::ModuleHost& host_;
  std::unique_ptr<HistoryStore> store_;
  HistorianSettings settings_;
  Recorder recorder_;
  const void* registry_ = nullptr;
  std::vector<bool> presence_;
  std::size_t recorded_ = 0;
  std::vector<TaggedSample> batch_;
  std::vector<Event> events_;
  std::vector<Recorder::Out> due_;
  std::vector<bus::Subscription> subs_;
  // By rule id: its latest occurrences' stored states, oldest first (the alarm module keeps an
  // occurrence and the last one per rule; a few more cover a restore from further back).
  static constexpr std::size_t kAlarmOccurrencesKept = 4;
  std::unordered_map<std::string, std::vector<StoredAlarm>> stored_alarms_;
  std::unordered_map<std::string, std::string> alarm_priority_;  // rule id -> priority name
  std::string default_alarm_priority_;                           // "" without an alarm module
};

// The next piece of a streamed export: one page read on the storage thread, turned into CSV on
// the io thread. Empty wide windows are skipped (an empty piece would end the body).
void HistorianModule::export_next(std::shared_ptr<CsvExport> x, BodyStream::Give give) {
  if (x->done) return give(std::string());
  RawQuery q{x->range.tags, x->range.from_ms, x->range.to_ms, x->page_rows, x->cursor};
  if (x->wide) {
    q.from_ms = x->window_from;
    q.to_ms = x->range.to_ms - x->window_from > x->window_ms ? x->window_from + x->window_ms
                                                             : x->range.to_ms;
    q.cursor.reset();
  }
  hand_over();
  store_->raw(q, [this, x, q, give = std::move(give)](Result<RawPage> page) mutable {
    if (!page) return give(page.error());
    if (x->wide && page->next) {  // more than a page in this window: a smaller one
      if (q.to_ms - q.from_ms <= 1)
        return give(Error::make(
            ErrorKind::too_large, "too_many_values",
            "more than " + std::to_string(x->page_rows) + " values at one millisecond"));
      x->window_ms = std::max<std::int64_t>((q.to_ms - q.from_ms) / 2, 1);
      return export_next(x, std::move(give));
    }
    std::string out;
    if (!x->header_sent) out = csv_header(x->range, x->wide);
    x->header_sent = true;
    csv_rows(out, x->range, *page, x->wide);
    x->rows += page->rows.size();
    if (x->wide) {
      x->window_from = q.to_ms;
      x->done = q.to_ms >= x->range.to_ms;
      if (page->rows.size() < x->page_rows / 4)
        x->window_ms = std::min<std::int64_t>(x->window_ms * 2, 366LL * 86'400'000);
    } else {
      x->cursor = page->next;
      x->done = !page->next;
    }
    if (out.empty()) return export_next(x, std::move(give));
    give(std::move(out));
  });
}

void HistorianModule::add_routes() {
  using api::dto_response;
  using api::error_response;
  using api::schema_of;
  auto& r = host_.router;
  const std::vector<api::QueryParam> range_params{
      {"tags", "datapoint ids, comma-separated (at most 100)", true},
      {"from", "ISO 8601 UTC, inclusive (default: an hour before to)"},
      {"to", "ISO 8601 UTC, exclusive (default: now)"}};

  auto params = range_params;
  params.push_back({"limit", "rows per page, 1-10000 (default 1000)"});
  params.push_back({"cursor", "paging: next_cursor of the previous page"});
  r.add({"GET",
         "/api/history/raw",
         "view_history",
         false,
         "history",
         "Stored values of one or more datapoints in a time range (source time), tag by tag in "
         "time order, paged with a cursor",
         {},
         schema_of<RawHistory>(),
         "application/json",
         200,
         params,
         {400, 503},
         [this](const RequestContext& ctx) {
           auto range = range_of(ctx.request, host_.clock.now());
           if (!range) return error_response(range.error());
           auto limit = number_param(ctx.request, "limit", 1, kMaxRawLimit, 1000);
           if (!limit) return error_response(limit.error());
           RawQuery q{
               range->tags, range->from_ms, range->to_ms, static_cast<std::size_t>(*limit), {}};
           if (auto c = ctx.request.query_param("cursor"); !c.empty()) {
             q.cursor = RawCursor::decode(c);
             if (!q.cursor || q.cursor->tag_pos >= q.tags.size())
               return error_response(
                   bad_request("bad_cursor", "cursor: not a cursor of this query", "cursor"));
           }
           hand_over();
           return HttpResponse::later([this, q = std::move(q)](HttpResponse::Reply reply) {
             store_->raw(q, [reply, tags = q.tags](Result<RawPage> page) {
               if (!page) return reply(error_response(page.error()));
               RawHistory out;
               out.items.reserve(page->rows.size());
               for (const auto& row : page->rows)
                 out.items.push_back(
                     {tags[row.tag_pos], to_iso8601(from_unix_ms(row.sample.source_ms)),
                      to_iso8601(from_unix_ms(row.sample.server_ms)),
                      model::to_json(row.sample.value), row.sample.quality, row.sample.reason});
               if (page->next) out.next_cursor = page->next->encode();
               reply(dto_response(200, out));
             });
           });
         }});

  params = range_params;
  params.push_back({"points", "buckets per tag, 1-10000 (default 1000)"});
  r.add(
      {"GET",
       "/api/history/trend",
       "view_history",
       false,
       "history",
       "A trend of numeric datapoints: the range cut into `points` buckets, each with first, "
       "last, min, max, count and average (M4: a spike is never lost), read from the coarsest "
       "rollup (1 h, 1 min, 1 s) that still gives enough buckets, raw values for short ranges",
       {},
       schema_of<TrendHistory>(),
       "application/json",
       200,
       params,
       {400, 503},
       [this](const RequestContext& ctx) {
         auto range = range_of(ctx.request, host_.clock.now());
         if (!range) return error_response(range.error());
         auto points = number_param(ctx.request, "points", 1, kMaxPoints, 1000);
         if (!points) return error_response(points.error());
         TrendQuery q{range->tags, range->from_ms, range->to_ms, static_cast<std::size_t>(*points)};
         hand_over();
         return HttpResponse::later([this, q = std::move(q)](HttpResponse::Reply reply) {
           store_->trend(q, [reply, q](Result<std::vector<TrendSeries>> series) {
             if (!series) return reply(error_response(series.error()));
             TrendHistory out;
             out.from = to_iso8601(from_unix_ms(q.from_ms));
             out.to = to_iso8601(from_unix_ms(q.to_ms));
             for (const auto& s : *series) out.series.push_back(to_dto(s));
             reply(dto_response(200, out));
           });
         });
       }});

  params = range_params;
  params.push_back({"layout", "long (a row per value, the default) or wide (a column per tag)"});
  r.add({"GET",
         "/api/history/export.csv",
         "view_history",
         false,
         "history",
         "Stored values of the range as CSV (RFC 4180, ISO 8601 UTC times), all of them, streamed "
         "(chunked transfer encoding) page by page as the client reads",
         {},
         {},
         "text/csv",
         200,
         params,
         {400, 503},
         [this](const RequestContext& ctx) {
           auto range = range_of(ctx.request, host_.clock.now());
           if (!range) return error_response(range.error());
           const auto layout = ctx.request.query_param("layout");
           if (!layout.empty() && layout != "long" && layout != "wide")
             return error_response(
                 bad_request("bad_layout", "layout: expected long or wide", "layout"));
           auto x = std::make_shared<CsvExport>();
           x->range = std::move(*range);
           x->wide = layout == "wide";
           x->page_rows = settings_.export_page_rows;
           x->window_from = x->range.from_ms;
           BodyStream body;
           body.next = [this, x](BodyStream::Give give) { export_next(x, std::move(give)); };
           body.cancel = [x] {
             spdlog::info("historian: CSV export stopped after {} rows (client gone or too slow)",
                          x->rows);
           };
           body.max_piece_bytes = kCsvPieceBytes;
           auto res = HttpResponse::streamed(200, "text/csv; charset=utf-8", std::move(body));
           res.headers.emplace_back("Content-Disposition", "attachment; filename=\"history.csv\"");
           return res;
         }});

  r.add({"GET",
         "/api/history/events",
         "view_history",
         false,
         "history",
         "Stored events (alarm, command, driver, presence, user_action), newest first",
         {},
         schema_of<HistoryEvents>(),
         "application/json",
         200,
         {{"from", "ISO 8601 UTC, inclusive"},
          {"to", "ISO 8601 UTC, exclusive"},
          {"kind", "alarm, command, driver, presence or user_action"},
          {"source", "the rule, datapoint, driver, device or user"},
          {"before_id", "paging: events older than this id"},
          {"limit", "1-1000 (default 100)"}},
         {400, 503},
         [this](const RequestContext& ctx) {
           EventQuery q;
           const auto& req = ctx.request;
           for (const char* key : {"from", "to"}) {
             const auto v = req.query_param(key);
             if (v.empty()) continue;
             WallTime t;
             if (!parse_iso8601(std::string(v), t))
               return error_response(bad_request(
                   "bad_time",
                   std::string(key) + ": expected an ISO 8601 UTC time (2026-01-31T12:00:00Z)",
                   key));
             (std::string_view(key) == "from" ? q.from_ms : q.to_ms) = to_unix_ms(t);
           }
           if (auto k = req.query_param("kind"); !k.empty()) {
             if (k != "alarm" && k != "command" && k != "driver" && k != "presence" &&
                 k != "user_action")
               return error_response(bad_request(
                   "bad_kind", "kind: expected alarm, command, driver, presence or user_action",
                   "kind"));
             q.kind = std::string(k);
           }
           if (auto s = req.query_param("source"); !s.empty()) {
             if (s.size() > kMaxTagName)
               return error_response(bad_request("bad_source", "source: too long", "source"));
             q.source = std::string(s);
           }
           auto limit = number_param(req, "limit", 1, 1000, 100);
           if (!limit) return error_response(limit.error());
           q.limit = static_cast<std::size_t>(*limit);
           auto before = number_param(req, "before_id", 1, INT64_MAX / 16, 0);
           if (!before) return error_response(before.error());
           if (*before > 0) q.before_id = *before;
           hand_over();
           return HttpResponse::later([this, q = std::move(q)](HttpResponse::Reply reply) {
             store_->events(q, [reply](Result<std::vector<EventRecord>> rows) {
               if (!rows) return reply(error_response(rows.error()));
               HistoryEvents out;
               for (auto& e : *rows) {
                 boost::system::error_code ec;
                 auto detail = boost::json::parse(e.event.detail, ec);
                 out.items.push_back({e.id, to_iso8601(from_unix_ms(e.event.time_ms)), e.event.kind,
                                      e.event.source,
                                      ec ? boost::json::value(nullptr) : std::move(detail)});
               }
               reply(dto_response(200, out));
             });
           });
         }});

  r.add({"GET",
         "/api/history/status",
         "view_history",
         false,
         "history",
         "The historian's counters: values stored, queued, dropped (queue full), what is "
         "committed, retention",
         {},
         schema_of<HistoryStatus>(),
         "application/json",
         200,
         {},
         {},
         [this](const RequestContext&) {
           const auto s = store_->stats();
           HistoryStatus d;
           d.backend = settings_.backend;
           d.tags = recorded_;
           d.queued = s.queued;
           d.dropped = s.dropped;
           d.stored = s.stored;
           d.events_stored = s.events_stored;
           d.commits = s.commits;
           d.write_errors = s.write_errors;
           if (s.committed_through_ms > 0)
             d.committed_through = to_iso8601(from_unix_ms(s.committed_through_ms));
           d.committed_through_ms = s.committed_through_ms;
           d.retention_deleted_chunks = s.retention_deleted_chunks;
           d.retention_deleted_rows = s.retention_deleted_rows;
           d.used_bytes = s.used_bytes;
           d.retention_dropped_partitions = s.retention_dropped_partitions;
           d.connected = s.connected;
           if (!s.backend_error.empty()) d.backend_error = s.backend_error;
           return dto_response(200, d);
         }});
}

}  // namespace
}  // namespace weir::historian

void weir_register_historian_module(weir::module::ModuleRegistry& registry) {
  registry.add(weir::module::module_type<weir::historian::HistorianModule>(
      "historian",
      "Tag history and events: per-tag logging policy, compressed chunks with 1 s / 1 min / 1 h "
      "rollups in SQLite or PostgreSQL, trends (M4), raw queries, CSV export, retention",
      {"datapoint"}));
}
