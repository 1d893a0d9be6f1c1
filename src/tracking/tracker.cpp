#include "tracking/tracker.hpp"

#include <algorithm>

#include "core/json.hpp"

namespace weir::tracking {

namespace {

EventStatus command_status(model::CommandStatus s) {
  switch (s) {
    case model::CommandStatus::pending:
      return EventStatus::created;
    case model::CommandStatus::ok:
      return EventStatus::success;
    case model::CommandStatus::nok:
    case model::CommandStatus::timeout:
      break;
  }
  return EventStatus::failure;
}

bool source_matches(std::string_view source, std::string_view wanted) {
  if (wanted.empty() || source == wanted) return true;
  // "driver" matches every "driver:<name>"
  return source.size() > wanted.size() && source.starts_with(wanted) &&
         source[wanted.size()] == ':';
}

}  // namespace

Tracker::Tracker(const Clock& clock, std::size_t ring_size,
                 std::function<std::string(model::DatapointIndex)> name_of)
    : clock_(clock), name_of_(std::move(name_of)) {
  resize(ring_size);
}

void Tracker::resize(std::size_t ring_size) {
  ring_.assign(std::max<std::size_t>(ring_size, 1), Event{});
  head_ = 0;
  count_ = 0;
}

Event& Tracker::next(EventKind kind, EventStatus status, std::string_view source) {
  Event& e = ring_[head_];
  e.event_id = next_id_++;
  e.reading = 0;
  e.correlation.clear();
  e.source.assign(source);
  e.status = status;
  e.kind = kind;
  e.time = clock_.now();
  e.text.clear();
  return e;
}

void Tracker::done(const Event& e) {
  const std::size_t slot = head_;
  head_ = (head_ + 1) % ring_.size();
  count_ = std::min(count_ + 1, ring_.size());
  if (on_event) on_event(e, slot);
}

Event& Tracker::record_raw(const model::RawTagUpdate& u, EventStatus status,
                           std::uint64_t reading) {
  Event& e = next(EventKind::raw_update, status, u.origin);
  e.reading = reading;
  e.correlation.assign(u.correlation_id);
  e.index = u.index;
  e.value = u.value;
  e.quality = u.quality;
  e.reason = u.reason;
  return e;
}

void Tracker::on_raw_update(const model::RawTagUpdate& u) {
  const std::uint64_t reading = u.correlation_id.empty() ? next_reading_++ : 0;
  done(record_raw(u, EventStatus::received, reading));
  if (open_raw_.size() >= 64) open_raw_.clear();  // bounded whatever the callers do
  open_raw_.push_back({&u, reading, false});
}

void Tracker::on_raw_done(const model::RawTagUpdate& u) {
  auto it = std::find_if(open_raw_.rbegin(), open_raw_.rend(),
                         [&](const OpenRaw& o) { return o.raw == &u; });
  if (it == open_raw_.rend()) return;
  const OpenRaw o = *it;
  open_raw_.erase(std::prev(it.base()), open_raw_.end());
  if (o.accepted) return;
  Event& e = record_raw(u, EventStatus::blocked, o.reading);
  e.text = "refused by the datapoint module";
  done(e);
}

void Tracker::on_tag_update(const model::TagUpdate& u) {
  std::uint64_t reading = 0;
  std::string_view cause;
  if (u.raw) {
    cause = u.raw->correlation_id;
    auto it = std::find_if(open_raw_.rbegin(), open_raw_.rend(),
                           [&](const OpenRaw& o) { return o.raw == u.raw; });
    if (it != open_raw_.rend()) {
      it->accepted = true;
      reading = it->reading;
    } else {
      // Applied directly, not over the bus (a REST write): its raw update is recorded here.
      if (cause.empty()) reading = next_reading_++;
      done(record_raw(*u.raw, EventStatus::received, reading));
    }
  } else {
    reading = next_reading_++;  // a quality change of the datapoint module's own
  }
  Event& e = next(EventKind::tag_update, EventStatus::success, "datapoint");
  e.reading = reading;
  e.correlation.assign(cause);
  e.index = u.index;
  if (u.value)
    e.value = *u.value;
  else
    e.value = std::monostate{};
  e.quality = u.quality;
  e.reason = u.reason;
  done(e);
}

void Tracker::on_command(const model::CommandFeedback& f) {
  Event& e = next(EventKind::command, command_status(f.status), "command");
  e.correlation = f.command_id;
  e.index = f.index;
  e.value = f.value;
  e.text = std::string(json::enum_name(f.status));
  if (f.reason != model::CommandReason::none)
    e.text += std::string(" ") + json::enum_name(f.reason);
  if (!f.user.empty()) e.text += " (by " + f.user + ")";
  if (!f.detail.empty()) e.text += ": " + f.detail;
  done(e);
}

void Tracker::on_driver_command(const model::DriverCommand& c) {
  Event& e = next(EventKind::driver_command, EventStatus::received, "driver:" + c.driver);
  e.correlation = c.command_id;
  e.index = c.index;
  e.value = c.value;
  done(e);
}

void Tracker::on_driver_feedback(const model::DriverFeedback& f, std::string_view driver) {
  const auto& fb = f.feedback;
  Event& e = next(EventKind::driver_feedback, command_status(fb.status),
                  driver.empty() ? std::string("driver") : "driver:" + std::string(driver));
  e.correlation = fb.command_id;
  e.index = fb.index;
  e.value = fb.value;
  e.text = json::enum_name(fb.status);
  if (fb.reason != model::CommandReason::none)
    e.text += std::string(" ") + json::enum_name(fb.reason);
  if (!fb.detail.empty()) e.text += ": " + fb.detail;
  done(e);
}

void Tracker::on_alarm(const model::AlarmUpdate& a) {
  Event& e = next(
      EventKind::alarm,
      a.state == model::AlarmState::ACTIVE ? EventStatus::created : EventStatus::success, "alarm");
  e.correlation = a.occurrence_id;
  e.text = a.rule_id + " " + json::enum_name(a.state);
  if (!a.user.empty()) e.text += " (by " + a.user + ")";
  done(e);
}

void Tracker::on_alert(const model::AlertRequest& a) {
  Event& e = next(EventKind::alert, EventStatus::created, "alert");
  e.text = a.type + " from " + a.source + ": " + a.message.substr(0, 200);
  done(e);
}

void Tracker::on_user_action(const model::UserAction& a) {
  Event& e = next(EventKind::user_action, EventStatus::user_action, "api");
  e.correlation = a.correlation_id;
  e.text =
      a.user + "@" + a.address + " " + a.action + " " + a.target + (a.ok ? ": ok" : ": refused");
  if (!a.detail.empty()) e.text += " (" + a.detail.substr(0, 200) + ")";
  done(e);
}

std::string Tracker::correlation_of(const Event& e) const {
  if (!e.correlation.empty()) return e.correlation;
  if (e.reading) return "r-" + std::to_string(e.reading);
  return "e-" + std::to_string(e.event_id);
}

std::string Tracker::summary(const Event& e) const {
  switch (e.kind) {
    case EventKind::raw_update:
    case EventKind::tag_update: {
      std::string s = name_of_(e.index) + " = " + model::to_display(e.value) + " (" +
                      json::enum_name(e.quality);
      if (e.reason != model::QualityReason::none) s += std::string("/") + json::enum_name(e.reason);
      s += ")";
      if (!e.text.empty()) s += ": " + e.text;
      return s;
    }
    case EventKind::command:
    case EventKind::driver_command:
    case EventKind::driver_feedback: {
      std::string s = name_of_(e.index) + " = " + model::to_display(e.value);
      if (!e.text.empty()) s += ": " + e.text;
      return s;
    }
    case EventKind::alarm:
    case EventKind::alert:
    case EventKind::user_action:
      break;
  }
  return e.text;
}

TrackingEventDto Tracker::to_dto(const Event& e) const {
  return {e.event_id, correlation_of(e),  e.source,  e.status,
          e.kind,     to_iso8601(e.time), summary(e)};
}

void Tracker::append_time(std::string& out, WallTime t) const {
  // to_iso8601, with the part up to the second formatted once per second.
  const std::int64_t ms = to_unix_ms(t);
  const std::int64_t sec = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  if (sec != time_second_ || time_prefix_.empty()) {
    time_second_ = sec;
    time_prefix_ = to_iso8601(from_unix_ms(sec * 1000));
    time_prefix_.resize(time_prefix_.size() - 4);  // without "000Z"
  }
  const int frac = static_cast<int>(ms - sec * 1000);
  out += time_prefix_;
  out.push_back(static_cast<char>('0' + frac / 100));
  out.push_back(static_cast<char>('0' + frac / 10 % 10));
  out.push_back(static_cast<char>('0' + frac % 10));
  out.push_back('Z');
}

void Tracker::append_json(std::string& out, const Event& e) const {
  // TrackingEventDto's JSON form, written directly: the file mode does this for every event.
  out += R"({"event_id":)";
  out += std::to_string(e.event_id);
  out += R"(,"correlation_id":)";
  json::append_escaped(out, correlation_of(e));
  out += R"(,"source":)";
  json::append_escaped(out, e.source);
  out += R"(,"status":")";
  out += json::enum_name(e.status);
  out += R"(","kind":")";
  out += json::enum_name(e.kind);
  out += R"(","time":")";
  append_time(out, e.time);
  out += R"(","summary":)";
  json::append_escaped(out, summary(e));
  out += '}';
}

std::vector<const Event*> Tracker::query(const TrackingQuery& q) const {
  std::vector<const Event*> out;
  // Newest first, then reversed: the newest `limit` matches, oldest first.
  for (std::size_t n = 0; n < count_ && out.size() < q.limit; ++n) {
    const Event& e = ring_[(head_ + ring_.size() - 1 - n) % ring_.size()];
    if (!source_matches(e.source, q.source)) continue;
    if (!q.correlation.empty() && correlation_of(e) != q.correlation) continue;
    out.push_back(&e);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace weir::tracking
