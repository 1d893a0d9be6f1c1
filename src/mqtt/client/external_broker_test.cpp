#include "mqtt/client/external_broker.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <chrono>
#include <cstdlib>
#include <thread>

namespace weir::mqtt {
namespace {

Result<ExternalBrokerOptions> parse(const char* text) {
  return external_broker_options_from_json(boost::json::parse(text));
}

TEST(ExternalBrokerOptions, DefaultsOverlaid) {
  auto o = parse(R"({"host": "broker.plant.local"})");
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->host, "broker.plant.local");
  EXPECT_EQ(o->port, 1883);
  EXPECT_EQ(o->client_id, "weir");
  EXPECT_EQ(o->keepalive, 30);
  EXPECT_FALSE(o->tls);
}

TEST(ExternalBrokerOptions, ErrorsNameTheSetting) {
  struct Case {
    const char* json;
    const char* field;
  } cases[] = {
      {R"({"port": 1883})", "external.host"},
      {R"({"host": "h", "port": 0})", "external.port"},
      {R"({"host": "h", "port": 70000})", "external.port"},
      {R"({"host": "h", "keepalive": 2})", "external.keepalive"},
      {R"({"host": "h", "password": "secret"})", "external.password"},     // never in the file
      {R"({"host": "h", "password_env": "X"})", "external.password_env"},  // no username
      {R"({"host": "h", "client_id": ""})", "external.client_id"},
  };
  for (const auto& c : cases) {
    auto o = parse(c.json);
    ASSERT_FALSE(o) << c.json;
    EXPECT_NE(o.error().message.find(c.field), std::string::npos)
        << c.json << ": " << o.error().message;
  }
  auto wrong_type = parse(R"({"host": 5})");
  ASSERT_FALSE(wrong_type);
  EXPECT_NE(wrong_type.error().message.find("host"), std::string::npos)
      << wrong_type.error().message;
}

TEST(ExternalBroker, PasswordComesFromTheNamedEnvironmentVariable) {
  ExternalBrokerOptions o;
  o.host = "127.0.0.1";
  o.username = "weir";
  o.password_env = "WEIR_TEST_EXTERNAL_BROKER_PASSWORD_UNSET";
  ::unsetenv(o.password_env.c_str());
  auto missing = ExternalBroker::create(o);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("WEIR_TEST_EXTERNAL_BROKER_PASSWORD_UNSET"),
            std::string::npos);
  ::setenv(o.password_env.c_str(), "s3cret-Passw0rd", 1);
  auto ok = ExternalBroker::create(o);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ((*ok)->describe(), "mqtt://127.0.0.1:1883 as weir");
  EXPECT_FALSE((*ok)->stats().connected);
  ::unsetenv(o.password_env.c_str());
}

TEST(ExternalBroker, DescribeBracketsAnIpv6Host) {
  ExternalBrokerOptions o;
  o.host = "::1";
  o.port = 8883;
  o.tls = true;
  auto b = ExternalBroker::create(o);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ((*b)->describe(), "mqtts://[::1]:8883 as weir");
}

// Nothing listens on the port: start() still succeeds (the network thread keeps retrying after
// the back-off), and stop() ends a back-off wait at once instead of sleeping it out.
TEST(ExternalBroker, StopCutsTheBackOffShort) {
  ExternalBrokerOptions o;
  o.host = "127.0.0.1";
  o.port = 1;
  auto b = ExternalBroker::create(o);
  ASSERT_TRUE(b) << b.error().message;
  ASSERT_TRUE((*b)->start([](std::function<void()> f) { f(); }));
  // 1 s into the 2 s wait that follows the second failed attempt (the first waited 1 s).
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  const auto t0 = std::chrono::steady_clock::now();
  (*b)->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(1000));
  EXPECT_FALSE((*b)->stats().connected);
  (*b)->stop();  // idempotent
}

TEST(ExternalBroker, InvalidFilterGivesAnInactiveHandle) {
  ExternalBrokerOptions o;
  o.host = "127.0.0.1";
  auto b = ExternalBroker::create(o);
  ASSERT_TRUE(b);
  auto h = (*b)->subscribe("a/#/b", [](const InprocMessage&) {});
  EXPECT_FALSE(h.active());
  auto ok = (*b)->subscribe("a/+/b", [](const InprocMessage&) {});
  EXPECT_TRUE(ok.active());
  ok.unsubscribe();
  EXPECT_FALSE(ok.active());
}

}  // namespace
}  // namespace weir::mqtt
