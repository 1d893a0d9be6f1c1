#include "mqtt/transport/outbound_queue.hpp"

#include <cassert>

namespace weir::mqtt {

void OutboundQueue::push(Bytes b) {
  if (!b || b->empty()) return;
  bytes_ += b->size();
  items_.push_back(std::move(b));
}

std::size_t OutboundQueue::batch(std::size_t max_buffers, std::size_t max_bytes) const {
  std::size_t n = 0, total = 0;
  for (std::size_t i = head_; i < items_.size() && n < max_buffers; ++i) {
    if (n > 0 && total + items_[i]->size() > max_bytes) break;
    total += items_[i]->size();
    ++n;
  }
  return n;
}

void OutboundQueue::pop(std::size_t n) {
  assert(n <= size());
  for (std::size_t i = 0; i < n; ++i) {
    bytes_ -= items_[head_]->size();
    items_[head_++].reset();
  }
  if (head_ == items_.size()) {
    items_.clear();
    head_ = 0;
    if (items_.capacity() > 256) items_.shrink_to_fit();  // a burst should not pin memory
  } else if (head_ >= 64 && head_ * 2 >= items_.size()) {
    items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
}

void OutboundQueue::clear() {
  items_.clear();
  items_.shrink_to_fit();
  head_ = 0;
  bytes_ = 0;
}

}  // namespace weir::mqtt
