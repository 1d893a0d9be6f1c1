#include "mqtt/codec/encoder.hpp"

#include <cassert>
#include <cstring>
#include <string_view>

namespace weir::mqtt {

std::size_t varint_size(std::uint32_t v) noexcept {
  return v < 128 ? 1 : v < 16384 ? 2 : v < 2097152 ? 3 : 4;
}

std::size_t encode_varint(std::uint32_t v, std::vector<std::uint8_t>& out) {
  std::size_t n = 0;
  do {
    std::uint8_t b = v & 0x7F;
    v >>= 7;
    if (v) b |= 0x80;
    out.push_back(b);
    ++n;
  } while (v);
  return n;
}

namespace {

// Two passes over the same body code: Counter sizes it, Writer fills a pre-sized buffer.
struct Counter {
  std::size_t n = 0;
  void u8(std::uint8_t) { n += 1; }
  void u16(std::uint16_t) { n += 2; }
  void u32(std::uint32_t) { n += 4; }
  void varint(std::uint32_t v) { n += varint_size(v); }
  void str(std::string_view s) { n += 2 + s.size(); }
  void bin(const std::vector<std::uint8_t>& b) { n += 2 + b.size(); }
  void raw(const std::uint8_t*, std::size_t len) { n += len; }
};

struct Writer {
  std::uint8_t* p;
  void u8(std::uint8_t v) { *p++ = v; }
  void u16(std::uint16_t v) {
    *p++ = static_cast<std::uint8_t>(v >> 8);
    *p++ = static_cast<std::uint8_t>(v);
  }
  void u32(std::uint32_t v) {
    *p++ = static_cast<std::uint8_t>(v >> 24);
    *p++ = static_cast<std::uint8_t>(v >> 16);
    *p++ = static_cast<std::uint8_t>(v >> 8);
    *p++ = static_cast<std::uint8_t>(v);
  }
  void varint(std::uint32_t v) {
    do {
      std::uint8_t b = v & 0x7F;
      v >>= 7;
      if (v) b |= 0x80;
      *p++ = b;
    } while (v);
  }
  void raw(const std::uint8_t* d, std::size_t len) {
    if (len) std::memcpy(p, d, len);
    p += len;
  }
  void str(std::string_view s) {
    u16(static_cast<std::uint16_t>(s.size()));
    raw(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  }
  void bin(const std::vector<std::uint8_t>& b) {
    u16(static_cast<std::uint16_t>(b.size()));
    raw(b.data(), b.size());
  }
};

// With `parts` (a PublishParts' properties), its per-delivery members replace p's own.
template <class W>
void property_content(W& w, const Properties& p, const PublishParts* parts = nullptr) {
  auto b = [&](PropertyId id, const std::optional<std::uint8_t>& v) {
    if (v) {
      w.u8(static_cast<std::uint8_t>(id));
      w.u8(*v);
    }
  };
  auto h = [&](PropertyId id, const std::optional<std::uint16_t>& v) {
    if (v) {
      w.u8(static_cast<std::uint8_t>(id));
      w.u16(*v);
    }
  };
  auto q = [&](PropertyId id, const std::optional<std::uint32_t>& v) {
    if (v) {
      w.u8(static_cast<std::uint8_t>(id));
      w.u32(*v);
    }
  };
  auto s = [&](PropertyId id, const std::optional<std::string>& v) {
    if (v) {
      w.u8(static_cast<std::uint8_t>(id));
      w.str(*v);
    }
  };
  auto d = [&](PropertyId id, const std::optional<Binary>& v) {
    if (v) {
      w.u8(static_cast<std::uint8_t>(id));
      w.bin(*v);
    }
  };
  b(PropertyId::payload_format_indicator, p.payload_format_indicator);
  q(PropertyId::message_expiry_interval,
    parts ? parts->message_expiry_interval : p.message_expiry_interval);
  s(PropertyId::content_type, p.content_type);
  s(PropertyId::response_topic, p.response_topic);
  d(PropertyId::correlation_data, p.correlation_data);
  const std::span<const std::uint32_t> sub_ids =
      parts ? parts->subscription_identifiers
            : std::span<const std::uint32_t>(p.subscription_identifiers);
  for (auto id : sub_ids) {
    w.u8(static_cast<std::uint8_t>(PropertyId::subscription_identifier));
    w.varint(id);
  }
  q(PropertyId::session_expiry_interval, p.session_expiry_interval);
  s(PropertyId::assigned_client_identifier, p.assigned_client_identifier);
  h(PropertyId::server_keep_alive, p.server_keep_alive);
  s(PropertyId::authentication_method, p.authentication_method);
  d(PropertyId::authentication_data, p.authentication_data);
  b(PropertyId::request_problem_information, p.request_problem_information);
  q(PropertyId::will_delay_interval, p.will_delay_interval);
  b(PropertyId::request_response_information, p.request_response_information);
  s(PropertyId::response_information, p.response_information);
  s(PropertyId::server_reference, p.server_reference);
  s(PropertyId::reason_string, p.reason_string);
  h(PropertyId::receive_maximum, p.receive_maximum);
  h(PropertyId::topic_alias_maximum, p.topic_alias_maximum);
  h(PropertyId::topic_alias, parts ? parts->topic_alias : p.topic_alias);
  b(PropertyId::maximum_qos, p.maximum_qos);
  b(PropertyId::retain_available, p.retain_available);
  for (const auto& [k, v] : p.user_properties) {
    w.u8(static_cast<std::uint8_t>(PropertyId::user_property));
    w.str(k);
    w.str(v);
  }
  q(PropertyId::maximum_packet_size, p.maximum_packet_size);
  b(PropertyId::wildcard_subscription_available, p.wildcard_subscription_available);
  b(PropertyId::subscription_identifier_available, p.subscription_identifier_available);
  b(PropertyId::shared_subscription_available, p.shared_subscription_available);
}

std::uint32_t property_length(const Properties& p, const PublishParts* parts = nullptr) {
  Counter c;
  property_content(c, p, parts);
  return static_cast<std::uint32_t>(c.n);
}

template <class W>
void properties(W& w, const Properties& p, const PublishParts* parts = nullptr) {
  if constexpr (std::is_same_v<W, Counter>) {
    auto len = property_length(p, parts);
    w.varint(len);
    w.n += len;
  } else {
    w.varint(property_length(p, parts));
    property_content(w, p, parts);
  }
}

template <class Body>
std::size_t emit(std::uint8_t header, std::vector<std::uint8_t>& out, const Body& body) {
  Counter c;
  body(c);
  assert(c.n <= kMaxRemainingLength);
  const auto rl = static_cast<std::uint32_t>(c.n);
  const std::size_t total = 1 + varint_size(rl) + rl;
  const std::size_t start = out.size();
  out.resize(start + total);
  Writer w{out.data() + start};
  w.u8(header);
  w.varint(rl);
  body(w);
  assert(w.p == out.data() + out.size());
  return total;
}

template <class W>
void publish_body(W& w, const Publish& p, bool v5) {
  w.str(p.topic);
  if (p.qos > 0) w.u16(p.packet_id);
  if (v5) properties(w, p.properties);
  w.raw(p.payload->data(), p.payload->size());
}

std::uint8_t publish_header(const Publish& p) {
  return static_cast<std::uint8_t>(0x30 | (p.dup ? 0x08 : 0) | (p.qos << 1) | (p.retain ? 1 : 0));
}

template <class W>
void publish_body(W& w, const PublishParts& p, bool v5) {
  static const Properties none;
  w.str(p.topic);
  if (p.qos > 0) w.u16(p.packet_id);
  if (v5) properties(w, p.properties ? *p.properties : none, &p);
  w.raw(p.payload.data(), p.payload.size());
}

std::uint8_t publish_header(const PublishParts& p) {
  return static_cast<std::uint8_t>(0x30 | (p.dup ? 0x08 : 0) | (p.qos << 1) | (p.retain ? 1 : 0));
}

}  // namespace

void encode_properties_raw(const Properties& props, std::vector<std::uint8_t>& out) {
  Counter c;
  property_content(c, props);
  const auto start = out.size();
  out.resize(start + c.n);
  Writer w{out.data() + start};
  property_content(w, props);
}

std::size_t encode_connect(const Connect& p, std::vector<std::uint8_t>& out) {
  const bool v5 = p.version == ProtocolVersion::v5;
  return emit(0x10, out, [&](auto& w) {
    w.str("MQTT");
    w.u8(static_cast<std::uint8_t>(p.version));
    std::uint8_t flags = 0;
    if (p.username) flags |= 0x80;
    if (p.password) flags |= 0x40;
    if (p.will) {
      flags |= 0x04 | static_cast<std::uint8_t>(p.will->qos << 3);
      if (p.will->retain) flags |= 0x20;
    }
    if (p.clean_start) flags |= 0x02;
    w.u8(flags);
    w.u16(p.keep_alive);
    if (v5) properties(w, p.properties);
    w.str(p.client_id);
    if (p.will) {
      if (v5) properties(w, p.will->properties);
      w.str(p.will->topic);
      w.u16(static_cast<std::uint16_t>(p.will->payload->size()));
      w.raw(p.will->payload->data(), p.will->payload->size());
    }
    if (p.username) w.str(*p.username);
    if (p.password) w.str(*p.password);
  });
}

std::size_t encode_connack(const Connack& p, ProtocolVersion v, std::vector<std::uint8_t>& out) {
  const bool v5 = v == ProtocolVersion::v5;
  return emit(0x20, out, [&](auto& w) {
    w.u8(p.session_present ? 1 : 0);
    w.u8(v5 ? static_cast<std::uint8_t>(p.reason)
            : static_cast<std::uint8_t>(to_v311_connack(p.reason)));
    if (v5) properties(w, p.properties);
  });
}

std::size_t encode_publish(const Publish& p, ProtocolVersion v, std::vector<std::uint8_t>& out) {
  const bool v5 = v == ProtocolVersion::v5;
  return emit(publish_header(p), out, [&](auto& w) { publish_body(w, p, v5); });
}

std::size_t publish_size(const Publish& p, ProtocolVersion v) {
  Counter c;
  publish_body(c, p, v == ProtocolVersion::v5);
  return 1 + varint_size(static_cast<std::uint32_t>(c.n)) + c.n;
}

std::size_t encode_publish(const PublishParts& p, ProtocolVersion v,
                           std::vector<std::uint8_t>& out) {
  const bool v5 = v == ProtocolVersion::v5;
  return emit(publish_header(p), out, [&](auto& w) { publish_body(w, p, v5); });
}

std::size_t publish_size(const PublishParts& p, ProtocolVersion v) {
  Counter c;
  publish_body(c, p, v == ProtocolVersion::v5);
  return 1 + varint_size(static_cast<std::uint32_t>(c.n)) + c.n;
}

std::size_t encode_puback(const PubAck& p, ProtocolVersion v, std::vector<std::uint8_t>& out) {
  const bool v5 = v == ProtocolVersion::v5;
  const auto header = static_cast<std::uint8_t>((static_cast<std::uint8_t>(p.type) << 4) |
                                                (p.type == PacketType::pubrel ? 2 : 0));
  const bool props = v5 && !p.properties.empty();
  return emit(header, out, [&](auto& w) {
    w.u16(p.packet_id);
    if (v5 && (p.reason != ReasonCode::success || props)) w.u8(static_cast<std::uint8_t>(p.reason));
    if (props) properties(w, p.properties);
  });
}

std::size_t encode_subscribe(const Subscribe& p, ProtocolVersion v,
                             std::vector<std::uint8_t>& out) {
  const bool v5 = v == ProtocolVersion::v5;
  return emit(0x82, out, [&](auto& w) {
    w.u16(p.packet_id);
    if (v5) properties(w, p.properties);
    for (const auto& t : p.topics) {
      w.str(t.filter);
      w.u8(v5 ? t.options.to_byte() : t.options.qos);
    }
  });
}

std::size_t encode_suback(const Suback& p, ProtocolVersion v, std::vector<std::uint8_t>& out) {
  const bool v5 = v == ProtocolVersion::v5;
  return emit(0x90, out, [&](auto& w) {
    w.u16(p.packet_id);
    if (v5) properties(w, p.properties);
    for (auto rc : p.reasons) {
      auto b = static_cast<std::uint8_t>(rc);
      w.u8(v5 || b <= 2 ? b : 0x80);
    }
  });
}

std::size_t encode_unsubscribe(const Unsubscribe& p, ProtocolVersion v,
                               std::vector<std::uint8_t>& out) {
  const bool v5 = v == ProtocolVersion::v5;
  return emit(0xA2, out, [&](auto& w) {
    w.u16(p.packet_id);
    if (v5) properties(w, p.properties);
    for (const auto& f : p.filters) w.str(f);
  });
}

std::size_t encode_unsuback(const Unsuback& p, ProtocolVersion v, std::vector<std::uint8_t>& out) {
  const bool v5 = v == ProtocolVersion::v5;
  return emit(0xB0, out, [&](auto& w) {
    w.u16(p.packet_id);
    if (v5) {
      properties(w, p.properties);
      for (auto rc : p.reasons) w.u8(static_cast<std::uint8_t>(rc));
    }
  });
}

std::size_t encode_disconnect(const Disconnect& p, ProtocolVersion v,
                              std::vector<std::uint8_t>& out) {
  const bool v5 = v == ProtocolVersion::v5;
  const bool props = v5 && !p.properties.empty();
  return emit(0xE0, out, [&](auto& w) {
    if (v5 && (p.reason != ReasonCode::success || props)) w.u8(static_cast<std::uint8_t>(p.reason));
    if (props) properties(w, p.properties);
  });
}

std::size_t encode_auth(const Auth& p, std::vector<std::uint8_t>& out) {
  const bool props = !p.properties.empty();
  return emit(0xF0, out, [&](auto& w) {
    if (p.reason != ReasonCode::success || props) w.u8(static_cast<std::uint8_t>(p.reason));
    if (props) properties(w, p.properties);
  });
}

std::size_t encode(const Packet& p, ProtocolVersion v, std::vector<std::uint8_t>& out) {
  struct V {
    ProtocolVersion v;
    std::vector<std::uint8_t>& out;
    std::size_t operator()(const Connect& c) const { return encode_connect(c, out); }
    std::size_t operator()(const Connack& c) const { return encode_connack(c, v, out); }
    std::size_t operator()(const Publish& c) const { return encode_publish(c, v, out); }
    std::size_t operator()(const PubAck& c) const { return encode_puback(c, v, out); }
    std::size_t operator()(const Subscribe& c) const { return encode_subscribe(c, v, out); }
    std::size_t operator()(const Suback& c) const { return encode_suback(c, v, out); }
    std::size_t operator()(const Unsubscribe& c) const { return encode_unsubscribe(c, v, out); }
    std::size_t operator()(const Unsuback& c) const { return encode_unsuback(c, v, out); }
    std::size_t operator()(const PingReq&) const {
      out.insert(out.end(), {0xC0, 0x00});
      return 2;
    }
    std::size_t operator()(const PingResp&) const {
      out.insert(out.end(), {0xD0, 0x00});
      return 2;
    }
    std::size_t operator()(const Disconnect& c) const { return encode_disconnect(c, v, out); }
    std::size_t operator()(const Auth& c) const { return encode_auth(c, out); }
  };
  return std::visit(V{v, out}, p);
}

}  // namespace weir::mqtt
