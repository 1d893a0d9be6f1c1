// Runs the scenario files of tests/logic/*.scenario: the rule, alarm and alert modules (with the
// datapoint and command modules under them, no drivers) on a ManualClock, driven and checked one
// readable line at a time. The language:
//
//   config fixtures/openscada-lite/system_config.json   (relative to tests/; first)
//   rule {"rule_id": "r", "on_condition": "...", "on_actions": [...]}   (one more rule)
//   settings alarm {"alarms": [{"rule_id": "door_open_alarm", "on_delay_ms": 5000}]}
//   given WaterTank@TANK = 5                 (a good value; `... quality bad` for a bad one)
//   advance 30s                              (ms, s, min, h; the modules tick every 50 ms)
//   expect command WaterTank@PUMP_CMD = OPEN (a command the rules sent since the last check)
//   expect no command
//   expect rule pump_start_if_low_level active
//   expect alarm pump_start_if_low_level ACTIVE   (ACTIVE, ACK, INACTIVE; FINISHED: not listed;
//                                                  SHELVED; NONE: listed without an occurrence)
//   ack pump_start_if_low_level              (as user "operator", over the REST route)
//   shelve door_open_alarm 10 "sensor replaced"   (minutes, reason)
//   unshelve door_open_alarm
//   out-of-service door_open_alarm "maintenance"    in-service door_open_alarm
//   expect alert switch_error_turn open      (the newest alert of that rule: open, expired, ...)
//   answer alert switch_error_turn confirm   (or cancel)
//   expect status 409                        (the status of the last REST call)
//   clock 2026-12-03T16:59:30Z               (sets the wall clock: before start, or a step)
//   disable-schedule on_mode                 (enable-schedule: the REST routes, as "operator")
//   expect schedule on_mode last_run 2026-12-03T17:00:00.000Z   (a field of GET /api/schedules;
//                                                                 none: absent)
//   # comment
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "command/command_module.hpp"
#include "config/system_config.hpp"
#include "core/json.hpp"
#include "datapoint/datapoint_service.hpp"
#include "module/test_host.hpp"

void weir_register_datapoint_module(weir::module::ModuleRegistry&);
void weir_register_command_module(weir::module::ModuleRegistry&);
void weir_register_rule_module(weir::module::ModuleRegistry&);
void weir_register_alarm_module(weir::module::ModuleRegistry&);
void weir_register_alert_module(weir::module::ModuleRegistry&);
void weir_register_schedule_module(weir::module::ModuleRegistry&);

namespace weir::rule {
namespace {

namespace fs = std::filesystem;

const fs::path kTests = WEIR_TESTS_DIR;

// Every request is user "operator" with every permission: scenarios test logic, not security.
class Operator final : public api::AccessControl {
 public:
  Result<api::Caller> authorize(const HttpRequest&, std::string_view) override {
    api::Caller c;
    c.user = "operator";
    c.address = "scenario";
    return c;
  }
};

std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    if (line[i] == ' ') {
      ++i;
      continue;
    }
    if (line[i] == '"') {
      const auto end = line.find('"', i + 1);
      out.push_back(line.substr(i + 1, end == std::string::npos ? end : end - i - 1));
      i = end == std::string::npos ? line.size() : end + 1;
      continue;
    }
    const auto end = line.find(' ', i);
    out.push_back(line.substr(i, end == std::string::npos ? end : end - i));
    i = end == std::string::npos ? line.size() : end;
  }
  return out;
}

bool is(const boost::json::value& v, std::string_view s) {
  return v.is_string() && v.get_string() == s;
}

model::Value value_of(const std::string& s) {
  if (s == "true" || s == "false") return s == "true";
  char* end = nullptr;
  const double d = std::strtod(s.c_str(), &end);
  if (!s.empty() && end == s.c_str() + s.size()) {
    if (s.find_first_of(".eE") == std::string::npos) return static_cast<std::int64_t>(d);
    return d;
  }
  return s;
}

