#include "app/server.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <iostream>

#include "api/system_routes.hpp"
#include "api/user_action.hpp"
#include "module/config_reloader.hpp"
#include "module/module_set.hpp"
#include "net/http_server.hpp"

namespace weir::app {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr Millis kTickInterval = 50ms;  // module ticks and the live feed's coalescing window

const module::ModuleRegistry& builtin_registry() {
  static const module::ModuleRegistry registry = [] {
    module::ModuleRegistry r;
    module::register_builtin_modules(r);
    return r;
  }();
  return registry;
}

namespace {

std::string default_web_root(const Options& o) {
  if (!o.web_root.empty()) return o.web_root;
  for (auto candidate :
       {fs::path(o.config_dir) / ".." / "web" / "dist", fs::path("web") / "dist"}) {
    std::error_code ec;
    if (fs::is_directory(candidate, ec)) return fs::weakly_canonical(candidate, ec).string();
  }
  return {};
}

void log_issues(const std::vector<config::ConfigIssue>& issues) {
  for (const auto& i : issues)
    (i.error ? spdlog::error("{}", i.to_string()) : spdlog::warn("{}", i.to_string()));
}

// The configuration file and every module's check of it.
struct Checked {
  std::optional<config::SystemConfig> config;
  module::ModulePlan plan;
  std::vector<config::ConfigIssue> issues;
  bool ok() const { return config && plan.ok(); }
};

Checked check_file(const std::string& path, const module::ModuleRegistry& registry) {
  Checked c;
  auto loaded = config::load_system_config(path);
  c.issues = std::move(loaded.issues);
  if (!loaded.config) return c;
  c.plan = module::plan_modules(registry, *loaded.config);
  c.issues.insert(c.issues.end(), c.plan.issues.begin(), c.plan.issues.end());
  c.config = std::move(loaded.config);
  return c;
}

}  // namespace

int check_config(const std::string& dir) {
  auto c = check_file((fs::path(dir) / "system_config.json").string(), builtin_registry());
  int errors = 0, warnings = 0;
  for (const auto& i : c.issues) {
    std::cout << i.to_string() << "\n";
    (i.error ? errors : warnings)++;
  }
  const bool ok = c.ok() && errors == 0;
  std::cout << (ok ? "configuration OK" : "configuration refused") << ": " << errors
            << " error(s), " << warnings << " warning(s)\n";
  return ok ? 0 : 1;
}

// Periodic work on the io thread: module ticks (drivers, command timeouts), live-feed flushes.
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

struct Server::Impl {
  Impl(ProcessOptions o, const module::ModuleRegistry& r, const Clock& c)
      : options(std::move(o)),
        registry(r),
        clock(c),
        ioc(1),
        router(nullptr),
        host{bus,
             clock,
             router,
             hub,
             services,
             options,
             [this](std::function<void()> f) { boost::asio::post(ioc, std::move(f)); },
             websockets,
             [this]() -> std::uint16_t { return http ? http->port() : 0; },
             registry,
             &ioc},
        modules(host, registry),
        ticker(ioc, kTickInterval, [this] {
          modules.tick();
          hub.flush();
        }) {
    hub.send_idle_changes_at_once(clock, kTickInterval,
                                  [this] { boost::asio::post(ioc, [this] { hub.flush_idle(); }); });
  }

  std::string system_path() const {
    return (fs::path(options.config_dir) / "system_config.json").string();
  }

  ProcessOptions options;
  const module::ModuleRegistry& registry;
  const Clock& clock;
  boost::asio::io_context ioc;
  bus::Bus bus;
  api::Router router;
  api::LiveFeedHub hub;
  module::Services services;
  std::vector<net::WsEndpoint> websockets;
  std::unique_ptr<net::HttpServer> http;
  module::ModuleHost host;
  module::ModuleSet modules;
  Ticker ticker;
  module::ConfigReloader reloader;  // for the config editor (module::Services)
  MonoTime started{};
  bool running = false;
};

Server::Server(ProcessOptions options, const module::ModuleRegistry& registry, const Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(options), registry, clock)) {}

