#pragma once
// The schedules of modules[schedule].config, compiled and ticked: pure (no I/O, no timer). Each
// schedule is a cron in a time zone (schedule_clock.hpp decides what is due) and a list of actions
// in the rule action syntax (expression/action.hpp). Schedules may send commands and show alerts;
// raise_alarm / lower_alarm are refused (alarms are keyed by rule).
#include <boost/describe.hpp>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/system_config.hpp"
#include "datapoint/registry.hpp"
#include "expression/action.hpp"
#include "schedule/schedule_clock.hpp"

namespace weir::schedule {

struct ScheduleConfig {
  std::string schedule_id;
  std::string cron;  // 5 fields, or @hourly ... (see cron.hpp)
  std::vector<std::string> actions;
  std::optional<std::string> time_zone;  // this schedule's zone; default: the module's
};
BOOST_DESCRIBE_STRUCT(ScheduleConfig, (), (schedule_id, cron, actions, time_zone))

struct ScheduleSettings {
  std::vector<ScheduleConfig> schedules;
  // IANA name ("Europe/Madrid"), "UTC" or "+02:00"; default: the machine's (TZ, /etc/localtime).
  std::optional<std::string> time_zone;
};
BOOST_DESCRIBE_STRUCT(ScheduleSettings, (), (schedules, time_zone))

struct CompiledSchedule {
  std::string id;
  Cron cron;
  TimeZone zone;
  std::vector<expression::Action> actions;
};

// Every problem is an issue at its JSON path under `path` (modules[6].config): a bad cron (with
// its column), an unknown zone, an action that does not parse or names no command datapoint, a
// duplicate schedule_id, an alarm action.
std::vector<CompiledSchedule> compile_schedules(const ScheduleSettings& settings,
                                                const datapoint::Registry& registry,
                                                const std::string& path,
                                                std::vector<config::ConfigIssue>& issues);

class ScheduleBook {
 public:
  struct Entry {
    CompiledSchedule schedule;
    ScheduleClock clock;
    bool enabled = true;
    std::uint64_t fires = 0;
  };
  struct Due {
    const Entry* entry;
    Fire fire;
  };

  ScheduleBook() = default;
  // Clocks start at `now` (nothing fires at boot); `previous` hands over each schedule's last run
  // (same id and cron), so a reload neither repeats nor skips a time. Disabled ids stay disabled.
  ScheduleBook(std::vector<CompiledSchedule> schedules, WallTime now, const ScheduleBook* previous,
               const std::set<std::string>& disabled);

  // What fires at `now`, in scheduled order. Disabled schedules advance their clock without
  // firing (enabling one later does not fire the times it missed).
  std::vector<Due> tick(WallTime now);

  const std::vector<Entry>& entries() const { return entries_; }
  const Entry* find(std::string_view id) const;
  // false: unknown id.
  bool set_enabled(std::string_view id, bool enabled);
  std::set<std::string> disabled() const;

 private:
  std::vector<Entry> entries_;
};

}  // namespace weir::schedule
