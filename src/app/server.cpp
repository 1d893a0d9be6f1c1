#include "app/server.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <iostream>

#include "api/live_feed.hpp"
#include "api/plant.hpp"
#include "api/plant_feeds.hpp"
#include "api/plant_routes.hpp"
#include "api/security_gateway.hpp"
#include "api/system_routes.hpp"
#include "app/live_socket.hpp"
#include "app/mqtt_service.hpp"
#include "config/system_config.hpp"
#include "demo/demo_accounts.hpp"
#include "demo/device_log.hpp"
#include "demo/device_monitor.hpp"
#include "demo/device_routes.hpp"
#include "mqtt_driver/mqtt_driver_factories.hpp"
#include "net/http_server.hpp"

namespace weir::app {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

int check_config(const std::string& dir) {
  auto r = config::load_system_config((fs::path(dir) / "system_config.json").string());
  int errors = 0, warnings = 0;
  for (const auto& i : r.issues) {
    std::cout << i.to_string() << "\n";
    (i.error ? errors : warnings)++;
  }
  if (r.config) {
    if (auto st = MqttService::check(*r.config); !st) {
      std::cout << "error: " << st.error().message << "\n";
      ++errors;
    }
  }
  const bool ok = errors == 0;
  std::cout << (ok ? "configuration OK" : "configuration refused") << ": " << errors
            << " error(s), " << warnings << " warning(s)\n";
  return ok ? 0 : 1;
}

namespace {

// Periodic work on the io thread: drivers, command timeouts, live-feed flushes.
class Ticker {
 public:
  Ticker(boost::asio::io_context& ioc, std::chrono::milliseconds period, std::function<void()> fn)
      : timer_(ioc), period_(period), fn_(std::move(fn)) {}
  void start() { arm(); }
  void stop() { timer_.cancel(); }

 private:
  void arm() {
    timer_.expires_after(period_);
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      fn_();
      arm();
    });
  }
  boost::asio::steady_timer timer_;
  std::chrono::milliseconds period_;
  std::function<void()> fn_;
};

std::string default_web_root(const Options& o) {
  if (!o.web_root.empty()) return o.web_root;
  for (auto candidate :
       {fs::path(o.config_dir) / ".." / "web" / "dist", fs::path("web") / "dist"}) {
    std::error_code ec;
    if (fs::is_directory(candidate, ec)) return fs::weakly_canonical(candidate, ec).string();
  }
  return {};
}

}  // namespace

