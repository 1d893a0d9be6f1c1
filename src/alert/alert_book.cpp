#include "alert/alert_book.hpp"

#include <algorithm>
#include <cmath>

namespace weir::alert {

const Alert& AlertBook::add(const model::AlertRequest& r) {
  Alert a;
  a.id = next_id_++;
  a.source = r.source;
  a.message = r.message;
  a.type = r.type;
  a.command_datapoint = r.command_datapoint;
  a.command_value = r.command_value;
  a.created = r.time;
  a.expires = r.time + std::chrono::milliseconds(static_cast<std::int64_t>(
                           std::llround(std::clamp(r.timeout_s, 0.0, 86'400.0) * 1000)));
  alerts_.push_back(std::move(a));
  // Bounded: the oldest closed ones go first; an open one only when nothing else is left.
  while (alerts_.size() > keep_) {
    auto closed = std::find_if(alerts_.begin(), alerts_.end(),
                               [](const Alert& x) { return x.state != AlertState::open; });
    alerts_.erase(closed != alerts_.end() ? closed : alerts_.begin());
  }
  return alerts_.back();
}

Alert* AlertBook::find_mutable(std::uint64_t id) {
  for (auto& a : alerts_)
    if (a.id == id) return &a;
  return nullptr;
}

const Alert* AlertBook::find(std::uint64_t id) const {
  return const_cast<AlertBook*>(this)->find_mutable(id);
}

Result<Alert*> AlertBook::answer(std::uint64_t id, bool confirm, const std::string& user,
                                 WallTime now) {
  Alert* a = find_mutable(id);
  if (!a) return not_found("unknown_alert", "no alert " + std::to_string(id));
  if (!a->needs_answer())
    return Error::make(
        ErrorKind::conflict, "no_answer_expected",
        "alert " + std::to_string(id) + " is a " + a->type + " alert: it expects no answer");
  if (a->state != AlertState::open)
    return Error::make(ErrorKind::conflict, "alert_closed",
                       "alert " + std::to_string(id) + " is already " +
                           (a->state == AlertState::expired ? std::string("expired")
                                                            : "answered by " + a->answered_by));
  a->state = confirm ? AlertState::confirmed : AlertState::cancelled;
  a->answered_by = user;
  a->answered_at = now;
  return a;
}

void AlertBook::reopen(std::uint64_t id) {
  if (Alert* a = find_mutable(id)) {
    a->state = AlertState::open;
    a->answered_by.clear();
    a->answered_at.reset();
  }
}

std::vector<std::uint64_t> AlertBook::expire(WallTime now) {
  std::vector<std::uint64_t> out;
  for (auto& a : alerts_)
    if (a.state == AlertState::open && a.expires <= now) {
      a.state = AlertState::expired;
      out.push_back(a.id);
    }
  return out;
}

std::size_t AlertBook::open_count() const {
  return static_cast<std::size_t>(std::count_if(
      alerts_.begin(), alerts_.end(), [](const Alert& a) { return a.state == AlertState::open; }));
}

}  // namespace weir::alert
