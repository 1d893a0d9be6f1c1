#include "alarm/alarm_module.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <memory>
#include <variant>

#include "alarm/alarm_store.hpp"
#include "api/system_routes.hpp"
#include "api/user_action.hpp"
#include "datapoint/datapoint_service.hpp"
#include "rule/datapoint_values.hpp"

namespace weir::alarm {

std::optional<int> parse_priority(std::string_view s) {
  if (s == "critical" || s == "1") return 1;
  if (s == "high" || s == "2") return 2;
  if (s == "medium" || s == "3") return 3;
  if (s == "low" || s == "4") return 4;
  return std::nullopt;
}

const char* priority_name(int p) {
  switch (p) {
    case 1:
      return "critical";
    case 2:
      return "high";
    case 4:
      return "low";
    default:
      return "medium";
  }
}

namespace {

std::optional<std::string> time_of(const std::optional<WallTime>& t) {
  if (!t) return std::nullopt;
  return to_iso8601(*t);
}
std::optional<std::string> text_of(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return s;
}
bool parse_time(const std::optional<std::string>& s, std::optional<WallTime>& out) {
  if (!s) return true;
  WallTime t;
  if (!parse_iso8601(*s, t)) return false;
  out = t;
  return true;
}

}  // namespace

AlarmDto to_dto(const AlarmEntry& e, bool with_last) {
  AlarmDto d;
  d.rule_id = e.rule_id;
  d.priority = e.policy.priority;
  d.priority_name = priority_name(e.policy.priority);
  const Occurrence* o = e.occurrence ? &*e.occurrence : (with_last && e.last ? &*e.last : nullptr);
  if (o) {
    d.occurrence_id = o->id;
    d.state = o->state;
    d.activation_time = to_iso8601(o->activation_time);
    d.deactivation_time = time_of(o->deactivation_time);
    d.acknowledge_time = time_of(o->acknowledge_time);
    d.acknowledged_by = text_of(o->acknowledged_by);
    d.activations = o->activations;
  }
  d.condition = e.condition;
  d.shelved_until = time_of(e.shelved_until);
  d.shelved_by = text_of(e.shelved_by);
  d.shelve_reason = text_of(e.shelve_reason);
  d.out_of_service = e.out_of_service;
  d.out_of_service_by = text_of(e.out_of_service_by);
  d.out_of_service_reason = text_of(e.out_of_service_reason);
  d.suppressed = e.suppressed;
  return d;
}

Result<AlarmEntry> from_dto(const AlarmDto& d) {
  AlarmEntry e;
  e.rule_id = d.rule_id;
  e.condition = d.condition;
  const auto bad = bad_request("bad_alarm_state", "saved state of alarm " + d.rule_id + " is bad");
  if (d.occurrence_id && d.state && d.activation_time && *d.state != AlarmState::FINISHED) {
    Occurrence o;
    o.id = *d.occurrence_id;
    o.state = *d.state;
    std::optional<WallTime> act;
    if (!parse_time(d.activation_time, act) ||
        !parse_time(d.deactivation_time, o.deactivation_time) ||
        !parse_time(d.acknowledge_time, o.acknowledge_time))
      return bad;
    o.activation_time = *act;
    o.acknowledged_by = d.acknowledged_by.value_or("");
    o.activations = std::max<std::uint32_t>(1, d.activations);
    e.occurrence = std::move(o);
  }
  if (!parse_time(d.shelved_until, e.shelved_until)) return bad;
  e.shelved_by = d.shelved_by.value_or("");
  e.shelve_reason = d.shelve_reason.value_or("");
  e.out_of_service = d.out_of_service;
  e.out_of_service_by = d.out_of_service_by.value_or("");
  e.out_of_service_reason = d.out_of_service_reason.value_or("");
  return e;
}

struct AlarmList {
  std::vector<AlarmDto> items;
};
BOOST_DESCRIBE_STRUCT(AlarmList, (), (items))
struct JournalList {
  std::vector<JournalRecord> items;
};
BOOST_DESCRIBE_STRUCT(JournalList, (), (items))
struct AckRequest {
  std::vector<std::string> rule_ids;
};
BOOST_DESCRIBE_STRUCT(AckRequest, (), (rule_ids))
struct AckRefusal {
  std::string rule_id;
  std::string code;
  std::string message;
};
BOOST_DESCRIBE_STRUCT(AckRefusal, (), (rule_id, code, message))
struct AckResult {
  std::vector<std::string> acknowledged;
  std::vector<AckRefusal> refused;
};
BOOST_DESCRIBE_STRUCT(AckResult, (), (acknowledged, refused))
struct ShelveRequest {
  std::uint32_t minutes = 0;
  std::string reason;
};
BOOST_DESCRIBE_STRUCT(ShelveRequest, (), (minutes, reason))
struct UnshelveRequest {
  std::optional<std::string> reason;
};
BOOST_DESCRIBE_STRUCT(UnshelveRequest, (), (reason))
struct ServiceRequest {
  bool out_of_service = true;
  std::string reason;
};
BOOST_DESCRIBE_STRUCT(ServiceRequest, (), (out_of_service, reason))
struct AlarmMetricsDto {
  std::uint64_t activations_10min = 0;
  bool flood = false;
  std::uint32_t flood_threshold = 10;
  std::uint64_t flood_periods = 0;
  std::uint64_t chattering = 0;
  std::uint64_t stale = 0;
  std::uint64_t standing_critical = 0;
  std::uint64_t standing_high = 0;
  std::uint64_t standing_medium = 0;
  std::uint64_t standing_low = 0;
  std::uint64_t unacknowledged = 0;
  std::uint64_t shelved = 0;
  std::uint64_t out_of_service = 0;
  std::uint64_t suppressed = 0;
  std::uint64_t total_activations = 0;
};
BOOST_DESCRIBE_STRUCT(AlarmMetricsDto, (),
                      (activations_10min, flood, flood_threshold, flood_periods, chattering, stale,
                       standing_critical, standing_high, standing_medium, standing_low,
                       unacknowledged, shelved, out_of_service, suppressed, total_activations))

namespace {

constexpr std::size_t kMaxReason = 500;
constexpr std::size_t kMaxAckBatch = 1000;

using api::RequestContext;

class AlarmModule final : public module::ModuleWith<AlarmSettings> {
 public:
  AlarmModule(module::ModuleHost& host, std::unique_ptr<AlarmStore> store)
      : host_(host), store_(std::move(store)) {}

