#pragma once
// The pure core of tracking: turns the bus messages that cross a module boundary into events in a
// bounded ring (the oldest is overwritten), gives each the id of what it belongs to, and answers
// queries. No bus, no I/O: the module subscribes and forwards, tests call it with an injected
// clock.
//
// Correlation ids: a command's id follows it from the REST request through the command module
// and the driver to its feedback (and the readings the driver produced while applying it); a
// reading without a cause gets "r-<n>", shared by its raw and its accepted update; an alarm
// occurrence its occurrence id; anything else "e-<event id>".
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "tracking/tracking_event.hpp"

namespace weir::tracking {

struct TrackingQuery {
  std::string correlation;  // "" = any
  std::string source;       // "" = any; "driver" matches "driver" and "driver:<name>"
  std::size_t limit = 100;  // newest `limit` matches, returned oldest first
};

class Tracker {
 public:
  // `name_of` gives a datapoint's id for summaries ("" when unknown).
  Tracker(const Clock& clock, std::size_t ring_size,
          std::function<std::string(model::DatapointIndex)> name_of);

  // The messages, each seen before anything it causes (the module subscribes first), so the
  // ring holds them in causal order. A raw update is bracketed: on_raw_update before the
  // datapoint module handles it (received), on_raw_done after (blocked, when no TagUpdate came
  // from it). A TagUpdate shares its raw update's correlation.
  void on_raw_update(const model::RawTagUpdate& u);
  void on_raw_done(const model::RawTagUpdate& u);
  void on_tag_update(const model::TagUpdate& u);
  void on_command(const model::CommandFeedback& f);
  void on_driver_command(const model::DriverCommand& c);
  void on_driver_feedback(const model::DriverFeedback& f, std::string_view driver);
  void on_alarm(const model::AlarmUpdate& a);
  void on_alert(const model::AlertRequest& a);
  void on_user_action(const model::UserAction& a);

  // A new ring size clears the ring.
  void resize(std::size_t ring_size);

  std::vector<const Event*> query(const TrackingQuery& q) const;
  TrackingEventDto to_dto(const Event& e) const;
  // One JSON object (no newline), for the file and the feed.
  void append_json(std::string& out, const Event& e) const;

  // Slot of the newest event (for the live feed, whose keys are slots) and slot lookup.
  std::size_t last_slot() const { return (head_ + ring_.size() - 1) % ring_.size(); }
  const Event& slot(std::size_t i) const { return ring_[i]; }
  std::size_t capacity() const { return ring_.size(); }
  std::size_t size() const { return count_; }
  std::uint64_t recorded() const { return next_id_ - 1; }

  // Called after every recorded event (the module marks the feed and feeds the file).
  std::function<void(const Event&, std::size_t slot)> on_event;

 private:
  Event& next(EventKind kind, EventStatus status, std::string_view source);
  Event& record_raw(const model::RawTagUpdate& u, EventStatus status, std::uint64_t reading);
  void done(const Event& e);
  std::string correlation_of(const Event& e) const;
  std::string summary(const Event& e) const;
  void append_time(std::string& out, WallTime t) const;

  const Clock& clock_;
  std::function<std::string(model::DatapointIndex)> name_of_;
  std::vector<Event> ring_;
  std::size_t head_ = 0;   // next slot to write
  std::size_t count_ = 0;  // filled slots
  std::uint64_t next_id_ = 1;
  std::uint64_t next_reading_ = 1;
  // Raw updates whose dispatch is running (innermost last).
  struct OpenRaw {
    const model::RawTagUpdate* raw;
    std::uint64_t reading;  // 0 when it has a correlation id of its own
    bool accepted;
  };
  std::vector<OpenRaw> open_raw_;
  mutable std::int64_t time_second_ = 0;  // append_time's cache
  mutable std::string time_prefix_;
};

}  // namespace weir::tracking
