#include "mqtt/codec/frame_reader.hpp"

#include <string>

namespace weir::mqtt {

void FrameReader::feed(const std::uint8_t* data, std::size_t n) {
  if (pos_ > 0 && pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > 4096 && pos_ * 2 > buf_.size()) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ = 0;
  }
  buf_.insert(buf_.end(), data, data + n);
}

CodecResult<std::optional<Frame>> FrameReader::next() {
  const std::size_t avail = buf_.size() - pos_;
  if (avail < 2) return std::optional<Frame>{};
  const std::uint8_t* p = buf_.data() + pos_;
  std::uint32_t rl = 0;
  std::size_t i = 1;
  for (;; ++i) {
    if (i > 4)
      return CodecError{ReasonCode::malformed_packet,
                        "fixed header: remaining length longer than 4 bytes"};
    if (i >= avail) return std::optional<Frame>{};
    rl |= std::uint32_t{p[i] & 0x7Fu} << (7 * (i - 1));
    if ((p[i] & 0x80) == 0) break;
  }
  const std::size_t header_len = i + 1;
  const std::size_t total = header_len + rl;
  if (total > max_)
    return CodecError{ReasonCode::packet_too_large,
                      "packet of " + std::to_string(total) +
                          " bytes exceeds the maximum packet size of " + std::to_string(max_)};
  if (avail < total) {
    buf_.reserve(pos_ + total);
    return std::optional<Frame>{};
  }
  Frame f;
  f.header = p[0];
  f.body = std::span<const std::uint8_t>(p + header_len, rl);
  f.size = total;
  pos_ += total;
  return std::optional<Frame>{f};
}

}  // namespace weir::mqtt