std::optional<Millis> duration_of(const std::string& s) {
  std::size_t n = 0;
  while (n < s.size() && std::isdigit(static_cast<unsigned char>(s[n]))) ++n;
  if (n == 0) return std::nullopt;
  const long long v = std::stoll(s.substr(0, n));
  const std::string unit = s.substr(n);
  if (unit == "ms") return Millis(v);
  if (unit == "s") return Millis(v * 1000);
  if (unit == "min") return Millis(v * 60'000);
  if (unit == "h") return Millis(v * 3'600'000);
  return std::nullopt;
}

class Scenario {
 public:
  explicit Scenario(fs::path file) : file_(std::move(file)) {
    data_dir_ = fs::temp_directory_path() /
                ("weir-scenario-" + std::to_string(::getpid()) + "-" + file_.stem().string());
    fs::remove_all(data_dir_);
    fs::create_directories(data_dir_);
  }
  ~Scenario() {
    if (set_) set_->stop();
    set_.reset();
    host_.reset();
    fs::remove_all(data_dir_);
  }

  void run() {
    std::ifstream in(file_);
    ASSERT_TRUE(in) << file_;
    std::string line;
    while (std::getline(in, line)) {
      ++line_no_;
      if (auto hash = line.find('#'); hash != std::string::npos && line.find('"') > hash)
        line.erase(hash);
      while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
      if (line.find_first_not_of(' ') == std::string::npos) continue;
      SCOPED_TRACE(file_.filename().string() + ":" + std::to_string(line_no_) + ": " + line);
      step(line);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }

 private:
  void step(const std::string& line) {
    const auto w = words(line);
    const std::string& verb = w[0];
    if (verb == "config") {
      auto text = config::read_text_file((kTests / w.at(1)).string());
      ASSERT_TRUE(text) << text.error().message;
      auto j = json::parse(*text);
      ASSERT_TRUE(j);
      document_ = j->as_object();
      return;
    }
    if (verb == "clock") {
      WallTime t;
      ASSERT_TRUE(parse_iso8601(w.at(1), t)) << "bad time " << w[1];
      clock_.set(t);
      if (set_) set_->tick();
      return;
    }
    if (verb == "rule") {
      auto j = json::parse(line.substr(line.find('{')));
      ASSERT_TRUE(j) << "bad JSON";
      document_["rules"].as_array().push_back(*j);
      return;
    }
    if (verb == "settings") {
      auto j = json::parse(line.substr(line.find('{')));
      ASSERT_TRUE(j) << "bad JSON";
      auto& mods = document_["modules"].as_array();
      for (auto& m : mods)
        if (is(m.as_object()["name"], w.at(1))) {
          m.as_object()["config"] = *j;
          return;
        }
      mods.push_back(boost::json::object{{"name", w.at(1)}, {"config", *j}});
      return;
    }
    start();
    if (::testing::Test::HasFatalFailure()) return;
    auto& values = host_->services.get<datapoint::DatapointService>();
    if (verb == "given") {
      ASSERT_GE(w.size(), 4u);
      ASSERT_EQ(w[2], "=");
      auto idx = values.registry().find(w[1]);
      ASSERT_TRUE(idx) << "unknown datapoint " << w[1];
      model::RawTagUpdate u;
      u.index = *idx;
      u.value = value_of(w[3]);
      u.source_time = clock_.now();
      if (w.size() >= 6 && w[4] == "quality") {
        u.quality = w[5] == "bad" ? model::Quality::bad : model::Quality::uncertain;
        u.reason =
            w[5] == "bad" ? model::QualityReason::not_connected : model::QualityReason::last_usable;
      }
      std::string why;
      ASSERT_EQ(values.apply(u, &why), datapoint::Rejection::none) << why;
    } else if (verb == "advance") {
      auto d = duration_of(w.at(1));
      ASSERT_TRUE(d) << "bad duration " << w[1];
      for (Millis left = *d; left.count() > 0; left -= Millis(50)) {
        clock_.advance(std::min(left, Millis(50)));
        set_->tick();
      }
    } else if (verb == "expect") {
      expect(w, values);
    } else if (verb == "disable-schedule" || verb == "enable-schedule") {
      call("POST", "/api/schedules/" + w.at(1) + "/" + verb.substr(0, verb.find('-')), "");
    } else if (verb == "ack") {
      call("POST", "/api/alarms/" + w.at(1) + "/ack", "");
    } else if (verb == "shelve") {
      call("POST", "/api/alarms/" + w.at(1) + "/shelve",
           "{\"minutes\":" + w.at(2) + ",\"reason\":\"" + w.at(3) + "\"}");
    } else if (verb == "out-of-service" || verb == "in-service") {
      call("POST", "/api/alarms/" + w.at(1) + "/service",
           std::string("{\"out_of_service\":") + (verb == "out-of-service" ? "true" : "false") +
               ",\"reason\":\"" + (w.size() > 2 ? w[2] : "") + "\"}");
    } else if (verb == "unshelve") {
      call("POST", "/api/alarms/" + w.at(1) + "/unshelve", "");
    } else if (verb == "answer") {
      ASSERT_EQ(w.at(1), "alert");
      auto a = newest_alert(w.at(2));
      ASSERT_TRUE(a) << "no alert from " << w[2];
      call("POST",
           "/api/alerts/" + std::to_string(a->at("id").to_number<std::int64_t>()) + "/feedback",
           std::string("{\"confirm\":") + (w.at(3) == "confirm" ? "true" : "false") + "}");
    } else {
      FAIL() << "unknown step \"" << verb << "\"";
    }
  }

  void expect(const std::vector<std::string>& w, datapoint::DatapointService& values) {
    const std::string& what = w.at(1);
    if (what == "no" && w.at(2) == "command") {
      EXPECT_TRUE(commands_.empty())
          << "sent: " << commands_.front().first << " = " << commands_.front().second;
      commands_.clear();
    } else if (what == "command") {
      ASSERT_GE(w.size(), 5u);
      const auto want = std::pair(w[2], w[4]);
      auto it = std::find(commands_.begin(), commands_.end(), want);
      EXPECT_NE(it, commands_.end()) << "no command " << w[2] << " = " << w[4];
      if (it != commands_.end()) commands_.erase(it);
    } else if (what == "rule") {
      auto body = call("GET", "/api/rules", "");
      std::string state = "missing";
      for (const auto& r : body.at("items").as_array())
        if (is(r.at("rule_id"), w.at(2))) state = std::string(r.at("state").as_string());
      EXPECT_EQ(state, w.at(3));
    } else if (what == "alarm") {
      auto body = call("GET", "/api/alarms", "");
      std::string state = "FINISHED";
      for (const auto& a : body.at("items").as_array())
        if (is(a.at("rule_id"), w.at(2))) {
          const auto* st = a.as_object().if_contains("state");
          state = st ? std::string(st->as_string())
                     : (a.as_object().contains("shelved_until") ? "SHELVED" : "NONE");
        }
      EXPECT_EQ(state, w.at(3));
    } else if (what == "alert") {
      auto a = newest_alert(w.at(2));
      EXPECT_EQ(a ? std::string(a->at("state").as_string()) : "none", w.at(3));
    } else if (what == "status") {
      EXPECT_EQ(std::to_string(last_status_), w.at(2));
    } else if (what == "schedule") {  // expect schedule ID FIELD VALUE (none: absent)
      auto body = call("GET", "/api/schedules", "");
      std::string got = "missing schedule";
      for (const auto& sc : body.at("items").as_array())
        if (is(sc.at("schedule_id"), w.at(2))) {
          const auto* f = sc.as_object().if_contains(w.at(3));
          got = !f ? "none" : f->is_string() ? std::string(f->as_string()) : json::dump(*f);
        }
      EXPECT_EQ(got, w.at(4));
    } else {
      FAIL() << "unknown expectation \"" << what << "\"";
    }
    (void)values;
  }

  // The newest alert of a rule, whatever its state.
  std::optional<boost::json::object> newest_alert(const std::string& source) {
    std::optional<boost::json::object> found;
    auto body = call("GET", "/api/alerts", "");
    for (const auto& a : body.at("items").as_array())
      if (is(a.at("source"), source)) found = a.as_object();
    return found;
  }

  boost::json::value call(const std::string& method, const std::string& path,
                          const std::string& body) {
    HttpRequest r;
    r.method = method;
    r.target = r.path = path;
    r.body = body;
    if (!body.empty()) r.headers.emplace_back("content-type", "application/json");
    r.remote_address = "scenario";
    auto res = host_->router.handle(r);
    last_status_ = res.status;
    auto j = json::parse(res.body.empty() ? "null" : res.body);
    return j ? *j : boost::json::value();
  }

  void start() {
    if (set_) return;
    ASSERT_FALSE(document_.empty()) << "a scenario starts with `config FILE`";
    auto cfg = config::parse_system_config(json::dump(document_));
    ASSERT_TRUE(cfg.ok()) << cfg.errors_text();
    ProcessOptions o;
    o.data_dir = data_dir_.string();
    host_ = std::make_unique<module::TestHost>(clock_, o);
    host_->router.set_access(std::make_shared<Operator>());
    weir_register_datapoint_module(host_->registry);
    weir_register_command_module(host_->registry);
    weir_register_rule_module(host_->registry);
    weir_register_alarm_module(host_->registry);
    weir_register_alert_module(host_->registry);
    weir_register_schedule_module(host_->registry);
    auto set = host_->create(*cfg.config);
    ASSERT_TRUE(set) << set.error().message;
    set_ = std::move(*set);
    ASSERT_TRUE(set_->start());
    feedback_ =
        host_->bus.subscribe<model::CommandFeedback>([this](const model::CommandFeedback& f) {
          if (f.status != model::CommandStatus::pending && seen_.count(f.command_id)) return;
          if (!seen_.insert(f.command_id).second) return;
          const auto& reg = host_->services.get<datapoint::DatapointService>().registry();
          commands_.emplace_back(reg.info(f.index).id, model::to_display(f.value));
        });
  }

  fs::path file_;
  fs::path data_dir_;
  int line_no_ = 0;
  ManualClock clock_;
  boost::json::object document_;
  std::unique_ptr<module::TestHost> host_;
  std::unique_ptr<module::ModuleSet> set_;
  bus::Subscription feedback_;
  std::set<std::string> seen_;
  std::vector<std::pair<std::string, std::string>> commands_;  // datapoint, value
  int last_status_ = 0;
};

class ScenarioFile : public ::testing::TestWithParam<fs::path> {};

TEST_P(ScenarioFile, Runs) {
  Scenario s(GetParam());
  s.run();
}

std::vector<fs::path> scenario_files() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(kTests / "logic"))
    if (e.path().extension() == ".scenario") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

INSTANTIATE_TEST_SUITE_P(Logic, ScenarioFile, ::testing::ValuesIn(scenario_files()),
                         [](const auto& info) {
                           std::string n = info.param.stem().string();
                           for (auto& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

}  // namespace
}  // namespace weir::rule
