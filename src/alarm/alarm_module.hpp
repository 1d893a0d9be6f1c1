#pragma once
// The alarm module (registered as "alarm"): the AlarmTable fed by rules (model::AlarmRequest),
// operators (REST) and its tick; the journal and current states in data/alarms.db (AlarmStore);
// the live feed "alarm" (key: the alarm's slot); IEC 62682 metrics on /api/alarms/metrics and
// /metrics. Every operator action is audited (model::UserAction: "ack", "shelve_alarm").
//
// Settings (modules[alarm].config):
//   {"default_priority": "medium", "flood_per_10min": 10, "max_shelve_minutes": 480,
//    "journal_max_age_days": 400, "journal_max_rows": 1000000,
//    "alarms": [{"rule_id": "pump_start_if_low_level", "priority": "high", "on_delay_ms": 0,
//                "off_delay_ms": 0, "suppress_when": "WaterTank@TEST == STOPPED"}]}
// Priorities: "critical" (1), "high" (2), "medium" (3), "low" (4), or "1".."4".
#include <optional>
#include <string>
#include <vector>

#include "alarm/alarm_table.hpp"
#include "module/module_registry.hpp"

namespace weir::alarm {

struct AlarmRuleSettings {
  std::string rule_id;
  std::string priority;  // "" : the default
  std::uint32_t on_delay_ms = 0;
  std::uint32_t off_delay_ms = 0;
  std::string suppress_when;  // an expression; "" : never suppressed
};
BOOST_DESCRIBE_STRUCT(AlarmRuleSettings, (),
                      (rule_id, priority, on_delay_ms, off_delay_ms, suppress_when))

struct AlarmSettings {
  std::string default_priority = "medium";
  std::uint32_t flood_per_10min = 10;
  std::uint32_t max_shelve_minutes = 480;
  std::uint32_t journal_max_age_days = 400;
  std::uint64_t journal_max_rows = 1'000'000;
  std::vector<AlarmRuleSettings> alarms;
};
BOOST_DESCRIBE_STRUCT(AlarmSettings, (),
                      (default_priority, flood_per_10min, max_shelve_minutes, journal_max_age_days,
                       journal_max_rows, alarms))

// "high" or "2" → 2; nullopt when neither.
std::optional<int> parse_priority(std::string_view s);
const char* priority_name(int p);

// An alarm as REST, the feed and the saved state show it.
struct AlarmDto {
  std::string rule_id;
  std::optional<std::string> occurrence_id;
  std::optional<model::AlarmState> state;  // none: no occurrence
  int priority = 3;
  std::string priority_name;
  std::optional<std::string> activation_time;
  std::optional<std::string> deactivation_time;
  std::optional<std::string> acknowledge_time;
  std::optional<std::string> acknowledged_by;
  std::uint32_t activations = 0;
  bool condition = false;
  std::optional<std::string> shelved_until;
  std::optional<std::string> shelved_by;
  std::optional<std::string> shelve_reason;
  bool out_of_service = false;
  std::optional<std::string> out_of_service_by;
  std::optional<std::string> out_of_service_reason;
  bool suppressed = false;
};
BOOST_DESCRIBE_STRUCT(AlarmDto, (),
                      (rule_id, occurrence_id, state, priority, priority_name, activation_time,
                       deactivation_time, acknowledge_time, acknowledged_by, activations, condition,
                       shelved_until, shelved_by, shelve_reason, out_of_service, out_of_service_by,
                       out_of_service_reason, suppressed))

AlarmDto to_dto(const AlarmEntry& e, bool with_last = false);
// The saved form back into an entry (for AlarmTable::restore).
Result<AlarmEntry> from_dto(const AlarmDto& d);

}  // namespace weir::alarm

void weir_register_alarm_module(weir::module::ModuleRegistry& registry);
