#pragma once
// Group commit, pure (no I/O, no threads): the alarm module's transitions wait here until their
// rows (journal entries, saved states) are committed to data/alarms.db, and only then are they
// published (model::AlarmUpdate on the bus, the `alarm` feed). The batches of one io turn start
// one commit together (add / start); one commit runs at a time; what arrives meanwhile waits and
// goes whole into the next one, so a burst of transitions shares few commits, and nothing is
// published before the rows that explain it are on disk: after a kill -9 the alarm module restores
// at least every state anyone has heard of.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "alarm/alarm_table.hpp"
#include "model/alarm_messages.hpp"

namespace weir::alarm {

// An alarm's current state as saved (JSON); "" deletes it.
struct SavedState {
  std::string rule_id;
  std::string json;
};

// What one commit writes, in one transaction.
struct AlarmRows {
  std::vector<JournalEntry> journal;
  std::vector<SavedState> states;
  bool empty() const { return journal.empty() && states.empty(); }
};

// What is published once the rows before it are committed, in order.
using Announcement = std::variant<model::AlarmUpdate, model::AlarmsRestored>;
struct Publications {
  std::vector<AlarmTable::Slot> slots;  // the feed's changed keys
  std::vector<Announcement> announcements;
  bool empty() const { return slots.empty() && announcements.empty(); }
};

struct CommitBatch {
  AlarmRows rows;
  Publications publish;
};

class CommitQueue {
 public:
  // Queues `batch` after what waits. True when the caller should call start() once the current
  // io turn is over (nothing runs and no start is due yet): every batch of the turn then shares
  // the first commit — a rule write raising a hundred alarms is one commit and one publication.
  bool add(CommitBatch batch);
  // The rows to commit now (everything waiting, possibly no rows: the caller then reports done()
  // at once); nullopt when a commit runs already (done() continues) or nothing waits.
  std::optional<AlarmRows> start();

  struct Done {
    Publications publish;           // the finished commit's, to publish now
    std::optional<AlarmRows> next;  // everything that waited meanwhile: commit it now
  };
  // The running commit has finished (committed or failed: the caller decides what a failure
  // means). Must only be called while one runs.
  Done done();

  // A commit that has not answered by its deadline (a hung disk): what the running and the
  // waiting batches would publish, taken to be published now (an alarm must reach the operators
  // even when its row cannot be written). Their rows stay queued; done() then publishes only
  // what was added after this.
  Publications take_late();

  // Shutdown: the running commit's publications then the waiting ones, and the waiting rows
  // (`rows`); nothing runs afterwards.
  Publications drain(AlarmRows& rows);

  // Bounded while a commit hangs: past kMaxWaitingRows journal rows the oldest waiting ones are
  // dropped (counted), and the waiting states keep only each rule's latest.
  static constexpr std::size_t kMaxWaitingRows = 10000;
  std::uint64_t dropped() const { return dropped_; }  // journal rows dropped so far

  bool running() const { return running_; }
  std::size_t commits() const { return commits_; }  // commits started (for /metrics)

 private:
  std::optional<AlarmRows> run_waiting();
  void bound_waiting();

  bool running_ = false;
  bool start_due_ = false;
  Publications running_publish_;
  std::optional<CommitBatch> waiting_;
  std::size_t commits_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace weir::alarm
