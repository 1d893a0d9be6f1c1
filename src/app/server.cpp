#include "app/server.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <iostream>

#include "api/live_feed.hpp"
#include "api/plant.hpp"
#include "api/plant_feeds.hpp"
#include "api/plant_routes.hpp"
#include "api/system_routes.hpp"
#include "app/live_socket.hpp"
#include "app/mqtt_service.hpp"
#include "config/system_config.hpp"
#include "api/security_gateway.hpp"
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
  std::cout << (r.ok() ? "configuration OK" : "configuration refused") << ": " << errors << " error(s), " << warnings
            << " warning(s)\n";
  return r.ok() ? 0 : 1;
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
  for (auto candidate : {fs::path(o.config_dir) / ".." / "web" / "dist", fs::path("web") / "dist"}) {
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
  for (const auto& i : loaded.issues) (i.error ? spdlog::error("{}", i.to_string()) : spdlog::warn("{}", i.to_string()));
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
  const auto factories = communication::DriverManager::builtin_factories();
  std::unique_ptr<api::Plant> plant = api::Plant::build(std::move(*loaded.config), bus, clock, factories);
  auto current = [&plant]() -> api::Plant& { return *plant; };

  api::LiveFeedHub hub;
  api::PlantFeeds feeds(hub, bus, current);

  auto reload = [&]() -> api::ReloadResult {
    api::ReloadResult out;
    auto next = config::load_system_config(system_path);
    for (const auto& i : next.issues) out.issues.push_back({i.file, i.path, i.message, i.error});
    if (!next.ok()) {
      spdlog::error("configuration reload refused; keeping the running configuration:\n{}", next.errors_text());
      return out;
    }
    plant->drivers->stop();
    auto fresh = api::Plant::build(std::move(*next.config), bus, clock, factories);
    fresh->datapoints->carry_over_from(*plant->datapoints);
    plant = std::move(fresh);
    plant->drivers->start();
    hub.resnapshot_all();
    out.applied = true;
    spdlog::info("configuration reloaded: {} datapoints, {} drivers", plant->registry->size(), plant->config.drivers.size());
    return out;
  };

  auto security = api::SecurityGateway::open(
      {fs::path(o.config_dir) / "security_config.json", fs::path(o.data_dir),
       std::getenv("WEIR_ADMIN_PASSWORD") ? std::optional<std::string>(std::getenv("WEIR_ADMIN_PASSWORD")) : std::nullopt,
       !o.tls_cert.empty()},
      bus, clock);
  if (!security) {
    spdlog::error("security: {}", security.error().message);
    return 2;
  }
  auto mqtt = MqttService::create(plant->config, o, clock, *security);
  if (!mqtt) {
    spdlog::error("{}", mqtt.error().message);
    return 2;
  }
  api::Router router(*security);
  (*security)->add_routes(router);
  auto metrics = std::make_shared<std::vector<api::MetricsWriter>>();
  api::add_system_routes(router, {WEIR_VERSION, &clock, clock.mono(), current, metrics, &router});
  api::add_plant_routes(router, {current, reload, &bus, &clock});

  net::HttpServerOptions http;
  http.bind_address = o.bind;
  http.port = o.http_port;
  http.static_root = default_web_root(o);
  http.static_mounts = {{"/api/docs/", "api-docs"}, {"/mqtt/docs/", "mqtt-docs"}};
  if (!o.tls_cert.empty()) http.tls = net::TlsOptions{o.tls_cert, o.tls_key};
  std::vector<net::WsEndpoint> ws;
  ws.push_back(live_feed_endpoint(hub, *security));
  ws.push_back((*mqtt)->websocket_endpoint());
  net::HttpServer server(ioc, http, [&router](const HttpRequest& r) { return router.handle(r); }, std::move(ws));
  if (auto st = server.start(); !st) {
    spdlog::error("{}", st.error().message);
    return 3;
  }
  if (auto st = (*mqtt)->start(ioc); !st) {
    spdlog::error("{}", st.error().message);
    server.stop();
    return 3;
  }
  metrics->push_back((*mqtt)->metrics());
  spdlog::info("MQTT broker: {}", (*mqtt)->listeners_text());
  spdlog::info("weir {} — HTTP on {}://{}:{} ({} datapoints, {} drivers)", WEIR_VERSION, http.tls ? "https" : "http",
               o.bind, server.port(), plant->registry->size(), plant->config.drivers.size());
  metrics->push_back([&server, &hub](std::string& out) {
    auto s = server.stats();
    api::metric(out, "weir_http_requests_total", "counter", "HTTP requests read", static_cast<double>(s.requests));
    api::metric(out, "weir_http_connections_open", "gauge", "Open HTTP/WebSocket connections", static_cast<double>(s.connections_open));
    api::metric(out, "weir_http_rejected_total", "counter", "Requests rejected at the edge (400/408/413/431/503)", static_cast<double>(s.rejected));
    api::metric(out, "weir_livefeed_clients", "gauge", "Live-feed WebSocket clients", static_cast<double>(hub.stats().clients));
    api::metric(out, "weir_livefeed_dropped_slow_clients_total", "counter", "Live-feed clients dropped for overflow",
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
  std::function<void(const boost::system::error_code&, int)> on_signal = [&](const boost::system::error_code& e, int sig) {
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
    server.stop();
    signals.cancel();
  };
  signals.async_wait(on_signal);

  ioc.run();
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace weir::app
