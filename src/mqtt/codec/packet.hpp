#pragma once
// MQTT control packets (3.1.1 and 5.0) as plain structs. One struct per packet kind; the four
// publish acknowledgements share PubAck with a `type`. Properties are ignored for 3.1.1.
#include <boost/system/result.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "mqtt/codec/properties.hpp"
#include "mqtt/codec/reason_code.hpp"

namespace weir::mqtt {

enum class PacketType : std::uint8_t {
  connect = 1,
  connack = 2,
  publish = 3,
  puback = 4,
  pubrec = 5,
  pubrel = 6,
  pubcomp = 7,
  subscribe = 8,
  suback = 9,
  unsubscribe = 10,
  unsuback = 11,
  pingreq = 12,
  pingresp = 13,
  disconnect = 14,
  auth = 15,
};
const char* to_string(PacketType t) noexcept;

// Payloads are shared and immutable so fan-out to N subscribers never copies them.
using Payload = std::shared_ptr<const std::vector<std::uint8_t>>;
Payload make_payload(std::vector<std::uint8_t> bytes);
Payload empty_payload();  // one shared empty buffer

struct Will {
  std::string topic;
  Payload payload = empty_payload();
  std::uint8_t qos = 0;
  bool retain = false;
  Properties properties;  // v5 will properties (will delay, message expiry, ...)
};

struct Connect {
  ProtocolVersion version = ProtocolVersion::v311;
  bool clean_start = true;
  std::uint16_t keep_alive = 60;
  std::string client_id;
  std::optional<Will> will;
  std::optional<std::string> username;
  std::optional<std::string> password;  // raw bytes
  Properties properties;
};

struct Connack {
  bool session_present = false;
  ReasonCode reason = ReasonCode::success;  // v3: mapped onto a ConnectReturnCode
  Properties properties;
};

struct Publish {
  std::string topic;  // may be empty in v5 when a topic alias is used
  Payload payload = empty_payload();
  std::uint8_t qos = 0;
  bool retain = false;
  bool dup = false;
  std::uint16_t packet_id = 0;
  Properties properties;
};

// PUBACK, PUBREC, PUBREL, PUBCOMP.
struct PubAck {
  PacketType type = PacketType::puback;
  std::uint16_t packet_id = 0;
  ReasonCode reason = ReasonCode::success;
  Properties properties;
};

struct SubscribeOptions {
  std::uint8_t qos = 0;
  bool no_local = false;
  bool retain_as_published = false;
  std::uint8_t retain_handling = 0;  // 0 send retained, 1 only if new, 2 never
  std::uint8_t to_byte() const noexcept {
    return static_cast<std::uint8_t>(qos | (no_local ? 0x04 : 0) |
                                     (retain_as_published ? 0x08 : 0) | (retain_handling << 4));
  }
  static SubscribeOptions from_byte(std::uint8_t b) noexcept {
    return SubscribeOptions{static_cast<std::uint8_t>(b & 0x03), (b & 0x04) != 0, (b & 0x08) != 0,
                            static_cast<std::uint8_t>((b >> 4) & 0x03)};
  }
  bool operator==(const SubscribeOptions&) const = default;
};

struct TopicSubscription {
  std::string filter;
  SubscribeOptions options;
};

struct Subscribe {
  std::uint16_t packet_id = 0;
  std::vector<TopicSubscription> topics;
  Properties properties;
};

struct Suback {
  std::uint16_t packet_id = 0;
  std::vector<ReasonCode> reasons;  // v3: 0,1,2 or 0x80
  Properties properties;
};

struct Unsubscribe {
  std::uint16_t packet_id = 0;
  std::vector<std::string> filters;
  Properties properties;
};

struct Unsuback {
  std::uint16_t packet_id = 0;
  std::vector<ReasonCode> reasons;  // v5 only
  Properties properties;
};

struct PingReq {};
struct PingResp {};

struct Disconnect {
  ReasonCode reason = ReasonCode::success;
  Properties properties;
};

struct Auth {
  ReasonCode reason = ReasonCode::success;
  Properties properties;
};

using Packet = std::variant<Connect, Connack, Publish, PubAck, Subscribe, Suback, Unsubscribe,
                            Unsuback, PingReq, PingResp, Disconnect, Auth>;

PacketType packet_type(const Packet& p) noexcept;

// A decode failure: the reason code to answer with (CONNACK/DISCONNECT in v5) and a message
// that says where and why ("PUBLISH: topic name at offset 2: invalid UTF-8 ...").
struct CodecError {
  ReasonCode reason = ReasonCode::malformed_packet;
  std::string message;
};

[[noreturn]] void throw_exception_from_error(const CodecError& e, const boost::source_location&);

template <class T>
using CodecResult = boost::system::result<T, CodecError>;

}  // namespace weir::mqtt
