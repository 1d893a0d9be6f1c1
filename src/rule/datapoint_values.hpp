#pragma once
// Expressions over the datapoint store: the resolver (ids and types from the registry) and the
// ValueSource (values from the DatapointService) that rules, alarm suppression and schedules use.
//
// Quality (a documented choice): a value is unusable — the expression sees "unknown", so a
// condition over it is not true — when its quality is bad (driver offline, config error, device
// failure) or when it was never received (uncertain/initial: the type's default, not a reading).
// Other uncertain values (simulated, last usable) are used.
#include "datapoint/datapoint_service.hpp"
#include "expression/expression.hpp"

namespace weir::rule {

inline expression::Resolver resolver_of(const datapoint::Registry& registry) {
  return [&registry](std::string_view id) -> std::optional<expression::DatapointRef> {
    auto i = registry.find(id);
    if (!i) return std::nullopt;
    return expression::DatapointRef{*i, registry.info(*i).type};
  };
}

class DatapointValues final : public expression::ValueSource {
 public:
  explicit DatapointValues(const datapoint::DatapointService& values) : values_(values) {}
  const model::Value* value(expression::DatapointIndex i) const override {
    if (i >= values_.registry().size()) return nullptr;
    const auto& s = values_.state(i);
    if (s.quality == model::Quality::bad || s.reason == model::QualityReason::initial)
      return nullptr;
    return &s.value;
  }

 private:
  const datapoint::DatapointService& values_;
};

}  // namespace weir::rule
