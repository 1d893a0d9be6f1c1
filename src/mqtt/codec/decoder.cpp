#include "mqtt/codec/decoder.hpp"

#include <bitset>
#include <cstdio>
#include <string>
#include <string_view>

#include "mqtt/codec/topic.hpp"

namespace weir::mqtt {

namespace {

// Reads the body of one packet; the first failure is kept with the offset where it happened.
class Reader {
 public:
  Reader(std::span<const std::uint8_t> b, const char* packet, bool utf8)
      : data_(b.data()), end_(b.size()), packet_(packet), utf8_(utf8) {}

  std::size_t pos() const { return pos_; }
  std::size_t remaining() const { return end_ - pos_; }
  bool at_end() const { return pos_ == end_; }
  std::size_t limit() const { return end_; }
  void set_limit(std::size_t e) { end_ = e; }

  bool fail(ReasonCode rc, std::string_view what) {
    if (!failed_) {
      failed_ = true;
      error_.reason = rc;
      error_.message = std::string(packet_) + ": " + std::string(what) + " (at byte " +
                       std::to_string(pos_) + " of the variable header)";
    }
    return false;
  }
  CodecError take_error() { return std::move(error_); }

  bool need(std::size_t n, std::string_view what) {
    if (remaining() < n)
      return fail(ReasonCode::malformed_packet, std::string(what) + ": needs " + std::to_string(n) +
                                                    " bytes, only " + std::to_string(remaining()) +
                                                    " left");
    return true;
  }
  bool u8(std::uint8_t& v, std::string_view what) {
    if (!need(1, what)) return false;
    v = data_[pos_++];
    return true;
  }
  bool u16(std::uint16_t& v, std::string_view what) {
    if (!need(2, what)) return false;
    v = static_cast<std::uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool u32(std::uint32_t& v, std::string_view what) {
    if (!need(4, what)) return false;
    v = (std::uint32_t{data_[pos_]} << 24) | (std::uint32_t{data_[pos_ + 1]} << 16) |
        (std::uint32_t{data_[pos_ + 2]} << 8) | std::uint32_t{data_[pos_ + 3]};
    pos_ += 4;
    return true;
  }
  bool varint(std::uint32_t& v, std::string_view what) {
    v = 0;
    for (int i = 0; i < 4; ++i) {
      std::uint8_t b;
      if (!u8(b, what)) return false;
      v |= std::uint32_t{b & 0x7Fu} << (7 * i);
      if ((b & 0x80) == 0) return true;
    }
    return fail(ReasonCode::malformed_packet,
                std::string(what) + ": variable byte integer longer than 4 bytes");
  }
  bool view(std::string_view& s, std::string_view what) {
    std::uint16_t len;
    if (!u16(len, what)) return false;
    if (remaining() < len)
      return fail(ReasonCode::malformed_packet, std::string(what) + ": length " +
                                                    std::to_string(len) + " exceeds the " +
                                                    std::to_string(remaining()) + " bytes left");
    s = std::string_view(reinterpret_cast<const char*>(data_ + pos_), len);
    pos_ += len;
    return true;
  }
  bool str(std::string& s, std::string_view what) {
    std::string_view v;
    std::size_t at = pos_;
    if (!view(v, what)) return false;
    if (utf8_ && !valid_mqtt_utf8(v)) {
      pos_ = at;
      return fail(ReasonCode::malformed_packet,
                  std::string(what) + ": not well-formed UTF-8 or contains U+0000");
    }
    s.assign(v);
    return true;
  }
  bool bin(std::vector<std::uint8_t>& b, std::string_view what) {
    std::string_view v;
    if (!view(v, what)) return false;
    b.assign(v.begin(), v.end());
    return true;
  }
  bool bin_str(std::string& b, std::string_view what) {
    std::string_view v;
    if (!view(v, what)) return false;
    b.assign(v);
    return true;
  }
  std::span<const std::uint8_t> rest() {
    auto s = std::span<const std::uint8_t>(data_ + pos_, end_ - pos_);
    pos_ = end_;
    return s;
  }

 private:
  const std::uint8_t* data_;
  std::size_t pos_ = 0;
  std::size_t end_;
  const char* packet_;
  bool utf8_;
  bool failed_ = false;
  CodecError error_;
};

#define WEIR_TRY(expr)                  \
  do {                                  \
    if (!(expr)) return r.take_error(); \
  } while (0)

const char* context_name(PropertyContext c) {
  switch (c) {
    case PropertyContext::connect:
      return "CONNECT";
    case PropertyContext::will:
      return "will properties";
    case PropertyContext::connack:
      return "CONNACK";
    case PropertyContext::publish:
      return "PUBLISH";
    case PropertyContext::ack:
      return "PUBACK/PUBREC/PUBREL/PUBCOMP";
    case PropertyContext::subscribe:
      return "SUBSCRIBE";
    case PropertyContext::suback:
      return "SUBACK";
    case PropertyContext::unsubscribe:
      return "UNSUBSCRIBE";
    case PropertyContext::unsuback:
      return "UNSUBACK";
    case PropertyContext::disconnect:
      return "DISCONNECT";
    case PropertyContext::auth:
      return "AUTH";
  }
  return "?";
}

bool known_property(std::uint32_t id) {
  switch (id) {
    case 0x01:
    case 0x02:
    case 0x03:
    case 0x08:
    case 0x09:
    case 0x0B:
    case 0x11:
    case 0x12:
    case 0x13:
    case 0x15:
    case 0x16:
    case 0x17:
    case 0x18:
    case 0x19:
    case 0x1A:
    case 0x1C:
    case 0x1F:
    case 0x21:
    case 0x22:
    case 0x23:
    case 0x24:
    case 0x25:
    case 0x26:
    case 0x27:
    case 0x28:
    case 0x29:
    case 0x2A:
      return true;
    default:
      return false;
  }
}

// Reads `len` bytes of properties (the length prefix already consumed).
bool read_property_block(Reader& r, std::uint32_t len, PropertyContext ctx, Properties& p) {
  if (len > r.remaining())
    return r.fail(ReasonCode::malformed_packet, "property length " + std::to_string(len) +
                                                    " exceeds the " +
                                                    std::to_string(r.remaining()) + " bytes left");
  const std::size_t outer = r.limit();
  r.set_limit(r.pos() + len);
  std::bitset<64> seen;
  bool ok = true;
  auto protocol = [&](const std::string& what) { return r.fail(ReasonCode::protocol_error, what); };
  auto flag = [&](std::optional<std::uint8_t>& v, PropertyId id) {
    std::uint8_t b;
    if (!r.u8(b, to_string(id))) return false;
    if (b > 1)
      return protocol(std::string(to_string(id)) + " must be 0 or 1, got " + std::to_string(b));
    v = b;
    return true;
  };
  while (ok && !r.at_end()) {
    std::uint32_t raw;
    if (!r.varint(raw, "property identifier")) {
      ok = false;
      break;
    }
    if (!known_property(raw)) {
      ok = r.fail(
          ReasonCode::malformed_packet, "unknown property identifier 0x" + [&] {
            char buf[16];
            std::snprintf(buf, sizeof buf, "%02X", raw);
            return std::string(buf);
          }());
      break;
    }
    auto id = static_cast<PropertyId>(raw);
    if (!property_allowed(id, ctx)) {
      ok = protocol(std::string(to_string(id)) + " is not allowed in " + context_name(ctx));
      break;
    }
    bool repeatable =
        id == PropertyId::user_property ||
        (id == PropertyId::subscription_identifier && ctx == PropertyContext::publish);
    if (!repeatable && seen.test(raw)) {
      ok = protocol(std::string(to_string(id)) + " appears more than once");
      break;
    }
    seen.set(raw);
    std::uint8_t b = 0;
    std::uint16_t s = 0;
    std::uint32_t w = 0;
    switch (id) {
      case PropertyId::payload_format_indicator:
        ok = flag(p.payload_format_indicator, id);
        break;
      case PropertyId::message_expiry_interval:
        ok = r.u32(w, to_string(id));
        p.message_expiry_interval = w;
        break;
      case PropertyId::content_type:
        ok = r.str(p.content_type.emplace(), to_string(id));
        break;
      case PropertyId::response_topic:
        ok = r.str(p.response_topic.emplace(), to_string(id));
        if (ok && !valid_topic_name(*p.response_topic))
          ok = protocol("Response Topic is not a valid topic name");
        break;
      case PropertyId::correlation_data:
        ok = r.bin(p.correlation_data.emplace(), to_string(id));
        break;
      case PropertyId::subscription_identifier:
        ok = r.varint(w, to_string(id));
        if (ok && w == 0) ok = protocol("Subscription Identifier must not be 0");
        if (ok) p.subscription_identifiers.push_back(w);
        break;
      case PropertyId::session_expiry_interval:
        ok = r.u32(w, to_string(id));
        p.session_expiry_interval = w;
        break;
      case PropertyId::assigned_client_identifier:
        ok = r.str(p.assigned_client_identifier.emplace(), to_string(id));
        break;
      case PropertyId::server_keep_alive:
        ok = r.u16(s, to_string(id));
        p.server_keep_alive = s;
        break;
      case PropertyId::authentication_method:
        ok = r.str(p.authentication_method.emplace(), to_string(id));
        break;
      case PropertyId::authentication_data:
        ok = r.bin(p.authentication_data.emplace(), to_string(id));
        break;
      case PropertyId::request_problem_information:
        ok = flag(p.request_problem_information, id);
        break;
      case PropertyId::will_delay_interval:
        ok = r.u32(w, to_string(id));
        p.will_delay_interval = w;
        break;
      case PropertyId::request_response_information:
        ok = flag(p.request_response_information, id);
        break;
      case PropertyId::response_information:
        ok = r.str(p.response_information.emplace(), to_string(id));
        break;
      case PropertyId::server_reference:
        ok = r.str(p.server_reference.emplace(), to_string(id));
        break;
      case PropertyId::reason_string:
        ok = r.str(p.reason_string.emplace(), to_string(id));
        break;
      case PropertyId::receive_maximum:
        ok = r.u16(s, to_string(id));
        if (ok && s == 0) ok = protocol("Receive Maximum must not be 0");
        p.receive_maximum = s;
        break;
      case PropertyId::topic_alias_maximum:
        ok = r.u16(s, to_string(id));
        p.topic_alias_maximum = s;
        break;
      case PropertyId::topic_alias:
        ok = r.u16(s, to_string(id));
        if (ok && s == 0) ok = r.fail(ReasonCode::topic_alias_invalid, "Topic Alias must not be 0");
        p.topic_alias = s;
        break;
      case PropertyId::maximum_qos:
        ok = r.u8(b, to_string(id));
        if (ok && b > 1) ok = protocol("Maximum QoS must be 0 or 1");
        p.maximum_qos = b;
        break;
      case PropertyId::retain_available:
        ok = flag(p.retain_available, id);
        break;
      case PropertyId::user_property: {
        auto& up = p.user_properties.emplace_back();
        ok = r.str(up.first, "User Property name") && r.str(up.second, "User Property value");
        break;
      }
      case PropertyId::maximum_packet_size:
        ok = r.u32(w, to_string(id));
        if (ok && w == 0) ok = protocol("Maximum Packet Size must not be 0");
        p.maximum_packet_size = w;
        break;
      case PropertyId::wildcard_subscription_available:
        ok = flag(p.wildcard_subscription_available, id);
        break;
      case PropertyId::subscription_identifier_available:
        ok = flag(p.subscription_identifier_available, id);
        break;
      case PropertyId::shared_subscription_available:
        ok = flag(p.shared_subscription_available, id);
        break;
    }
  }
  r.set_limit(outer);
  if (ok && p.authentication_data && !p.authentication_method)
    ok = protocol("Authentication Data without Authentication Method");
  return ok;
}

bool read_properties(Reader& r, PropertyContext ctx, Properties& p) {
  std::uint32_t len;
  if (!r.varint(len, "property length")) return false;
  return read_property_block(r, len, ctx, p);
}

bool check_flags(Reader& r, std::uint8_t header, std::uint8_t expected) {
  if ((header & 0x0F) != expected)
    return r.fail(ReasonCode::malformed_packet, "reserved fixed-header flags must be " +
                                                    std::to_string(expected) + ", got " +
                                                    std::to_string(header & 0x0F));
  return true;
}

bool check_packet_id(Reader& r, std::uint16_t id) {
  if (id == 0) return r.fail(ReasonCode::malformed_packet, "packet identifier must not be 0");
  return true;
}

bool expect_end(Reader& r) {
  if (!r.at_end())
    return r.fail(ReasonCode::malformed_packet,
                  std::to_string(r.remaining()) + " unexpected trailing bytes");
  return true;
}

CodecResult<Packet> decode_connect(Reader& r, std::uint8_t header) {
  WEIR_TRY(check_flags(r, header, 0));
  Connect c;
  std::string name;
  WEIR_TRY(r.str(name, "protocol name"));
  std::uint8_t level;
  WEIR_TRY(r.u8(level, "protocol level"));
  if (name == "MQIsdp" || (name == "MQTT" && level != 4 && level != 5)) {
    r.fail(ReasonCode::unsupported_protocol_version,
           "protocol " + name + " level " + std::to_string(level) +
               " is not supported (only MQTT 3.1.1 and 5.0)");
    return r.take_error();
  }
  if (name != "MQTT") {
    r.fail(ReasonCode::malformed_packet, "protocol name must be \"MQTT\"");
    return r.take_error();
  }
  c.version = static_cast<ProtocolVersion>(level);
  const bool v5 = c.version == ProtocolVersion::v5;
  std::uint8_t flags;
  WEIR_TRY(r.u8(flags, "connect flags"));
  if (flags & 0x01) {
    r.fail(ReasonCode::malformed_packet, "connect flags: reserved bit 0 must be 0");
    return r.take_error();
  }
  const bool has_user = flags & 0x80, has_pass = flags & 0x40, will_retain = flags & 0x20,
             has_will = flags & 0x04;
  const std::uint8_t will_qos = (flags >> 3) & 0x03;
  c.clean_start = flags & 0x02;
  if (will_qos == 3) {
    r.fail(ReasonCode::malformed_packet, "connect flags: will QoS 3 is invalid");
    return r.take_error();
  }
  if (!has_will && (will_qos != 0 || will_retain)) {
    r.fail(ReasonCode::malformed_packet,
           "connect flags: will QoS/retain set without the will flag");
    return r.take_error();
  }
  if (!v5 && has_pass && !has_user) {
    r.fail(ReasonCode::malformed_packet, "connect flags: password flag set without user name flag");
    return r.take_error();
  }
  WEIR_TRY(r.u16(c.keep_alive, "keep alive"));
  if (v5) WEIR_TRY(read_properties(r, PropertyContext::connect, c.properties));
  WEIR_TRY(r.str(c.client_id, "client identifier"));
  if (has_will) {
    Will w;
    w.qos = will_qos;
    w.retain = will_retain;
    if (v5) WEIR_TRY(read_properties(r, PropertyContext::will, w.properties));
    WEIR_TRY(r.str(w.topic, "will topic"));
    std::vector<std::uint8_t> payload;
    WEIR_TRY(r.bin(payload, "will payload"));
    w.payload = make_payload(std::move(payload));
    c.will = std::move(w);
  }
  if (has_user) WEIR_TRY(r.str(c.username.emplace(), "user name"));
  if (has_pass) WEIR_TRY(r.bin_str(c.password.emplace(), "password"));
  WEIR_TRY(expect_end(r));
  return Packet{std::move(c)};
}

CodecResult<Packet> decode_connack(Reader& r, std::uint8_t header, bool v5) {
  WEIR_TRY(check_flags(r, header, 0));
  Connack c;
  std::uint8_t ack, rc;
  WEIR_TRY(r.u8(ack, "acknowledge flags"));
  if (ack & 0xFE) {
    r.fail(ReasonCode::malformed_packet, "acknowledge flags: reserved bits must be 0");
    return r.take_error();
  }
  c.session_present = ack & 1;
  WEIR_TRY(r.u8(rc, "reason code"));
  if (v5) {
    c.reason = static_cast<ReasonCode>(rc);
    WEIR_TRY(read_properties(r, PropertyContext::connack, c.properties));
  } else {
    switch (static_cast<ConnectReturnCode>(rc)) {
      case ConnectReturnCode::accepted:
        c.reason = ReasonCode::success;
        break;
      case ConnectReturnCode::unacceptable_protocol_version:
        c.reason = ReasonCode::unsupported_protocol_version;
        break;
      case ConnectReturnCode::identifier_rejected:
        c.reason = ReasonCode::client_identifier_not_valid;
        break;
      case ConnectReturnCode::server_unavailable:
        c.reason = ReasonCode::server_unavailable;
        break;
      case ConnectReturnCode::bad_user_name_or_password:
        c.reason = ReasonCode::bad_user_name_or_password;
        break;
      case ConnectReturnCode::not_authorized:
        c.reason = ReasonCode::not_authorized;
        break;
      default:
        r.fail(ReasonCode::malformed_packet, "unknown CONNACK return code " + std::to_string(rc));
        return r.take_error();
    }
  }
  WEIR_TRY(expect_end(r));
  return Packet{std::move(c)};
}

CodecResult<Packet> decode_publish(Reader& r, std::uint8_t header, bool v5) {
  Publish p;
  p.qos = (header >> 1) & 0x03;
  p.retain = header & 0x01;
  p.dup = header & 0x08;
  if (p.qos == 3) {
    r.fail(ReasonCode::malformed_packet, "QoS 3 is invalid");
    return r.take_error();
  }
  if (p.qos == 0 && p.dup) {
    r.fail(ReasonCode::malformed_packet, "DUP flag set on a QoS 0 message");
    return r.take_error();
  }
  WEIR_TRY(r.str(p.topic, "topic name"));
  if (p.qos > 0) {
    WEIR_TRY(r.u16(p.packet_id, "packet identifier"));
    WEIR_TRY(check_packet_id(r, p.packet_id));
  }
  if (v5) WEIR_TRY(read_properties(r, PropertyContext::publish, p.properties));
  if (p.topic.empty() && !(v5 && p.properties.topic_alias)) {
    r.fail(v5 ? ReasonCode::protocol_error : ReasonCode::malformed_packet,
           "empty topic name without a topic alias");
    return r.take_error();
  }
  auto rest = r.rest();
  if (!rest.empty())
    p.payload = std::make_shared<const std::vector<std::uint8_t>>(rest.begin(), rest.end());
  return Packet{std::move(p)};
}

CodecResult<Packet> decode_puback(Reader& r, std::uint8_t header, bool v5) {
  PubAck a;
  a.type = static_cast<PacketType>(header >> 4);
  WEIR_TRY(check_flags(r, header, a.type == PacketType::pubrel ? 2 : 0));
  WEIR_TRY(r.u16(a.packet_id, "packet identifier"));
  WEIR_TRY(check_packet_id(r, a.packet_id));
  if (v5) {
    if (!r.at_end()) {
      std::uint8_t rc;
      WEIR_TRY(r.u8(rc, "reason code"));
      a.reason = static_cast<ReasonCode>(rc);
    }
    if (!r.at_end()) WEIR_TRY(read_properties(r, PropertyContext::ack, a.properties));
  }
  WEIR_TRY(expect_end(r));
  return Packet{std::move(a)};
}

CodecResult<Packet> decode_subscribe(Reader& r, std::uint8_t header, bool v5) {
  WEIR_TRY(check_flags(r, header, 2));
  Subscribe s;
  WEIR_TRY(r.u16(s.packet_id, "packet identifier"));
  WEIR_TRY(check_packet_id(r, s.packet_id));
  if (v5) WEIR_TRY(read_properties(r, PropertyContext::subscribe, s.properties));
  while (!r.at_end()) {
    TopicSubscription t;
    WEIR_TRY(r.str(t.filter, "topic filter"));
    std::uint8_t o;
    WEIR_TRY(r.u8(o, "subscription options"));
    if (o & (v5 ? 0xC0 : 0xFC)) {
      r.fail(ReasonCode::malformed_packet,
             "subscription options: reserved bits set for \"" + t.filter + "\"");
      return r.take_error();
    }
    t.options = SubscribeOptions::from_byte(o);
    if (t.options.qos == 3) {
      r.fail(ReasonCode::malformed_packet, "subscription options: QoS 3 for \"" + t.filter + "\"");
      return r.take_error();
    }
    if (t.options.retain_handling == 3) {
      r.fail(ReasonCode::protocol_error,
             "subscription options: retain handling 3 for \"" + t.filter + "\"");
      return r.take_error();
    }
    s.topics.push_back(std::move(t));
  }
  if (s.topics.empty()) {
    r.fail(ReasonCode::protocol_error, "no topic filters");
    return r.take_error();
  }
  return Packet{std::move(s)};
}

CodecResult<Packet> decode_suback(Reader& r, std::uint8_t header, bool v5) {
  WEIR_TRY(check_flags(r, header, 0));
  Suback s;
  WEIR_TRY(r.u16(s.packet_id, "packet identifier"));
  if (v5) WEIR_TRY(read_properties(r, PropertyContext::suback, s.properties));
  while (!r.at_end()) {
    std::uint8_t rc;
    WEIR_TRY(r.u8(rc, "reason code"));
    s.reasons.push_back(static_cast<ReasonCode>(rc));
  }
  if (s.reasons.empty()) {
    r.fail(ReasonCode::protocol_error, "no reason codes");
    return r.take_error();
  }
  return Packet{std::move(s)};
}

CodecResult<Packet> decode_unsubscribe(Reader& r, std::uint8_t header, bool v5) {
  WEIR_TRY(check_flags(r, header, 2));
  Unsubscribe u;
  WEIR_TRY(r.u16(u.packet_id, "packet identifier"));
  WEIR_TRY(check_packet_id(r, u.packet_id));
  if (v5) WEIR_TRY(read_properties(r, PropertyContext::unsubscribe, u.properties));
  while (!r.at_end()) WEIR_TRY(r.str(u.filters.emplace_back(), "topic filter"));
  if (u.filters.empty()) {
    r.fail(ReasonCode::protocol_error, "no topic filters");
    return r.take_error();
  }
  return Packet{std::move(u)};
}

CodecResult<Packet> decode_unsuback(Reader& r, std::uint8_t header, bool v5) {
  WEIR_TRY(check_flags(r, header, 0));
  Unsuback u;
  WEIR_TRY(r.u16(u.packet_id, "packet identifier"));
  if (v5) {
    WEIR_TRY(read_properties(r, PropertyContext::unsuback, u.properties));
    while (!r.at_end()) {
      std::uint8_t rc;
      WEIR_TRY(r.u8(rc, "reason code"));
      u.reasons.push_back(static_cast<ReasonCode>(rc));
    }
  }
  WEIR_TRY(expect_end(r));
  return Packet{std::move(u)};
}

template <class T>
CodecResult<Packet> decode_reason_only(Reader& r, std::uint8_t header, bool v5,
                                       PropertyContext ctx) {
  WEIR_TRY(check_flags(r, header, 0));
  T d;
  if (v5) {
    if (!r.at_end()) {
      std::uint8_t rc;
      WEIR_TRY(r.u8(rc, "reason code"));
      d.reason = static_cast<ReasonCode>(rc);
    }
    if (!r.at_end()) WEIR_TRY(read_properties(r, ctx, d.properties));
  }
  WEIR_TRY(expect_end(r));
  return Packet{std::move(d)};
}

}  // namespace

CodecResult<Packet> decode_packet(std::uint8_t header, std::span<const std::uint8_t> body,
                                  const DecodeOptions& opts) {
  const auto type = static_cast<PacketType>(header >> 4);
  const bool v5 = opts.version == ProtocolVersion::v5;
  Reader r(body, to_string(type), opts.validate_utf8);
  switch (type) {
    case PacketType::connect:
      return decode_connect(r, header);
    case PacketType::connack:
      return decode_connack(r, header, v5);
    case PacketType::publish:
      return decode_publish(r, header, v5);
    case PacketType::puback:
    case PacketType::pubrec:
    case PacketType::pubrel:
    case PacketType::pubcomp:
      return decode_puback(r, header, v5);
    case PacketType::subscribe:
      return decode_subscribe(r, header, v5);
    case PacketType::suback:
      return decode_suback(r, header, v5);
    case PacketType::unsubscribe:
      return decode_unsubscribe(r, header, v5);
    case PacketType::unsuback:
      return decode_unsuback(r, header, v5);
    case PacketType::pingreq:
      WEIR_TRY(check_flags(r, header, 0));
      WEIR_TRY(expect_end(r));
      return Packet{PingReq{}};
    case PacketType::pingresp:
      WEIR_TRY(check_flags(r, header, 0));
      WEIR_TRY(expect_end(r));
      return Packet{PingResp{}};
    case PacketType::disconnect:
      return decode_reason_only<Disconnect>(r, header, v5, PropertyContext::disconnect);
    case PacketType::auth:
      if (!v5) {
        r.fail(ReasonCode::malformed_packet, "AUTH is not an MQTT 3.1.1 packet");
        return r.take_error();
      }
      return decode_reason_only<Auth>(r, header, v5, PropertyContext::auth);
  }
  return CodecError{ReasonCode::malformed_packet, "packet type 0 is reserved"};
}

CodecResult<Properties> decode_properties(std::span<const std::uint8_t> in, PropertyContext ctx,
                                          std::size_t& consumed) {
  Reader r(in, "properties", true);
  Properties p;
  WEIR_TRY(read_properties(r, ctx, p));
  consumed = r.pos();
  return p;
}

CodecResult<Properties> decode_properties_raw(std::span<const std::uint8_t> in,
                                              PropertyContext ctx) {
  Reader r(in, "properties", true);
  Properties p;
  WEIR_TRY(read_property_block(r, static_cast<std::uint32_t>(in.size()), ctx, p));
  return p;
}

}  // namespace weir::mqtt
