#include "demo/server/device_routes.hpp"

#include <boost/json/parse.hpp>

#include "demo/server/demo_test_support.hpp"

namespace weir::demo {
namespace {

using testing::request;

// The demo's routes over the real SCADA path (demo_test_support.hpp's DemoPlant).
struct Fixture : testing::DemoPlant {
  api::Router& router = t.router;
  std::vector<model::UserAction> actions;
  bus::Subscription sub;
  Fixture() {
    DeviceRoutesAccess a{monitor.get(), log.get(), &t.bus, &clock};
    add_device_routes(router, a);
    add_dashboard_route(router, a);
    router.add({"POST",
                "/api/other",
                "",
                false,
                "x",
                "another two-segment POST, added after the dashboard route",
                {},
                {},
                "application/json",
                200,
                {},
                {},
                [](const api::RequestContext&) { return HttpResponse::json(200, "{}"); }});
    sub = t.bus.subscribe<model::UserAction>(
        [this](const model::UserAction& u) { actions.push_back(u); });
    pub("presence/esp32/status", "online");
    pub("presence/raspberry/status", "online");
  }
};

TEST(DashboardRoute, TheSeedsAnswersUnchanged) {
  Fixture f;
  auto r = f.router.handle(request("POST", "/play/esp32"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "Sent 'play' command to esp32");
  EXPECT_EQ(r.content_type.rfind("text/plain", 0), 0u);
  r = f.router.handle(request("POST", "/stop/raspberry"));
  EXPECT_EQ(r.body, "Sent 'stop' command to raspberry");
  r = f.router.handle(request("POST", "/resume/esp32"));
  EXPECT_EQ(r.body, "Sent 'resume' command to esp32");
  EXPECT_EQ(f.payloads, (std::vector<std::string>{"true", "false", ""}));

  r = f.router.handle(request("POST", "/play/toaster"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "Unknown device");
  r = f.router.handle(request("POST", "/dance/esp32"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "Unknown action");
  EXPECT_EQ(f.payloads.size(), 3u) << "refused actions publish nothing";

  // Audited: every attempt, with the user.
  ASSERT_EQ(f.actions.size(), 5u);
  EXPECT_EQ(f.actions[0].action, "device_control");
  EXPECT_EQ(f.actions[0].user, "operator");
  EXPECT_EQ(f.actions[0].target, "esp32");
  EXPECT_TRUE(f.actions[0].ok);
  EXPECT_FALSE(f.actions[3].ok);
  EXPECT_FALSE(f.actions[4].ok);

  // Server-side auth like every route.
  EXPECT_EQ(f.router.handle(request("POST", "/play/esp32", "")).status, 401);
  EXPECT_EQ(f.router.handle(request("POST", "/play/esp32", "view")).status, 403);
  // A more specific route wins whatever the order it was added in.
  EXPECT_EQ(f.router.handle(request("POST", "/api/other")).status, 200);
  // Sent as commands with feedback, and logged with who sent them.
  const auto& commands = f.t.services.get<command::CommandService>();
  auto latest = commands.all_latest();
  ASSERT_EQ(latest.size(), 2u);
  for (const auto& fb : latest) {
    EXPECT_EQ(fb.status, model::CommandStatus::ok);
    EXPECT_EQ(fb.user, "operator");
  }
  auto c = f.log->commands({"esp32", {}, {}, 10});
  ASSERT_EQ(c->size(), 2u);
  EXPECT_EQ(c->back().user, "operator");
  EXPECT_EQ(c->back().source, "weir");
}

TEST(DeviceRoutes, JsonListActionAndLogs) {
  Fixture f;
  f.pub("presence/raspberry/status", "offline");
  f.pub("sensors/esp32",
        R"({"temperature":29.4,"humidity":41,"threshold":28,"over_threshold":true,"unit":"C"})");
  f.clock.advance(std::chrono::seconds(10));
  f.pub("sensors/esp32",
        R"({"temperature":27,"humidity":40,"threshold":28,"over_threshold":false,"unit":"C"})");

  auto r = f.router.handle(request("GET", "/api/devices", "view"));
  ASSERT_EQ(r.status, 200);
  auto list = boost::json::parse(r.body).as_object();
  auto& items = list["items"].as_array();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].at("id"), "esp32");
  EXPECT_EQ(items[0].at("presence"), "online");
  EXPECT_EQ(items[0].at("reading").at("temperature").to_number<double>(), 27.0);
  EXPECT_EQ(items[1].at("presence"), "offline");

  r = f.router.handle(request("GET", "/api/devices/esp32", "view"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(f.router.handle(request("GET", "/api/devices/toaster", "view")).status, 404);

  r = f.router.handle(request("POST", "/api/devices/esp32/play"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto res = boost::json::parse(r.body).as_object();
  EXPECT_EQ(res["payload"], "true");
  EXPECT_EQ(res["topic"], "commands/esp32/play");
  EXPECT_EQ(res["message"], "Sent 'play' command to esp32");
  EXPECT_EQ(res["status"], "ok");
  // The same command in the command module's own routes.
  r = f.router.handle(
      request("GET", "/api/commands/" + std::string(res["command_id"].as_string()), "view"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(boost::json::parse(r.body).at("datapoint"), "esp32@PLAY_CMD");
  EXPECT_EQ(f.router.handle(request("POST", "/api/devices/esp32/dance")).status, 400);
  EXPECT_EQ(f.router.handle(request("POST", "/api/devices/toaster/play")).status, 404);
  EXPECT_EQ(f.router.handle(request("POST", "/api/devices/esp32/play", "view")).status, 403);

  r = testing::settle(
      f.router.handle(request("GET", "/api/devices/esp32/readings?limit=1", "view")));
  ASSERT_EQ(r.status, 200) << r.body;
  auto rows = boost::json::parse(r.body).at("items").as_array();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("temperature").to_number<double>(), 27.0);
  r = testing::settle(f.router.handle(
      request("GET", "/api/devices/esp32/readings?to=2023-11-14T22:13:25Z", "view")));
  ASSERT_EQ(r.status, 200) << r.body;
  rows = boost::json::parse(r.body).at("items").as_array();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("temperature").to_number<double>(), 29.4);
  EXPECT_EQ(f.router.handle(request("GET", "/api/devices/esp32/readings?limit=0", "view")).status,
            400);
  EXPECT_EQ(
      f.router.handle(request("GET", "/api/devices/esp32/readings?from=yesterday", "view")).status,
      400);

  r = testing::settle(f.router.handle(request("GET", "/api/devices/esp32/presence", "view")));
  EXPECT_EQ(boost::json::parse(r.body).at("items").as_array().size(), 1u);
  r = testing::settle(f.router.handle(request("GET", "/api/devices/esp32/commands", "view")));
  auto cmds = boost::json::parse(r.body).at("items").as_array();
  ASSERT_EQ(cmds.size(), 1u);
  EXPECT_EQ(cmds[0].at("source"), "weir");
  EXPECT_EQ(cmds[0].at("user"), "operator");
}

TEST(DeviceRoutes, OpenApiDocumentsThem) {
  Fixture f;
  auto doc = f.router.openapi("test");
  const auto& paths = doc.at("paths").as_object();
  EXPECT_TRUE(paths.contains("/api/devices"));
  EXPECT_TRUE(paths.contains("/{action}/{device}"));
  EXPECT_EQ(paths.at("/{action}/{device}").at("post").at("x-weir-permission"), "device_control");
}

}  // namespace
}  // namespace weir::demo
