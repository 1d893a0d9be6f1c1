// Rights bound to connections: a will carries its own connection's grant, a session belongs to
// the account that opened it, deny rules filter delivery, and reauthorize() re-decides open
// connections. Each test performs the attack the Security issue describes against the core.
#include <gtest/gtest.h>

#include <map>

#include "mqtt/broker/auth.hpp"
#include "mqtt/broker/broker_test_support.hpp"
#include "mqtt/broker/sqlite_persistence.hpp"
#include "mqtt/codec/topic.hpp"

namespace weir::mqtt {
namespace {

using test::Client;
using test::text;

struct Rights {
  std::vector<std::string> publish, subscribe, deny_subscribe;
};

class PatternGrant final : public Grant {
 public:
  explicit PatternGrant(Rights r) : r_(std::move(r)) {}
  bool can_publish(std::string_view topic) const override { return any(r_.publish, topic); }
  bool can_subscribe(std::string_view filter) const override {
    auto covers = [&](const std::vector<std::string>& v) {
      for (const auto& p : v)
        if (filter_covers(p, filter)) return true;
      return false;
    };
    return covers(r_.subscribe) && !covers(r_.deny_subscribe);
  }
  bool filters_delivery() const override { return !r_.deny_subscribe.empty(); }
  bool can_receive(std::string_view topic) const override { return !any(r_.deny_subscribe, topic); }

 private:
  static bool any(const std::vector<std::string>& v, std::string_view topic) {
    for (const auto& p : v)
      if (topic_matches(p, topic)) return true;
    return false;
  }
  Rights r_;
};

// Users with passwords equal to their names; rights per user.
struct TablePolicy : Authenticator, Authorizer {
  std::map<std::string, Rights> users;
  std::optional<Rights> anonymous;
  AuthResult authenticate(const std::string& client_id, const std::optional<std::string>& username,
                          const std::optional<std::string>& password,
                          const ConnectionInfo&) override {
    Identity id;
    id.client_id = client_id;
    if (!username) {
      if (!anonymous) return AuthResult::refuse(AuthRefusal::not_authorized);
      id.grant = std::make_shared<PatternGrant>(*anonymous);
      return AuthResult::accept(std::move(id));
    }
    auto it = users.find(*username);
    if (it == users.end() || password != *username)
      return AuthResult::refuse(AuthRefusal::bad_credentials);
    id.username = *username;
    id.anonymous = false;
    id.grant = std::make_shared<PatternGrant>(it->second);
    return AuthResult::accept(std::move(id));
  }
  bool can_publish(const Identity& who, std::string_view topic) override {
    return who.grant && who.grant->can_publish(topic);
  }
  bool can_subscribe(const Identity& who, std::string_view filter) override {
    return who.grant && who.grant->can_subscribe(filter);
  }
};

Connack connect_as(Client& c, const std::string& client_id, std::optional<std::string> user,
                   bool clean = true, std::optional<Will> will = {},
                   ProtocolVersion v = ProtocolVersion::v5, std::uint32_t expiry = 0) {
  Connect p;
  p.version = v;
  p.client_id = client_id;
  p.clean_start = clean;
  p.username = user;
  p.password = user;
  p.will = std::move(will);
  p.keep_alive = 60;
  if (v == ProtocolVersion::v5 && expiry) p.properties.session_expiry_interval = expiry;
  c.send(p);
  auto acks = c.recv_all<Connack>();
  EXPECT_EQ(acks.size(), 1u);
  return acks.empty() ? Connack{} : acks[0];
}

Will will_on(std::string topic, std::string payload, bool retain) {
  Will w;
  w.topic = std::move(topic);
  w.payload = make_payload(std::vector<std::uint8_t>(payload.begin(), payload.end()));
  w.retain = retain;
  return w;
}

struct AuthorizationTest : ::testing::Test {
  ManualClock clock;
  std::shared_ptr<TablePolicy> policy = std::make_shared<TablePolicy>();
  std::unique_ptr<Broker> broker;
  std::uint32_t kept_cap = 1000;
  void start(std::unique_ptr<Persistence> persistence = nullptr) {
    BrokerOptions o;
    o.max_kept_sessions_per_user = kept_cap;
    o.sys_interval_s = 0;
    o.persistence = persistence != nullptr;
    broker = std::make_unique<Broker>(o, clock, std::move(persistence));
    broker->set_authenticator(policy);
    broker->set_authorizer(policy);
  }
  AuthorizationTest() {
    policy->users["esp32"] = {{"sensors/esp32"}, {"commands/esp32/#", "sensors/+"}, {}};
    policy->users["raspberry"] = {{"sensors/raspberry"}, {"commands/raspberry/#", "sensors/+"}, {}};
    policy->users["watcher"] = {{}, {"#"}, {}};
  }
};

TEST_F(AuthorizationTest, WillToAForeignTopicIsRefusedAtConnect) {
  start();
  Client rogue(*broker, ProtocolVersion::v5);
  auto ack =
      connect_as(rogue, "esp32", "raspberry", true, will_on("sensors/esp32", "forged", true));
  EXPECT_EQ(ack.reason, ReasonCode::not_authorized);
}

TEST_F(AuthorizationTest, WillIsPublishedWithItsOwnConnectionsRights) {
  // The issue's attack with a will the connection may publish: raspberry's own topic. Before the
  // fix, rights were looked up by client id, so after the takeover the will ran with whatever
  // identity last connected under that id. Here: the will must go out exactly as raspberry's.
  policy->users["raspberry"].publish.push_back("sensors/raspberry/will");
  start();
  Client watcher(*broker, ProtocolVersion::v5);
  ASSERT_EQ(connect_as(watcher, "w", "watcher").reason, ReasonCode::success);
  watcher.subscribe("sensors/#");
  Client r(*broker, ProtocolVersion::v5);
  ASSERT_EQ(
      connect_as(r, "shared-id", "raspberry", true, will_on("sensors/raspberry/will", "bye", true))
          .reason,
      ReasonCode::success);
  r.close();
  auto got = watcher.publishes();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].topic, "sensors/raspberry/will");
}

