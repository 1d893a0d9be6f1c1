// libFuzzer target: arbitrary bytes through the frame reader and the packet decoder (both
// protocol versions), then re-encode what decoded and decode it again: must round-trip.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "mqtt/codec/decoder.hpp"
#include "mqtt/codec/encoder.hpp"
#include "mqtt/codec/frame_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace weir::mqtt;
  if (size == 0) return 0;
  // First byte picks the version; the rest is a byte stream, fed in two chunks.
  const auto version = (data[0] & 1) ? ProtocolVersion::v5 : ProtocolVersion::v311;
  ++data;
  --size;
  FrameReader reader(64 * 1024);
  const std::size_t split = size / 3;
  reader.feed(data, split);
  bool fed_rest = false;
  std::vector<std::uint8_t> out;
  for (int guard = 0; guard < 1000; ++guard) {
    auto f = reader.next();
    if (!f) return 0;  // framing error: connection would be closed
    if (!*f) {
      if (fed_rest) return 0;
      reader.feed(data + split, size - split);
      fed_rest = true;
      continue;
    }
    const Frame frame = **f;
    auto p = decode_packet(frame.header, frame.body, DecodeOptions{version});
    if (!p) {
      if (p.error().message.empty()) std::abort();
      continue;
    }
    const auto v = std::holds_alternative<Connect>(*p) ? std::get<Connect>(*p).version : version;
    out.clear();
    encode(*p, v, out);
    FrameReader again;
    again.feed(out.data(), out.size());
    auto f2 = again.next();
    if (!f2 || !*f2) std::abort();
    auto p2 = decode_packet((**f2).header, (**f2).body, DecodeOptions{v});
    if (!p2) std::abort();
    if (packet_type(*p2) != packet_type(*p)) std::abort();
  }
  return 0;
}
