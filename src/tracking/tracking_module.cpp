#include "tracking/tracking_module.hpp"

#include <atomic>
#include <charconv>
#include <filesystem>
#include <memory>

#include "api/system_routes.hpp"
#include "core/worker_thread.hpp"
#include "datapoint/datapoint_service.hpp"
#include "module/module.hpp"
#include "module/module_registry.hpp"
#include "tracking/rotating_file.hpp"
#include "tracking/tracker.hpp"

namespace weir::tracking {

namespace {

constexpr std::size_t kBatchBytes = 256u << 10;  // handed to the writer at this size or each tick
constexpr std::size_t kMaxBatches = 64;          // queued for the writer: 16 MiB at most
constexpr std::size_t kSnapshotEvents = 100;     // what a new `tracking` subscriber gets
constexpr std::size_t kMaxLimit = 1000;

// The file side: batches of JSON lines go to a writer thread; the io thread never writes.
class FileSink {
 public:
  FileSink(RotationSettings s)
      : file_(std::make_shared<RotatingFile>(std::move(s))),
        stats_(std::make_shared<Stats>()),
        writer_("tracking", kMaxBatches) {}
  ~FileSink() { flush(); }

  void add(const Tracker& t, const Event& e) {
    t.append_json(batch_, e);
    batch_.push_back('\n');
    ++batch_lines_;
    if (batch_.size() >= kBatchBytes) flush();
  }
  void flush() {
    if (batch_.empty()) return;
    const std::uint64_t lines = batch_lines_;
    auto job = [file = file_, stats = stats_, text = std::move(batch_), lines] {
      if (auto st = file->append(text); !st) {
        if (stats->errors.fetch_add(1) == 0) stats->first_error = st.error().message;
        return;
      }
      stats->lines.fetch_add(lines);
      stats->rotations.store(file->rotations());
    };
    if (!writer_.try_post(std::move(job))) dropped_ += lines;
    batch_.clear();
    batch_lines_ = 0;
  }
  std::uint64_t lines() const { return stats_->lines.load(); }
  std::uint64_t errors() const { return stats_->errors.load(); }
  std::uint64_t rotations() const { return stats_->rotations.load(); }
  std::uint64_t dropped() const { return dropped_; }

 private:
  struct Stats {
    std::atomic<std::uint64_t> lines{0}, errors{0}, rotations{0};
    std::string first_error;  // written once, by the writer
  };
  std::shared_ptr<RotatingFile> file_;
  std::shared_ptr<Stats> stats_;
  std::string batch_;
  std::uint64_t batch_lines_ = 0;
  std::uint64_t dropped_ = 0;
  WorkerThread writer_;  // last: destroyed (joined) first
};

std::filesystem::path file_path(const ProcessOptions& o, const std::string& file) {
  std::filesystem::path p(file);
  return p.is_absolute() ? p : std::filesystem::path(o.data_dir) / p;
}

class TrackingModule final : public module::ModuleWith<TrackingSettings> {
 public:
  TrackingModule(module::ModuleHost& host, const TrackingSettings& s)
      : host_(host),
        values_(host.services.get<datapoint::DatapointService>()),
        tracker_(host.clock, s.mode == TrackingMode::none ? 1 : s.ring_size,
                 [this](model::DatapointIndex i) {
                   const auto& reg = values_.registry();
                   return i < reg.size() ? reg.info(i).id : "#" + std::to_string(i);
                 }) {
    feed_ =
        host_.hub.add_feed({"tracking", "view_audit", [this](std::string& out) { snapshot(out); },
                            [this](std::uint64_t key, std::string& out) {
                              const Event& e = tracker_.slot(key % tracker_.capacity());
                              if (e.event_id == 0)
                                out += "null";
                              else
                                tracker_.append_json(out, e);
                            }});
    tracker_.on_event = [this](const Event& e, std::size_t slot) {
      host_.hub.mark(feed_, slot);
      if (file_) file_->add(tracker_, e);
    };
    add_route();
    configure(s);
  }