TEST_F(AuthorizationTest, AnotherAccountCannotTakeOverAClientId) {
  start();
  Client esp(*broker, ProtocolVersion::v5);
  ASSERT_EQ(connect_as(esp, "esp32", "esp32").reason, ReasonCode::success);
  Client rogue(*broker, ProtocolVersion::v5);
  EXPECT_EQ(connect_as(rogue, "esp32", "raspberry").reason,
            ReasonCode::client_identifier_not_valid);
  EXPECT_FALSE(esp.sink->closed);  // the real device stays connected
  EXPECT_EQ(broker->stats().client_id_refusals, 1u);
  // The same account may take its own id over.
  Client again(*broker, ProtocolVersion::v5);
  EXPECT_EQ(connect_as(again, "esp32", "esp32").reason, ReasonCode::success);
  EXPECT_TRUE(esp.sink->closed);
}

TEST_F(AuthorizationTest, AnotherAccountCannotResumeOrCleanAPersistentSession) {
  start();
  Client esp(*broker, ProtocolVersion::v5);
  ASSERT_EQ(connect_as(esp, "x-sess", "esp32", false, {}, ProtocolVersion::v5, 3600).reason,
            ReasonCode::success);
  ASSERT_EQ(esp.subscribe("commands/esp32/play", 1).reasons.at(0), ReasonCode::granted_qos1);
  esp.close();
  broker->publish("commands/esp32/play", std::vector<std::uint8_t>{'0'}, 1);

  Client rogue(*broker, ProtocolVersion::v5);
  EXPECT_EQ(connect_as(rogue, "x-sess", "raspberry", false).reason,
            ReasonCode::client_identifier_not_valid);
  EXPECT_TRUE(rogue.publishes().empty());
  Client cleaner(*broker, ProtocolVersion::v311);
  EXPECT_EQ(connect_as(cleaner, "x-sess", "raspberry", true, {}, ProtocolVersion::v311).reason,
            ReasonCode::client_identifier_not_valid);

  // The owner gets its session, and the message, back.
  Client back(*broker, ProtocolVersion::v5);
  auto ack = connect_as(back, "x-sess", "esp32", false, {}, ProtocolVersion::v5, 3600);
  EXPECT_TRUE(ack.session_present);
  back.close();
}

TEST_F(AuthorizationTest, OwnerSurvivesARestart) {
  auto dir = ::testing::TempDir() + "/authz_owner.db";
  std::remove(dir.c_str());
  start(std::make_unique<SqlitePersistence>(dir));
  {
    Client esp(*broker, ProtocolVersion::v5);
    ASSERT_EQ(connect_as(esp, "x-sess", "esp32", false, {}, ProtocolVersion::v5, 3600).reason,
              ReasonCode::success);
    esp.close();
    broker->tick();
    broker->shutdown();
  }
  start(std::make_unique<SqlitePersistence>(dir));
  Client rogue(*broker, ProtocolVersion::v5);
  EXPECT_EQ(connect_as(rogue, "x-sess", "raspberry", false).reason,
            ReasonCode::client_identifier_not_valid);
  Client esp(*broker, ProtocolVersion::v5);
  EXPECT_TRUE(
      connect_as(esp, "x-sess", "esp32", false, {}, ProtocolVersion::v5, 3600).session_present);
}

