#pragma once
// The alarm state machine, pure: every rule's alarm (keyed by rule id) with its current
// occurrence, driven by raise/lower requests, operator actions and tick(now) — no I/O, time from
// the caller (the module passes its injected clock's wall time).
//
// Occurrence states (the Python platform's): raise creates an ACTIVE occurrence (when none is
// active); lower makes it INACTIVE; acknowledge makes it ACK; an occurrence both lowered and
// acknowledged is FINISHED and leaves the list. Raised again while INACTIVE (not yet
// acknowledged) it becomes ACTIVE again (the same occurrence, one more activation).
//
// Beyond it (ISA-18.2 / IEC 62682):
//  - priority per rule (1 critical … 4 low);
//  - on-delay: an occurrence is created only when the condition held for on_delay; off-delay: it
//    is lowered only when the condition stayed off for off_delay;
//  - shelving by an operator for a bounded time with a reason: the current occurrence finishes
//    and none is created while shelved; when the shelf expires (or is lifted) with the condition
//    still on, the alarm comes back ACTIVE (re-alarm);
//  - out of service: the same as shelving but without a time limit (maintenance);
//  - suppression by design (the module evaluates each rule's suppression expression): while
//    suppressed no new occurrence is created; when it ends with the condition on, it alarms.
// Every transition is a JournalEntry (time, rule, occurrence, event, state, user, reason).
#include <boost/describe.hpp>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "model/messages.hpp"

namespace weir::alarm {

using model::AlarmState;

enum class AlarmEvent {
  raised,        // a new occurrence
  reactivated,   // INACTIVE → ACTIVE again
  cleared,       // the condition went off: ACTIVE → INACTIVE
  acknowledged,  // ACTIVE → ACK
  finished,      // acknowledged and cleared
  shelved,
  unshelved,
  out_of_service,
  in_service,
  suppressed,
  unsuppressed,
};
BOOST_DESCRIBE_ENUM(AlarmEvent, raised, reactivated, cleared, acknowledged, finished, shelved,
                    unshelved, out_of_service, in_service, suppressed, unsuppressed)

struct AlarmPolicy {
  int priority = 3;  // 1 critical, 2 high, 3 medium, 4 low
  Millis on_delay{0};
  Millis off_delay{0};
};

struct Occurrence {
  std::string id;  // "<rule_id>:<activation unix ms>"
  AlarmState state = AlarmState::ACTIVE;
  WallTime activation_time{};
  std::optional<WallTime> deactivation_time;
  std::optional<WallTime> acknowledge_time;
  std::string acknowledged_by;
  std::uint32_t activations = 1;
};

struct AlarmEntry {
  std::string rule_id;
  AlarmPolicy policy;
  bool condition = false;                // as last requested by the rule
  std::optional<WallTime> raise_due;     // on-delay running
  std::optional<WallTime> lower_due;     // off-delay running
  std::optional<Occurrence> occurrence;  // the current one (never FINISHED)
  std::optional<Occurrence> last;        // the last finished one (for the feed)
  std::optional<WallTime> shelved_until;
  std::string shelved_by, shelve_reason;
  bool out_of_service = false;
  std::string out_of_service_by, out_of_service_reason;
  bool suppressed = false;
  std::deque<WallTime> recent_activations;  // within the last minute (chattering)

  bool inhibited() const { return shelved_until || out_of_service || suppressed; }
};

struct JournalEntry {
  WallTime time{};
  std::string rule_id;
  std::string occurrence_id;  // "" for events without an occurrence (shelved with none, ...)
  AlarmEvent event = AlarmEvent::raised;
  std::optional<AlarmState> state;  // the occurrence's state after the event
  int priority = 3;
  std::string user;  // "" for the rule itself
  std::string reason;
};

struct AlarmCounts {
  std::uint64_t activations_10min = 0;  // new occurrences and reactivations, last 10 minutes
  bool flood = false;                   // more than flood_threshold in the last 10 minutes
  std::uint64_t flood_periods = 0;      // since start
  std::uint64_t chattering = 0;         // alarms with >= 3 activations in the last minute
  std::uint64_t stale = 0;              // ACTIVE or ACK for more than 24 h
  std::uint64_t standing[4] = {};       // ACTIVE or ACK, per priority 1..4
  std::uint64_t unacknowledged = 0;     // ACTIVE or INACTIVE
  std::uint64_t shelved = 0, out_of_service = 0, suppressed = 0;
  std::uint64_t total_activations = 0;  // since start
};

class AlarmTable {
 public:
  using Slot = std::uint32_t;

  // The slot of a rule's alarm, created with `policy` when new (policy updated otherwise).
  Slot define(const std::string& rule_id, AlarmPolicy policy);
  std::optional<Slot> find(std::string_view rule_id) const;
  const AlarmEntry& entry(Slot s) const { return entries_[s]; }
  std::size_t size() const { return entries_.size(); }

  void raise(Slot s, WallTime now);
  void lower(Slot s, WallTime now);
  Status acknowledge(Slot s, const std::string& user, WallTime now);
  Status shelve(Slot s, const std::string& user, std::string reason, Millis duration, WallTime now);
  Status unshelve(Slot s, const std::string& user, std::string reason, WallTime now);
  Status set_out_of_service(Slot s, bool out, const std::string& user, std::string reason,
                            WallTime now);
  void set_suppressed(Slot s, bool suppressed, WallTime now);
  // Due delays and shelves.
  void tick(WallTime now);

  // Restores an entry as saved (persistence across restarts); no journal entry.
  void restore(Slot s, const AlarmEntry& saved);

  AlarmCounts counts(WallTime now) const;
  std::uint32_t flood_threshold = 10;

  // What changed since the last drain: journal entries and slots (for the feed and storage).
  std::vector<JournalEntry> take_journal() { return std::exchange(journal_, {}); }
  std::vector<Slot> take_changed();

 private:
  void activate(Slot s, WallTime now, AlarmEvent why, const std::string& user = {},
                const std::string& reason = {});
  void deactivate(Slot s, WallTime now);
  void finish(Slot s, WallTime now, AlarmEvent event, const std::string& user,
              const std::string& reason);
  void log(Slot s, WallTime now, AlarmEvent event, const std::string& user = {},
           const std::string& reason = {});
  void changed(Slot s);

  std::vector<AlarmEntry> entries_;
  std::unordered_map<std::string, Slot> by_rule_;
  std::vector<JournalEntry> journal_;
  std::vector<Slot> changed_;
  std::vector<std::uint8_t> changed_flag_;
  std::deque<WallTime> activations_;  // the last 10 minutes, all alarms (bounded)
  bool in_flood_ = false;
  std::uint64_t flood_periods_ = 0;
  std::uint64_t total_activations_ = 0;
};

}  // namespace weir::alarm
