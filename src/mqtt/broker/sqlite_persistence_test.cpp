#include "mqtt/broker/sqlite_persistence.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "mqtt/broker/broker_test_support.hpp"

namespace weir::mqtt {
namespace {

using test::Client;
using test::text;
using namespace std::chrono_literals;

struct TempDb {
  std::filesystem::path path;
  TempDb() {
    path = std::filesystem::temp_directory_path() /
           ("weir_mqtt_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
    clean();
  }
  ~TempDb() { clean(); }
  void clean() {
    for (auto s : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + s);
  }
};

TEST(SqlitePersistence, StoresAndCoalesces) {
  TempDb db;
  {
    SqlitePersistence p(db.path.string());
    ASSERT_TRUE(p.ok()) << p.open_error();
    StoredMessage m;
    m.topic = "r";
    m.payload = make_payload({'1'});
    p.put_retained(m);
    m.payload = make_payload({'2'});
    p.put_retained(m);
    StoredSession s;
    s.client_id = "c";
    s.expiry_interval = 100;
    s.subscriptions.push_back({"a/#", 1, 0});
    p.put_session(s);
    EXPECT_EQ(p.pending(), 2u);
    ASSERT_TRUE(p.flush());
    EXPECT_EQ(p.pending(), 0u);
  }
  SqlitePersistence p(db.path.string());
  auto st = p.load();
  ASSERT_TRUE(st);
  ASSERT_EQ(st->retained.size(), 1u);
  EXPECT_EQ(*st->retained[0].payload, std::vector<std::uint8_t>{'2'});
  ASSERT_EQ(st->sessions.size(), 1u);
  EXPECT_EQ(st->sessions[0].subscriptions.size(), 1u);
  p.erase_session("c");
  p.erase_retained("r");
  ASSERT_TRUE(p.flush());
  auto st2 = p.load();
  EXPECT_TRUE(st2->sessions.empty());
  EXPECT_TRUE(st2->retained.empty());
}

TEST(SqlitePersistence, BrokerStateSurvivesRestart) {
  TempDb db;
  ManualClock clock;
  BrokerOptions o;
  o.allow_anonymous = true;
  o.sys_interval_s = 0;
  o.persistence = true;
  {
    Broker b(o, clock, std::make_unique<SqlitePersistence>(db.path.string()));
    Client sub(b, ProtocolVersion::v5);
    Properties props;
    props.session_expiry_interval = 3600;
    sub.connect("keeper", true, props);
    sub.subscribe("data/#", 1);
    sub.close();
    Client pub(b);
    pub.connect("pub");
    pub.publish("data/1", "queued", 1);
    pub.publish("cfg", "retained", 1, true);
    b.tick();
  }
  clock.advance(10s);
  Broker b(o, clock, std::make_unique<SqlitePersistence>(db.path.string()));
  EXPECT_EQ(b.stats().retained_count, 1u);
  Client sub(b, ProtocolVersion::v5);
  Properties props;
  props.session_expiry_interval = 3600;
  auto ack = sub.connect("keeper", false, props);
  EXPECT_TRUE(ack.session_present);
  auto got = sub.publishes();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(text(got[0]), "queued");
  Client pub(b);
  pub.connect("pub");
  pub.publish("data/2", "live", 1);
  EXPECT_EQ(sub.publishes().size(), 1u);  // subscription survived
}

}  // namespace
}  // namespace weir::mqtt
