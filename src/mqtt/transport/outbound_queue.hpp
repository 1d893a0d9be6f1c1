#pragma once
// The bytes a connection still has to write: shared, immutable buffers (one PUBLISH may sit in
// many queues), a running byte count for the slow-consumer limit, and batches for one gathered
// write. Pure: no socket, no Asio.
#include <cstddef>
#include <vector>

#include "mqtt/broker/connection.hpp"

namespace weir::mqtt {

class OutboundQueue {
 public:
  void push(Bytes b);
  bool empty() const { return head_ == items_.size(); }
  std::size_t bytes() const { return bytes_; }
  std::size_t size() const { return items_.size() - head_; }
  // How many buffers from the front make the next write: at most max_buffers, and stops once
  // max_bytes is reached (always at least one when not empty).
  std::size_t batch(std::size_t max_buffers, std::size_t max_bytes) const;
  const Bytes& at(std::size_t i) const { return items_[head_ + i]; }
  // Bytes of the front buffer already written (partial writes; see consume()).
  std::size_t front_offset() const { return offset_; }
  // Drops the first n buffers (after they were written whole).
  void pop(std::size_t n);
  // Drops n written bytes from the front: whole buffers, then a partial one (front_offset()).
  void consume(std::size_t n);
  void clear();

 private:
  void compact();

  std::vector<Bytes> items_;  // [head_, end) is queued; compacted as it drains, freed when empty
  std::size_t head_ = 0;
  std::size_t offset_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace weir::mqtt
