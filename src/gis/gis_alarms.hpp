#pragma once
// How the alarm module (Logic issue, not on main yet) tells the GIS module an alarm's state: it
// finds this service and calls set_alarm_state on every transition of a rule's alarm.
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
