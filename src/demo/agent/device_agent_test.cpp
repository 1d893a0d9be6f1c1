#include <gtest/gtest.h>

#include "demo/agent/broker_url.hpp"

namespace weir::device_agent {
namespace {

TEST(BrokerUrl, SchemesHostsAndPorts) {
  auto u = parse_broker_url("mqtt://127.0.0.1:1884");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 1884);
  EXPECT_FALSE(u->tls);

  u = parse_broker_url("mqtts://broker.example");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->port, 8883);

  u = parse_broker_url("localhost");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->port, 1883);

  u = parse_broker_url("tcp://[::1]:2000/");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 2000);
  EXPECT_EQ(u->to_string(), "mqtt://[::1]:2000");
}

TEST(BrokerUrl, RefusalsSayWhy) {
  auto why = [](std::string_view url) {
    auto u = parse_broker_url(url);
    EXPECT_FALSE(u) << url;
    return u ? std::string() : u.error().message;
  };
  EXPECT_NE(why("ws://h:9001").find("WebSocket"), std::string::npos);
  EXPECT_NE(why("http://h").find("unknown scheme"), std::string::npos);
  EXPECT_NE(why("mqtt://u:p@h").find("--username"), std::string::npos);
  EXPECT_NE(why("mqtt://h:0").find("1..65535"), std::string::npos);
  EXPECT_NE(why("mqtt://h:70000").find("1..65535"), std::string::npos);
  EXPECT_NE(why("mqtt://h:x").find("1..65535"), std::string::npos);
  EXPECT_NE(why("mqtt://h:").find("empty port"), std::string::npos);
  EXPECT_NE(why("mqtt://:1883").find("no host"), std::string::npos);
  EXPECT_NE(why("mqtt://::1:1883").find("brackets"), std::string::npos);
  EXPECT_NE(why("mqtt://h/x").find("path"), std::string::npos);
  EXPECT_NE(why("mqtt://user@h").find("--username"), std::string::npos);
  EXPECT_NE(why("mqtt://h?x=1").find("query"), std::string::npos);
  EXPECT_NE(why("mqtt://h%00x").find("escapes"), std::string::npos);
  EXPECT_NE(why("::1").find("brackets"), std::string::npos);
}

TEST(BrokerUrl, MoreAcceptedForms) {
  auto u = parse_broker_url("broker.local:1884");  // no scheme, a port
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->host, "broker.local");
  EXPECT_EQ(u->port, 1884);
  EXPECT_FALSE(u->tls);

  u = parse_broker_url("[::1]");
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 1883);

  u = parse_broker_url("SSL://10.0.0.2:8884");  // schemes are case-insensitive
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "10.0.0.2");
  EXPECT_EQ(u->port, 8884);
  EXPECT_EQ(u->to_string(), "mqtts://10.0.0.2:8884");

  u = parse_broker_url("mqtt://localhost/");
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->to_string(), "mqtt://localhost:1883");
}

}  // namespace
}  // namespace weir::device_agent
