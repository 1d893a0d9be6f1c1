// Caps against what a client could grow without bound (issue 15 item 9): retained messages by
// count and bytes, the v5 outbound window by max_inflight, the session expiry by
// session_expiry_max.
#include <gtest/gtest.h>

#include "mqtt/broker/broker_test_support.hpp"

namespace weir::mqtt {
namespace {

using test::Client;

BrokerOptions options() {
  BrokerOptions o;
  o.allow_anonymous = true;
  o.sys_interval_s = 0;
  return o;
}

ReasonCode puback_reason(Client& c) {
  auto acks = c.recv_all<PubAck>();
  EXPECT_EQ(acks.size(), 1u);
  return acks.empty() ? ReasonCode::unspecified_error : acks[0].reason;
}

TEST(BrokerCaps, RetainedCountCapRefusesNewTopicsOnly) {
  ManualClock clock;
  auto o = options();
  o.max_retained_messages = 2;
  Broker b(o, clock, nullptr);
  Client pub(b, ProtocolVersion::v5);
  pub.connect("pub");
  pub.publish("r/1", "a", 1, true);
  EXPECT_EQ(puback_reason(pub), ReasonCode::success);
  pub.publish("r/2", "b", 1, true);
  EXPECT_EQ(puback_reason(pub), ReasonCode::success);
  pub.publish("r/3", "c", 1, true);
  EXPECT_EQ(puback_reason(pub), ReasonCode::quota_exceeded);
  pub.publish("r/1", "replaced", 1, true);  // an existing topic may change
  EXPECT_EQ(puback_reason(pub), ReasonCode::success);
  pub.publish("r/2", "", 1, true);  // removal, then room again
  EXPECT_EQ(puback_reason(pub), ReasonCode::success);
  pub.publish("r/3", "c", 1, true);
  EXPECT_EQ(puback_reason(pub), ReasonCode::success);
  const auto st = b.stats();
  EXPECT_EQ(st.retained_count, 2u);
  EXPECT_EQ(st.retained_refused, 1u);
  EXPECT_EQ(st.retained_bytes, std::string("r/1replacedr/3c").size());
}

TEST(BrokerCaps, RefusedRetainedMessageIsNotRouted) {
  ManualClock clock;
  auto o = options();
  o.max_retained_messages = 1;
  Broker b(o, clock, nullptr);
  Client sub(b);
  sub.connect("sub");
  sub.subscribe("r/#", 1);
  Client pub(b);  // v3.1.1: no negative acknowledgement, the message is discarded
  pub.connect("pub");
  pub.publish("r/1", "kept", 1, true);
  pub.publish("r/2", "refused", 1, true);
  EXPECT_EQ(pub.recv_all<PubAck>().size(), 2u);
  auto got = sub.publishes();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(test::text(got[0]), "kept");
}

TEST(BrokerCaps, RetainedBytesCap) {
  ManualClock clock;
  auto o = options();
  o.max_retained_bytes = 10;
  Broker b(o, clock, nullptr);
  Client pub(b, ProtocolVersion::v5);
  pub.connect("pub");
  pub.publish("t", "123456789", 1, true);  // 1 + 9 bytes
  EXPECT_EQ(puback_reason(pub), ReasonCode::success);
  pub.publish("t", "1234567890", 1, true);  // would be 11
  EXPECT_EQ(puback_reason(pub), ReasonCode::quota_exceeded);
  pub.publish("t", "12", 1, true);
  EXPECT_EQ(puback_reason(pub), ReasonCode::success);
  EXPECT_EQ(b.stats().retained_bytes, 3u);
}

TEST(BrokerCaps, V5WindowIsLimitedByMaxInflight) {
  ManualClock clock;
  auto o = options();
  o.max_inflight = 3;
  Broker b(o, clock, nullptr);
  Client sub(b, ProtocolVersion::v5);
  Properties props;
  props.receive_maximum = 1000;
  sub.connect("sub", true, props);
  sub.subscribe("w", 1);
  Client pub(b);
  pub.connect("pub");
  for (int i = 0; i < 10; ++i) pub.publish("w", std::to_string(i), 1);
  EXPECT_EQ(sub.publishes().size(), 3u);  // the rest waits in the session's queue
  EXPECT_EQ(b.stats().queued_count, 7u);
}

TEST(BrokerCaps, SessionExpiryCappedAndGrantedInConnack) {
  ManualClock clock;
  Broker b(options(), clock, nullptr);  // default cap: 7 days
  Client c(b, ProtocolVersion::v5);
  Properties props;
  props.session_expiry_interval = 0xFFFFFFFF;
  auto ack = c.connect("forever", false, props);
  ASSERT_TRUE(ack.properties.session_expiry_interval);
  EXPECT_EQ(*ack.properties.session_expiry_interval, 7u * 24 * 3600);
}

}  // namespace
}  // namespace weir::mqtt
