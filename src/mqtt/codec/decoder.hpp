#pragma once
// Decoding whole packets (fixed header byte + body) into Packet values. Malformed input gives a
// CodecError with the reason code to send and a message saying where and why.
#include <cstddef>
#include <cstdint>
#include <span>

#include "mqtt/codec/packet.hpp"

namespace weir::mqtt {

struct DecodeOptions {
  ProtocolVersion version = ProtocolVersion::v311;  // ignored for CONNECT (it carries its own)
  bool validate_utf8 = true;
};

// header: the first byte (type and flags); body: the variable header and payload.
CodecResult<Packet> decode_packet(std::uint8_t header, std::span<const std::uint8_t> body,
                                  const DecodeOptions& opts);

// The v5 property block at the start of `in` (length-prefixed); sets `consumed`.
CodecResult<Properties> decode_properties(std::span<const std::uint8_t> in, PropertyContext ctx,
                                          std::size_t& consumed);
// A property block without its length prefix (as stored by persistence).
CodecResult<Properties> decode_properties_raw(std::span<const std::uint8_t> in,
                                              PropertyContext ctx);

}  // namespace weir::mqtt
