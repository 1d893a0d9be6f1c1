// The alarm module on a TestHost (ManualClock, the commits' answers through a PostQueue run on
// this thread): a transition reaches the bus only once its journal row is committed, and a
// restart republishes what was committed, then model::AlarmsRestored.
#include "alarm/alarm_module.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "model/alarm_messages.hpp"
#include "module/test_host.hpp"
#include "storage/statement.hpp"
#include "storage/storage_test_support.hpp"

void weir_register_datapoint_module(weir::module::ModuleRegistry&);

namespace weir::alarm {
namespace {

constexpr const char* kConfig = R"({
  "dp_types": {"LEVEL": {"type": "float", "min": 0, "max": 100, "default": 0}},
  "drivers": [{"name": "D", "driver_class": "Nothing", "datapoints": [{"name": "A", "type": "LEVEL"}]}],
  "modules": [{"name": "datapoint"}, {"name": "alarm"}]})";

// One run of the modules on `dir`; every AlarmUpdate and AlarmsRestored it hears, with the
// journal rows on disk (a second connection) at the moment it heard it.
class Modules {
 public:
  Modules(const storage::testing::TempDir& dir, ManualClock& clock) : dir_(dir) {
    ProcessOptions o;
    o.data_dir = dir.path.string();
    t_ = std::make_unique<module::TestHost>(clock, o);
    t_->host.post = posts_.post();
    weir_register_datapoint_module(t_->registry);
    weir_register_alarm_module(t_->registry);
    updates_ = t_->bus.subscribe<model::AlarmUpdate>([this](const model::AlarmUpdate& u) {
      heard.push_back(u.occurrence_id + " " + std::string(json::enum_name(u.state)) +
                      " rows=" + std::to_string(journal_rows()));
    });
    restored_ = t_->bus.subscribe<model::AlarmsRestored>([this](const model::AlarmsRestored& r) {
      std::string line = "restored";
      for (const auto& o : r.open_occurrences) line += " " + o;
      heard.push_back(line);
    });
    auto set = t_->start_modules(kConfig);
    EXPECT_TRUE(set) << set.error().message;
    if (set) set_ = std::move(*set);
  }
  ~Modules() {
    set_->stop();
    set_.reset();
  }

  void request(const char* rule, bool raise, WallTime now) {
    t_->bus.publish(model::AlarmRequest{rule, raise, now});
  }
  // Runs the commits' answers until `n` messages were heard (the storage thread answers when it
  // has committed: waits for it, at most 5 s).
  void hear(std::size_t n) {
    for (int i = 0; i < 5000 && heard.size() < n; ++i)
      if (posts_.run() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_EQ(heard.size(), n);
  }
  std::size_t journal_rows() const {
    auto db = storage::Database::open(dir_.file("alarms.db"));
    if (!db) return 0;
    auto s = (*db)->prepare("SELECT count(*) FROM alarm_journal");
    if (!s) return 0;
    auto n = s->collect([](const storage::Statement& r) { return r.int64(0); });
    return n && !n->empty() ? static_cast<std::size_t>((*n)[0]) : 0;
  }

  std::vector<std::string> heard;

 private:
  const storage::testing::TempDir& dir_;
  module::PostQueue posts_;  // outlives the modules
  std::unique_ptr<module::TestHost> t_;
  std::unique_ptr<module::ModuleSet> set_;
  bus::Subscription updates_, restored_;
};

TEST(AlarmModule, PublishesATransitionOnlyOnceItIsCommitted) {
  storage::testing::TempDir dir;
  const WallTime t0 = from_unix_ms(1'700'000'000'000);
  ManualClock clock(t0);
  {
    Modules run(dir, clock);
    run.hear(1);
    EXPECT_EQ(run.heard, std::vector<std::string>{"restored"});  // nothing was saved
    run.request("pump", true, t0);
    run.request("door", true, t0);    // same turn: the same commit
    EXPECT_EQ(run.heard.size(), 1u);  // nothing published before the commit answered
    run.hear(3);
    EXPECT_EQ(run.heard[1], "pump:1700000000000 ACTIVE rows=2");
    EXPECT_EQ(run.heard[2], "door:1700000000000 ACTIVE rows=2");
    run.request("door", false, t0 + std::chrono::seconds(1));
    run.hear(4);
    EXPECT_EQ(run.heard[3], "door:1700000000000 INACTIVE rows=3");
  }
  // Restarted on the same data: what was committed comes back, then the list of open occurrences.
  Modules again(dir, clock);
  again.hear(3);
  EXPECT_EQ(again.heard,
            (std::vector<std::string>{"door:1700000000000 INACTIVE rows=3",
                                      "pump:1700000000000 ACTIVE rows=3",
                                      "restored door:1700000000000 pump:1700000000000"}));
}

}  // namespace
}  // namespace weir::alarm
