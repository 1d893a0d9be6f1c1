#include "communication/driver_manager.hpp"

#include <algorithm>

#include "communication/simulated_driver.hpp"
#include "core/backoff.hpp"
#include "core/json.hpp"

namespace weir::communication {

using model::DriverState;

namespace {
constexpr std::chrono::milliseconds kMinBackoff{1000};
constexpr std::chrono::milliseconds kMaxBackoff{30000};

// A driver whose class this build does not have: it stays offline and says why.
class UnavailableDriver final : public Driver {
 public:
  UnavailableDriver(std::string cls, DriverContext& ctx) : cls_(std::move(cls)), ctx_(ctx) {}
  void connect() override {
    ctx_.set_status(DriverState::offline,
                    "driver class " + cls_ + " is not available in this build");
  }
  void disconnect() override {}
  void command(const model::DriverCommand& cmd) override {
    model::CommandFeedback fb{cmd.command_id,
                              cmd.index,
                              cmd.value,
                              model::CommandStatus::nok,
                              model::CommandReason::no_driver,
                              "driver class " + cls_ + " is not available",
                              ctx_.clock().now(),
                              ""};
    ctx_.feedback(std::move(fb));
  }
  bool available() const override { return false; }

 private:
  std::string cls_;
  DriverContext& ctx_;
};
}  // namespace

struct DriverManager::Slot final : DriverContext {
  DriverManager* owner = nullptr;
  DriverInfo info;
  bool autoconnect = true;
  std::unique_ptr<Driver> driver;
  MonoTime next_tick{};
  std::optional<MonoTime> reconnect_at;
  Backoff backoff{kMinBackoff, kMaxBackoff};