int run_server(const Options& o) {
  spdlog::set_level(spdlog::level::from_str(o.log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  const Clock& clock = SystemClock::instance();

  // Configuration: refuse to start on a bad file, listing every error.
  const std::string system_path = (fs::path(o.config_dir) / "system_config.json").string();
  auto loaded = config::load_system_config(system_path);
  for (const auto& i : loaded.issues)
    (i.error ? spdlog::error("{}", i.to_string()) : spdlog::warn("{}", i.to_string()));
  if (!loaded.ok()) {
    spdlog::error("configuration refused ({}); not starting", system_path);
    return 2;
  }
  std::error_code ec;
  fs::create_directories(o.data_dir, ec);
  if (ec) {
    spdlog::error("cannot create data directory {}: {}", o.data_dir, ec.message());
    return 2;
  }
  ::chmod(o.data_dir.c_str(), 0700);

  boost::asio::io_context ioc(1);
  bus::Bus bus;
  auto security = api::SecurityGateway::open(
      {fs::path(o.config_dir) / "security_config.json", fs::path(o.data_dir),
       std::getenv("WEIR_ADMIN_PASSWORD")
           ? std::optional<std::string>(std::getenv("WEIR_ADMIN_PASSWORD"))
           : std::nullopt,
       !o.tls_cert.empty(), std::chrono::seconds(o.session_lifetime_s)},
      bus, clock);
  if (!security) {
    spdlog::error("security: {}", security.error().message);
    return 2;
  }
  auto mqtt = MqttService::create(*loaded.config, o, clock, *security);
  if (!mqtt) {
    spdlog::error("{}", mqtt.error().message);
    return 2;
  }
  // The demo devices (SPEC §9): MQTT accounts with generated passwords, no defaults.
  const std::vector<std::string> demo_devices = demo::demo_device_ids(*loaded.config);
  if (auto made = demo::ensure_demo_device_accounts(**security, o.data_dir, demo_devices); !made) {
    spdlog::error("demo device accounts: {}", made.error().message);
    return 2;
  } else if (!made->empty()) {
    std::string names;
    for (const auto& n : *made) names += (names.empty() ? "" : ", ") + n;
    spdlog::info("demo devices: created MQTT accounts for {}; passwords in {}", names,
                 (fs::path(o.data_dir) / "device-credentials.env").string());
  }
  auto mqtt_driver_stats = std::make_shared<mqtt_driver::MqttDriverStats>();
  auto factories = communication::DriverManager::builtin_factories();
  factories.merge(mqtt_driver::mqtt_driver_factories((*mqtt)->pubsub(), mqtt_driver_stats));
  std::unique_ptr<api::Plant> plant =
      api::Plant::build(std::move(*loaded.config), bus, clock, factories);
  auto current = [&plant]() -> api::Plant& { return *plant; };

  api::LiveFeedHub hub;
  api::PlantFeeds feeds(hub, bus, current);

  auto reload = [&]() -> api::ReloadResult {
    api::ReloadResult out;
    auto next = config::load_system_config(system_path);
    for (const auto& i : next.issues) out.issues.push_back({i.file, i.path, i.message, i.error});
    if (!next.ok()) {
      spdlog::error("configuration reload refused; keeping the running configuration:\n{}",
                    next.errors_text());
      return out;
    }
    plant->drivers->stop();
    auto fresh = api::Plant::build(std::move(*next.config), bus, clock, factories);
    fresh->datapoints->carry_over_from(*plant->datapoints);
    plant = std::move(fresh);
    plant->drivers->start();
    hub.resnapshot_all();
    out.applied = true;
    spdlog::info("configuration reloaded: {} datapoints, {} drivers", plant->registry->size(),
                 plant->config.drivers.size());
    return out;
  };

  api::Router router(*security);
  (*security)->add_routes(router);
  // Logins verify Argon2id on a worker thread; the io thread never waits for one.
  (*security)->verify_off_thread(
      [&ioc](std::function<void()> f) { boost::asio::post(ioc, std::move(f)); });
  (*security)->audit().set_post(  // audit queries read on the log's thread and answer here
      [&ioc](std::function<void()> f) { boost::asio::post(ioc, std::move(f)); });
  auto metrics = std::make_shared<std::vector<api::MetricsWriter>>();
  api::add_system_routes(router, {WEIR_VERSION, &clock, clock.mono(), current, metrics, &router});
  api::add_plant_routes(router, {current, reload, &bus, &clock});

  std::uint16_t server_port = 0;  // set once the HTTP server is bound
  auto device_log = demo::DeviceLog::open(
      fs::path(o.data_dir) / "devices.db",
      {.post = [&ioc](std::function<void()> f) { boost::asio::post(ioc, std::move(f)); }});
  if (!device_log) {
    spdlog::error("{}", device_log.error().message);
    return 2;
  }
  demo::DeviceMonitor devices((*mqtt)->pubsub(), device_log->get(), clock, demo_devices, &hub);
  const demo::DeviceRoutesAccess device_access{&devices, device_log->get(), &bus, &clock};
  demo::add_device_routes(router, device_access);
  demo::add_asyncapi_route(router, [&]() {
    weir::devices::AsyncApiServers s;
    s.host = o.bind == "0.0.0.0" || o.bind == "::" ? "localhost" : o.bind;
    auto port = [](std::uint16_t p) { return p ? std::optional<std::uint16_t>(p) : std::nullopt; };
    s.mqtt_port = port((*mqtt)->tcp_port());
    s.mqtts_port = port((*mqtt)->tls_port());
    if ((*mqtt)->embedded())  // MQTT over WebSocket at /mqtt on the HTTP port
      (o.tls_cert.empty() ? s.ws_port : s.wss_port) = port(server_port);
    s.version = WEIR_VERSION;
    return s;
  });
  demo::add_dashboard_route(router,
                            device_access);  // last: its pattern matches any two-segment POST
  metrics->push_back(devices.metrics());
  metrics->push_back([mqtt_driver_stats](std::string& out) {
    api::metric(out, "weir_mqtt_driver_messages_total", "counter",
                "MQTT messages handled by MQTT drivers",
                static_cast<double>(mqtt_driver_stats->messages.load()));
    api::metric(out, "weir_mqtt_driver_malformed_total", "counter",
                "Unusable payloads seen by MQTT drivers",
                static_cast<double>(mqtt_driver_stats->malformed.load()));
    api::metric(out, "weir_mqtt_driver_commands_total", "counter",
                "Command payloads published by MQTT drivers",
                static_cast<double>(mqtt_driver_stats->commands_sent.load()));
  });

  net::HttpServerOptions http;
  http.bind_address = o.bind;
  http.port = o.http_port;
  http.static_root = default_web_root(o);
  http.static_mounts = {{"/api/docs/", "api-docs"}, {"/mqtt/docs/", "mqtt-docs"}};
  if (!o.tls_cert.empty()) http.tls = net::TlsOptions{o.tls_cert, o.tls_key};
  std::vector<net::WsEndpoint> ws;
  ws.push_back(live_feed_endpoint(hub, *security));
  if ((*mqtt)->embedded()) ws.push_back((*mqtt)->websocket_endpoint(!o.tls_cert.empty()));
  net::HttpServer server(
      ioc, http, [&router](const HttpRequest& r) { return router.handle(r); }, std::move(ws));
  if (auto st = server.start(); !st) {
    spdlog::error("{}", st.error().message);
    return 3;
  }
  server_port = server.port();
  if (auto st = (*mqtt)->start(ioc); !st) {
    spdlog::error("{}", st.error().message);
    server.stop();
    return 3;
  }
  metrics->push_back((*mqtt)->metrics());
  spdlog::info("MQTT broker: {}", (*mqtt)->listeners_text());
  spdlog::info("weir {} — HTTP on {}://{}:{} ({} datapoints, {} drivers)", WEIR_VERSION,
               http.tls ? "https" : "http", o.bind, server.port(), plant->registry->size(),
               plant->config.drivers.size());
  metrics->push_back([&server, &hub](std::string& out) {
    auto s = server.stats();
    api::metric(out, "weir_http_requests_total", "counter", "HTTP requests read",
                static_cast<double>(s.requests));
    api::metric(out, "weir_http_connections_open", "gauge", "Open HTTP/WebSocket connections",
                static_cast<double>(s.connections_open));
    api::metric(out, "weir_http_rejected_total", "counter",
                "Requests rejected at the edge (400/408/413/431/503)",
                static_cast<double>(s.rejected));
    api::metric(out, "weir_livefeed_clients", "gauge", "Live-feed WebSocket clients",
                static_cast<double>(hub.stats().clients));
    api::metric(out, "weir_livefeed_dropped_slow_clients_total", "counter",
                "Live-feed clients dropped for overflow",
                static_cast<double>(hub.stats().dropped_slow_clients));
  });

  plant->drivers->start();
  Ticker fast(ioc, 50ms, [&] {
    plant->drivers->tick();
    plant->commands->tick();
    hub.flush();
  });
  fast.start();

  boost::asio::signal_set signals(ioc, SIGINT, SIGTERM, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& e, int sig) {
        if (e) return;
        if (sig == SIGHUP) {
          spdlog::info("SIGHUP: reloading the configuration");
          reload();
          signals.async_wait(on_signal);
          return;
        }
        spdlog::info("signal {}: shutting down", sig);
        fast.stop();
        plant->drivers->stop();
        (*mqtt)->stop();
        (*security)->stop_verifier();
        server.stop();
        signals.cancel();
      };
  signals.async_wait(on_signal);

  ioc.run();
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace weir::app
