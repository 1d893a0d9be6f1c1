// The tracking module over the real datapoint, command and communication modules (a simulated
// tank, no sockets): the path of one REST command by its correlation id, mode none recording
// nothing and subscribing to nothing, the route's checks.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "module/test_host.hpp"

void weir_register_datapoint_module(weir::module::ModuleRegistry&);
void weir_register_command_module(weir::module::ModuleRegistry&);
void weir_register_communication_module(weir::module::ModuleRegistry&);
void weir_register_tracking_module(weir::module::ModuleRegistry&);

namespace weir::tracking {
namespace {

class Operator final : public api::AccessControl {
 public:
  Result<api::Caller> authorize(const HttpRequest&, std::string_view) override {
    api::Caller c;
    c.user = "operator";
    c.address = "test";
    return c;
  }
};

config::SystemConfig make_config(const std::string& tracking) {
  auto r = config::parse_system_config(R"({
    "dp_types": {
      "LEVEL": {"type": "float", "min": 0, "max": 100, "default": 0},
      "OPENED_CLOSED": {"type": "enum", "values": ["OPENED", "CLOSED"], "default": "CLOSED"},
      "OPEN_CLOSE_CMD": {"type": "enum", "values": ["OPEN", "CLOSE", "TOGGLE"], "default": "CLOSE"}
    },
    "drivers": [{"name": "WaterTank", "driver_class": "TankTestDriver",
      "datapoints": [{"name": "TANK", "type": "LEVEL"}, {"name": "PUMP", "type": "OPENED_CLOSED"}],
      "command_datapoints": [{"name": "PUMP_CMD", "type": "OPEN_CLOSE_CMD"}]}],
    "modules": [{"name": "tracking", "config": )" +
                                       tracking + R"(}]
  })");
  EXPECT_TRUE(r.ok()) << r.errors_text();
  return *r.config;
}

struct Fixture {
  ManualClock clock;
  module::TestHost t{clock};
  std::unique_ptr<module::ModuleSet> modules;
  explicit Fixture(const std::string& tracking) {
    weir_register_datapoint_module(t.registry);
    weir_register_command_module(t.registry);
    weir_register_communication_module(t.registry);
    weir_register_tracking_module(t.registry);
    t.router.set_access(std::make_shared<Operator>());
    auto m = t.create(make_config(tracking));
    EXPECT_TRUE(m) << (m ? "" : m.error().message);
    modules = std::move(*m);
    EXPECT_TRUE(modules->start());
  }
  HttpResponse call(const std::string& method, const std::string& target,
                    const std::string& body = "") {
    HttpRequest r;
    r.method = method;
    r.target = target;
    const auto q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) {
      std::string rest = target.substr(q + 1);
      while (!rest.empty()) {
        const auto amp = rest.find('&');
        const auto kv = rest.substr(0, amp);
        const auto eq = kv.find('=');
        r.query.emplace(kv.substr(0, eq), eq == std::string::npos ? "" : kv.substr(eq + 1));
        rest = amp == std::string::npos ? "" : rest.substr(amp + 1);
      }
    }
    r.body = body;
    if (!body.empty()) r.headers.emplace_back("content-type", "application/json");
    r.remote_address = "127.0.0.1";
    return t.router.handle(r);
  }
};

TEST(TrackingModule, ShowsTheWholePathOfOneRestCommand) {
  Fixture f(R"({"mode": "bus", "ring_size": 1000})");
  auto sent =
      f.call("POST", "/api/commands", R"({"datapoint": "WaterTank@PUMP_CMD", "value": "OPEN"})");
  ASSERT_EQ(sent.status, 202) << sent.body;
  const std::string id(boost::json::parse(sent.body).at("command_id").as_string());
  auto got = f.call("GET", "/api/tracking?correlation=" + id);
  ASSERT_EQ(got.status, 200) << got.body;
  auto items = boost::json::parse(got.body).at("items").as_array();
  std::vector<std::string> path;
  for (const auto& i : items)
    path.push_back(std::string(i.at("source").as_string()) + "/" +
                   std::string(i.at("status").as_string()));
  EXPECT_EQ(path, (std::vector<std::string>{
                      "command/created", "driver:WaterTank/received",  // REST → command → driver
                      "driver/received", "datapoint/success",          // PUMP_CMD = OPEN
                      "driver/received", "datapoint/success",          // PUMP = OPENED
                      "driver:WaterTank/success", "command/success",   // feedback
                      "api/user_action"}))
      << got.body;
  EXPECT_EQ(items[5].at("summary").as_string(), "WaterTank@PUMP = OPENED (uncertain/simulated)");
  // A bad limit is refused naming the parameter.
  auto bad = f.call("GET", "/api/tracking?limit=0");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("limit"), std::string::npos);
  auto two = f.call("GET", "/api/tracking?limit=2&source=command");
  auto two_items = boost::json::parse(two.body).at("items").as_array();
  ASSERT_EQ(two_items.size(), 2u);
  EXPECT_EQ(two_items[1].at("status").as_string(), "success");
}

TEST(TrackingModule, ModeNoneSubscribesToNothingAndRecordsNothing) {
  Fixture f(R"({"mode": "none"})");
  EXPECT_EQ(f.t.bus.subscriber_count<model::TagUpdate>(), 1u);  // the datapoint feed only
  EXPECT_EQ(f.t.bus.subscriber_count<model::UserAction>(), 0u);
  auto sent =
      f.call("POST", "/api/commands", R"({"datapoint": "WaterTank@PUMP_CMD", "value": "OPEN"})");
  ASSERT_EQ(sent.status, 202);
  auto got = boost::json::parse(f.call("GET", "/api/tracking").body);
  EXPECT_EQ(got.at("mode").as_string(), "none");
  EXPECT_EQ(got.at("recorded").to_number<std::uint64_t>(), 0u);
  EXPECT_TRUE(got.at("items").as_array().empty());
}

}  // namespace
}  // namespace weir::tracking
