#include "mqtt/codec/packet.hpp"

#include <stdexcept>

namespace weir::mqtt {

const char* to_string(PacketType t) noexcept {
  switch (t) {
    case PacketType::connect:
      return "CONNECT";
    case PacketType::connack:
      return "CONNACK";
    case PacketType::publish:
      return "PUBLISH";
    case PacketType::puback:
      return "PUBACK";
    case PacketType::pubrec:
      return "PUBREC";
    case PacketType::pubrel:
      return "PUBREL";
    case PacketType::pubcomp:
      return "PUBCOMP";
    case PacketType::subscribe:
      return "SUBSCRIBE";
    case PacketType::suback:
      return "SUBACK";
    case PacketType::unsubscribe:
      return "UNSUBSCRIBE";
    case PacketType::unsuback:
      return "UNSUBACK";
    case PacketType::pingreq:
      return "PINGREQ";
    case PacketType::pingresp:
      return "PINGRESP";
    case PacketType::disconnect:
      return "DISCONNECT";
    case PacketType::auth:
      return "AUTH";
  }
  return "RESERVED";
}

Payload make_payload(std::vector<std::uint8_t> bytes) {
  if (bytes.empty()) return empty_payload();
  return std::make_shared<const std::vector<std::uint8_t>>(std::move(bytes));
}

Payload empty_payload() {
  static const Payload empty = std::make_shared<const std::vector<std::uint8_t>>();
  return empty;
}

PacketType packet_type(const Packet& p) noexcept {
  struct V {
    PacketType operator()(const Connect&) const { return PacketType::connect; }
    PacketType operator()(const Connack&) const { return PacketType::connack; }
    PacketType operator()(const Publish&) const { return PacketType::publish; }
    PacketType operator()(const PubAck& a) const { return a.type; }
    PacketType operator()(const Subscribe&) const { return PacketType::subscribe; }
    PacketType operator()(const Suback&) const { return PacketType::suback; }
    PacketType operator()(const Unsubscribe&) const { return PacketType::unsubscribe; }
    PacketType operator()(const Unsuback&) const { return PacketType::unsuback; }
    PacketType operator()(const PingReq&) const { return PacketType::pingreq; }
    PacketType operator()(const PingResp&) const { return PacketType::pingresp; }
    PacketType operator()(const Disconnect&) const { return PacketType::disconnect; }
    PacketType operator()(const Auth&) const { return PacketType::auth; }
  };
  return std::visit(V{}, p);
}

void throw_exception_from_error(const CodecError& e, const boost::source_location&) {
  throw std::runtime_error(e.message);
}

}  // namespace weir::mqtt