  static Result<std::unique_ptr<TrackingModule>> create(module::ModuleHost& host,
                                                        const config::SystemConfig&,
                                                        const TrackingSettings& s) {
    return std::make_unique<TrackingModule>(host, s);
  }
  static void check(const module::ModuleRegistry&, const config::SystemConfig&,
                    const TrackingSettings& s, const std::string& path,
                    std::vector<config::ConfigIssue>& issues) {
    auto error = [&](const char* field, std::string why) {
      issues.push_back({"system_config.json", path + "." + field, std::move(why), true});
    };
    if (s.ring_size < 1 || s.ring_size > 1'000'000)
      error("ring_size", "must be between 1 and 1000000 (events)");
    if (s.rotate_bytes < 4096 || s.rotate_bytes > (1ull << 30))
      error("rotate_bytes", "must be between 4096 and 1073741824 (bytes)");
    if (s.rotate_keep > 100) error("rotate_keep", "must be between 0 and 100 (files)");
    if (s.file.empty() || s.file.find("..") != std::string::npos || s.file.back() == '/')
      error("file", "\"" + s.file + "\": expected a file name, without \"..\"");
  }

  Status apply(const config::SystemConfig&, const TrackingSettings& s) override {
    configure(s);
    return {};
  }
  void tick() override {
    if (file_) file_->flush();
  }
  void stop() override { subscriptions_.clear(); }
  void metrics(std::string& out) const override {
    api::metric(out, "weir_tracking_events_total", "counter",
                "Events recorded by tracking since start",
                static_cast<double>(tracker_.recorded()));
    api::metric(out, "weir_tracking_ring_events", "gauge", "Events held in the tracking ring",
                static_cast<double>(mode_ == TrackingMode::none ? 0 : tracker_.size()));
    api::metric(out, "weir_tracking_enabled", "gauge", "1 when tracking records events",
                mode_ == TrackingMode::none ? 0.0 : 1.0);
    if (!file_) return;
    api::metric(out, "weir_tracking_file_lines_total", "counter",
                "Events written to the tracking file", static_cast<double>(file_->lines()));
    api::metric(out, "weir_tracking_file_dropped_total", "counter",
                "Events not written because the writer's queue was full",
                static_cast<double>(file_->dropped()));
    api::metric(out, "weir_tracking_file_rotations_total", "counter",
                "Rotations of the tracking file", static_cast<double>(file_->rotations()));
    api::metric(out, "weir_tracking_file_errors_total", "counter",
                "Failed writes of the tracking file", static_cast<double>(file_->errors()));
  }

 private:
  void configure(const TrackingSettings& s) {
    subscriptions_.clear();
    const bool on = s.mode != TrackingMode::none;
    const std::size_t ring = on ? s.ring_size : 1;
    if (ring != tracker_.capacity()) tracker_.resize(ring);
    const RotationSettings rs{file_path(host_.options, s.file), s.rotate_bytes, s.rotate_keep};
    if (s.mode != TrackingMode::file) {
      file_.reset();
    } else if (!file_ || rotation_.path != rs.path || rotation_.rotate_bytes != rs.rotate_bytes ||
               rotation_.keep != rs.keep) {
      file_.reset();
      file_ = std::make_unique<FileSink>(rs);
    }
    rotation_ = rs;
    mode_ = s.mode;
    if (!on) return;  // off: nothing subscribed, nothing on the hot path
    // First: each message is recorded before what it causes (the causal order of one path).
    auto& bus = host_.bus;
    subscriptions_.push_back(bus.subscribe_first<model::TagUpdate>(
        [this](const model::TagUpdate& u) { tracker_.on_tag_update(u); }));
    subscriptions_.push_back(bus.subscribe_first<model::RawTagUpdate>(
        [this](const model::RawTagUpdate& u) { tracker_.on_raw_update(u); }));
    // Last (after the datapoint module): was it accepted?
    subscriptions_.push_back(bus.subscribe<model::RawTagUpdate>(
        [this](const model::RawTagUpdate& u) { tracker_.on_raw_done(u); }));
    subscriptions_.push_back(bus.subscribe_first<model::CommandFeedback>(
        [this](const model::CommandFeedback& f) { tracker_.on_command(f); }));
    subscriptions_.push_back(bus.subscribe_first<model::DriverCommand>(
        [this](const model::DriverCommand& c) { tracker_.on_driver_command(c); }));
    subscriptions_.push_back(
        bus.subscribe_first<model::DriverFeedback>([this](const model::DriverFeedback& f) {
          const auto& reg = values_.registry();
          const auto i = f.feedback.index;
          tracker_.on_driver_feedback(
              f, i < reg.size() ? std::string_view(reg.info(i).driver) : std::string_view());
        }));
    subscriptions_.push_back(bus.subscribe_first<model::AlarmUpdate>(
        [this](const model::AlarmUpdate& a) { tracker_.on_alarm(a); }));
    subscriptions_.push_back(bus.subscribe_first<model::AlertRequest>(
        [this](const model::AlertRequest& a) { tracker_.on_alert(a); }));
    subscriptions_.push_back(bus.subscribe_first<model::UserAction>(
        [this](const model::UserAction& a) { tracker_.on_user_action(a); }));
  }

