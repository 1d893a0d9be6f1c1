#include <gtest/gtest.h>

#include "mqtt/codec/decoder.hpp"
#include "mqtt/codec/encoder.hpp"
#include "mqtt/codec/frame_reader.hpp"

namespace weir::mqtt {
namespace {

using Bytes8 = std::vector<std::uint8_t>;

Packet round_trip(const Packet& p, ProtocolVersion v) {
  Bytes8 out;
  encode(p, v, out);
  FrameReader r;
  r.feed(out.data(), out.size());
  auto f = r.next();
  EXPECT_TRUE(f && *f);
  EXPECT_EQ((**f).size, out.size());
  auto d = decode_packet((**f).header, (**f).body, DecodeOptions{v});
  EXPECT_TRUE(d) << (d ? "" : d.error().message);
  return *d;
}

CodecError decode_error(const Bytes8& wire, ProtocolVersion v) {
  FrameReader r;
  r.feed(wire.data(), wire.size());
  auto f = r.next();
  if (!f) return f.error();
  EXPECT_TRUE(*f) << "incomplete frame";
  if (!*f) return CodecError{};
  auto d = decode_packet((**f).header, (**f).body, DecodeOptions{v});
  EXPECT_FALSE(d);
  return d ? CodecError{} : d.error();
}

TEST(Codec, ConnectRoundTripV5WithWillAndProperties) {
  Connect c;
  c.version = ProtocolVersion::v5;
  c.clean_start = false;
  c.keep_alive = 30;
  c.client_id = "dev-1";
  c.username = "alice";
  c.password = std::string("s\0cret", 6);
  c.properties.session_expiry_interval = 3600;
  c.properties.receive_maximum = 10;
  c.properties.user_properties = {{"a", "1"}, {"a", "2"}};
  Will w;
  w.topic = "dev/1/status";
  w.payload = make_payload({'o', 'f', 'f'});
  w.qos = 1;
  w.retain = true;
  w.properties.will_delay_interval = 5;
  c.will = w;
  auto p = std::get<Connect>(round_trip(c, ProtocolVersion::v5));
  EXPECT_EQ(p.client_id, "dev-1");
  EXPECT_FALSE(p.clean_start);
  EXPECT_EQ(p.keep_alive, 30);
  EXPECT_EQ(*p.password, c.password);
  EXPECT_EQ(p.properties, c.properties);
  ASSERT_TRUE(p.will);
  EXPECT_EQ(p.will->topic, "dev/1/status");
  EXPECT_EQ(*p.will->payload, *w.payload);
  EXPECT_EQ(p.will->properties.will_delay_interval, 5u);
  EXPECT_TRUE(p.will->retain);
}

TEST(Codec, ConnectV311) {
  Connect c;
  c.client_id = "x";
  auto p = std::get<Connect>(round_trip(c, ProtocolVersion::v311));
  EXPECT_EQ(p.version, ProtocolVersion::v311);
  EXPECT_TRUE(p.clean_start);
}

TEST(Codec, PublishRoundTrip) {
  for (auto v : {ProtocolVersion::v311, ProtocolVersion::v5}) {
    Publish p;
    p.topic = "a/b";
    p.qos = 2;
    p.packet_id = 77;
    p.retain = true;
    p.dup = true;
    p.payload = make_payload(Bytes8(300, 7));
    if (v == ProtocolVersion::v5) {
      p.properties.message_expiry_interval = 60;
      p.properties.subscription_identifiers = {1, 200000};
      p.properties.content_type = "text/plain";
      p.properties.correlation_data = Bytes8{1, 2};
    }
    auto q = std::get<Publish>(round_trip(p, v));
    EXPECT_EQ(q.topic, p.topic);
    EXPECT_EQ(q.packet_id, 77);
    EXPECT_TRUE(q.retain && q.dup);
    EXPECT_EQ(*q.payload, *p.payload);
    EXPECT_EQ(q.properties, p.properties);
    EXPECT_EQ(publish_size(p, v), [&] {
      Bytes8 o;
      return encode_publish(p, v, o);
    }());
  }
}

// PublishParts (the broker's fan-out) encodes byte for byte as the equivalent Publish.
TEST(Codec, PublishPartsEncodeAsPublish) {
  Properties base;
  base.payload_format_indicator = 1;
  base.message_expiry_interval = 600;
  base.content_type = "text/plain";
  base.response_topic = "r/t";
  base.correlation_data = Bytes8{1, 2};
  base.user_properties = {{"k", "v"}, {"k", "w"}};
  const std::vector<std::uint32_t> ids = {3, 200000};
  for (auto v : {ProtocolVersion::v311, ProtocolVersion::v5}) {
    for (int variant = 0; variant < 4; ++variant) {
      Publish p;
      p.topic = variant == 3 ? "" : "a/b";
      p.payload = make_payload(Bytes8(variant * 100, 7));
      p.qos = static_cast<std::uint8_t>(variant % 3);
      p.retain = variant == 1;
      p.dup = variant == 2;
      p.packet_id = p.qos ? 42 : 0;
      p.properties = variant == 0 ? Properties{} : base;
      PublishParts parts{p.topic,
                         *p.payload,
                         p.qos,
                         p.retain,
                         p.dup,
                         p.packet_id,
                         variant == 0 ? nullptr : &base,
                         base.message_expiry_interval,
                         {},
                         {}};
      if (variant == 0) parts.message_expiry_interval.reset();
      if (variant >= 2) {
        p.properties.message_expiry_interval = 17;
        parts.message_expiry_interval = 17;
        p.properties.subscription_identifiers = ids;
        parts.subscription_identifiers = ids;
      }
      if (variant == 3) {
        p.properties.topic_alias = 9;
        parts.topic_alias = 9;
      }
      Bytes8 want, got;
      encode_publish(p, v, want);
      EXPECT_EQ(encode_publish(parts, v, got), want.size());
      EXPECT_EQ(got, want) << "variant " << variant;
      EXPECT_EQ(publish_size(parts, v), want.size());
    }
  }
}

TEST(Codec, AllOtherPacketsRoundTrip) {
  const auto v5 = ProtocolVersion::v5;
  Connack ca{true, ReasonCode::success, {}};
  ca.properties.assigned_client_identifier = "auto-1";
  ca.properties.maximum_qos = 1;
  EXPECT_EQ(std::get<Connack>(round_trip(ca, v5)).properties, ca.properties);
  EXPECT_TRUE(std::get<Connack>(round_trip(ca, ProtocolVersion::v311)).session_present);
  for (auto t : {PacketType::puback, PacketType::pubrec, PacketType::pubrel, PacketType::pubcomp}) {
    PubAck a{t, 9, ReasonCode::not_authorized, {}};
    auto b = std::get<PubAck>(round_trip(a, v5));
    EXPECT_EQ(b.type, t);
    EXPECT_EQ(b.reason, ReasonCode::not_authorized);
    a.reason = ReasonCode::success;
    EXPECT_EQ(std::get<PubAck>(round_trip(a, ProtocolVersion::v311)).packet_id, 9);
  }
  Subscribe s;
  s.packet_id = 3;
  s.topics = {{"a/+", SubscribeOptions{1, true, true, 2}},
              {"$share/g/b/#", SubscribeOptions{2, false, false, 0}}};
  s.properties.subscription_identifiers = {42};
  auto s2 = std::get<Subscribe>(round_trip(s, v5));
  ASSERT_EQ(s2.topics.size(), 2u);
  EXPECT_EQ(s2.topics[0].options, s.topics[0].options);
  EXPECT_EQ(s2.properties.subscription_identifiers, std::vector<std::uint32_t>{42});
  Suback sa{3, {ReasonCode::granted_qos1, ReasonCode::not_authorized}, {}};
  EXPECT_EQ(std::get<Suback>(round_trip(sa, v5)).reasons, sa.reasons);
  Unsubscribe u{4, {"a/+", "b"}, {}};
  EXPECT_EQ(std::get<Unsubscribe>(round_trip(u, v5)).filters, u.filters);
  Unsuback ua{4, {ReasonCode::success, ReasonCode::no_subscription_existed}, {}};
  EXPECT_EQ(std::get<Unsuback>(round_trip(ua, v5)).reasons, ua.reasons);
  EXPECT_TRUE(std::holds_alternative<PingReq>(round_trip(PingReq{}, v5)));
  EXPECT_TRUE(std::holds_alternative<PingResp>(round_trip(PingResp{}, v5)));
  Disconnect d{ReasonCode::disconnect_with_will, {}};
  d.properties.reason_string = "bye";
  EXPECT_EQ(std::get<Disconnect>(round_trip(d, v5)).properties.reason_string, "bye");
  Auth a{ReasonCode::continue_authentication, {}};
  a.properties.authentication_method = "SCRAM";
  a.properties.authentication_data = Bytes8{1};
  EXPECT_EQ(std::get<Auth>(round_trip(a, v5)).reason, ReasonCode::continue_authentication);
}

TEST(FrameReader, ByteByByte) {
  Publish p;
  p.topic = "t";
  p.payload = make_payload(Bytes8(200, 1));
  Bytes8 wire;
  encode_publish(p, ProtocolVersion::v311, wire);
  encode(PingReq{}, ProtocolVersion::v311, wire);
  FrameReader r;
  int frames = 0;
  for (auto b : wire) {
    r.feed(&b, 1);
    while (true) {
      auto f = r.next();
      ASSERT_TRUE(f);
      if (!*f) break;
      ++frames;
    }
  }
  EXPECT_EQ(frames, 2);
}

TEST(FrameReader, TooLargeBeforeBody) {
  FrameReader r(100);
  Bytes8 hdr{0x30, 0xFF, 0xFF, 0x03};  // remaining length 65535, body not sent
  r.feed(hdr.data(), hdr.size());
  auto f = r.next();
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().reason, ReasonCode::packet_too_large);
  EXPECT_NE(f.error().message.find("maximum packet size"), std::string::npos);
}

TEST(FrameReader, RemainingLengthTooLong) {
  FrameReader r;
  Bytes8 hdr{0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
  r.feed(hdr.data(), hdr.size());
  auto f = r.next();
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().reason, ReasonCode::malformed_packet);
}

struct Bad {
  const char* name;
  Bytes8 wire;
  ProtocolVersion v;
  ReasonCode reason;
};

TEST(Decoder, MalformedCases) {
  const auto v3 = ProtocolVersion::v311, v5 = ProtocolVersion::v5;
  const Bad cases[] = {
      {"reserved type 0", {0x00, 0x00}, v3, ReasonCode::malformed_packet},
      {"publish qos 3", {0x36, 0x03, 0x00, 0x01, 'a'}, v3, ReasonCode::malformed_packet},
      {"publish dup on qos0", {0x38, 0x03, 0x00, 0x01, 'a'}, v3, ReasonCode::malformed_packet},
      {"publish packet id 0",
       {0x32, 0x05, 0x00, 0x01, 'a', 0x00, 0x00},
       v3,
       ReasonCode::malformed_packet},
      {"topic length overrun", {0x30, 0x03, 0x00, 0x09, 'a'}, v3, ReasonCode::malformed_packet},
      {"topic invalid utf8",
       {0x30, 0x04, 0x00, 0x02, 0xC0, 0x80},
       v3,
       ReasonCode::malformed_packet},
      {"topic with U+0000", {0x30, 0x04, 0x00, 0x02, 'a', 0x00}, v3, ReasonCode::malformed_packet},
      {"pubrel bad flags", {0x60, 0x02, 0x00, 0x01}, v3, ReasonCode::malformed_packet},
      {"subscribe bad flags",
       {0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x00},
       v3,
       ReasonCode::malformed_packet},
      {"subscribe empty", {0x82, 0x02, 0x00, 0x01}, v3, ReasonCode::protocol_error},
      {"subscribe qos 3",
       {0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x03},
       v3,
       ReasonCode::malformed_packet},
      {"subscribe v3 reserved bits",
       {0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x04},
       v3,
       ReasonCode::malformed_packet},
      {"subscribe v5 retain handling 3",
       {0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, 'a', 0x30},
       v5,
       ReasonCode::protocol_error},
      {"pingreq with body", {0xC0, 0x01, 0x00}, v3, ReasonCode::malformed_packet},
      {"auth in v3", {0xF0, 0x00}, v3, ReasonCode::malformed_packet},
      {"disconnect v3 with body", {0xE0, 0x01, 0x00}, v3, ReasonCode::malformed_packet},
      // v5 properties
      {"duplicate property",
       {0x30, 0x0D, 0x00, 0x01, 'a', 0x0A, 0x02, 0, 0, 0, 1, 0x02, 0, 0, 0, 2},
       v5,
       ReasonCode::protocol_error},
      {"property not allowed in PUBLISH",
       {0x30, 0x0A, 0x00, 0x01, 'a', 0x05, 0x11, 0, 0, 0, 1},
       v5,
       ReasonCode::protocol_error},
      {"unknown property",
       {0x30, 0x06, 0x00, 0x01, 'a', 0x01, 0x7F},
       v5,
       ReasonCode::malformed_packet},
      {"property length overrun",
       {0x30, 0x05, 0x00, 0x01, 'a', 0x09, 0x01},
       v5,
       ReasonCode::malformed_packet},
      {"topic alias 0",
       {0x30, 0x08, 0x00, 0x01, 'a', 0x03, 0x23, 0x00, 0x00},
       v5,
       ReasonCode::topic_alias_invalid},
      {"payload format 2",
       {0x30, 0x07, 0x00, 0x01, 'a', 0x02, 0x01, 0x02},
       v5,
       ReasonCode::protocol_error},
      {"empty topic no alias", {0x30, 0x03, 0x00, 0x00, 0x00}, v5, ReasonCode::protocol_error},
      {"disconnect session expiry twice",
       {0xE0, 0x0C, 0x00, 0x0A, 0x11, 0, 0, 0, 1, 0x11, 0, 0, 0, 2},
       v5,
       ReasonCode::protocol_error},
      // CONNECT
      {"connect protocol level 3",
       {0x10, 0x0E, 0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p', 0x03, 0x02, 0x00, 0x3C, 0x00, 0x00},
       v3,
       ReasonCode::unsupported_protocol_version},
      {"connect level 6",
       {0x10, 0x0C, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x06, 0x02, 0x00, 0x3C, 0x00, 0x00},
       v3,
       ReasonCode::unsupported_protocol_version},
      {"connect bad name",
       {0x10, 0x0C, 0x00, 0x04, 'M', 'Q', 'T', 'X', 0x04, 0x02, 0x00, 0x3C, 0x00, 0x00},
       v3,
       ReasonCode::malformed_packet},
      {"connect reserved flag",
       {0x10, 0x0C, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x03, 0x00, 0x3C, 0x00, 0x00},
       v3,
       ReasonCode::malformed_packet},
      {"connect will qos without will",
       {0x10, 0x0C, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x0A, 0x00, 0x3C, 0x00, 0x00},
       v3,
       ReasonCode::malformed_packet},
      {"connect v3 password without user",
       {0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x42, 0x00, 0x3C, 0x00, 0x00, 0x00, 0x00},
       v3,
       ReasonCode::malformed_packet},
      {"connect trailing bytes",
       {0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3C, 0x00, 0x00, 0x99},
       v3,
       ReasonCode::malformed_packet},
      {"connect v5 receive maximum 0",
       {0x10, 0x10, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02, 0x00, 0x3C, 0x03, 0x21, 0x00, 0x00,
        0x00, 0x00},
       v5,
       ReasonCode::protocol_error},
  };
  for (const auto& c : cases) {
    auto wire = c.wire;  // remaining length recomputed: the cases list header + body
    wire[1] = static_cast<std::uint8_t>(wire.size() - 2);
    auto e = decode_error(wire, c.v);
    EXPECT_EQ(e.reason, c.reason) << c.name << ": " << e.message;
    EXPECT_FALSE(e.message.empty()) << c.name;
  }
}

TEST(Decoder, ErrorMessageSaysWhere) {
  auto e = decode_error({0x30, 0x03, 0x00, 0x09, 'a'}, ProtocolVersion::v311);
  EXPECT_NE(e.message.find("PUBLISH"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("topic name"), std::string::npos) << e.message;
}

TEST(Decoder, PropertiesRaw) {
  Properties p;
  p.user_properties = {{"k", "v"}};
  p.message_expiry_interval = 10;
  Bytes8 raw;
  encode_properties_raw(p, raw);
  auto q = decode_properties_raw(raw, PropertyContext::publish);
  ASSERT_TRUE(q);
  EXPECT_EQ(*q, p);
}

}  // namespace
}  // namespace weir::mqtt
