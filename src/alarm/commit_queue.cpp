#include "alarm/commit_queue.hpp"

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <unordered_set>
#include <utility>

namespace weir::alarm {
namespace {

template <class T>
void append(std::vector<T>& to, std::vector<T>&& from) {
  if (to.empty()) {
    to = std::move(from);
    return;
  }
  to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

void append(CommitBatch& to, CommitBatch&& from) {
  append(to.rows.journal, std::move(from.rows.journal));
  append(to.rows.states, std::move(from.rows.states));
  append(to.publish.slots, std::move(from.publish.slots));
  append(to.publish.announcements, std::move(from.publish.announcements));
}

}  // namespace

bool CommitQueue::add(CommitBatch batch) {
  if (waiting_)
    append(*waiting_, std::move(batch));
  else
    waiting_ = std::move(batch);
  bound_waiting();
  if (running_ || start_due_) return false;
  start_due_ = true;
  return true;
}

std::optional<AlarmRows> CommitQueue::start() {
  start_due_ = false;
  if (running_ || !waiting_) return std::nullopt;
  return run_waiting();
}

std::optional<AlarmRows> CommitQueue::run_waiting() {
  running_ = true;
  ++commits_;
  running_publish_ = std::move(waiting_->publish);
  AlarmRows rows = std::move(waiting_->rows);
  waiting_.reset();
  return rows;
}

void CommitQueue::bound_waiting() {
  auto& rows = waiting_->rows;
  if (rows.journal.size() > kMaxWaitingRows) {
    const auto excess = rows.journal.size() - kMaxWaitingRows;
    rows.journal.erase(rows.journal.begin(),
                       rows.journal.begin() + static_cast<std::ptrdiff_t>(excess));
    dropped_ += excess;
  }
  if (rows.states.size() > kMaxWaitingRows) {  // a rule's later state replaces its earlier ones
    std::unordered_set<std::string> seen;
    std::vector<SavedState> kept;
    for (auto it = rows.states.rbegin(); it != rows.states.rend(); ++it)
      if (seen.insert(it->rule_id).second) kept.push_back(std::move(*it));
    std::reverse(kept.begin(), kept.end());
    rows.states = std::move(kept);
  }
}

CommitQueue::Done CommitQueue::done() {
  Done d{std::exchange(running_publish_, {}), std::nullopt};
  running_ = false;
  if (waiting_) d.next = run_waiting();
  return d;
}

Publications CommitQueue::take_late() {
  CommitBatch late{{}, std::exchange(running_publish_, {})};
  if (waiting_) {
    CommitBatch publish_only{{}, std::exchange(waiting_->publish, {})};
    append(late, std::move(publish_only));
  }
  return std::move(late.publish);
}

Publications CommitQueue::drain(AlarmRows& rows) {
  CommitBatch all{{}, std::exchange(running_publish_, {})};
  if (waiting_) append(all, std::move(*std::exchange(waiting_, std::nullopt)));
  running_ = false;
  start_due_ = false;
  rows = std::move(all.rows);
  return std::move(all.publish);
}

}  // namespace weir::alarm