Server::~Server() {
  stop();
}

boost::asio::io_context& Server::io() {
  return impl_->ioc;
}
api::Router& Server::router() {
  return impl_->router;
}
api::LiveFeedHub& Server::hub() {
  return impl_->hub;
}
std::uint16_t Server::http_port() const {
  return impl_->http ? impl_->http->port() : 0;
}
std::size_t Server::module_count() const {
  return impl_->modules.names().size();
}

Status Server::open() {
  auto& s = *impl_;
  s.started = s.clock.mono();
  // Configuration: refuse to start on a bad file, listing every error.
  auto checked = check_file(s.system_path(), s.registry);
  log_issues(checked.issues);
  if (!checked.ok())
    return bad_request("bad_config",
                       "configuration refused (" + s.system_path() + "); not starting");
  std::error_code ec;
  fs::create_directories(s.options.data_dir, ec);
  if (ec)
    return Error::make(ErrorKind::internal, "data_dir",
                       "cannot create data directory " + s.options.data_dir + ": " + ec.message());
  ::chmod(s.options.data_dir.c_str(), 0700);

  s.reloader.reload = [this] { return reload(); };
  s.services.provide<module::ConfigReloader>(s.reloader);
  if (auto st = s.modules.create(checked.plan, *checked.config); !st) return st;
  add_app_routes();

  net::HttpServerOptions http;
  http.bind_address = s.options.bind;
  http.port = s.options.http_port;
  http.static_root = default_web_root(s.options);
  // "/" -> "/scada/": GET / opens the operator app (a redirect, not a directory). The editors
  // (web/src/config-editor, web/src/security-editor) are one page each, sections by #.
  http.static_mounts = {{"/scada/", "scada"},
                        {"/config-editor/", "config-editor"},
                        {"/security-editor/", "security-editor"},
                        {"/api/docs/", "api-docs"},
                        {"/mqtt/docs/", "mqtt-docs"},
                        {"/", "/scada/"}};
  http.allowed_origins = s.options.allowed_origins;
  if (!s.options.tls_cert.empty())
    http.tls = net::TlsOptions{s.options.tls_cert, s.options.tls_key};
  s.http = std::make_unique<net::HttpServer>(
      s.ioc, http, [&s](const HttpRequest& r) { return s.router.handle(r); }, s.websockets);
  if (auto st = s.http->start(); !st) return st;
  if (auto st = s.modules.start(); !st) {
    s.modules.stop();
    s.http->stop();
    return st;
  }
  s.ticker.start();
  s.running = true;
  api::Health h;
  s.modules.health(h);
  spdlog::info("weir {} — HTTP on {}://{}:{} ({} modules, {} datapoints, {} drivers)", WEIR_VERSION,
               http.tls ? "https" : "http", s.options.bind, s.http->port(), module_count(),
               h.datapoints, h.drivers_total);
  return {};
}

void Server::stop() {
  auto& s = *impl_;
  if (!s.running) return;
  s.running = false;
  s.ticker.stop();
  s.modules.stop();
  if (s.http) s.http->stop();
}

api::ReloadResult Server::reload() {
  auto& s = *impl_;
  api::ReloadResult out;
  auto checked = check_file(s.system_path(), s.registry);
  for (const auto& i : checked.issues) out.issues.push_back({i.file, i.path, i.message, i.error});
  if (!checked.ok()) {
    spdlog::error("configuration reload refused; keeping the running configuration");
    log_issues(checked.issues);
    return out;
  }
  std::vector<config::ConfigIssue> later;
  auto st = s.modules.reload(checked.plan, *checked.config, later);
  for (const auto& i : later) out.issues.push_back({i.file, i.path, i.message, i.error});
  log_issues(later);
  s.hub.resnapshot_all();
  if (!st) {
    spdlog::error("configuration reload failed: {}", st.error().message);
    return out;
  }
  out.applied = true;
  api::Health h;
  s.modules.health(h);
  spdlog::info("configuration reloaded: {} datapoints, {} drivers", h.datapoints, h.drivers_total);
  return out;
}