  static Result<std::unique_ptr<AlarmModule>> create(module::ModuleHost& host,
                                                     const config::SystemConfig& config,
                                                     const AlarmSettings& s) {
    const std::filesystem::path dir(host.options.data_dir);
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    AlarmStoreOptions o;
    o.max_age = std::chrono::days(s.journal_max_age_days);
    o.max_rows = s.journal_max_rows;
    o.clock = &host.clock;
    o.post = host.post;
    auto store = AlarmStore::open(dir / "alarms.db", std::move(o));
    if (!store) return store.error();
    auto m = std::make_unique<AlarmModule>(host, std::move(*store));
    if (auto st = m->apply(config, s); !st) return st.error();
    m->restore();
    m->wire();
    return m;
  }

  static void check(const module::ModuleRegistry&, const config::SystemConfig& config,
                    const AlarmSettings& s, const std::string& path,
                    std::vector<config::ConfigIssue>& issues) {
    auto issue = [&](const std::string& p, std::string msg) {
      issues.push_back({"system_config.json", p, std::move(msg), true});
    };
    if (!parse_priority(s.default_priority))
      issue(path + ".default_priority", "unknown priority \"" + s.default_priority +
                                            "\" (known: critical, high, medium, low or 1 to 4)");
    if (s.flood_per_10min < 1) issue(path + ".flood_per_10min", "must be at least 1");
    if (s.max_shelve_minutes < 1 || s.max_shelve_minutes > 10'080)
      issue(path + ".max_shelve_minutes", "must be between 1 and 10080 (one week)");
    std::shared_ptr<const datapoint::Registry> registry;
    for (std::size_t i = 0; i < s.alarms.size(); ++i) {
      const auto& a = s.alarms[i];
      const std::string p = json::index_path(path + ".alarms", i);
      bool known = false;
      for (const auto& r : config.rules) known = known || r.rule_id == a.rule_id;
      if (!known) issue(p + ".rule_id", "no rule \"" + a.rule_id + "\" in rules[]");
      if (!a.priority.empty() && !parse_priority(a.priority))
        issue(p + ".priority", "unknown priority \"" + a.priority +
                                   "\" (known: critical, high, medium, low or 1 to 4)");
      if (a.on_delay_ms > 3'600'000) issue(p + ".on_delay_ms", "at most 3600000 (one hour)");
      if (a.off_delay_ms > 3'600'000) issue(p + ".off_delay_ms", "at most 3600000 (one hour)");
      if (!a.suppress_when.empty()) {
        if (!registry) registry = datapoint::Registry::build(config);
        auto x = expression::Expression::compile(a.suppress_when, rule::resolver_of(*registry));
        if (!x) issue(p + ".suppress_when", x.error().message);
      }
    }
  }

  Status apply(const config::SystemConfig& config, const AlarmSettings& s) override {
    settings_ = s;
    table_.flood_threshold = s.flood_per_10min;
    const int def = parse_priority(s.default_priority).value_or(3);
    default_priority_ = def;
    suppressions_.clear();
    auto* values = host_.services.find<datapoint::DatapointService>();
    for (const auto& r : config.rules) {
      AlarmPolicy p;
      p.priority = def;
      const AlarmRuleSettings* rs = nullptr;
      for (const auto& a : s.alarms)
        if (a.rule_id == r.rule_id) rs = &a;
      if (rs) {
        p.priority = parse_priority(rs->priority).value_or(def);
        p.on_delay = Millis(rs->on_delay_ms);
        p.off_delay = Millis(rs->off_delay_ms);
      }
      const auto slot = table_.define(r.rule_id, p);
      if (rs && !rs->suppress_when.empty() && values) {
        auto x = expression::Expression::compile(rs->suppress_when,
                                                 rule::resolver_of(values->registry()));
        if (!x) return x.error();
        suppressions_.emplace_back(slot, std::move(*x));
      }
    }
    return {};
  }

  void tick() override {
    const WallTime now = host_.clock.now();
    publish_if_commit_late();
    table_.tick(now);
    if (auto* values = host_.services.find<datapoint::DatapointService>()) {
      rule::DatapointValues source(*values);
      for (const auto& [slot, x] : suppressions_) table_.set_suppressed(slot, x.holds(source), now);
    }
    settle();
  }

  // Alarms restored from the saved states are news to the modules that show them (map, animations)
  // and store them (historian); then the list of every open occurrence (model::AlarmsRestored:
  // the historian closes the ones it stored that are not in it). Behind any transition committing.
  Status start() override {
    CommitBatch b;
    model::AlarmsRestored restored;
    restored.time = host_.clock.now();
    for (std::size_t s = 0; s < table_.size(); ++s) {
      const auto& e = table_.entry(static_cast<AlarmTable::Slot>(s));
      if (!e.occurrence) continue;
      b.publish.announcements.emplace_back(update_of(e));
      restored.open_occurrences.push_back(e.occurrence->id);
    }
    b.publish.announcements.emplace_back(std::move(restored));
    submit(std::move(b));
    return {};
  }

  // The last transitions committed (blocking: the module is stopping) and published.
  void stop() override {
    settle();
    AlarmRows rows;
    auto publish = queue_.drain(rows);
    if (!rows.empty()) store_->commit(std::move(rows), [](Status) {});
    if (auto st = store_->flush(); !st) spdlog::warn("alarms: {}", st.error().message);
    alive_ = std::make_shared<char>();  // answers of commits started before: ignored
    announce(publish);
  }

  void metrics(std::string& out) const override {
    const auto c = table_.counts(host_.clock.now());
    auto m = [&](const char* name, const char* type, const char* help, double v,
                 std::string_view labels = {}) { api::metric(out, name, type, help, v, labels); };
    m("weir_alarm_activations_10min", "gauge", "Alarm activations in the last 10 minutes",
      static_cast<double>(c.activations_10min));
    m("weir_alarm_flood", "gauge", "1 while more than flood_per_10min alarms in 10 minutes",
      c.flood ? 1 : 0);
    m("weir_alarm_flood_periods_total", "counter", "Alarm floods since start",
      static_cast<double>(c.flood_periods));
    m("weir_alarm_chattering", "gauge", "Alarms with 3 or more activations in the last minute",
      static_cast<double>(c.chattering));
    m("weir_alarm_stale", "gauge", "Alarms active for more than 24 hours",
      static_cast<double>(c.stale));
    for (int p = 1; p <= 4; ++p)
      m("weir_alarm_standing", "gauge", "Standing (active) alarms per priority",
        static_cast<double>(c.standing[p - 1]),
        std::string("priority=\"") + priority_name(p) + "\"");
    m("weir_alarm_unacknowledged", "gauge", "Alarms waiting for acknowledgement",
      static_cast<double>(c.unacknowledged));
    m("weir_alarm_shelved", "gauge", "Shelved alarms", static_cast<double>(c.shelved));
    m("weir_alarm_out_of_service", "gauge", "Alarms out of service",
      static_cast<double>(c.out_of_service));
    m("weir_alarm_suppressed", "gauge", "Alarms suppressed by design",
      static_cast<double>(c.suppressed));
    const auto s = store_->stats();
    m("weir_alarm_journal_dropped_total", "counter", "Journal rows lost (queue full, disk failing)",
      static_cast<double>(s.dropped + queue_.dropped()));
    m("weir_alarm_commits_total", "counter",
      "Group commits of alarm transitions (each before its transitions are published)",
      static_cast<double>(queue_.commits()));
    m("weir_alarm_commit_errors_total", "counter",
      "Group commits that failed (their transitions published anyway, their rows retried)",
      static_cast<double>(commit_errors_));
    m("weir_alarm_published_before_commit_total", "counter",
      "Times transitions were published unwritten because a commit had not answered in 500 ms",
      static_cast<double>(published_late_));
    m("weir_alarm_commit_seconds_max", "gauge",
      "The longest group commit since start, from its start to its answer on the io thread",
      std::chrono::duration<double>(commit_max_).count());
  }

 private:
  void wire() {
    requests_ = host_.bus.subscribe<model::AlarmRequest>([this](const model::AlarmRequest& r) {
      auto slot = table_.find(r.rule_id);
      if (!slot) slot = table_.define(std::string(r.rule_id), {default_priority_});
      if (r.raise)
        table_.raise(*slot, r.time);
      else
        table_.lower(*slot, r.time);
      settle();
    });
    feed_ = host_.hub.add_feed(
        {"alarm", "view",
         [this](std::string& out) {
           bool first = true;
           for (std::size_t s = 0; s < table_.size(); ++s) {
             const auto& e = table_.entry(static_cast<AlarmTable::Slot>(s));
             if (!listed(e)) continue;
             if (!first) out.push_back(',');
             first = false;
             json::dump_to(out, json::to_json(to_dto(e)));
           }
         },
         [this](std::uint64_t key, std::string& out) {
           if (key >= table_.size()) {
             out += "null";
             return;
           }
           json::dump_to(
               out, json::to_json(to_dto(table_.entry(static_cast<AlarmTable::Slot>(key)), true)));
         }});
    add_routes();
  }

  static bool listed(const AlarmEntry& e) {
    return e.occurrence || e.shelved_until || e.out_of_service || e.suppressed;
  }
  static bool worth_saving(const AlarmEntry& e) {
    return e.occurrence || e.shelved_until || e.out_of_service || e.condition;
  }

  void restore() {
    auto saved = store_->load();
    if (!saved) {
      spdlog::warn("alarms: saved states not read: {}", saved.error().message);
      return;
    }
    for (const auto& [rule_id, text] : *saved) {
      auto dto = json::decode<AlarmDto>(text);
      if (!dto) continue;
      auto entry = from_dto(*dto);
      if (!entry) continue;
      auto slot = table_.find(rule_id);
      if (!slot) slot = table_.define(rule_id, {default_priority_});
      table_.restore(*slot, *entry);
    }
    (void)table_.take_changed();
  }

  // What changed since the last settle: journal entries and saved states committed together,
  // then the changed alarms published (feed, model::AlarmUpdate) — CommitQueue.
  void settle() {
    CommitBatch b;
    b.rows.journal = table_.take_journal();
    for (auto s : table_.take_changed()) {
      const auto& e = table_.entry(s);
      b.publish.slots.push_back(s);
      b.publish.announcements.emplace_back(update_of(e));
      b.rows.states.push_back(
          {e.rule_id, worth_saving(e) ? json::dump(json::to_json(to_dto(e))) : ""});
    }
    if (!b.rows.empty() || !b.publish.empty()) submit(std::move(b));
  }

  // The first batch of an io turn schedules the commit for the turn's end: every settle of the
  // turn (a rule write raising many alarms) shares it.
  void submit(CommitBatch b) {
    if (!queue_.add(std::move(b))) return;
    host_.post([this, alive = std::weak_ptr<char>(alive_)] {
      if (alive.expired()) return;
      if (auto rows = queue_.start()) commit(std::move(*rows));
    });
  }

  // Starts committing `rows` (the running batch's); a batch with nothing to write is done at once.
  void commit(AlarmRows rows) {
    while (rows.empty()) {
      auto d = queue_.done();
      announce(d.publish);
      if (!d.next) return;
      rows = std::move(*d.next);
    }
    const auto started = std::chrono::steady_clock::now();
    commit_started_ = host_.clock.mono();
    store_->commit(
        std::move(rows), [this, alive = std::weak_ptr<char>(alive_), started](Status st) {
          if (alive.expired()) return;  // stopped meanwhile: stop() published it
          commit_max_ = std::max(commit_max_, std::chrono::steady_clock::now() - started);
          if (!st && !commit_failing_)
            spdlog::error("alarms: transitions not committed, published anyway: {}",
                          st.error().message);
          commit_failing_ = !st;
          commit_late_ = false;
          commit_errors_ += st ? 0 : 1;
          auto d = queue_.done();
          announce(d.publish);
          if (d.next) commit(std::move(*d.next));
        });
  }

  // A commit that has not answered within kPublishDeadline (a hung or very slow disk): what
  // waits for it is published now, and what comes later within a tick, until it answers. The
  // rows are still written when the disk answers; a crash meanwhile may lose them.
  void publish_if_commit_late() {
    if (!queue_.running() || host_.clock.mono() - commit_started_ < kPublishDeadline) return;
    auto late = queue_.take_late();
    if (late.empty()) return;
    if (!commit_late_)
      spdlog::warn("alarms: a commit has not answered in {} ms: publishing transitions unwritten",
                   std::chrono::duration_cast<std::chrono::milliseconds>(kPublishDeadline).count());
    commit_late_ = true;
    ++published_late_;
    announce(late);
  }

  void announce(const Publications& p) {
    for (auto s : p.slots) host_.hub.mark(feed_, s);
    for (const auto& a : p.announcements)
      std::visit([this](const auto& m) { host_.bus.publish(m); }, a);
  }

  // model::AlarmUpdate: the occurrence's state, FINISHED when it has none.
  static model::AlarmUpdate update_of(const AlarmEntry& e) {
    model::AlarmUpdate u;
    u.rule_id = e.rule_id;
    const Occurrence* o = e.occurrence ? &*e.occurrence : (e.last ? &*e.last : nullptr);
    u.state = e.occurrence ? e.occurrence->state : model::AlarmState::FINISHED;
    if (o) {
      u.occurrence_id = o->id;
      u.activation_time = o->activation_time;
      u.deactivation_time = o->deactivation_time;
      u.acknowledge_time = o->acknowledge_time;
      u.user = o->acknowledged_by;
    }
    return u;
  }

  Result<AlarmTable::Slot> slot_of(const RequestContext& ctx) const {
    const std::string id(ctx.param("rule_id"));
    auto s = table_.find(id);
    if (!s) return not_found("unknown_alarm", "no alarm for rule \"" + id + "\"", "rule_id");
    return *s;
  }

  // Audits an operator's action on one alarm and answers with the alarm.
  HttpResponse audited(const RequestContext& ctx, const char* action, const Status& st,
                       std::string detail, AlarmTable::Slot slot) {
    api::publish_user_action(host_.bus, host_.clock, ctx, action, table_.entry(slot).rule_id,
                             st.has_value(), st ? std::move(detail) : st.error().message);
    settle();
    if (!st) return api::error_response(st.error());
    return api::dto_response(200, to_dto(table_.entry(slot), true));
  }

  void add_routes();
  // POST /api/alarms/{rule_id}/<action>: the alarm looked up (404) before `handle`.
  void add_control(const std::string& action, const std::string& permission, std::string summary,
                   api::SchemaFn request,
                   std::function<HttpResponse(const RequestContext&, AlarmTable::Slot)> handle);

  module::ModuleHost& host_;
  std::unique_ptr<AlarmStore> store_;
  AlarmSettings settings_;
  int default_priority_ = 3;
  AlarmTable table_;
  std::vector<std::pair<AlarmTable::Slot, expression::Expression>> suppressions_;
  api::LiveFeedHub::FeedId feed_ = 0;
  bus::Subscription requests_;
  CommitQueue queue_;
  std::shared_ptr<char> alive_ = std::make_shared<char>();  // commit answers hold a weak_ptr
  std::uint64_t commit_errors_ = 0;
  bool commit_failing_ = false;  // say it once when commits start failing
  static constexpr std::chrono::milliseconds kPublishDeadline{500};
  MonoTime commit_started_{};
  bool commit_late_ = false;  // say it once per late commit
  std::uint64_t published_late_ = 0;
  std::chrono::steady_clock::duration commit_max_{};
};

Result<std::string> reason_of(std::string r, bool required) {
  if (required && r.find_first_not_of(" \t") == std::string::npos)
    return bad_request("missing_reason", "reason: a reason is required", "reason");
  if (r.size() > kMaxReason)
    return bad_request("reason_too_long",
                       "reason: at most " + std::to_string(kMaxReason) + " bytes", "reason");
  return r;
}

Result<JournalQuery> journal_query(const RequestContext& ctx) {
  JournalQuery q;
  const auto& req = ctx.request;
  auto number = [](std::string_view s, std::int64_t lo,
                   std::int64_t hi) -> std::optional<std::int64_t> {
    std::int64_t n = 0;
    if (s.empty() || s.size() > 18) return std::nullopt;
    for (char c : s) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + (c - '0');
    }
    if (n < lo || n > hi) return std::nullopt;
    return n;
  };
  if (auto l = req.query_param("limit"); !l.empty()) {
    auto n = number(l, 1, 1000);
    if (!n) return bad_request("bad_limit", "limit: expected a number from 1 to 1000", "limit");
    q.limit = static_cast<std::size_t>(*n);
  }
  if (auto b = req.query_param("before_id"); !b.empty()) {
    auto n = number(b, 1, INT64_MAX / 16);
    if (!n) return bad_request("bad_before_id", "before_id: expected a row id", "before_id");
    q.before_id = *n;
  }
  for (const char* key : {"from", "to"}) {
    auto v = req.query_param(key);
    if (v.empty()) continue;
    WallTime t;
    if (!parse_iso8601(std::string(v), t))
      return bad_request(
          "bad_time", std::string(key) + ": expected an ISO 8601 UTC time (2026-01-31T12:00:00Z)",
          key);
    (std::string_view(key) == "from" ? q.from : q.to) = t;
  }
  if (auto r = req.query_param("rule_id"); !r.empty()) q.rule_id = std::string(r);
  if (auto s = req.query_param("state"); !s.empty()) {
    AlarmState st{};
    if (!json::enum_from_name(s, st))
      return bad_request("bad_state", "state: expected ACTIVE, ACK, INACTIVE or FINISHED", "state");
    q.state = st;
  }
  return q;
}

void AlarmModule::add_routes() {
  using api::dto_response;
  using api::error_response;
  using api::schema_of;
  auto& r = host_.router;
  r.add({"GET",
         "/api/alarms",
         "view",
         false,
         "alarms",
         "Current alarms (an occurrence not finished, or shelved, out of service, suppressed), "
         "highest priority first, newest first",
         {},
         schema_of<AlarmList>(),
         "application/json",
         200,
         {{"state", "ACTIVE, ACK or INACTIVE"},
          {"priority", "critical, high, medium, low or 1 to 4"}},
         {400},
         [this](const RequestContext& ctx) {
           std::optional<AlarmState> state;
           if (auto s = ctx.request.query_param("state"); !s.empty()) {
             AlarmState st{};
             if (!json::enum_from_name(s, st))
               return error_response(
                   bad_request("bad_state", "state: expected ACTIVE, ACK or INACTIVE", "state"));
             state = st;
           }
           std::optional<int> priority;
           if (auto p = ctx.request.query_param("priority"); !p.empty()) {
             priority = parse_priority(p);
             if (!priority)
               return error_response(bad_request(
                   "bad_priority", "priority: expected critical, high, medium, low or 1 to 4",
                   "priority"));
           }
           std::vector<const AlarmEntry*> picked;
           for (std::size_t s = 0; s < table_.size(); ++s) {
             const auto& e = table_.entry(static_cast<AlarmTable::Slot>(s));
             if (!listed(e)) continue;
             if (state && (!e.occurrence || e.occurrence->state != *state)) continue;
             if (priority && e.policy.priority != *priority) continue;
             picked.push_back(&e);
           }
           std::sort(picked.begin(), picked.end(), [](const AlarmEntry* a, const AlarmEntry* b) {
             if (a->policy.priority != b->policy.priority)
               return a->policy.priority < b->policy.priority;
             const auto ta = a->occurrence ? a->occurrence->activation_time : WallTime{};
             const auto tb = b->occurrence ? b->occurrence->activation_time : WallTime{};
             return ta > tb;
           });
           AlarmList out;
           for (const auto* e : picked) out.items.push_back(to_dto(*e));
           return dto_response(200, out);
         }});
  r.add({"GET",
         "/api/alarms/journal",
         "view",
         false,
         "alarms",
         "The alarm journal: every transition with time, user and reason, newest first",
         {},
         schema_of<JournalList>(),
         "application/json",
         200,
         {{"from", "ISO 8601 UTC: entries at or after this time"},
          {"to", "ISO 8601 UTC: entries before this time"},
          {"rule_id", "only this rule's alarm"},
          {"state", "only entries leaving the occurrence in this state"},
          {"before_id", "paging: entries older than this id"},
          {"limit", "at most this many (1-1000, default 100)"}},
         {400, 503},
         [this](const RequestContext& ctx) {
           auto q = journal_query(ctx);
           if (!q) return error_response(q.error());
           return HttpResponse::later([this, q = *q](HttpResponse::Reply reply) {
             store_->query(q, [reply](AlarmStore::Records rows) {
               if (!rows) return reply(error_response(rows.error()));
               JournalList out;
               out.items = std::move(*rows);
               reply(dto_response(200, out));
             });
           });
         }});
  r.add({"GET",
         "/api/alarms/metrics",
         "view",
         false,
         "alarms",
         "Operator metrics as IEC 62682 counts them: rate per 10 minutes, floods, chattering, "
         "stale and standing alarms",
         {},
         schema_of<AlarmMetricsDto>(),
         "application/json",
         200,
         {},
         {},
         [this](const RequestContext&) {
           const auto c = table_.counts(host_.clock.now());
           AlarmMetricsDto d;
           d.activations_10min = c.activations_10min;
           d.flood = c.flood;
           d.flood_threshold = table_.flood_threshold;
           d.flood_periods = c.flood_periods;
           d.chattering = c.chattering;
           d.stale = c.stale;
           d.standing_critical = c.standing[0];
           d.standing_high = c.standing[1];
           d.standing_medium = c.standing[2];
           d.standing_low = c.standing[3];
           d.unacknowledged = c.unacknowledged;
           d.shelved = c.shelved;
           d.out_of_service = c.out_of_service;
           d.suppressed = c.suppressed;
           d.total_activations = c.total_activations;
           return dto_response(200, d);
         }});
  r.add({"POST",
         "/api/alarms/ack",
         "ack_alarm",
         false,
         "alarms",
         "Acknowledge several alarms; answers which were acknowledged and which not, and why",
         schema_of<AckRequest>(),
         schema_of<AckResult>(),
         "application/json",
         200,
         {},
         {400, 413},
         [this](const RequestContext& ctx) {
           auto body = api::parse_body<AckRequest>(ctx.request);
           if (!body) return error_response(body.error());
           if (body->rule_ids.size() > kMaxAckBatch)
             return error_response(Error::make(ErrorKind::too_large, "too_many",
                                               "rule_ids: at most 1000 per request", "rule_ids"));
           AckResult out;
           const auto now = host_.clock.now();
           for (const auto& id : body->rule_ids) {
             auto slot = table_.find(id);
             Status st =
                 slot ? table_.acknowledge(*slot, ctx.caller.user, now)
                      : Status(not_found("unknown_alarm", "no alarm for rule \"" + id + "\""));
             api::publish_user_action(host_.bus, host_.clock, ctx, "ack", id, st.has_value(),
                                      st ? "acknowledged" : st.error().message);
             if (st)
               out.acknowledged.push_back(id);
             else
               out.refused.push_back({id, st.error().code, st.error().message});
           }
           settle();
           return dto_response(200, out);
         }});
  using Slot = AlarmTable::Slot;
  add_control("ack", "ack_alarm", "Acknowledge one alarm", {},
              [this](const RequestContext& ctx, Slot slot) {
                auto st = table_.acknowledge(slot, ctx.caller.user, host_.clock.now());
                return audited(ctx, "ack", st, "acknowledged", slot);
              });
  add_control(
      "shelve", "shelve_alarm",
      "Shelve an alarm for some minutes (at most max_shelve_minutes) with a reason; it comes back "
      "when the time is up if its condition still holds",
      schema_of<ShelveRequest>(), [this](const RequestContext& ctx, Slot slot) {
        auto body = api::parse_body<ShelveRequest>(ctx.request);
        if (!body) return error_response(body.error());
        if (body->minutes < 1 || body->minutes > settings_.max_shelve_minutes)
          return error_response(bad_request(
              "bad_minutes",
              "minutes: expected 1 to " + std::to_string(settings_.max_shelve_minutes), "minutes"));
        auto reason = reason_of(body->reason, true);
        if (!reason) return error_response(reason.error());
        auto st = table_.shelve(slot, ctx.caller.user, *reason, std::chrono::minutes(body->minutes),
                                host_.clock.now());
        return audited(ctx, "shelve_alarm", st,
                       "shelved for " + std::to_string(body->minutes) + " min: " + *reason, slot);
      });
  add_control("unshelve", "shelve_alarm",
              "Lift an alarm's shelving; it alarms at once if its condition holds",
              schema_of<UnshelveRequest>(), [this](const RequestContext& ctx, Slot slot) {
                UnshelveRequest body;
                if (!ctx.request.body.empty()) {
                  auto b = api::parse_body<UnshelveRequest>(ctx.request);
                  if (!b) return error_response(b.error());
                  body = *b;
                }
                auto reason = reason_of(body.reason.value_or(""), false);
                if (!reason) return error_response(reason.error());
                auto st = table_.unshelve(slot, ctx.caller.user, *reason, host_.clock.now());
                return audited(ctx, "shelve_alarm", st,
                               "unshelved" + (reason->empty() ? "" : ": " + *reason), slot);
              });
  add_control("service", "shelve_alarm",
              "Take an alarm out of service (maintenance, no time limit) or back in service, "
              "with a reason",
              schema_of<ServiceRequest>(), [this](const RequestContext& ctx, Slot slot) {
                auto body = api::parse_body<ServiceRequest>(ctx.request);
                if (!body) return error_response(body.error());
                auto reason = reason_of(body->reason, body->out_of_service);
                if (!reason) return error_response(reason.error());
                auto st = table_.set_out_of_service(slot, body->out_of_service, ctx.caller.user,
                                                    *reason, host_.clock.now());
                return audited(
                    ctx, "shelve_alarm", st,
                    (body->out_of_service ? "out of service: " : "back in service: ") + *reason,
                    slot);
              });
}

void AlarmModule::add_control(
    const std::string& action, const std::string& permission, std::string summary,
    api::SchemaFn request,
    std::function<HttpResponse(const RequestContext&, AlarmTable::Slot)> handle) {
  host_.router.add({"POST",
                    "/api/alarms/{rule_id}/" + action,
                    permission,
                    false,
                    "alarms",
                    std::move(summary),
                    std::move(request),
                    api::schema_of<AlarmDto>(),
                    "application/json",
                    200,
                    {},
                    {400, 404, 409},
                    [this, handle = std::move(handle)](const RequestContext& ctx) {
                      auto slot = slot_of(ctx);
                      if (!slot) return api::error_response(slot.error());
                      return handle(ctx, *slot);
                    }});
}

}  // namespace
}  // namespace weir::alarm

void weir_register_alarm_module(weir::module::ModuleRegistry& registry) {
  registry.add(weir::module::module_type<weir::alarm::AlarmModule>(
      "alarm",
      "Alarms raised by rules: acknowledgement, priorities, shelving, out of service, "
      "suppression, on/off delays, journal and IEC 62682 metrics",
      {"datapoint"}));
}
