// The historian module without sockets: the datapoint module and the historian on a TestHost,
// updates through the DatapointService, the routes called on the Router.
#include "historian/historian_module.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <future>

#include "datapoint/datapoint_service.hpp"
#include "model/alarm_messages.hpp"
#include "module/test_host.hpp"
#include "storage/storage_test_support.hpp"

void weir_register_datapoint_module(weir::module::ModuleRegistry&);

namespace weir::historian {
namespace {

class Allow final : public api::AccessControl {
 public:
  Result<api::Caller> authorize(const HttpRequest&, std::string_view) override {
    api::Caller c;
    c.user = "tester";
    return c;
  }
};

constexpr const char* kConfig = R"({
  "dp_types": {"LEVEL": {"type": "float", "min": 0, "max": 100, "default": 0}},
  "drivers": [{"name": "D", "driver_class": "Nothing",
               "datapoints": [{"name": "A", "type": "LEVEL"}, {"name": "B", "type": "LEVEL"}]}],
  "modules": [{"name": "datapoint"},
              {"name": "historian", "config": {"flush_interval_ms": 10,
                "tags": [{"datapoints": "D@A", "deadband_percent": 1}]}}]})";

HttpResponse get(module::TestHost& t, const std::string& path,
                 std::multimap<std::string, std::string> query) {
  HttpRequest req;
  req.method = "GET";
  req.path = path;
  req.target = path;
  req.query = std::move(query);
  auto res = t.router.handle(req);
  if (res.stream) {  // a streamed body: every piece asked for in turn, until the empty one
    for (;;) {
      auto piece = std::make_shared<std::promise<Result<std::string>>>();
      auto f = piece->get_future();
      res.stream->next([piece](Result<std::string> p) { piece->set_value(std::move(p)); });
      auto p = f.get();
      if (!p) return HttpResponse::text(500, p.error().message);
      if (p->empty()) break;
      res.body += *p;
    }
    res.stream.reset();
    return res;
  }
  if (!res.deferred) return res;
  auto answer = std::make_shared<std::promise<HttpResponse>>();
  auto f = answer->get_future();
  res.deferred([answer](HttpResponse r) { answer->set_value(std::move(r)); });
  return f.get();
}