  void snapshot(std::string& out) const {
    if (mode_ == TrackingMode::none) return;
    bool first = true;
    for (const Event* e : tracker_.query({"", "", kSnapshotEvents})) {
      if (!first) out.push_back(',');
      first = false;
      tracker_.append_json(out, *e);
    }
  }

  void add_route() {
    host_.router.add(
        {"GET",
         "/api/tracking",
         "view_audit",
         false,
         "tracking",
         "Tracked events (oldest first): the newest `limit` matching, or the whole path of one "
         "reading or command by its correlation id",
         {},
         api::schema_of<TrackingEventList>(),
         "application/json",
         200,
         {{"correlation", "only the events of this correlation id (a command id, r-<n>, ...)"},
          {"source", "only this source (\"driver\" matches every driver:<name>)"},
          {"limit", "at most this many events, 1..1000 (default 100)"}},
         {400},
         [this](const api::RequestContext& ctx) {
           TrackingQuery q;
           q.correlation = std::string(ctx.request.query_param("correlation"));
           q.source = std::string(ctx.request.query_param("source"));
           if (q.correlation.size() > 128)
             return api::error_response(bad_request(
                 "invalid_correlation", "correlation: at most 128 characters", "correlation"));
           if (q.source.size() > 128)
             return api::error_response(
                 bad_request("invalid_source", "source: at most 128 characters", "source"));
           if (auto l = ctx.request.query_param("limit"); !l.empty()) {
             std::size_t n = 0;
             auto [p, ec] = std::from_chars(l.data(), l.data() + l.size(), n);
             if (ec != std::errc{} || p != l.data() + l.size() || n < 1 || n > kMaxLimit)
               return api::error_response(bad_request(
                   "invalid_limit", "limit: expected a whole number from 1 to 1000", "limit"));
             q.limit = n;
           }
           TrackingEventList out;
           out.mode = json::enum_name(mode_);
           out.recorded = tracker_.recorded();
           if (mode_ != TrackingMode::none)
             for (const Event* e : tracker_.query(q)) out.items.push_back(tracker_.to_dto(*e));
           return api::dto_response(200, out);
         }});
  }

  module::ModuleHost& host_;
  datapoint::DatapointService& values_;
  Tracker tracker_;
  TrackingMode mode_ = TrackingMode::none;
  RotationSettings rotation_;
  std::unique_ptr<FileSink> file_;
  api::LiveFeedHub::FeedId feed_ = 0;
  std::vector<bus::Subscription> subscriptions_;
};

}  // namespace

}  // namespace weir::tracking

void weir_register_tracking_module(weir::module::ModuleRegistry& registry) {
  registry.add(weir::module::module_type<weir::tracking::TrackingModule>(
      "tracking",
      "Tracking: every message crossing a module boundary, by correlation id (mode none | bus | "
      "file)",
      {"datapoint", "command", "communication"}));
}