TEST_F(AuthorizationTest, DenyRuleRefusesTheTopicAndFiltersWiderSubscriptions) {
  policy->anonymous = Rights{{"#"}, {"#"}, {"test/nosubscribe", "secret/#"}};
  start();
  Client anon(*broker, ProtocolVersion::v311);
  ASSERT_EQ(connect_as(anon, "a", std::nullopt, true, {}, ProtocolVersion::v311).reason,
            ReasonCode::success);
  EXPECT_EQ(anon.subscribe("test/nosubscribe").reasons.at(0), ReasonCode::unspecified_error);
  EXPECT_EQ(anon.subscribe("secret/+").reasons.at(0), ReasonCode::unspecified_error);
  broker->publish("secret/plan", std::vector<std::uint8_t>{'x'}, 0, true);  // retained
  EXPECT_EQ(anon.subscribe("#").reasons.at(0), granted_qos0);
  broker->publish("test/nosubscribe", std::vector<std::uint8_t>{'n'}, 0);
  broker->publish("test/ok", std::vector<std::uint8_t>{'y'}, 0);
  auto got = anon.publishes();
  ASSERT_EQ(got.size(), 1u);  // neither the retained secret nor the denied topic
  EXPECT_EQ(got[0].topic, "test/ok");
}

TEST_F(AuthorizationTest, ReauthorizeNarrowsAndDisconnects) {
  start();
  Client watcher(*broker, ProtocolVersion::v5);
  ASSERT_EQ(connect_as(watcher, "w", "watcher").reason, ReasonCode::success);
  watcher.subscribe("#");
  watcher.subscribe("sensors/#");
  Client esp(*broker, ProtocolVersion::v5);
  ASSERT_EQ(connect_as(esp, "esp32", "esp32").reason, ReasonCode::success);

  // The watcher keeps only sensors/#; esp32 is removed.
  auto n = broker->reauthorize([](const Identity& who) -> std::shared_ptr<const Grant> {
    if (who.username == "watcher")
      return std::make_shared<PatternGrant>(Rights{{}, {"sensors/#"}, {}});
    return nullptr;
  });
  EXPECT_EQ(n, 1u);
  EXPECT_TRUE(esp.sink->closed);
  auto disc = esp.recv_all<Disconnect>();
  ASSERT_EQ(disc.size(), 1u);
  EXPECT_EQ(disc[0].reason, ReasonCode::not_authorized);
  EXPECT_FALSE(watcher.sink->closed);
  broker->publish("other/x", std::vector<std::uint8_t>{'1'}, 0);
  broker->publish("sensors/x", std::vector<std::uint8_t>{'2'}, 0);
  auto got = watcher.publishes();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(text(got[0]), "2");
  EXPECT_EQ(broker->stats().revoked_connections, 1u);
}

TEST_F(AuthorizationTest, AnAccountKeepsABoundedNumberOfSessions) {
  kept_cap = 2;
  start();
  for (const char* id : {"s1", "s2", "s3"}) {
    Client c(*broker, ProtocolVersion::v5);
    ASSERT_EQ(connect_as(c, id, "esp32", false, {}, ProtocolVersion::v5, 3600).reason,
              ReasonCode::success);
    c.close();
    clock.advance(std::chrono::seconds(1));
  }
  EXPECT_EQ(broker->stats().sessions_evicted, 1u);
  // Another account's sessions do not count against esp32's.
  Client other(*broker, ProtocolVersion::v5);
  ASSERT_EQ(connect_as(other, "r1", "raspberry", false, {}, ProtocolVersion::v5, 3600).reason,
            ReasonCode::success);
  other.close();
  EXPECT_EQ(broker->stats().sessions_evicted, 1u);
  // The one away longest (s1) ended; s2 and s3 are still there.
  Client s1(*broker, ProtocolVersion::v5);
  EXPECT_FALSE(connect_as(s1, "s1", "esp32", false, {}, ProtocolVersion::v5, 3600).session_present);
  Client s3(*broker, ProtocolVersion::v5);
  EXPECT_TRUE(connect_as(s3, "s3", "esp32", false, {}, ProtocolVersion::v5, 3600).session_present);
}

}  // namespace
}  // namespace weir::mqtt