  void publish(model::RawTagUpdate u) override { owner->bus_.publish(u); }
  void feedback(model::CommandFeedback fb) override {
    owner->bus_.publish(model::DriverFeedback{std::move(fb)});
  }
  void set_status(DriverState s, std::string detail) override {
    owner->on_status(*this, s, std::move(detail));
  }
  void rejected(std::string topic, std::string error, std::string payload) override {
    owner->bus_.publish(model::DriverInputRejected{info.name, std::move(topic), std::move(error),
                                                   std::move(payload), owner->clock_.now()});
  }
  const Clock& clock() const override { return owner->clock_; }
  const datapoint::Registry& registry() const override { return *owner->registry_; }
  const model::Value* current(model::DatapointIndex i) const override {
    return owner->values_ && i < owner->registry_->size() ? &owner->values_->state(i).value
                                                          : nullptr;
  }
};

std::map<std::string, DriverFactory> DriverManager::builtin_factories() {
  return {{"TankTestDriver", make_tank_driver},
          {"BoilerTestDriver", make_boiler_driver},
          {"TrainTestDriver", make_train_driver},
          {"StressTestDriver", make_stress_driver},
          {"CameraDriver", make_camera_driver}};
}

DriverManager::DriverManager(const config::SystemConfig& config,
                             std::shared_ptr<const datapoint::Registry> registry, bus::Bus& bus,
                             const Clock& clock,
                             const std::map<std::string, DriverFactory>& factories,
                             const datapoint::DatapointService* values)
    : registry_(std::move(registry)), bus_(bus), clock_(clock), values_(values) {
  for (const auto& dc : config.drivers) {
    auto slot = std::make_unique<Slot>();
    slot->owner = this;
    slot->info.name = dc.name;
    slot->info.driver_class = dc.driver_class;
    slot->info.since = clock_.now();
    slot->info.datapoints = registry_->of_driver(dc.name).size();
    if (auto it = dc.params.find("autoconnect"); it != dc.params.end() && it->value().is_bool())
      slot->autoconnect = it->value().get_bool();
    auto f = factories.find(dc.driver_class);
    if (f != factories.end()) slot->driver = f->second(dc, *slot);
    if (!slot->driver) slot->driver = std::make_unique<UnavailableDriver>(dc.driver_class, *slot);
    slot->info.available = slot->driver->available();
    slot->info.enabled = slot->autoconnect && slot->info.available;
    slot->info.detail = slot->info.available
                            ? "not connected"
                            : "driver class " + dc.driver_class + " is not available in this build";
    slots_.push_back(std::move(slot));
  }
  commands_ = bus_.subscribe<model::DriverCommand>(
      [this](const model::DriverCommand& c) { on_command(c); });
  control_ = bus_.subscribe<model::DriverControlRequest>(
      [this](const model::DriverControlRequest& r) { (void)control(r.driver, r.action); });
}

DriverManager::~DriverManager() = default;

void DriverManager::start() {
  for (auto& s : slots_)
    if (s->info.enabled) connect_slot(*s);
}

void DriverManager::stop() {
  for (auto& s : slots_) {
    s->info.enabled = false;
    s->reconnect_at.reset();
    if (s->info.state != DriverState::offline) s->driver->disconnect();
  }
}

void DriverManager::connect_slot(Slot& s) {
  s.reconnect_at.reset();
  on_status(s, DriverState::connecting, "connecting");
  s.driver->connect();
}

void DriverManager::on_status(Slot& s, DriverState state, std::string detail) {
  const bool changed = s.info.state != state || s.info.detail != detail;
  s.info.state = state;
  s.info.detail = std::move(detail);
  if (!changed) return;
  s.info.since = clock_.now();
  if (state == DriverState::online) {
    s.reconnect_at.reset();  // it came back by itself: no pending reconnection
    s.backoff.reset();
    s.info.reconnect_attempts = 0;
    s.next_tick = clock_.mono();
  } else if (state == DriverState::offline && s.info.enabled && s.info.available) {
    // Lost or failed: try again later, doubling the wait up to kMaxBackoff.
    s.reconnect_at = clock_.mono() + s.backoff.next_delay();
    ++s.info.reconnect_attempts;
  }
  bus_.publish(model::DriverStatusChanged{s.info.name, state, s.info.detail, s.info.since});
}

void DriverManager::tick() {
  const MonoTime now = clock_.mono();
  for (auto& s : slots_) {
    if (s->reconnect_at && now >= *s->reconnect_at && s->info.enabled) connect_slot(*s);
    if (now >= s->next_tick) {
      s->next_tick = now + s->driver->tick_period();
      s->driver->tick();
    }
  }
}

Status DriverManager::control(const std::string& name, model::DriverAction action) {
  auto it = std::find_if(slots_.begin(), slots_.end(),
                         [&](const auto& s) { return s->info.name == name; });
  if (it == slots_.end())
    return not_found("unknown_driver", "unknown driver \"" + name + "\"", "driver");
  Slot& s = **it;
  if (!s.info.available)
    return Error::make(ErrorKind::conflict, "driver_unavailable", s.info.detail, "driver");
  if (action == model::DriverAction::toggle)
    action = s.info.state == DriverState::offline ? model::DriverAction::connect
                                                  : model::DriverAction::disconnect;
  if (action == model::DriverAction::connect) {
    s.info.enabled = true;
    s.backoff.reset();
    if (s.info.state == DriverState::offline) connect_slot(s);
  } else {
    s.info.enabled = false;
    s.reconnect_at.reset();
    if (s.info.state != DriverState::offline) s.driver->disconnect();
    on_status(s, DriverState::offline, "disconnected by operator");
  }
  return {};
}

std::vector<DriverInfo> DriverManager::list() const {
  std::vector<DriverInfo> out;
  out.reserve(slots_.size());
  for (const auto& s : slots_) out.push_back(s->info);
  return out;
}

const DriverInfo* DriverManager::find(std::string_view name) const {
  for (const auto& s : slots_)
    if (s->info.name == name) return &s->info;
  return nullptr;
}

void DriverManager::on_command(const model::DriverCommand& cmd) {
  auto it = std::find_if(slots_.begin(), slots_.end(),
                         [&](const auto& s) { return s->info.name == cmd.driver; });
  model::CommandFeedback fb{cmd.command_id,
                            cmd.index,
                            cmd.value,
                            model::CommandStatus::nok,
                            model::CommandReason::no_driver,
                            "",
                            clock_.now(),
                            ""};
  if (it == slots_.end()) {
    fb.detail = "no driver \"" + cmd.driver + "\"";
    bus_.publish(model::DriverFeedback{std::move(fb)});
    return;
  }
  if ((*it)->info.state != DriverState::online) {
    fb.reason = model::CommandReason::driver_offline;
    fb.detail = "driver " + cmd.driver + " is " + json::enum_name((*it)->info.state);
    bus_.publish(model::DriverFeedback{std::move(fb)});
    return;
  }
  (*it)->driver->command(cmd);
}

}  // namespace weir::communication
