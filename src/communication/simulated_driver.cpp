#include "communication/simulated_driver.hpp"

#include <algorithm>
#include <cmath>

namespace weir::communication {

using model::Value;

namespace {
double param_number(const boost::json::object& p, std::string_view key, double fallback) {
  auto it = p.find(key);
  if (it == p.end() || !it->value().is_number()) return fallback;
  return it->value().to_number<double>();
}
bool param_bool(const boost::json::object& p, std::string_view key, bool fallback) {
  auto it = p.find(key);
  if (it == p.end() || !it->value().is_bool()) return fallback;
  return it->value().get_bool();
}
}  // namespace

SimulatedDriver::SimulatedDriver(const config::DriverConfig& cfg, DriverContext& ctx)
    : cfg_(cfg), ctx_(ctx) {
  const auto& reg = ctx_.registry();
  for (auto* list : {&cfg_.datapoints, &cfg_.command_datapoints}) {
    for (const auto& dp : *list) {
      if (dp.name.find('@') != std::string::npos) continue;
      auto idx = reg.find(cfg_.name + "@" + dp.name);
      if (!idx) continue;
      const auto* t = reg.info(*idx).type;
      tags_.emplace(dp.name, Tag{*idx, t ? t->default_value : Value{}});
    }
  }
  // Tick period: params.tick_ms, or the Python StressTestDriver's toggle_delay in seconds.
  double ms =
      param_number(cfg_.params, "tick_ms", param_number(cfg_.params, "toggle_delay", 1.0) * 1000.0);
  if (cfg_.params.contains("tick_ms") || cfg_.params.contains("toggle_delay"))
    period_ = std::chrono::milliseconds(std::max<long>(10, std::lround(ms)));
  rng_.seed(static_cast<std::uint32_t>(param_number(cfg_.params, "seed", 7)));
}

const model::DatapointType* SimulatedDriver::type_of(const std::string& tag) const {
  auto it = tags_.find(tag);
  return it == tags_.end() ? nullptr : ctx_.registry().info(it->second.index).type;
}

const Value& SimulatedDriver::get(const std::string& tag) const {
  static const Value none;
  auto it = tags_.find(tag);
  return it == tags_.end() ? none : it->second.value;
}

double SimulatedDriver::number(const std::string& tag) const {
  const Value& v = get(tag);
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  return 0;
}

std::string SimulatedDriver::symbol(const std::string& tag) const {
  const Value& v = get(tag);
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  return {};
}

bool SimulatedDriver::running() const {
  return symbol("TEST") == "STARTED" || !has("TEST");
}

void SimulatedDriver::publish(const std::string& tag) {
  if (!connected_) return;
  auto& t = tags_.at(tag);
  model::RawTagUpdate u;
  u.index = t.index;
  u.value = t.value;
  u.source_time = ctx_.clock().now();
  u.quality = model::Quality::uncertain;
  u.reason = model::QualityReason::simulated;
  u.origin = "driver";
  u.correlation_id = cause_;
  ctx_.publish(std::move(u));
}

void SimulatedDriver::set(const std::string& tag, Value v) {
  auto it = tags_.find(tag);
  if (it == tags_.end()) return;
  if (const auto* t = ctx_.registry().info(it->second.index).type) {
    if (auto* d = std::get_if<double>(&v)) {
      if (t->min) *d = std::max(*d, *t->min);
      if (t->max) *d = std::min(*d, *t->max);
      *d = std::round(*d * 100.0) / 100.0;
    }
  }
  if (it->second.value == v) return;
  it->second.value = std::move(v);
  publish(tag);
}

void SimulatedDriver::adopt_model_values() {
  for (auto& [tag, t] : tags_)
    if (const model::Value* v = ctx_.current(t.index);
        v && !std::holds_alternative<std::monostate>(*v))
      t.value = *v;
}

void SimulatedDriver::connect() {
  adopt_model_values();
  connected_ = true;
  ctx_.set_status(model::DriverState::online, "simulated");
  if (param_bool(cfg_.params, "autostart", false) && has("TEST"))
    tags_.at("TEST").value = std::string("STARTED");
  for (const auto& [tag, t] : tags_) publish(tag);
}

void SimulatedDriver::disconnect() {
  connected_ = false;
  ctx_.set_status(model::DriverState::offline, "disconnected");
}

Value SimulatedDriver::map_command(const model::DatapointType& state_type, const Value& current,
                                   const Value& verb) {
  auto* s = std::get_if<std::string>(&verb);
  auto allowed = [&](const std::string& v) {
    return std::find(state_type.values.begin(), state_type.values.end(), v) !=
           state_type.values.end();
  };
  if (state_type.type != model::ValueType::enum_) {
    model::Value v = verb;
    return v;  // numeric / bool / string states take the commanded value as it is
  }
  if (!s) return {};
  if (*s == "TOGGLE") {
    if (!state_type.is_two_state()) return {};
    auto* cur = std::get_if<std::string>(&current);
    return cur && *cur == state_type.values[0] ? state_type.values[1] : state_type.values[0];
  }
  static const std::pair<const char*, const char*> verbs[] = {
      {"OPEN", "OPENED"}, {"CLOSE", "CLOSED"}, {"START", "STARTED"}, {"STOP", "STOPPED"}};
  for (const auto& [from, to] : verbs)
    if (*s == from && allowed(to)) return std::string(to);
  if (allowed(*s)) return *s;
  return {};
}

void SimulatedDriver::command(const model::DriverCommand& cmd) {
  cause_ = cmd.command_id;
  struct Done {
    std::string_view& c;
    ~Done() { c = {}; }
  } done{cause_};
  model::CommandFeedback fb = feedback_for(cmd, ctx_.clock().now());
  std::string target = cmd.tag;
  if (target.size() > 4 && target.ends_with("_CMD")) target.resize(target.size() - 4);
  const model::DatapointType* type = type_of(target);
  if (!has(target) || !type) {
    // A command datapoint with no state behind it (e.g. CAMERA_n_POSITION_CMD only): accept it
    // as the new value of the command datapoint itself.
    if (has(cmd.tag)) {
      set(cmd.tag, cmd.value);
      fb.status = model::CommandStatus::ok;
    } else {
      fb.status = model::CommandStatus::nok;
      fb.reason = model::CommandReason::rejected_by_device;
      fb.detail = "no such tag on " + cfg_.name;
    }
    ctx_.feedback(std::move(fb));
    return;
  }
  Value next = map_command(*type, get(target), cmd.value);
  if (std::holds_alternative<std::monostate>(next)) {
    fb.status = model::CommandStatus::nok;
    fb.reason = model::CommandReason::wrong_value;
    fb.detail = "\"" + model::to_display(cmd.value) + "\" means nothing for " + target;
    ctx_.feedback(std::move(fb));
    return;
  }
  if (has(cmd.tag)) set(cmd.tag, cmd.value);
  set(target, std::move(next));
  fb.status = model::CommandStatus::ok;
  ctx_.feedback(std::move(fb));
}

void SimulatedDriver::tick() {
  if (!connected_) return;
  adopt_model_values();  // an operator's manual write (or a command) is where the simulation goes
                         // on from
  if (!running()) return;
  ++ticks_;
  simulate();
}

namespace {

// TANK level +1 per tick with the pump OPENED, -2 with the door OPENED, clamped 0-100.
// params.auto_cycle (the demo's) plays the operator: pump on when low, door open when full.
class TankDriver final : public SimulatedDriver {
 public:
  using SimulatedDriver::SimulatedDriver;

