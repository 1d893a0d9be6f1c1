#pragma once
// The datapoint module: the one place values enter the model. It validates raw updates (known id,
// right type and range, not older than what it holds), stores them, and publishes TagUpdate.
// Rejections are counted per reason and the latest ones are kept for tracing.
#include <array>
#include <deque>
#include <memory>

#include "bus/bus.hpp"
#include "core/clock.hpp"
#include "datapoint/registry.hpp"
#include "datapoint/validate.hpp"

namespace weir::datapoint {

struct DatapointState {
  model::Value value;
  WallTime source_time{};
  WallTime server_time{};
  model::Quality quality = model::Quality::uncertain;
  model::QualityReason reason = model::QualityReason::initial;
};

struct RejectedUpdate {
  std::string id;
  std::string reason;  // to_string(Rejection)
  std::string detail;
  WallTime time{};
};

class DatapointService {
 public:
  DatapointService(std::shared_ptr<const Registry> registry, bus::Bus& bus, const Clock& clock);

  // Validates and applies; publishes TagUpdate when accepted. Returns the rejection otherwise.
  Rejection apply(const model::RawTagUpdate& update, std::string* why = nullptr);

  const DatapointState& state(DatapointIndex i) const { return states_[i]; }
  const Registry& registry() const { return *registry_; }
  std::shared_ptr<const Registry> registry_ptr() const { return registry_; }

  // A configuration reload: the new registry's datapoints, keeping the state of every datapoint
  // that exists in both (same id and type); the others start as at start-up.
  void rebind(std::shared_ptr<const Registry> next);

  std::uint64_t accepted() const { return accepted_; }
  std::uint64_t rejected(Rejection r) const { return rejected_[static_cast<std::size_t>(r)]; }
  const std::deque<RejectedUpdate>& recent_rejections() const { return recent_; }

 private:
  std::vector<DatapointState> initial_states(const Registry& registry) const;
  void on_driver_status(const model::DriverStatusChanged& s);
  Rejection reject(Rejection r, DatapointIndex i, std::string detail, std::string* why);

  std::shared_ptr<const Registry> registry_;
  bus::Bus& bus_;
  const Clock& clock_;
  std::vector<DatapointState> states_;
  std::uint64_t accepted_ = 0;
  std::array<std::uint64_t, 8> rejected_{};
  std::deque<RejectedUpdate> recent_;
  bus::Subscription driver_status_;
  bus::Subscription raw_updates_;
};

}  // namespace weir::datapoint
