#pragma once
// Incremental framing: feed arbitrary byte chunks, take whole packets out. The remaining length
// is checked against the maximum packet size before the body is buffered.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "mqtt/codec/packet.hpp"

namespace weir::mqtt {

struct Frame {
  std::uint8_t header = 0;             // type << 4 | flags
  std::span<const std::uint8_t> body;  // valid until the next feed()/next()
  std::size_t size = 0;                // whole packet on the wire
};

class FrameReader {
 public:
  explicit FrameReader(std::size_t max_packet_size = kDefaultMax) : max_(max_packet_size) {}
  void set_max_packet_size(std::size_t n) { max_ = n; }

  void feed(const std::uint8_t* data, std::size_t n);
  // The next whole packet, nullopt when more bytes are needed, or an error (malformed remaining
  // length, packet too large). After an error the reader is unusable: close the connection.
  CodecResult<std::optional<Frame>> next();
  std::size_t buffered() const { return buf_.size() - pos_; }
  // Gives the buffer back when nothing is pending, so an idle connection holds no memory here.
  // Call after next() has returned nullopt (frames handed out before are invalidated).
  void release_if_drained() {
    if (pos_ == buf_.size() && buf_.capacity() != 0) {
      std::vector<std::uint8_t>().swap(buf_);
      pos_ = 0;
    }
  }
  std::size_t capacity() const { return buf_.capacity(); }

  static constexpr std::size_t kDefaultMax = 268'435'460;

 private:
  std::vector<std::uint8_t> buf_;
  std::size_t pos_ = 0;
  std::size_t max_;
};

}  // namespace weir::mqtt
