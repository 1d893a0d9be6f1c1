#include "datapoint/datapoint_service.hpp"

namespace weir::datapoint {

using model::Quality;
using model::QualityReason;

DatapointService::DatapointService(std::shared_ptr<const Registry> registry, bus::Bus& bus,
                                   const Clock& clock)
    : registry_(std::move(registry)), bus_(bus), clock_(clock) {
  states_ = initial_states(*registry_);
  driver_status_ = bus_.subscribe<model::DriverStatusChanged>(
      [this](const model::DriverStatusChanged& s) { on_driver_status(s); });
  // Drivers publish raw updates on the bus; rejections are counted and traced in apply().
  raw_updates_ =
      bus_.subscribe<model::RawTagUpdate>([this](const model::RawTagUpdate& u) { (void)apply(u); });
}

Rejection DatapointService::reject(Rejection r, DatapointIndex i, std::string detail,
                                   std::string* why) {
  ++rejected_[static_cast<std::size_t>(r)];
  if (recent_.size() >= 100) recent_.pop_front();
  recent_.push_back({i < registry_->size() ? registry_->info(i).id : std::to_string(i),
                     to_string(r), detail, clock_.now()});
  if (why) *why = std::move(detail);
  return r;
}

Rejection DatapointService::apply(const model::RawTagUpdate& u, std::string* why) {
  if (u.index >= states_.size())
    return reject(Rejection::unknown_datapoint, u.index, "unknown datapoint", why);
  const auto& info = registry_->info(u.index);
  if (!info.type)
    return reject(Rejection::config_error, u.index,
                  info.id + " has undeclared type \"" + info.type_name + "\"", why);
  model::Value v = u.value;
  std::string detail;
  if (auto r = validate_value(*info.type, v, &detail); r != Rejection::none)
    return reject(r, u.index, info.id + ": " + detail, why);
  auto& s = states_[u.index];
  const WallTime source = u.source_time == WallTime{} ? clock_.now() : u.source_time;
  if (source < s.source_time)
    return reject(Rejection::stale, u.index, info.id + ": update older than the stored value", why);
  s.value = std::move(v);
  s.source_time = source;
  s.server_time = clock_.now();
  s.quality = u.quality;
  s.reason = u.reason;
  ++accepted_;
  model::TagUpdate out;
  out.index = u.index;
  out.value = &s.value;
  out.source_time = s.source_time;
  out.server_time = s.server_time;
  out.quality = s.quality;
  out.reason = s.reason;
  out.raw = &u;
  bus_.publish(out);
  return Rejection::none;
}

void DatapointService::on_driver_status(const model::DriverStatusChanged& st) {
  if (st.state == model::DriverState::online) return;  // quality returns with fresh data only
  const WallTime now = clock_.now();
  for (DatapointIndex i : registry_->of_driver(st.driver)) {
    auto& s = states_[i];
    if (s.quality == Quality::bad && s.reason == QualityReason::not_connected) continue;
    if (s.reason == QualityReason::config_error) continue;
    s.quality = Quality::bad;
    s.reason = QualityReason::not_connected;
    s.server_time = now;
    model::TagUpdate out{i, &s.value, s.source_time, s.server_time, s.quality, s.reason};
    bus_.publish(out);
  }
}

std::vector<DatapointState> DatapointService::initial_states(const Registry& registry) const {
  std::vector<DatapointState> states(registry.size());
  const WallTime now = clock_.now();
  for (std::size_t i = 0; i < states.size(); ++i) {
    const auto& info = registry.info(static_cast<DatapointIndex>(i));
    auto& s = states[i];
    s.server_time = now;
    if (info.type) {
      s.value = info.type->default_value;
    } else {
      s.quality = Quality::bad;
      s.reason = QualityReason::config_error;
    }
  }
  return states;
}

void DatapointService::rebind(std::shared_ptr<const Registry> next) {
  auto states = initial_states(*next);
  for (std::size_t i = 0; i < states.size(); ++i) {
    const auto& info = next->info(static_cast<DatapointIndex>(i));
    auto prev = registry_->find(info.id);
    if (!prev) continue;
    if (registry_->info(*prev).type_name != info.type_name || !info.type) continue;
    states[i] = states_[*prev];
  }
  states_ = std::move(states);
  registry_ = std::move(next);
}

}  // namespace weir::datapoint
