#pragma once
// Encoding packets. Every function APPENDS to `out` (reuse the buffer: clear() keeps capacity)
// and returns the number of bytes appended. Properties are written only for v5.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "mqtt/codec/packet.hpp"

namespace weir::mqtt {

std::size_t encode(const Packet& p, ProtocolVersion v, std::vector<std::uint8_t>& out);

std::size_t encode_connect(const Connect& p, std::vector<std::uint8_t>& out);
std::size_t encode_connack(const Connack& p, ProtocolVersion v, std::vector<std::uint8_t>& out);
std::size_t encode_publish(const Publish& p, ProtocolVersion v, std::vector<std::uint8_t>& out);
std::size_t encode_puback(const PubAck& p, ProtocolVersion v, std::vector<std::uint8_t>& out);
std::size_t encode_subscribe(const Subscribe& p, ProtocolVersion v, std::vector<std::uint8_t>& out);
std::size_t encode_suback(const Suback& p, ProtocolVersion v, std::vector<std::uint8_t>& out);
std::size_t encode_unsubscribe(const Unsubscribe& p, ProtocolVersion v, std::vector<std::uint8_t>& out);
std::size_t encode_unsuback(const Unsuback& p, ProtocolVersion v, std::vector<std::uint8_t>& out);
std::size_t encode_disconnect(const Disconnect& p, ProtocolVersion v, std::vector<std::uint8_t>& out);
std::size_t encode_auth(const Auth& p, std::vector<std::uint8_t>& out);

// Size the PUBLISH would have on the wire (to respect a client's Maximum Packet Size).
std::size_t publish_size(const Publish& p, ProtocolVersion v);

// A property block without its length prefix (for persistence).
void encode_properties_raw(const Properties& props, std::vector<std::uint8_t>& out);

// Variable byte integer (§1.5.5); returns bytes written (1..4). value must be < 268'435'456.
std::size_t encode_varint(std::uint32_t value, std::vector<std::uint8_t>& out);
std::size_t varint_size(std::uint32_t value) noexcept;

inline constexpr std::uint32_t kMaxRemainingLength = 268'435'455;

}  // namespace weir::mqtt
