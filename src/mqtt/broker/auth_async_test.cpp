// Authentication answered later (an Argon2id verification on a worker thread): the connection
// waits without blocking the broker, keeps what the client sends meanwhile, and a late answer
// for a connection that has gone is ignored.
#include <gtest/gtest.h>

#include "mqtt/broker/auth.hpp"
#include "mqtt/broker/broker_test_support.hpp"

namespace weir::mqtt {
namespace {

using test::Client;
using test::text;
using namespace std::chrono_literals;

// Holds every request until the test answers it.
struct DeferredAuth : Authenticator {
  struct Pending {
    std::string client_id;
    std::optional<std::string> username, password;
    Done done;
  };
  std::vector<Pending> pending;

  AuthResult authenticate(const std::string&, const std::optional<std::string>&,
                          const std::optional<std::string>&, const ConnectionInfo&) override {
    ADD_FAILURE() << "the broker must use authenticate_async";
    return AuthResult::refuse(AuthRefusal::not_authorized);
  }
  void authenticate_async(const std::string& client_id, const std::optional<std::string>& username,
                          const std::optional<std::string>& password, const ConnectionInfo&,
                          Done done) override {
    pending.push_back({client_id, username, password, std::move(done)});
  }
  void answer(std::size_t i, bool ok) {
    auto p = std::move(pending.at(i));
    if (ok) {
      Identity id;
      id.client_id = p.client_id;
      id.username = p.username.value_or("");
      id.anonymous = false;
      p.done(AuthResult::accept(std::move(id)));
    } else {
      p.done(AuthResult::refuse(AuthRefusal::bad_credentials, "wrong password"));
    }
  }
};

struct AuthAsyncTest : ::testing::Test {
  ManualClock clock;
  std::shared_ptr<DeferredAuth> auth = std::make_shared<DeferredAuth>();
  std::unique_ptr<Broker> broker;
  AuthAsyncTest() {
    BrokerOptions o;
    o.allow_anonymous = false;
    o.sys_interval_s = 0;
    o.connect_timeout_s = 10;
    o.max_packet_size = 64 * 1024;  // also bounds what may wait behind a CONNECT
    broker = std::make_unique<Broker>(o, clock, nullptr);
    broker->set_authenticator(auth);
  }
  static Connect login(std::string id, ProtocolVersion v = ProtocolVersion::v311) {
    Connect c;
    c.version = v;
    c.client_id = std::move(id);
    c.username = "dev";
    c.password = "secret";
    c.keep_alive = 60;
    return c;
  }
};

TEST_F(AuthAsyncTest, ConnectionWaitsForTheAnswerAndOthersCarryOn) {
  Client slow(*broker);
  slow.send(login("slow"));
  ASSERT_EQ(auth->pending.size(), 1u);
  EXPECT_TRUE(slow.recv().empty());  // no CONNACK yet
  EXPECT_FALSE(slow.sink->closed);
  EXPECT_EQ(broker->stats().clients_connected, 0u);

  // Another client is served meanwhile: the broker is not blocked.
  Client other(*broker);
  other.send(login("other"));
  auth->answer(1, true);
  auto acks = other.recv_all<Connack>();
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].reason, ReasonCode::success);

  auth->answer(0, true);
  acks = slow.recv_all<Connack>();
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].reason, ReasonCode::success);
  EXPECT_EQ(broker->stats().clients_connected, 2u);
}

TEST_F(AuthAsyncTest, PacketsSentBeforeTheConnackAreHandledAfterIt) {
  Client sub(*broker);
  sub.send(login("sub"));
  Subscribe s;
  s.packet_id = 7;
  s.topics.push_back({"t/#", SubscribeOptions{}});
  sub.send(s);  // pipelined behind the CONNECT, before any answer
  EXPECT_TRUE(sub.recv().empty());
  auth->answer(0, true);
  auto got = sub.recv();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<Connack>(got[0]));
  ASSERT_TRUE(std::holds_alternative<Suback>(got[1]));
  EXPECT_EQ(std::get<Suback>(got[1]).packet_id, 7);

  broker->publish("t/x", std::vector<std::uint8_t>{'h', 'i'});
  auto pubs = sub.recv_all<Publish>();
  ASSERT_EQ(pubs.size(), 1u);
  EXPECT_EQ(text(pubs[0]), "hi");
}

TEST_F(AuthAsyncTest, RefusalAfterTheWait) {
  Client c(*broker, ProtocolVersion::v5);
  c.send(login("c", ProtocolVersion::v5));
  auth->answer(0, false);
  auto acks = c.recv_all<Connack>();
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].reason, ReasonCode::bad_user_name_or_password);
  EXPECT_TRUE(c.sink->closed);
  EXPECT_EQ(broker->stats().clients_connected, 0u);
}

TEST_F(AuthAsyncTest, ServerBusyRefusal) {
  struct Busy : Authenticator {
    AuthResult authenticate(const std::string&, const std::optional<std::string>&,
                            const std::optional<std::string>&, const ConnectionInfo&) override {
      return AuthResult::refuse(AuthRefusal::server_busy, "too many logins being verified");
    }
  };
  broker->set_authenticator(std::make_shared<Busy>());
  Client v5(*broker, ProtocolVersion::v5);
  v5.send(login("a", ProtocolVersion::v5));
  auto acks = v5.recv_all<Connack>();
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].reason, ReasonCode::server_busy);
  Client v3(*broker);
  v3.send(login("b"));
  EXPECT_EQ(v3.sink->wire,
            (std::vector<std::uint8_t>{0x20, 0x02, 0x00, 0x03}));  // server unavailable
}

TEST_F(AuthAsyncTest, LateAnswerForAClosedConnectionIsIgnored) {
  Client gone(*broker);
  gone.send(login("gone"));
  gone.close();
  auth->answer(0, true);  // must not touch the closed connection
  EXPECT_EQ(broker->stats().clients_connected, 0u);
  EXPECT_FALSE(broker->connected("gone"));
  EXPECT_TRUE(gone.recv().empty());
}

TEST_F(AuthAsyncTest, WaitIsBoundedByTheConnectTimeout) {
  Client c(*broker);
  c.send(login("c"));
  clock.advance(11s);
  broker->tick();
  EXPECT_TRUE(c.sink->closed);
  auth->answer(0, true);  // too late
  EXPECT_EQ(broker->stats().clients_connected, 0u);
}

TEST_F(AuthAsyncTest, FloodWhileWaitingIsRefused) {
  Client c(*broker);
  c.send(login("c"));
  // Keep sending while the CONNECT waits: bounded by the maximum packet size, then dropped.
  std::vector<std::uint8_t> ping{0xC0, 0x00};
  for (int i = 0; i < 100'000 && !c.sink->closed; ++i) c.raw(ping);
  EXPECT_TRUE(c.sink->closed);
  auth->answer(0, true);
  EXPECT_EQ(broker->stats().clients_connected, 0u);
}

TEST_F(AuthAsyncTest, BrokerDestroyedBeforeTheAnswer) {
  Client c(*broker);
  c.send(login("c"));
  auto done = std::move(auth->pending.at(0).done);
  broker.reset();
  done(AuthResult::refuse(AuthRefusal::not_authorized));  // harmless
}

}  // namespace
}  // namespace weir::mqtt
