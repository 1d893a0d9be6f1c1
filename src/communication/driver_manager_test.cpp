#include "communication/driver_manager.hpp"

#include <gtest/gtest.h>

#include "command/command_service.hpp"
#include "datapoint/datapoint_service.hpp"

namespace weir::communication {
namespace {

using namespace std::chrono_literals;
using model::CommandStatus;
using model::DriverState;

constexpr std::string_view kConfig = R"({
  "dp_types": {
    "LEVEL": {"type": "float", "min": 0, "max": 100, "default": 0},
    "OPENED_CLOSED": {"type": "enum", "values": ["OPENED", "CLOSED"], "default": "CLOSED"},
    "OPEN_CLOSE_CMD": {"type": "enum", "values": ["OPEN", "CLOSE", "TOGGLE"], "default": "CLOSE"},
    "START_STOP": {"type": "enum", "values": ["STARTED", "STOPPED"], "default": "STOPPED"},
    "START_STOP_CMD": {"type": "enum", "values": ["START", "STOP", "TOGGLE"], "default": "STOP"}
  },
  "drivers": [
    {"name": "WaterTank", "driver_class": "TankTestDriver",
     "datapoints": [{"name": "TANK", "type": "LEVEL"}, {"name": "PUMP", "type": "OPENED_CLOSED"},
                    {"name": "DOOR", "type": "OPENED_CLOSED"}, {"name": "TEST", "type": "START_STOP"}],
     "command_datapoints": [{"name": "PUMP_CMD", "type": "OPEN_CLOSE_CMD"},
                            {"name": "DOOR_CMD", "type": "OPEN_CLOSE_CMD"},
                            {"name": "TEST_CMD", "type": "START_STOP_CMD"}]},
    {"name": "Flaky", "driver_class": "FlakyDriver", "datapoints": [{"name": "X", "type": "LEVEL"}],
     "command_datapoints": [{"name": "X_CMD", "type": "LEVEL"}]},
    {"name": "Opc", "driver_class": "OPCUAServerDriver", "datapoints": [{"name": "WaterTank@TANK", "type": "LEVEL"}]}
  ]})";

// A driver that fails to connect a given number of times, then connects; never answers commands.
struct FlakyDriver : Driver {
  explicit FlakyDriver(DriverContext& c) : ctx(c) {}
  void connect() override {
    ++attempts;
    if (attempts <= failures)
      ctx.set_status(DriverState::offline, "connection refused");
    else
      ctx.set_status(DriverState::online);
  }
  void disconnect() override { ctx.set_status(DriverState::offline, "bye"); }
  void command(const model::DriverCommand&) override {}
  DriverContext& ctx;
  int attempts = 0;
  int failures = 2;
};

struct Plant : ::testing::Test {
  ManualClock clock;
  bus::Bus bus;
  config::SystemConfig cfg = *config::parse_system_config(kConfig).config;
  std::shared_ptr<const datapoint::Registry> reg = datapoint::Registry::build(cfg);
  datapoint::DatapointService dps{reg, bus, clock};
  command::CommandService cmds{reg, bus, clock, 2s};
  FlakyDriver* flaky = nullptr;
  std::unique_ptr<DriverManager> mgr;
  std::vector<model::CommandFeedback> feedback;
  bus::Subscription fb_sub = bus.subscribe<model::CommandFeedback>(
      [this](const model::CommandFeedback& f) { feedback.push_back(f); });

  void SetUp() override {
    auto factories = DriverManager::builtin_factories();
    factories["FlakyDriver"] = [this](const config::DriverConfig&, DriverContext& c) {
      auto d = std::make_unique<FlakyDriver>(c);
      flaky = d.get();
      return d;
    };
    mgr = std::make_unique<DriverManager>(cfg, reg, bus, clock, factories);
    mgr->start();
  }
  const model::Value& value(std::string_view id) { return dps.state(*reg->find(id)).value; }
  std::string sym(std::string_view id) { return std::get<std::string>(value(id)); }
  void step(std::chrono::milliseconds d) {
    for (auto t = 0ms; t < d; t += 100ms) {
      clock.advance(100ms);
      mgr->tick();
      cmds.tick();
    }
  }
};