 protected:
  void simulate() override {
    double level = number("TANK");
    if (symbol("PUMP") == "OPENED") level += 1;
    if (symbol("DOOR") == "OPENED") level -= 2;
    set("TANK", level);
    if (param_bool(config().params, "auto_cycle", false)) {
      if (number("TANK") >= 95) {
        set("PUMP", std::string("CLOSED"));
        set("DOOR", std::string("OPENED"));
      } else if (number("TANK") <= 5) {
        set("PUMP", std::string("OPENED"));
        set("DOOR", std::string("CLOSED"));
      }
    }
  }
};

bool is_on(const std::string& s) {
  return s == "OPENED" || s == "STARTED" || s == "ON" || s == "TRUE";
}

// The heater raises the temperature, which raises the pressure; an open valve vents pressure.
class BoilerDriver final : public SimulatedDriver {
 public:
  using SimulatedDriver::SimulatedDriver;

 protected:
  void simulate() override {
    const auto* tt = type_of("TEMPERATURE");
    const double tmin = tt && tt->min ? *tt->min : 0;
    double temp = number("TEMPERATURE");
    temp += is_on(symbol("HEATER")) ? 1.5 : -0.8;
    set("TEMPERATURE", std::max(temp, tmin));
    double pressure = number("PRESSURE");
    double target = (number("TEMPERATURE") - tmin) * 3.0 + 20.0;
    pressure += (target - pressure) * 0.2;
    if (is_on(symbol("VALVE"))) pressure -= 8;
    set("PRESSURE", pressure);
    if (param_bool(config().params, "auto_cycle", false)) {
      if (number("PRESSURE") > 150) set("VALVE", std::string("OPENED"));
      if (number("PRESSURE") < 60) set("VALVE", std::string("CLOSED"));
      if (tt && tt->max && number("TEMPERATURE") >= *tt->max - 1)
        set("HEATER", std::string("CLOSED"));
      if (number("TEMPERATURE") <= tmin + 1) set("HEATER", std::string("OPENED"));
    }
  }
};

// A train moving over two switches: every few ticks one of them is thrown.
class TrainDriver final : public SimulatedDriver {
 public:
  using SimulatedDriver::SimulatedDriver;

