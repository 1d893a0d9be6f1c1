#include "schedule/schedule_book.hpp"

#include <algorithm>

#include "core/json.hpp"
#include "rule/rule_engine.hpp"

namespace weir::schedule {

std::vector<CompiledSchedule> compile_schedules(const ScheduleSettings& settings,
                                                const datapoint::Registry& registry,
                                                const std::string& path,
                                                std::vector<config::ConfigIssue>& issues) {
  auto issue = [&](const std::string& at, std::string message) {
    issues.push_back({"system_config.json", at, std::move(message), true});
  };
  std::optional<TimeZone> module_zone;
  if (settings.time_zone) {
    auto z = TimeZone::named(*settings.time_zone);
    if (!z)
      issue(path + ".time_zone", z.error().message);
    else
      module_zone = std::move(*z);
  } else {
    auto z = TimeZone::machine();
    module_zone = z ? std::move(*z) : TimeZone::utc();
  }
  std::vector<CompiledSchedule> out;
  std::set<std::string> ids;
  for (std::size_t i = 0; i < settings.schedules.size(); ++i) {
    const auto& sc = settings.schedules[i];
    const std::string base = json::index_path(path + ".schedules", i);
    bool ok = true;
    if (sc.schedule_id.empty()) {
      issue(base + ".schedule_id", "must not be empty");
      ok = false;
    } else if (!ids.insert(sc.schedule_id).second) {
      issue(base + ".schedule_id", "duplicate schedule_id \"" + sc.schedule_id + "\"");
      ok = false;
    }
    auto cron = Cron::parse(sc.cron);
    if (!cron) {
      issue(base + ".cron", cron.error().message);
      ok = false;
    }
    std::optional<TimeZone> zone = module_zone;
    if (sc.time_zone) {
      auto z = TimeZone::named(*sc.time_zone);
      if (!z) {
        issue(base + ".time_zone", z.error().message);
        ok = false;
      } else {
        zone = std::move(*z);
      }
    }
    if (!zone) ok = false;  // the module's zone is wrong: already reported
    std::vector<expression::Action> actions;
    for (std::size_t a = 0; a < sc.actions.size(); ++a) {
      const std::string at = json::index_path(base + ".actions", a);
      auto act = expression::parse_action(sc.actions[a]);
      if (!act) {
        issue(at, act.error().message);
        ok = false;
        continue;
      }
      if (std::holds_alternative<expression::RaiseAlarm>(*act) ||
          std::holds_alternative<expression::LowerAlarm>(*act)) {
        issue(at, "a schedule cannot raise or lower alarms (alarms belong to rules)");
        ok = false;
        continue;
      }
      if (auto st = rule::check_action(*act, registry); !st) {
        issue(at, st.error().message);
        ok = false;
        continue;
      }
      actions.push_back(std::move(*act));
    }
    if (ok) out.push_back({sc.schedule_id, std::move(*cron), std::move(*zone), std::move(actions)});
  }
  return out;
}

ScheduleBook::ScheduleBook(std::vector<CompiledSchedule> schedules, WallTime now,
                           const ScheduleBook* previous, const std::set<std::string>& disabled) {
  entries_.reserve(schedules.size());
  for (auto& s : schedules) {
    std::optional<std::chrono::sys_seconds> last;
    std::uint64_t fires = 0;
    if (previous)
      if (const Entry* old = previous->find(s.id); old &&
                                                   old->schedule.cron.text() == s.cron.text() &&
                                                   old->schedule.zone.name() == s.zone.name()) {
        last = old->clock.last_run();
        fires = old->fires;
      }
    ScheduleClock clock(s.cron, s.zone, now, last);
    const bool enabled = !disabled.count(s.id);
    entries_.push_back(Entry{std::move(s), std::move(clock), enabled, fires});
  }
}

std::vector<ScheduleBook::Due> ScheduleBook::tick(WallTime now) {
  std::vector<Due> due;
  for (auto& e : entries_) {
    auto fire = e.clock.tick(now);
    if (!fire || !e.enabled) continue;
    ++e.fires;
    due.push_back(Due{&e, *fire});
  }
  std::stable_sort(due.begin(), due.end(),
                   [](const Due& a, const Due& b) { return a.fire.scheduled < b.fire.scheduled; });
  return due;
}

const ScheduleBook::Entry* ScheduleBook::find(std::string_view id) const {
  for (const auto& e : entries_)
    if (e.schedule.id == id) return &e;
  return nullptr;
}

bool ScheduleBook::set_enabled(std::string_view id, bool enabled) {
  for (auto& e : entries_)
    if (e.schedule.id == id) {
      e.enabled = enabled;
      return true;
    }
  return false;
}

std::set<std::string> ScheduleBook::disabled() const {
  std::set<std::string> out;
  for (const auto& e : entries_)
    if (!e.enabled) out.insert(e.schedule.id);
  return out;
}

}  // namespace weir::schedule