TEST(HistorianModule, StoresWhatThePolicyKeepsAndAnswersTheRoutes) {
  storage::testing::TempDir dir;
  ManualClock clock(from_unix_ms(1'700'000'000'000));
  ProcessOptions o;
  o.data_dir = dir.path.string();
  module::TestHost t(clock, o);
  t.router.set_access(std::make_shared<Allow>());
  weir_register_datapoint_module(t.registry);
  weir_register_historian_module(t.registry);
  auto cfg = config::parse_system_config(kConfig);
  ASSERT_TRUE(cfg.ok()) << cfg.errors_text();
  auto set = t.create(*cfg.config);
  ASSERT_TRUE(set) << set.error().message;
  ASSERT_TRUE((*set)->start());
  auto* dp = t.services.find<datapoint::DatapointService>();
  ASSERT_NE(dp, nullptr);
  const auto a = *dp->registry().find("D@A");
  const auto b = *dp->registry().find("D@B");
  const auto from = clock.now();
  // D@A has a deadband of 1 % of 0-100: 10.5 is not stored. D@B stores every change.
  for (double v : {10.0, 10.5, 12.0, 12.0, 20.0}) {
    clock.advance(std::chrono::seconds(1));
    for (auto i : {a, b}) {
      model::RawTagUpdate u;
      u.index = i;
      u.value = v;
      ASSERT_EQ(dp->apply(u), datapoint::Rejection::none);
    }
  }
  (*set)->tick();
  const auto to = to_iso8601(clock.now() + std::chrono::seconds(1));
  auto raw =
      get(t, "/api/history/raw", {{"tags", "D@A,D@B"}, {"from", to_iso8601(from)}, {"to", to}});
  ASSERT_EQ(raw.status, 200) << raw.body;
  auto j = boost::json::parse(raw.body).as_object();
  std::vector<std::string> got;
  for (const auto& item : j["items"].as_array())
    got.push_back(std::string(item.at("tag").as_string()) + "=" +
                  std::to_string(item.at("value").to_number<double>()));
  EXPECT_EQ(got, (std::vector<std::string>{"D@A=10.000000", "D@A=12.000000", "D@A=20.000000",
                                           "D@B=10.000000", "D@B=10.500000", "D@B=12.000000",
                                           "D@B=20.000000"}));

  auto trend = get(t, "/api/history/trend",
                   {{"tags", "D@B"}, {"from", to_iso8601(from)}, {"to", to}, {"points", "1"}});
  ASSERT_EQ(trend.status, 200) << trend.body;
  auto series = boost::json::parse(trend.body).at("series").at(0);
  EXPECT_EQ(series.at("level").as_string(), "raw");
  EXPECT_EQ(series.at("buckets").at(0).at("count").as_int64(), 4);
  EXPECT_EQ(series.at("buckets").at(0).at("max").to_number<double>(), 20.0);

  auto csv = get(t, "/api/history/export.csv",
                 {{"tags", "D@A,D@B"}, {"from", to_iso8601(from)}, {"to", to}, {"layout", "wide"}});
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.content_type.rfind("text/csv", 0), 0u);
  EXPECT_EQ(csv.body.substr(0, csv.body.find("\r\n")), "time,D@A,D@B");
  EXPECT_EQ(std::count(csv.body.begin(), csv.body.end(), '\n'), 5);  // header + 4 times

  auto bad = get(t, "/api/history/trend", {{"tags", "D@B"}, {"points", "0"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("\"field\":\"points\""), std::string::npos) << bad.body;

  std::string metrics;
  (*set)->metrics(metrics);
  EXPECT_NE(metrics.find("weir_historian_values_stored_total 7"), std::string::npos) << metrics;
  (*set)->stop();
}

// The alarm module's transitions (model::AlarmUpdate) as "alarm" events, and what it restored at
// start (model::AlarmsRestored): an occurrence stored open that the restored table does not hold
// is closed with a FINISHED event saying why — in this run, and in the next one from the file.
class AlarmEvents {
 public:
  AlarmEvents(const std::filesystem::path& dir, ManualClock& clock) : clock_(clock) {
    ProcessOptions o;
    o.data_dir = dir.string();
    t_ = std::make_unique<module::TestHost>(clock, o);
    t_->router.set_access(std::make_shared<Allow>());
    weir_register_datapoint_module(t_->registry);
    weir_register_historian_module(t_->registry);
    auto set = t_->start_modules(kConfig);
    EXPECT_TRUE(set) << set.error().message;
    if (set) set_ = std::move(*set);
  }
  ~AlarmEvents() { set_->stop(); }

  void update(const std::string& occurrence, model::AlarmState state) {
    clock_.advance(std::chrono::seconds(1));
    model::AlarmUpdate u;
    u.rule_id = occurrence.substr(0, occurrence.find(':'));
    u.occurrence_id = occurrence;
    u.state = state;
    u.activation_time = clock_.now();
    t_->bus.publish(u);
  }
  void restored(std::vector<std::string> open) {
    clock_.advance(std::chrono::seconds(1));
    t_->bus.publish(model::AlarmsRestored{std::move(open), clock_.now()});
  }
  // Every stored alarm event, oldest first: "occurrence state[ reason]" at its time (s after t0).
  std::vector<std::string> events(WallTime t0) {
    set_->tick();
    auto res = get(*t_, "/api/history/events", {{"kind", "alarm"}, {"limit", "100"}});
    EXPECT_EQ(res.status, 200) << res.body;
    std::vector<std::string> out;
    const auto body = boost::json::parse(res.body);
    for (const auto& e : body.at("items").as_array()) {
      const auto& d = e.at("detail").as_object();
      WallTime t;
      EXPECT_TRUE(parse_iso8601(std::string(e.at("time").as_string()), t));
      std::string line = std::to_string((t - t0) / std::chrono::seconds(1)) + "s " +
                         std::string(d.at("occurrence_id").as_string()) + " " +
                         std::string(d.at("state").as_string());
      if (auto* r = d.if_contains("reason")) line += " (" + std::string(r->as_string()) + ")";
      out.insert(out.begin(), line);
    }
    return out;
  }

 private:
  ManualClock& clock_;
  std::unique_ptr<module::TestHost> t_;
  std::unique_ptr<module::ModuleSet> set_;
};

TEST(HistorianModule, ClosesStoredOccurrencesTheRestoredAlarmsDoNotHold) {
  storage::testing::TempDir dir;
  const WallTime t0 = from_unix_ms(1'700'000'000'000);
  ManualClock clock(t0);
  using model::AlarmState;
  const std::string closed = " (closed at restart: not in the restored alarm state)";
  {
    AlarmEvents h(dir.path, clock);
    h.update("a:1", AlarmState::ACTIVE);    // 1 s
    h.update("b:1", AlarmState::ACTIVE);    // 2 s
    h.update("b:1", AlarmState::INACTIVE);  // 3 s
    h.update("c:1", AlarmState::ACTIVE);    // 4 s
    h.update("c:1", AlarmState::FINISHED);  // 5 s
    h.update("d:1", AlarmState::ACK);       // 6 s
    // The alarm module restarted holding b:1 only: a:1 and d:1 will never hear from it again.
    h.restored({"b:1"});  // 7 s
    EXPECT_EQ(h.events(t0),
              (std::vector<std::string>{"1s a:1 ACTIVE", "2s b:1 ACTIVE", "3s b:1 INACTIVE",
                                        "4s c:1 ACTIVE", "5s c:1 FINISHED", "6s d:1 ACK",
                                        "7s a:1 FINISHED" + closed, "7s d:1 FINISHED" + closed}));
    h.update("a:1", AlarmState::ACK);  // 8 s: closed is final, not stored
    h.restored({"b:1"});               // 9 s: nothing more to close
    EXPECT_EQ(h.events(t0).size(), 8u);
  }
  // The next run reads the stored states back (seed_alarms): b:1 republished as stored is not
  // stored again; restored without it, it is closed.
  AlarmEvents h(dir.path, clock);
  h.update("b:1", AlarmState::INACTIVE);  // 10 s
  h.restored({});                         // 11 s
  auto events = h.events(t0);
  ASSERT_EQ(events.size(), 9u);
  EXPECT_EQ(events.back(), "11s b:1 FINISHED" + closed);
}

TEST(HistorianModule, CheckNamesThePathOfEachProblem) {
  auto cfg = config::parse_system_config(R"({
    "dp_types": {"S": {"type": "string", "default": ""}},
    "drivers": [{"name": "D", "driver_class": "Nothing", "datapoints": [{"name": "A", "type": "S"}]}],
    "modules": [{"name": "historian", "config": {"backend": "oracle", "flush_interval_ms": 1,
      "tags": [{"datapoints": "Nope@*"}, {"datapoints": "D@A", "deadband_percent": 5}]}}]})");
  ASSERT_TRUE(cfg.ok()) << cfg.errors_text();
  module::ModuleRegistry registry;
  weir_register_historian_module(registry);
  auto plan = module::plan_modules(registry, *cfg.config);
  std::string text;
  for (const auto& i : plan.issues) text += i.to_string() + "\n";
  EXPECT_NE(text.find("modules[0].config.backend"), std::string::npos) << text;
  EXPECT_NE(text.find("modules[0].config.flush_interval_ms"), std::string::npos) << text;
  EXPECT_NE(text.find("modules[0].config.tags[0].datapoints"), std::string::npos) << text;
  EXPECT_NE(text.find("modules[0].config.tags[1].deadband_percent"), std::string::npos) << text;
}

