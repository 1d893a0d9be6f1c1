#include "alarm/alarm_table.hpp"

#include <algorithm>

namespace weir::alarm {
namespace {

constexpr auto kRateWindow = std::chrono::minutes(10);
constexpr auto kChatterWindow = std::chrono::minutes(1);
constexpr std::uint32_t kChatterCount = 3;
constexpr auto kStaleAfter = std::chrono::hours(24);
constexpr std::size_t kMaxRecent = 100'000;

Error conflict(std::string code, std::string message) {
  return Error::make(ErrorKind::conflict, std::move(code), std::move(message));
}

}  // namespace

AlarmTable::Slot AlarmTable::define(const std::string& rule_id, AlarmPolicy policy) {
  if (auto it = by_rule_.find(rule_id); it != by_rule_.end()) {
    entries_[it->second].policy = policy;
    return it->second;
  }
  const auto s = static_cast<Slot>(entries_.size());
  AlarmEntry e;
  e.rule_id = rule_id;
  e.policy = policy;
  entries_.push_back(std::move(e));
  changed_flag_.push_back(0);
  by_rule_.emplace(rule_id, s);
  return s;
}

std::optional<AlarmTable::Slot> AlarmTable::find(std::string_view rule_id) const {
  auto it = by_rule_.find(std::string(rule_id));
  if (it == by_rule_.end()) return std::nullopt;
  return it->second;
}

void AlarmTable::changed(Slot s) {
  if (changed_flag_[s]) return;
  changed_flag_[s] = 1;
  changed_.push_back(s);
}

std::vector<AlarmTable::Slot> AlarmTable::take_changed() {
  for (auto s : changed_) changed_flag_[s] = 0;
  return std::exchange(changed_, {});
}

void AlarmTable::log(Slot s, WallTime now, AlarmEvent event, const std::string& user,
                     const std::string& reason) {
  const AlarmEntry& e = entries_[s];
  JournalEntry j;
  j.time = now;
  j.rule_id = e.rule_id;
  j.event = event;
  j.priority = e.policy.priority;
  j.user = user;
  j.reason = reason;
  if (e.occurrence) {
    j.occurrence_id = e.occurrence->id;
    j.state = e.occurrence->state;
  } else if (e.last && (event == AlarmEvent::finished || event == AlarmEvent::shelved ||
                        event == AlarmEvent::out_of_service)) {
    j.occurrence_id = e.last->id;
    j.state = e.last->state;
  }
  journal_.push_back(std::move(j));
  changed(s);
}

void AlarmTable::activate(Slot s, WallTime now, AlarmEvent why, const std::string& user,
                          const std::string& reason) {
  AlarmEntry& e = entries_[s];
  e.raise_due.reset();
  if (e.occurrence && e.occurrence->state != AlarmState::INACTIVE) return;  // already active
  if (e.inhibited()) return;
  if (e.occurrence) {
    e.occurrence->state = AlarmState::ACTIVE;
    e.occurrence->deactivation_time.reset();
    ++e.occurrence->activations;
    why = AlarmEvent::reactivated;
  } else {
    Occurrence o;
    o.id = e.rule_id + ":" + std::to_string(to_unix_ms(now));
    o.activation_time = now;
    e.occurrence = std::move(o);
  }
  e.recent_activations.push_back(now);
  while (!e.recent_activations.empty() && e.recent_activations.front() <= now - kChatterWindow)
    e.recent_activations.pop_front();
  activations_.push_back(now);
  while (!activations_.empty() &&
         (activations_.front() <= now - kRateWindow || activations_.size() > kMaxRecent))
    activations_.pop_front();
  ++total_activations_;
  const bool flood = activations_.size() > flood_threshold;
  if (flood && !in_flood_) ++flood_periods_;
  in_flood_ = flood;
  log(s, now, why, user, reason);
}

void AlarmTable::deactivate(Slot s, WallTime now) {
  AlarmEntry& e = entries_[s];
  e.lower_due.reset();
  if (!e.occurrence) return;
  if (e.occurrence->state == AlarmState::ACTIVE) {
    e.occurrence->state = AlarmState::INACTIVE;
    e.occurrence->deactivation_time = now;
    log(s, now, AlarmEvent::cleared);
  } else if (e.occurrence->state == AlarmState::ACK) {
    e.occurrence->deactivation_time = now;
    finish(s, now, AlarmEvent::finished, {}, {});
  }
}

void AlarmTable::finish(Slot s, WallTime now, AlarmEvent event, const std::string& user,
                        const std::string& reason) {
  AlarmEntry& e = entries_[s];
  if (e.occurrence) {
    e.occurrence->state = AlarmState::FINISHED;
    if (!e.occurrence->deactivation_time) e.occurrence->deactivation_time = now;
    e.last = std::move(e.occurrence);
    e.occurrence.reset();
  }
  log(s, now, event, user, reason);
}

void AlarmTable::raise(Slot s, WallTime now) {
  AlarmEntry& e = entries_[s];
  e.lower_due.reset();
  if (e.condition && (e.raise_due || e.occurrence)) return;
  e.condition = true;
  if (e.policy.on_delay.count() > 0 &&
      !(e.occurrence && e.occurrence->state != AlarmState::INACTIVE)) {
    e.raise_due = now + e.policy.on_delay;
    return;
  }
  activate(s, now, AlarmEvent::raised);
}

void AlarmTable::lower(Slot s, WallTime now) {
  AlarmEntry& e = entries_[s];
  e.raise_due.reset();
  if (!e.condition) return;
  e.condition = false;
  if (e.policy.off_delay.count() > 0 && e.occurrence &&
      e.occurrence->state != AlarmState::INACTIVE) {
    e.lower_due = now + e.policy.off_delay;
    return;
  }
  deactivate(s, now);
}

Status AlarmTable::acknowledge(Slot s, const std::string& user, WallTime now) {
  AlarmEntry& e = entries_[s];
  if (!e.occurrence || e.occurrence->state == AlarmState::ACK)
    return conflict("not_acknowledgeable",
                    "alarm " + e.rule_id + " has no unacknowledged occurrence");
  e.occurrence->acknowledge_time = now;
  e.occurrence->acknowledged_by = user;
  if (e.occurrence->state == AlarmState::INACTIVE) {
    finish(s, now, AlarmEvent::finished, user, {});
  } else {
    e.occurrence->state = AlarmState::ACK;
    log(s, now, AlarmEvent::acknowledged, user);
  }
  return {};
}

Status AlarmTable::shelve(Slot s, const std::string& user, std::string reason, Millis duration,
                          WallTime now) {
  AlarmEntry& e = entries_[s];
  if (e.out_of_service)
    return conflict("out_of_service", "alarm " + e.rule_id + " is out of service");
  e.shelved_until = now + duration;
  e.shelved_by = user;
  e.shelve_reason = reason;
  e.raise_due.reset();
  finish(s, now, AlarmEvent::shelved, user, reason);
  return {};
}

Status AlarmTable::unshelve(Slot s, const std::string& user, std::string reason, WallTime now) {
  AlarmEntry& e = entries_[s];
  if (!e.shelved_until) return conflict("not_shelved", "alarm " + e.rule_id + " is not shelved");
  e.shelved_until.reset();
  e.shelved_by.clear();
  e.shelve_reason.clear();
  log(s, now, AlarmEvent::unshelved, user, reason);
  if (e.condition) activate(s, now, AlarmEvent::raised, user, "re-alarm after unshelve");
  return {};
}

Status AlarmTable::set_out_of_service(Slot s, bool out, const std::string& user, std::string reason,
                                      WallTime now) {
  AlarmEntry& e = entries_[s];
  if (e.out_of_service == out)
    return conflict(
        out ? "out_of_service" : "in_service",
        "alarm " + e.rule_id + (out ? " is already out of service" : " is already in service"));
  e.out_of_service = out;
  e.out_of_service_by = out ? user : "";
  e.out_of_service_reason = out ? reason : "";
  if (out) {
    e.raise_due.reset();
    e.shelved_until.reset();
    finish(s, now, AlarmEvent::out_of_service, user, reason);
  } else {
    log(s, now, AlarmEvent::in_service, user, reason);
    if (e.condition) activate(s, now, AlarmEvent::raised, user, "back in service");
  }
  return {};
}

void AlarmTable::set_suppressed(Slot s, bool suppressed, WallTime now) {
  AlarmEntry& e = entries_[s];
  if (e.suppressed == suppressed) return;
  e.suppressed = suppressed;
  log(s, now, suppressed ? AlarmEvent::suppressed : AlarmEvent::unsuppressed);
  if (!suppressed && e.condition) activate(s, now, AlarmEvent::raised);
}

void AlarmTable::tick(WallTime now) {
  for (Slot s = 0; s < entries_.size(); ++s) {
    AlarmEntry& e = entries_[s];
    if (e.raise_due && *e.raise_due <= now) activate(s, now, AlarmEvent::raised);
    if (e.lower_due && *e.lower_due <= now) deactivate(s, now);
    if (e.shelved_until && *e.shelved_until <= now) (void)unshelve(s, "", "shelving expired", now);
  }
  const bool flood = [&] {
    std::size_t n = 0;
    for (auto it = activations_.rbegin(); it != activations_.rend() && *it > now - kRateWindow;
         ++it)
      ++n;
    return n > flood_threshold;
  }();
  in_flood_ = flood;
}

void AlarmTable::restore(Slot s, const AlarmEntry& saved) {
  AlarmEntry restored = saved;  // its state; the rule and the policy stay the configured ones
  restored.rule_id = entries_[s].rule_id;
  restored.policy = entries_[s].policy;
  restored.raise_due.reset();
  restored.lower_due.reset();
  entries_[s] = std::move(restored);
  changed(s);
}

AlarmCounts AlarmTable::counts(WallTime now) const {
  AlarmCounts c;
  for (auto it = activations_.rbegin(); it != activations_.rend() && *it > now - kRateWindow; ++it)
    ++c.activations_10min;
  c.flood = c.activations_10min > flood_threshold;
  c.flood_periods = flood_periods_;
  c.total_activations = total_activations_;
  for (const auto& e : entries_) {
    std::uint32_t recent = 0;
    for (auto t : e.recent_activations)
      if (t > now - kChatterWindow) ++recent;
    if (recent >= kChatterCount) ++c.chattering;
    if (e.shelved_until) ++c.shelved;
    if (e.out_of_service) ++c.out_of_service;
    if (e.suppressed) ++c.suppressed;
    if (!e.occurrence) continue;
    const auto st = e.occurrence->state;
    if (st == AlarmState::ACTIVE || st == AlarmState::INACTIVE) ++c.unacknowledged;
    if (st == AlarmState::ACTIVE || st == AlarmState::ACK) {
      const int p = std::clamp(e.policy.priority, 1, 4);
      ++c.standing[p - 1];
      if (now - e.occurrence->activation_time > kStaleAfter) ++c.stale;
    }
  }
  return c;
}

}  // namespace weir::alarm
