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
    bytes_ -= items_[head_]->size() - offset_;
    offset_ = 0;
    items_[head_++].reset();
  }
  compact();
}

void OutboundQueue::consume(std::size_t n) {
  assert(n <= bytes_);
  bytes_ -= n;
  while (n > 0) {
    const std::size_t left = items_[head_]->size() - offset_;
    if (n < left) {
      offset_ += n;
      break;
    }
    n -= left;
    offset_ = 0;
    items_[head_++].reset();
  }
  compact();
}

void OutboundQueue::compact() {
  if (head_ == items_.size()) {
    // Drained: give the array back, so an idle connection holds nothing here.
    std::vector<Bytes>().swap(items_);
    head_ = 0;
  } else if (head_ >= 64 && head_ * 2 >= items_.size()) {
    items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
}

void OutboundQueue::clear() {
  std::vector<Bytes>().swap(items_);
  head_ = 0;
  offset_ = 0;
  bytes_ = 0;
}

}  // namespace weir::mqtt