TEST(HistorianModule, CheckAcceptsPostgresqlAndNamesAMissingVariable) {
  auto issues_of = [](const std::string& historian) {
    auto cfg = config::parse_system_config(
        R"({"dp_types": {}, "drivers": [], "modules": [{"name": "historian", "config": )" +
        historian + "}]}");
    EXPECT_TRUE(cfg.ok()) << cfg.errors_text();
    module::ModuleRegistry registry;
    weir_register_historian_module(registry);
    auto plan = module::plan_modules(registry, *cfg.config);
    std::string text;
    for (const auto& i : plan.issues) text += i.to_string() + "\n";
    return text;
  };
  EXPECT_EQ(issues_of(R"({"backend": "postgresql"})"), "");
  EXPECT_EQ(issues_of(R"({"backend": "postgresql", "connection_env": "PG_SITE_A"})"), "");
  for (const char* bad : {R"("")", R"("WEIR PG")", R"("1PG")"}) {
    const auto text =
        issues_of(R"({"backend": "postgresql", "connection_env": )" + std::string(bad) + "}");
    EXPECT_NE(text.find("modules[0].config.connection_env"), std::string::npos) << bad << text;
  }
  EXPECT_NE(issues_of(R"({"backend": "postgresql", "partition_seconds": 0})")
                .find("modules[0].config.partition_seconds"),
            std::string::npos);
  EXPECT_EQ(issues_of(R"({"backend": "postgresql", "node": "plant-a/weir-2"})"), "");
  EXPECT_NE(
      issues_of(R"({"backend": "postgresql", "node": "a\nb"})").find("modules[0].config.node"),
      std::string::npos);
  EXPECT_NE(issues_of(R"({"backend": "postgresql", "node": ")" + std::string(65, 'x') + R"("})")
                .find("modules[0].config.node"),
            std::string::npos);
  // The open pages' budget, either backend: 0 (none kept past a commit) up to 64 GB.
  for (const char* ok : {"0", "0.5", "64", "65536"})
    EXPECT_EQ(issues_of(R"({"open_pages_mb": )" + std::string(ok) + "}"), "") << ok;
  for (const char* bad : {"-1", "65537", "1e300"}) {
    const auto text =
        issues_of(R"({"backend": "postgresql", "open_pages_mb": )" + std::string(bad) + "}");
    EXPECT_NE(text.find("modules[0].config.open_pages_mb: must be between 0 and 65536"),
              std::string::npos)
        << bad << text;
  }
}

}  // namespace
}  // namespace weir::historian
