#include "tracking/tracker.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "core/json.hpp"

namespace weir::tracking {
namespace {

using namespace std::chrono_literals;

struct Fixture {
  ManualClock clock;
  Tracker t{clock, 100, [](model::DatapointIndex i) { return "T@DP" + std::to_string(i); }};
  std::vector<std::string> statuses(const std::vector<const Event*>& es) {
    std::vector<std::string> out;
    for (const auto* e : es)
      out.push_back(e->source + "/" + json::enum_name(e->status) + "/" +
                    t.to_dto(*e).correlation_id);
    return out;
  }
};

// A raw update's dispatch as the module sees it: first (before the datapoint module), the
// TagUpdate the datapoint module publishes when it accepts it, last.
void accept(Tracker& t, const model::RawTagUpdate& raw, const model::Value& stored) {
  t.on_raw_update(raw);
  model::TagUpdate u{raw.index, &stored, {}, {}, raw.quality, raw.reason, &raw};
  t.on_tag_update(u);
  t.on_raw_done(raw);
}

TEST(Tracker, OneReadingIsTwoEventsWithOneCorrelationAndTheClocksTime) {
  Fixture f;
  model::RawTagUpdate raw;
  raw.index = 3;
  raw.value = 42.5;
  raw.origin = "driver";
  f.clock.advance(1500ms);
  accept(f.t, raw, raw.value);
  auto all = f.t.query({});
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(f.statuses(all),
            (std::vector<std::string>{"driver/received/r-1", "datapoint/success/r-1"}));
  auto dto = f.t.to_dto(*all[1]);
  EXPECT_EQ(dto.summary, "T@DP3 = 42.5 (good)");
  EXPECT_EQ(dto.kind, EventKind::tag_update);
  EXPECT_EQ(dto.time, to_iso8601(f.clock.now()));
  EXPECT_EQ(dto.event_id, 2u);
  // The next reading is another correlation.
  accept(f.t, raw, raw.value);
  EXPECT_EQ(f.t.query({"r-2", "", 100}).size(), 2u);
  EXPECT_EQ(f.t.query({"r-1", "", 100}).size(), 2u);
}

TEST(Tracker, ARawUpdateTheDatapointModuleRefusedIsBlocked) {
  Fixture f;
  model::RawTagUpdate raw;
  raw.index = 1;
  raw.value = std::string("x");
  f.t.on_raw_update(raw);
  f.t.on_raw_done(raw);  // no TagUpdate came from it
  auto all = f.t.query({});
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(f.statuses(all),
            (std::vector<std::string>{"driver/received/r-1", "driver/blocked/r-1"}));
  EXPECT_EQ(f.t.to_dto(*all[1]).summary, "T@DP1 = x (good): refused by the datapoint module");
}

TEST(Tracker, NestedReadingsAreEachRecordedOnce) {
  // A tag update makes a rule send a command whose driver publishes another raw update, all
  // inside the first one's dispatch.
  Fixture f;
  model::RawTagUpdate outer, inner, refused;
  outer.index = 1;
  outer.value = 5.0;
  inner.index = 2;
  inner.value = std::string("OPENED");
  inner.correlation_id = "cmd-7";
  refused.index = 9;
  f.t.on_raw_update(outer);
  model::TagUpdate u1{1, &outer.value, {}, {}, {}, {}, &outer};
  f.t.on_tag_update(u1);
  accept(f.t, inner, inner.value);
  f.t.on_raw_update(refused);
  f.t.on_raw_done(refused);
  f.t.on_raw_done(outer);
  // A REST write applies its update directly: both events at the TagUpdate.
  model::RawTagUpdate direct;
  direct.origin = "api";
  model::TagUpdate u2{0, &direct.value, {}, {}, {}, {}, &direct};
  f.t.on_tag_update(u2);
  EXPECT_EQ(f.statuses(f.t.query({})),
            (std::vector<std::string>{"driver/received/r-1", "datapoint/success/r-1",
                                      "driver/received/cmd-7", "datapoint/success/cmd-7",
                                      "driver/received/r-2", "driver/blocked/r-2",
                                      "api/received/r-3", "datapoint/success/r-3"}));
}

TEST(Tracker, OneCommandEndToEndByItsId) {
  Fixture f;
  model::CommandFeedback pending{"cmd-1",
                                 4,
                                 std::string("OPEN"),
                                 model::CommandStatus::pending,
                                 model::CommandReason::none,
                                 "",
                                 f.clock.now(),
                                 "alice"};
  f.t.on_command(pending);
  f.t.on_driver_command({"cmd-1", 4, "WaterTank", "PUMP_CMD", std::string("OPEN")});
  model::RawTagUpdate state;
  state.index = 5;
  state.value = std::string("OPENED");
  state.correlation_id = "cmd-1";
  accept(f.t, state, state.value);
  auto ok = pending;
  ok.status = model::CommandStatus::ok;
  f.t.on_driver_feedback({ok}, "WaterTank");
  f.t.on_command(ok);
  f.t.on_user_action(
      {"alice", "127.0.0.1", "command", "T@DP4", true, "pending OPEN", f.clock.now(), "cmd-1"});
  // Something else in between that must not match.
  f.t.on_user_action({"bob", "127.0.0.1", "write_datapoint", "T@DP1", true, "", f.clock.now()});
  auto path = f.t.query({"cmd-1", "", 100});
  EXPECT_EQ(f.statuses(path), (std::vector<std::string>{
                                  "command/created/cmd-1",
                                  "driver:WaterTank/received/cmd-1",
                                  "driver/received/cmd-1",
                                  "datapoint/success/cmd-1",
                                  "driver:WaterTank/success/cmd-1",
                                  "command/success/cmd-1",
                                  "api/user_action/cmd-1",
                              }));
  EXPECT_EQ(f.t.to_dto(*path[0]).summary, "T@DP4 = OPEN: pending (by alice)");
  EXPECT_EQ(f.t.to_dto(*path[6]).summary, "alice@127.0.0.1 command T@DP4: ok (pending OPEN)");
  // The unrelated action has its own id.
  EXPECT_EQ(f.t.query({"e-8", "", 100}).size(), 1u);
  // By source: "driver" covers driver:<name>.
  EXPECT_EQ(f.t.query({"", "driver", 100}).size(), 3u);
  EXPECT_EQ(f.t.query({"", "driver:WaterTank", 100}).size(), 2u);
  // A timeout is a failure.
  auto late = pending;
  late.status = model::CommandStatus::timeout;
  f.t.on_command(late);
  EXPECT_EQ(f.t.query({"", "", 1})[0]->status, EventStatus::failure);
}

TEST(Tracker, TheRingIsBoundedAndKeepsTheNewest) {
  ManualClock clock;
  Tracker t(clock, 3, [](model::DatapointIndex) { return std::string("x"); });
  for (int i = 0; i < 5; ++i)
    t.on_alert({"rule" + std::to_string(i), "m", "info", "", {}, 30, clock.now()});
  EXPECT_EQ(t.recorded(), 5u);
  EXPECT_EQ(t.size(), 3u);
  auto all = t.query({});
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0]->event_id, 3u);
  EXPECT_EQ(all[2]->event_id, 5u);
  auto two = t.query({"", "", 2});
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0]->event_id, 4u);  // the newest two, oldest first
  EXPECT_EQ(t.slot(t.last_slot()).event_id, 5u);
  // Every event is one JSON object.
  std::string line;
  t.append_json(line, *all[2]);
  auto j = boost::json::parse(line).as_object();
  EXPECT_EQ(j.at("source").as_string(), "alert");
  EXPECT_EQ(j.at("status").as_string(), "created");
  EXPECT_EQ(j.at("correlation_id").as_string(), "e-5");
  EXPECT_EQ(j.at("summary").as_string(), "info from rule4: m");
  // ... the same as the DTO's JSON form.
  EXPECT_EQ(boost::json::value(j), json::to_json(t.to_dto(*all[2])));
  clock.advance(std::chrono::milliseconds(1007));  // the cached second moves on
  t.on_alert({"late", "m", "info", "", {}, 30, clock.now()});
  line.clear();
  t.append_json(line, *t.query({"", "", 1})[0]);
  EXPECT_EQ(boost::json::parse(line).at("time").as_string(), to_iso8601(clock.now()));
  EXPECT_EQ(to_iso8601(clock.now()).substr(19), ".007Z");
  t.resize(10);
  EXPECT_EQ(t.query({}).size(), 0u);
}

TEST(Tracker, AlarmTransitionsFollowTheOccurrence) {
  Fixture f;
  model::AlarmUpdate a{"occ-1", "door_open_alarm", model::AlarmState::ACTIVE, f.clock.now(), {}, {},
                       ""};
  f.t.on_alarm(a);
  a.state = model::AlarmState::ACK;
  a.user = "alice";
  f.t.on_alarm(a);
  auto path = f.t.query({"occ-1", "", 100});
  ASSERT_EQ(path.size(), 2u);
  EXPECT_EQ(path[0]->status, EventStatus::created);
  EXPECT_EQ(f.t.to_dto(*path[1]).summary, "door_open_alarm ACK (by alice)");
}

}  // namespace
}  // namespace weir::tracking
