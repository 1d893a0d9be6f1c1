#pragma once
// What the alarm module says besides each transition (model::AlarmUpdate in messages.hpp).
#include <string>
#include <vector>

#include "core/clock.hpp"

namespace weir::model {

// Published once by the alarm module when it starts, after the AlarmUpdates of the alarms it
// restored: every occurrence open (not FINISHED) in its table then. An occurrence stored elsewhere
// as open and not in this list will never get a transition from the alarm module again.
struct AlarmsRestored {
  std::vector<std::string> open_occurrences;  // occurrence ids
  WallTime time{};
};

}  // namespace weir::model
