#include "alarm/commit_queue.hpp"

#include <iterator>
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

std::optional<AlarmRows> CommitQueue::add(CommitBatch batch) {
  if (running_) {
    if (waiting_)
      append(*waiting_, std::move(batch));
    else
      waiting_ = std::move(batch);
    return std::nullopt;
  }
  running_ = true;
  ++commits_;
  running_publish_ = std::move(batch.publish);
  return std::move(batch.rows);
}

CommitQueue::Done CommitQueue::done() {
  Done d{std::exchange(running_publish_, {}), std::nullopt};
  if (waiting_) {
    ++commits_;
    running_publish_ = std::move(waiting_->publish);
    d.next = std::move(waiting_->rows);
    waiting_.reset();
  } else {
    running_ = false;
  }
  return d;
}

Publications CommitQueue::drain(AlarmRows& rows) {
  CommitBatch all{{}, std::exchange(running_publish_, {})};
  if (waiting_) append(all, std::move(*std::exchange(waiting_, std::nullopt)));
  running_ = false;
  rows = std::move(all.rows);
  return std::move(all.publish);
}

}  // namespace weir::alarm
