// The `animation` module: binds the process images' elements (the svg module's library) to
// animations{} at load, feeds the AnimationEngine datapoint values, alarm states and driver
// statuses from the bus, runs revert_after on its tick, and pushes every changed element on feed
// `animation` ({svg, element, attr, text?, duration}; a new subscriber gets every element once).
#include <spdlog/spdlog.h>

#include <map>
#include <memory>

#include "animation/animation_engine.hpp"
#include "api/system_routes.hpp"
#include "datapoint/datapoint_service.hpp"
#include "module/module.hpp"
#include "module/module_registry.hpp"
#include "rule/rule_engine.hpp"
#include "svg/svg_library.hpp"

namespace weir::animation {
namespace {

// What an operator may read off a graphic: good values and uncertain ones with a value behind
// them (simulated, held after a loss of communication, written by hand), not bad values and not
// the type's default before anything was received. The datapoints view still shows the quality.
bool usable(model::Quality q, model::QualityReason r) {
  return q == model::Quality::good ||
         (q == model::Quality::uncertain && r != model::QualityReason::initial);
}

}  // namespace

namespace {

class AnimationModule final : public module::ModuleWith<module::NoSettings> {
 public:
  AnimationModule(module::ModuleHost& host, const config::SystemConfig& config)
      : host_(host), values_(host.services.get<datapoint::DatapointService>()) {
    feed_ = host_.hub.add_feed({"animation", "view",
                                [this](std::string& out) {
                                  for (std::size_t k = 0; k < engine_.size(); ++k) {
                                    if (k) out.push_back(',');
                                    engine_.encode(static_cast<AnimationEngine::Key>(k), out);
                                  }
                                },
                                [this](std::uint64_t key, std::string& out) {
                                  if (key >= engine_.size()) {
                                    out += "null";
                                    return;
                                  }
                                  engine_.encode(static_cast<AnimationEngine::Key>(key), out);
                                }});
    tags_ = host_.bus.subscribe<model::TagUpdate>([this](const model::TagUpdate& u) {
      engine_.on_value(u.index, u.value, usable(u.quality, u.reason), host_.clock.mono(), changed_);
      publish();
    });
    drivers_ = host_.bus.subscribe<model::DriverStatusChanged>(
        [this](const model::DriverStatusChanged& s) {
          driver_states_[s.driver] = s.state;
          engine_.on_connection(s.driver, s.state, host_.clock.mono(), changed_);
          publish();
        });
    alarms_ = host_.bus.subscribe<model::AlarmUpdate>([this](const model::AlarmUpdate& a) {
      if (a.state == model::AlarmState::FINISHED)
        alarm_states_.erase(a.rule_id);
      else
        alarm_states_[a.rule_id] = a.state;
      engine_.on_alarm(a.rule_id, a.state, host_.clock.mono(), changed_);
      publish();
    });
    load(config);
  }

  static Result<std::unique_ptr<AnimationModule>> create(module::ModuleHost& host,
                                                         const config::SystemConfig& config,
                                                         const module::NoSettings&) {
    return std::make_unique<AnimationModule>(host, config);
  }
  // animations{} problems are configuration warnings at their JSON path.
  static void check(const module::ModuleRegistry&, const config::SystemConfig& config,
                    const module::NoSettings&, const std::string&,
                    std::vector<config::ConfigIssue>& issues) {
    read_animations(config.animations, issues);
  }
  Status apply(const config::SystemConfig& config, const module::NoSettings&) override {
    load(config);
    return {};
  }
  void tick() override {
    engine_.tick(host_.clock.mono(), changed_);
    publish();
  }
  void metrics(std::string& out) const override {
    api::metric(out, "weir_animation_bindings", "gauge", "SVG elements bound to an animation",
                static_cast<double>(engine_.size()));
    api::metric(out, "weir_animation_changes_total", "counter",
                "Element changes computed for feed animation", static_cast<double>(changes_));
  }

 private:
  void publish() {
    for (auto k : changed_) host_.hub.mark(feed_, k);
    changes_ += changed_.size();
    changed_.clear();
  }

  void load(const config::SystemConfig& config) {
    std::vector<config::ConfigIssue> ignored;  // reported by check()
    auto animations = read_animations(config.animations, ignored);
    const auto& registry = values_.registry();
    // Which rules read each datapoint: an alarm-triggered element shows their alarms.
    std::map<model::DatapointIndex, std::vector<std::string>> readers;
    for (const auto& r : rule::compile_rules(config, registry, ignored))
      for (auto dp : r.on.datapoints()) readers[dp].push_back(r.id);
    References refs;
    refs.datapoint = [&registry](std::string_view id) -> std::optional<model::DatapointIndex> {
      auto i = registry.find(id);
      if (!i) return std::nullopt;
      return *i;
    };
    refs.driver = [&config](std::string_view name) {
      for (const auto& d : config.drivers)
        if (d.name == name) return true;
      return false;
    };
    refs.rules_reading = [&readers](model::DatapointIndex dp) {
      auto it = readers.find(dp);
      return it == readers.end() ? std::vector<std::string>{} : it->second;
    };
    std::vector<BindingSpec> specs;
    if (const auto* lib = host_.services.find<svg::SvgLibrary>())
      for (const auto& f : lib->files)
        for (const auto& b : f.svg.bindings)
          specs.push_back({f.name, b.element, b.datapoint, b.animation});
    std::vector<std::string> warnings;
    engine_ = AnimationEngine(std::move(animations), specs, refs, warnings);
    for (const auto& w : warnings) spdlog::warn("{}", w);
    // What is known now: stored values, driver statuses and alarms heard of so far.
    const auto now = host_.clock.mono();
    for (auto dp : engine_.bound_datapoints()) {
      const auto& st = values_.state(dp);
      engine_.on_value(dp, &st.value, usable(st.quality, st.reason), now, changed_);
    }
    for (const auto& [d, s] : driver_states_) engine_.on_connection(d, s, now, changed_);
    for (const auto& [r, s] : alarm_states_) engine_.on_alarm(r, s, now, changed_);
    changed_.clear();  // a reload sends everyone a fresh snapshot
  }

  module::ModuleHost& host_;
  datapoint::DatapointService& values_;
  AnimationEngine engine_;
  std::vector<AnimationEngine::Key> changed_;
  std::map<std::string, model::DriverState, std::less<>> driver_states_;
  std::map<std::string, model::AlarmState, std::less<>> alarm_states_;
  std::uint64_t changes_ = 0;
  api::LiveFeedHub::FeedId feed_ = 0;
  bus::Subscription tags_, drivers_, alarms_;
};

}  // namespace

}  // namespace weir::animation

void weir_register_animation_module(weir::module::ModuleRegistry& registry) {
  registry.add(weir::module::module_type<weir::animation::AnimationModule>(
      "animation",
      "Animations of the process images: bound at load, computed on the server, feed animation",
      {"datapoint", "svg", "communication", "rule", "alarm"}));
}