 protected:
  void simulate() override {
    if (ticks() % 5 != 0) return;
    const char* tag = (ticks() / 5) % 2 ? "LEFT_SWITCH_CONTROL" : "RIGHT_SWITCH_CONTROL";
    const auto* t = type_of(tag);
    if (!t || !t->is_two_state()) return;
    set(tag, symbol(tag) == t->values[0] ? t->values[1] : t->values[0]);
  }
};

// Many two-state tags flipping every tick (params.toggle_delay seconds).
class StressDriver final : public SimulatedDriver {
 public:
  using SimulatedDriver::SimulatedDriver;

 protected:
  void simulate() override {
    for (int i = 0;; ++i) {
      std::string tag = "DP_" + std::to_string(i);
      const auto* t = type_of(tag);
      if (!t) break;
      if (!t->is_two_state()) continue;
      if (rng()() % 2) set(tag, symbol(tag) == t->values[0] ? t->values[1] : t->values[0]);
    }
  }
};

// Cameras pan LEFT/RIGHT on command; their alarm inputs are driven from outside.
class CameraDriver final : public SimulatedDriver {
 public:
  using SimulatedDriver::SimulatedDriver;

 protected:
  void simulate() override {}
};

}  // namespace

std::unique_ptr<Driver> make_tank_driver(const config::DriverConfig& c, DriverContext& x) {
  return std::make_unique<TankDriver>(c, x);
}
std::unique_ptr<Driver> make_boiler_driver(const config::DriverConfig& c, DriverContext& x) {
  return std::make_unique<BoilerDriver>(c, x);
}
std::unique_ptr<Driver> make_train_driver(const config::DriverConfig& c, DriverContext& x) {
  return std::make_unique<TrainDriver>(c, x);
}
std::unique_ptr<Driver> make_stress_driver(const config::DriverConfig& c, DriverContext& x) {
  return std::make_unique<StressDriver>(c, x);
}
std::unique_ptr<Driver> make_camera_driver(const config::DriverConfig& c, DriverContext& x) {
  return std::make_unique<CameraDriver>(c, x);
}

}  // namespace weir::communication
