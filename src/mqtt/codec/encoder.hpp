#pragma once
// Encoding packets. Every function APPENDS to `out` (reuse the buffer: clear() keeps capacity)
// and returns the number of bytes appended. Properties are written only for v5.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
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
std::size_t encode_unsubscribe(const Unsubscribe& p, ProtocolVersion v,
                               std::vector<std::uint8_t>& out);
std::size_t encode_unsuback(const Unsuback& p, ProtocolVersion v, std::vector<std::uint8_t>& out);
std::size_t encode_disconnect(const Disconnect& p, ProtocolVersion v,
                              std::vector<std::uint8_t>& out);
std::size_t encode_auth(const Auth& p, std::vector<std::uint8_t>& out);

// Size the PUBLISH would have on the wire (to respect a client's Maximum Packet Size).
std::size_t publish_size(const Publish& p, ProtocolVersion v);

// A PUBLISH from parts the caller keeps elsewhere (the broker's routed message), so that sending
// one message to many subscribers copies neither its topic nor its properties. Encodes exactly as
// encode_publish() would a Publish with these fields, its properties being *properties with the
// three per-delivery members below sent instead of *properties' own.
struct PublishParts {
  std::string_view topic;  // empty when a topic alias stands for it
  std::span<const std::uint8_t> payload;
  std::uint8_t qos = 0;
  bool retain = false;
  bool dup = false;
  std::uint16_t packet_id = 0;
  const Properties* properties = nullptr;  // v5 only; null = none
  std::optional<std::uint32_t> message_expiry_interval;
  std::span<const std::uint32_t> subscription_identifiers;
  std::optional<std::uint16_t> topic_alias;
};
std::size_t encode_publish(const PublishParts& p, ProtocolVersion v,
                           std::vector<std::uint8_t>& out);
std::size_t publish_size(const PublishParts& p, ProtocolVersion v);

// A property block without its length prefix (for persistence).
void encode_properties_raw(const Properties& props, std::vector<std::uint8_t>& out);

// Variable byte integer (§1.5.5); returns bytes written (1..4). value must be < 268'435'456.
std::size_t encode_varint(std::uint32_t value, std::vector<std::uint8_t>& out);
std::size_t varint_size(std::uint32_t value) noexcept;

inline constexpr std::uint32_t kMaxRemainingLength = 268'435'455;

}  // namespace weir::mqtt