void Server::add_app_routes() {
  auto& s = *impl_;
  api::SystemInfo info;
  info.version = WEIR_VERSION;
  info.clock = &s.clock;
  info.started = s.started;
  info.router = &s.router;
  info.health = [&s](api::Health& h) { s.modules.health(h); };
  info.metrics = [&s](std::string& out) {
    s.modules.metrics(out);
    if (!s.http) return;
    auto st = s.http->stats();
    api::metric(out, "weir_http_requests_total", "counter", "HTTP requests read",
                static_cast<double>(st.requests));
    api::metric(out, "weir_http_connections_open", "gauge", "Open HTTP/WebSocket connections",
                static_cast<double>(st.connections_open));
    api::metric(out, "weir_http_rejected_total", "counter",
                "Requests rejected at the edge (400/408/413/431/503)",
                static_cast<double>(st.rejected));
    api::metric(out, "weir_livefeed_clients", "gauge", "Live-feed WebSocket clients",
                static_cast<double>(s.hub.stats().clients));
    api::metric(out, "weir_livefeed_dropped_slow_clients_total", "counter",
                "Live-feed clients dropped for overflow",
                static_cast<double>(s.hub.stats().dropped_slow_clients));
    api::metric(out, "weir_livefeed_duplicate_feed_names_total", "counter",
                "Feed names repeated in one (un)subscribe, answered once",
                static_cast<double>(s.hub.stats().duplicate_feed_names));
    api::metric(out, "weir_livefeed_revoked_clients_total", "counter",
                "Live-feed sockets closed because their session or user was revoked",
                static_cast<double>(s.hub.stats().revoked_clients));
    api::metric(out, "weir_livefeed_revoked_feeds_total", "counter",
                "Live-feed subscriptions dropped after a permission was lost",
                static_cast<double>(s.hub.stats().revoked_feeds));
  };
  api::add_system_routes(s.router, info);

  s.router.add({"POST",
                "/api/config/reload",
                "edit_config",
                false,
                "config",
                "Re-read system_config.json and apply it without a restart; a bad file changes "
                "nothing and is reported",
                {},
                api::schema_of<api::ReloadResult>(),
                "application/json",
                200,
                {},
                {422},
                [this, &s](const api::RequestContext& ctx) {
                  auto r = reload();
                  api::publish_user_action(s.bus, s.clock, ctx, "config_reload",
                                           "system_config.json", r.applied,
                                           r.applied ? "applied" : "refused");
                  return api::dto_response(r.applied ? 200 : 422, r);
                }});
  auto schema = std::make_shared<std::string>(json::dump(module::system_config_schema(s.registry)));
  s.router.add({"GET",
                "/api/config/schema",
                "view_config",
                false,
                "config",
                "JSON Schema of system_config.json: every module's settings (modules[].config) and "
                "every driver class's params",
                {},
                {},
                "application/schema+json",
                200,
                {},
                {},
                [schema](const api::RequestContext&) {
                  auto r = HttpResponse::json(200, *schema);
                  r.content_type = "application/schema+json";
                  return r;
                }});
}

int run_server(const Options& o) {
  spdlog::set_level(spdlog::level::from_str(o.log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  Server server(o, builtin_registry(), SystemClock::instance());
  if (auto st = server.open(); !st) {
    spdlog::error("{}", st.error().message);
    return st.error().kind == ErrorKind::bad_request ? 2 : 3;
  }
  boost::asio::signal_set signals(server.io(), SIGINT, SIGTERM, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& e, int sig) {
        if (e) return;
        if (sig == SIGHUP) {
          spdlog::info("SIGHUP: reloading the configuration");
          server.reload();
          signals.async_wait(on_signal);
          return;
        }
        spdlog::info("signal {}: shutting down", sig);
        server.stop();
        signals.cancel();
      };
  signals.async_wait(on_signal);
  server.io().run();
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace weir::app
