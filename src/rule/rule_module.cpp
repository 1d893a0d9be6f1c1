#include "rule/rule_module.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>

#include "api/system_routes.hpp"
#include "command/command_service.hpp"
#include "datapoint/datapoint_service.hpp"
#include "rule/datapoint_values.hpp"
#include "rule/rule_engine.hpp"

namespace weir::rule {

struct RuleDto {
  std::string rule_id;
  std::string state;  // unknown, inactive, active
  std::string on_condition;
  std::optional<std::string> off_condition;
  std::vector<std::string> reads;  // datapoint ids
};
BOOST_DESCRIBE_STRUCT(RuleDto, (), (rule_id, state, on_condition, off_condition, reads))
struct RuleList {
  std::vector<RuleDto> items;
};
BOOST_DESCRIBE_STRUCT(RuleList, (), (items))

namespace {

constexpr std::size_t kMaxCascade = 100'000;  // updates caused by one update's actions

const char* state_name(RuleState s) {
  switch (s) {
    case RuleState::active:
      return "active";
    case RuleState::inactive:
      return "inactive";
    case RuleState::unknown:
      break;
  }
  return "unknown";
}

class RuleModule final : public module::ModuleWith<module::NoSettings>, public ActionSink {
 public:
  explicit RuleModule(module::ModuleHost& host)
      : host_(host), values_(host.services.get<datapoint::DatapointService>()), source_(values_) {
    updates_ = host_.bus.subscribe<model::TagUpdate>(
        [this](const model::TagUpdate& u) { on_update(u.index); });
    add_routes();
  }

  static Result<std::unique_ptr<RuleModule>> create(module::ModuleHost& host,
                                                    const config::SystemConfig& config,
                                                    const module::NoSettings&) {
    auto m = std::make_unique<RuleModule>(host);
    if (auto st = m->compile(config); !st) return st.error();
    return m;
  }

  static void check(const module::ModuleRegistry&, const config::SystemConfig& config,
                    const module::NoSettings&, const std::string&,
                    std::vector<config::ConfigIssue>& issues) {
    auto registry = datapoint::Registry::build(config);
    (void)compile_rules(config, *registry, issues);
  }

  Status apply(const config::SystemConfig& config, const module::NoSettings&) override {
    return compile(config);
  }

  void metrics(std::string& out) const override {
    const auto& s = engine_.stats();
    api::metric(out, "weir_rules", "gauge", "Rules compiled and running",
                static_cast<double>(engine_.rules().size()));
    api::metric(out, "weir_rule_evaluations_total", "counter",
                "Rule evaluations (only rules reading the updated datapoint)",
                static_cast<double>(s.evaluations));
    api::metric(out, "weir_rule_activations_total", "counter", "Rules that went active",
                static_cast<double>(s.activations));
    api::metric(out, "weir_rule_commands_refused_total", "counter",
                "Commands of rules refused by the command service",
                static_cast<double>(commands_refused_));
  }

  // ActionSink
  void send_command(const std::string& rule_id, const expression::SendCommand& c) override {
    auto* commands = host_.services.find<command::CommandService>();
    const std::string user = "rule:" + rule_id;
    if (!commands) {
      ++commands_refused_;
      return;
    }
    auto fb = commands->send(c.datapoint, c.value, user);
    if (!fb) ++commands_refused_;
    host_.bus.publish(model::UserAction{
        user, "", "command", c.datapoint, fb.has_value(),
        fb ? std::string(json::enum_name(fb->status)) + " " + model::to_display(fb->value)
           : fb.error().message,
        host_.clock.now()});
  }
  void alarm(const std::string& rule_id, bool raise) override {
    host_.bus.publish(model::AlarmRequest{rule_id, raise, host_.clock.now()});
  }
  void client_alert(const std::string& rule_id, const expression::ClientAlert& a) override {
    host_.bus.publish(model::AlertRequest{rule_id, a.message, a.type,
                                          a.command_datapoint.value_or(""), a.command_value,
                                          a.timeout_s, host_.clock.now()});
  }

 private:
  Status compile(const config::SystemConfig& config) {
    std::vector<config::ConfigIssue> issues;
    auto rules = compile_rules(config, values_.registry(), issues);
    if (!issues.empty()) {
      std::string text;
      for (const auto& i : issues) text += i.to_string() + "\n";
      return bad_request("bad_rules", text);
    }
    RuleEngine next(std::move(rules), values_.registry().size());
    next.carry_states_from(engine_);
    engine_ = std::move(next);
    return {};
  }

  // Actions may change datapoints (a command answered at once): those updates are queued and
  // evaluated after the current one, never re-entrantly.
  void on_update(model::DatapointIndex i) {
    if (draining_) {
      if (pending_.size() < kMaxCascade) pending_.push_back(i);
      return;
    }
    draining_ = true;
    engine_.on_update(i, source_, *this);
    std::size_t n = 0;
    while (!pending_.empty() && n++ < kMaxCascade) {
      const auto next = pending_.front();
      pending_.pop_front();
      engine_.on_update(next, source_, *this);
    }
    if (!pending_.empty()) {
      spdlog::warn("rules: {} cascaded updates dropped (rules feeding each other?)",
                   pending_.size());
      pending_.clear();
    }
    draining_ = false;
  }

  void add_routes() {
    host_.router.add(
        {"GET",
         "/api/rules",
         "view",
         false,
         "rules",
         "Every rule with its state (unknown until first evaluated, inactive, "
         "active) and the datapoints it reads",
         {},
         api::schema_of<RuleList>(),
         "application/json",
         200,
         {},
         {},
         [this](const api::RequestContext&) {
           RuleList out;
           const auto& reg = values_.registry();
           for (std::uint32_t i = 0; i < engine_.rules().size(); ++i) {
             const auto& r = engine_.rules()[i];
             RuleDto d{r.id, state_name(engine_.state(i)), r.on.source(), {}, {}};
             if (r.off) d.off_condition = r.off->source();
             for (const auto* x : {&r.on, r.off ? &*r.off : nullptr})
               for (auto dp : x ? x->datapoints() : std::vector<model::DatapointIndex>{})
                 if (std::find(d.reads.begin(), d.reads.end(), reg.info(dp).id) == d.reads.end())
                   d.reads.push_back(reg.info(dp).id);
             out.items.push_back(std::move(d));
           }
           return api::dto_response(200, out);
         }});
  }

  module::ModuleHost& host_;
  datapoint::DatapointService& values_;
  DatapointValues source_;
  RuleEngine engine_;
  bus::Subscription updates_;
  std::deque<model::DatapointIndex> pending_;
  bool draining_ = false;
  std::uint64_t commands_refused_ = 0;
};

}  // namespace
}  // namespace weir::rule

void weir_register_rule_module(weir::module::ModuleRegistry& registry) {
  registry.add(weir::module::module_type<weir::rule::RuleModule>(
      "rule", "Rules: conditions over datapoints that send commands, raise alarms and alerts",
      {"datapoint", "command", "alarm", "alert"}));
}