TEST_F(Plant, TankFillsOnlyAfterStartAndWithPumpOpen) {
  EXPECT_EQ(mgr->find("WaterTank")->state, DriverState::online);
  ASSERT_TRUE(cmds.send("WaterTank@PUMP_CMD", std::string("OPEN"), "op"));
  EXPECT_EQ(sym("WaterTank@PUMP"), "OPENED");  // OPEN maps to the OPENED state
  step(3s);
  EXPECT_EQ(std::get<double>(value("WaterTank@TANK")), 0.0);  // TEST not started yet
  ASSERT_TRUE(cmds.send("WaterTank@TEST_CMD", std::string("START"), "op"));
  step(5s);
  EXPECT_EQ(std::get<double>(value("WaterTank@TANK")), 5.0);
  ASSERT_TRUE(cmds.send("WaterTank@DOOR_CMD", std::string("TOGGLE"), "op"));
  EXPECT_EQ(sym("WaterTank@DOOR"), "OPENED");
  step(2s);
  EXPECT_EQ(std::get<double>(value("WaterTank@TANK")), 3.0);  // +1 -2 per tick
  EXPECT_EQ(dps.state(*reg->find("WaterTank@TANK")).reason, model::QualityReason::simulated);
}

TEST_F(Plant, CommandFeedbackLifeCycle) {
  auto r = cmds.send("WaterTank@PUMP_CMD", std::string("OPEN"), "alice");
  ASSERT_TRUE(r);
  ASSERT_GE(feedback.size(), 2u);
  EXPECT_EQ(feedback[0].status, CommandStatus::pending);
  EXPECT_EQ(feedback[1].status, CommandStatus::ok);
  EXPECT_EQ(feedback[1].user, "alice");
  EXPECT_EQ(cmds.latest(*reg->find("WaterTank@PUMP_CMD"))->status, CommandStatus::ok);
}

TEST_F(Plant, CommandValidation) {
  auto bad = cmds.send("WaterTank@PUMP_CMD", std::string("OPENED"), "op");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::unprocessable);
  EXPECT_FALSE(cmds.send("WaterTank@NOPE", std::string("OPEN"), "op"));
  auto notcmd = cmds.send("WaterTank@PUMP", std::string("OPENED"), "op");
  ASSERT_FALSE(notcmd);
  EXPECT_EQ(notcmd.error().code, "not_a_command");
}

TEST_F(Plant, CommandToOfflineDriverIsNok) {
  ASSERT_TRUE(mgr->control("WaterTank", model::DriverAction::disconnect));
  auto r = cmds.send("WaterTank@PUMP_CMD", std::string("OPEN"), "op");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, CommandStatus::nok);
  EXPECT_EQ(r->reason, model::CommandReason::driver_offline);
  // and the tank's datapoints are no longer good
  EXPECT_EQ(dps.state(*reg->find("WaterTank@TANK")).quality, model::Quality::bad);
}

TEST_F(Plant, ReconnectsWithBackoff) {
  ASSERT_NE(flaky, nullptr);
  EXPECT_EQ(flaky->attempts, 1);
  EXPECT_EQ(mgr->find("Flaky")->state, DriverState::offline);
  step(900ms);
  EXPECT_EQ(flaky->attempts, 1);
  step(200ms);  // 1 s back-off elapsed
  EXPECT_EQ(flaky->attempts, 2);
  step(1500ms);
  EXPECT_EQ(flaky->attempts, 2);  // now waiting 2 s
  step(600ms);
  EXPECT_EQ(flaky->attempts, 3);
  EXPECT_EQ(mgr->find("Flaky")->state, DriverState::online);
}

TEST_F(Plant, OperatorDisconnectStopsReconnection) {
  ASSERT_TRUE(mgr->control("Flaky", model::DriverAction::disconnect));
  step(60s);
  EXPECT_EQ(flaky->attempts, 1);
  ASSERT_TRUE(mgr->control("Flaky", model::DriverAction::toggle));
  EXPECT_EQ(flaky->attempts, 2);
  EXPECT_FALSE(mgr->control("Nope", model::DriverAction::connect));
}

TEST_F(Plant, CommandTimesOutWithoutAnswer) {
  step(10s);  // Flaky comes online
  ASSERT_EQ(mgr->find("Flaky")->state, DriverState::online);
  auto r = cmds.send("Flaky@X_CMD", 12.0, "op");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, CommandStatus::pending);
  step(1900ms);
  EXPECT_EQ(cmds.by_id(r->command_id)->status, CommandStatus::pending);
  step(200ms);
  EXPECT_EQ(cmds.by_id(r->command_id)->status, CommandStatus::timeout);
  EXPECT_EQ(feedback.back().status, CommandStatus::timeout);
}

TEST_F(Plant, UnavailableDriverClassStaysOfflineAndSaysWhy) {
  const auto* opc = mgr->find("Opc");
  ASSERT_NE(opc, nullptr);
  EXPECT_FALSE(opc->available);
  EXPECT_NE(opc->detail.find("OPCUAServerDriver is not available"), std::string::npos);
  auto r = mgr->control("Opc", model::DriverAction::connect);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::conflict);
}

}  // namespace
}  // namespace weir::communication
