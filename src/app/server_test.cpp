// A module registered by this test — not by any app, api or plant file — shows up everywhere a
// built-in one does: its route in /api/openapi.json and behind the session check, its metrics on
// /metrics, its settings in /api/config/schema, its feed in the live-feed hub behind /ws, and
// its settings reach it again on POST /api/config/reload. The server is the real one, on
// loopback ports picked by the kernel, queried with curl.
#include "app/server.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "api/system_routes.hpp"

namespace weir::app {
namespace {

namespace fs = std::filesystem;

struct ProbeSettings {
  std::string greeting = "hello";
};
BOOST_DESCRIBE_STRUCT(ProbeSettings, (), (greeting))

class Probe final : public module::ModuleWith<ProbeSettings> {
 public:
  using Settings = ProbeSettings;
  Probe(module::ModuleHost& host, const ProbeSettings& s) : greeting_(s.greeting) {
    host.router.add({"GET",
                     "/api/probe",
                     "view",
                     false,
                     "probe",
                     "The probe module's greeting",
                     {},
                     {},
                     "application/json",
                     200,
                     {},
                     {},
                     [this](const api::RequestContext&) {
                       return api::json_response(200, boost::json::object{{"greeting", greeting_}});
                     }});
    feed_ = host.hub.add_feed({"probe", "view",
                               [this](std::string& out) {
                                 out += "{\"greeting\":";
                                 json::append_escaped(out, greeting_);
                                 out += "}";
                               },
                               [](std::uint64_t, std::string& out) { out += "null"; }});
  }
  static Result<std::unique_ptr<Probe>> create(module::ModuleHost& host,
                                               const config::SystemConfig&,
                                               const ProbeSettings& s) {
    return std::make_unique<Probe>(host, s);
  }
  Status apply(const config::SystemConfig&, const ProbeSettings& s) override {
    greeting_ = s.greeting;
    return {};
  }
  void tick() override { ++ticks_; }
  void metrics(std::string& out) const override {
    api::metric(out, "weir_probe_ticks_total", "counter", "Ticks the probe module saw",
                static_cast<double>(ticks_));
  }

 private:
  std::string greeting_;
  std::uint64_t ticks_ = 0;
  api::LiveFeedHub::FeedId feed_ = 0;
};

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

void write(const fs::path& p, std::string_view text) {
  std::ofstream(p) << text;
}

std::string config_with_greeting(const std::string& greeting) {
  return R"({"dp_types": {}, "drivers": [],
    "modules": [{"name": "probe", "config": {"greeting": ")" +
         greeting + R"("}}, {"name": "mqtt_broker", "config": {"persistence": false}}]})";
}

TEST(Server, ModuleRegisteredByATestIsServedEverywhere) {
  const fs::path dir =
      fs::temp_directory_path() / ("weir-server-test-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "config");
  write(dir / "config" / "system_config.json", config_with_greeting("hello"));

  module::ModuleRegistry registry;
  module::register_builtin_modules(registry);
  registry.add(module::module_type<Probe>("probe", "A module only this test knows"));

  ProcessOptions o;
  o.config_dir = (dir / "config").string();
  o.data_dir = (dir / "data").string();
  o.http_port = 0;
  o.mqtt_port = 0;
  o.mqtt_ws_port = 0;
  o.admin_password = "Probe-Password-123-long";
  Server server(o, registry, SystemClock::instance());
  ASSERT_TRUE(server.open());
  std::thread io([&] { server.io().run(); });
  const std::string base = "http://127.0.0.1:" + std::to_string(server.http_port());

  const std::string token_json =
      run("curl -s -H 'Content-Type: application/json' -d "
          "'{\"username\":\"admin\",\"password\":\"Probe-Password-123-long\",\"app\":\"scada\"}' " +
          base + "/api/auth/login");
  auto token = json::parse(token_json);
  ASSERT_TRUE(token && token->is_object() && token->as_object().contains("token")) << token_json;
  const std::string auth =
      "-H 'Authorization: Bearer " + std::string(token->at("token").as_string()) + "' ";

  EXPECT_NE(run("curl -s " + base + "/api/openapi.json").find("\"/api/probe\""), std::string::npos);
  EXPECT_NE(run("curl -s -o /dev/null -w '%{http_code}' " + base + "/api/probe").find("401"),
            std::string::npos);  // the module's route is behind the session check
  EXPECT_NE(run("curl -s " + auth + base + "/api/probe").find("\"greeting\":\"hello\""),
            std::string::npos);
  const std::string metrics = run("curl -s " + auth + base + "/metrics");
  EXPECT_NE(metrics.find("weir_probe_ticks_total"), std::string::npos);
  EXPECT_NE(metrics.find("weir_audit_rows_written_total"), std::string::npos);  // a built-in
  const std::string schema = run("curl -s " + auth + base + "/api/config/schema");
  EXPECT_NE(schema.find("\"const\":\"probe\""), std::string::npos);
  EXPECT_NE(schema.find("\"greeting\":{\"type\":\"string\",\"default\":\"hello\"}"),
            std::string::npos)
      << schema.substr(0, 400);

  // The feed is in the hub that /ws serves (wire tests cover the socket itself).
  std::promise<bool> has_feed;
  boost::asio::post(server.io(),
                    [&] { has_feed.set_value(server.hub().find_feed("probe").has_value()); });
  EXPECT_TRUE(has_feed.get_future().get());

  // A reload reaches the module with its new settings; a typo is refused and changes nothing.
  write(dir / "config" / "system_config.json", config_with_greeting("bonjour"));
  EXPECT_NE(run("curl -s -X POST " + auth + base + "/api/config/reload").find("\"applied\":true"),
            std::string::npos);
  EXPECT_NE(run("curl -s " + auth + base + "/api/probe").find("bonjour"), std::string::npos);
  write(dir / "config" / "system_config.json",
        R"({"modules": [{"name": "probe", "config": {"greting": "x"}}]})");
  const std::string refused = run("curl -s -X POST " + auth + base + "/api/config/reload");
  EXPECT_NE(refused.find("modules[0].config.greting"), std::string::npos) << refused;
  EXPECT_NE(run("curl -s " + auth + base + "/api/probe").find("bonjour"), std::string::npos);

  boost::asio::post(server.io(), [&] { server.stop(); });
  io.join();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace weir::app
