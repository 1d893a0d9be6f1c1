#pragma once
// An alarm's state as the GIS module keeps it. The alarm module publishes model::AlarmUpdate on
// the bus on every transition of a rule's alarm (and for the states it restored, at start); the
// GIS module turns each into set_alarm_state (FINISHED: nullopt). Others (tests, a future
// external alarm source) may call it directly through Services.
#include <optional>
#include <string>
#include <string_view>

namespace weir::gis {

class GisAlarmStates {
 public:
  virtual ~GisAlarmStates() = default;
  // state: "ACTIVE", "ACKNOWLEDGED", ... ; nullopt when the rule has no alarm any more.
  virtual void set_alarm_state(std::string_view rule_id, std::optional<std::string> state) = 0;
};

}  // namespace weir::gis
