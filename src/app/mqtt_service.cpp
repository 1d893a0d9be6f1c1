#include "app/mqtt_service.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <filesystem>
#include <unordered_map>

#include "core/worker_thread.hpp"
#include "mqtt/broker/sqlite_persistence.hpp"
#include "mqtt/client/external_broker.hpp"
#include "mqtt/transport/http_websocket_bridge.hpp"
#include "mqtt/transport/mqtt_listeners.hpp"
#include "security/password.hpp"

namespace weir::app {

namespace {

// Weir's users and device credentials (security_config.json) as the broker's authenticator and
// authorizer. A CONNECT with a password costs one Argon2id verification (tens of ms, 64 MiB):
// it runs on a worker thread, never on the io thread, so a reconnect storm of devices does not
// stall every other client; at most kMaxPendingVerifications wait, beyond that the CONNECT is
// answered "server busy" and the client retries.
class SecurityMqttAuth final : public mqtt::Authenticator,
                               public mqtt::Authorizer,
                               public std::enable_shared_from_this<SecurityMqttAuth> {
 public:
  static constexpr std::size_t kMaxPendingVerifications = 256;

  SecurityMqttAuth(std::shared_ptr<api::SecurityGateway> security, bool anonymous_is_trusted)
      : security_(std::move(security)), anonymous_trusted_(anonymous_is_trusted) {}

  // Where answers from the worker are delivered (the broker's thread). Until then, and without
  // a password, verification runs inline.
  void attach(boost::asio::io_context& io) {
    io_ = &io;
    if (!verifier_)
      verifier_ = std::make_unique<WorkerThread>("mqtt-verify", kMaxPendingVerifications);
  }
  void detach() {
    if (verifier_) verifier_->stop();
  }

  mqtt::AuthResult authenticate(const std::string& client_id,
                                const std::optional<std::string>& username,
                                const std::optional<std::string>& password,
                                const mqtt::ConnectionInfo& info) override {
    return finish(client_id, username, info, check(client_id, username, password));
  }

  void authenticate_async(const std::string& client_id, const std::optional<std::string>& username,
                          const std::optional<std::string>& password,
                          const mqtt::ConnectionInfo& info, Done done) override {
    if (!username || !io_ || !verifier_)
      return done(authenticate(client_id, username, password, info));
    auto job = [weak = weak_from_this(), access = security_->mqtt_access(), io = io_, client_id,
                username, password, info, done]() mutable {
      std::optional<std::string_view> u = *username, p;
      if (password) p = *password;
      auto r = access->authenticate(client_id, u, p);  // the slow part
      boost::asio::post(
          *io, [weak, client_id = std::move(client_id), username = std::move(username),
                info = std::move(info), done = std::move(done), r = std::move(r)]() mutable {
            auto self = weak.lock();
            if (!self) return;  // shutting down: the broker is gone too
            done(self->finish(client_id, username, info, std::move(r)));
          });
    };
    if (!verifier_->try_post(std::move(job)))
      return done(mqtt::AuthResult::refuse(mqtt::AuthRefusal::server_busy,
                                           "too many logins being verified"));
  }

  bool can_publish(const mqtt::Identity& who, std::string_view topic) override {
    if (who.trusted) return true;
    auto it = identities_.find(who.client_id);
    if (it == identities_.end()) return who.anonymous && anonymous_trusted_;
    return security::MqttAccess::can_publish(it->second, topic);
  }
  bool can_subscribe(const mqtt::Identity& who, std::string_view filter) override {
    if (who.trusted) return true;
    auto it = identities_.find(who.client_id);
    if (it == identities_.end()) return who.anonymous && anonymous_trusted_;
    return security::MqttAccess::can_subscribe(it->second, filter);
  }

 private:
  Result<security::MqttIdentity> check(const std::string& client_id,
                                       const std::optional<std::string>& username,
                                       const std::optional<std::string>& password) const {
    std::optional<std::string_view> u, p;
    if (username) u = *username;
    if (password) p = *password;
    return security_->mqtt_access()->authenticate(client_id, u, p);
  }

  // On the broker thread: audit a refusal, remember the identity for the ACL.
  mqtt::AuthResult finish(const std::string& client_id, const std::optional<std::string>& username,
                          const mqtt::ConnectionInfo& info, Result<security::MqttIdentity> r) {
    if (!r) {
      security_->record(security::AuditAction::mqtt_auth_failed, username.value_or(""),
                        info.remote_address, client_id, security::AuditResult::denied,
                        r.error().message);
      return mqtt::AuthResult::refuse(r.error().kind == ErrorKind::unauthorized
                                          ? mqtt::AuthRefusal::bad_credentials
                                          : mqtt::AuthRefusal::not_authorized,
                                      r.error().message);
    }
    mqtt::Identity id;
    id.client_id = client_id;
    id.username = r->username;
    id.anonymous = r->kind == security::MqttClientKind::anonymous;
    identities_[client_id] = std::move(*r);
    return mqtt::AuthResult::accept(std::move(id));
  }

  std::shared_ptr<api::SecurityGateway> security_;
  bool anonymous_trusted_;
  boost::asio::io_context* io_ = nullptr;
  std::unique_ptr<WorkerThread> verifier_;
  std::unordered_map<std::string, security::MqttIdentity>
      identities_;  // by client id (bounded by sessions)
};

}  // namespace

struct MqttService::Impl {
  // Embedded broker:
  std::unique_ptr<mqtt::Broker> broker;
  std::unique_ptr<mqtt::InprocPubSub> inproc;
  mqtt::MqttListenerOptions listeners;
  mqtt::MqttListeners running;
  std::shared_ptr<SecurityMqttAuth> auth;
  // Or an external one:
  std::shared_ptr<mqtt::ExternalBroker> external;
};

mqtt::PubSub& MqttService::pubsub() {
  if (impl_->external) return *impl_->external;
  return *impl_->inproc;
}

MqttService::~MqttService() = default;

namespace {

// modules[] {"name": "mqtt_broker", "config": {...}} read and checked, nothing built yet.
struct MqttSettings {
  std::optional<mqtt::ExternalBrokerOptions> external;
  mqtt::BrokerOptions broker;
  mqtt::MqttListenerOptions listeners;
  bool persist_default = true;  // no "persistence" key: Weir keeps broker state across restarts
  std::string path = "modules[mqtt_broker].config";
};

Result<MqttSettings> read_settings(const config::SystemConfig& cfg) {
  MqttSettings out;
  boost::json::object broker_cfg;
  for (std::size_t i = 0; i < cfg.modules.size(); ++i)
    if (cfg.modules[i].name == "mqtt_broker") {
      broker_cfg = cfg.modules[i].config;
      out.path = "modules[" + std::to_string(i) + "].config";
    }
  const std::string& path = out.path;
  auto refused = [&](const std::string& what) {
    return Error::make(ErrorKind::bad_request, "bad_config", "system_config.json: " + path + what);
  };
  if (auto it = broker_cfg.find("external"); it != broker_cfg.end()) {
    auto ext = mqtt::external_broker_options_from_json(it->value());
    if (!ext) return refused("." + ext.error().message);
    for (const auto& kv : broker_cfg)
      if (kv.key() != "external")
        spdlog::warn("system_config.json: {}.{}: ignored, Weir runs against the external broker",
                     path, std::string(kv.key()));
    out.external = std::move(*ext);
    return out;
  }
  if (auto it = broker_cfg.find("listeners"); it != broker_cfg.end()) {
    // Every listener setting is optional: overlay what the file gives on the defaults, refusing
    // keys that do not exist.
    if (!it->value().is_object()) return refused(".listeners: expected an object");
    boost::json::value merged = json::to_json(out.listeners);
    for (const auto& kv : it->value().get_object()) {
      if (!merged.as_object().contains(kv.key()))
        return refused(".listeners." + std::string(kv.key()) + ": unknown setting");
      merged.as_object()[kv.key()] = kv.value();
    }
    auto st = json::from_json(merged, out.listeners, path + ".listeners");
    if (!st)
      return Error::make(ErrorKind::bad_request, "bad_config",
                         "system_config.json: " + st.error().message, st.error().field);
    broker_cfg.erase("listeners");
  }
  out.persist_default = !broker_cfg.contains("persistence");
  auto opts = mqtt::broker_options_from_json(broker_cfg);
  if (!opts) return refused(": " + opts.error().message);
  out.broker = std::move(*opts);
  return out;
}

}  // namespace

Status MqttService::check(const config::SystemConfig& cfg) {
  auto s = read_settings(cfg);
  if (!s) return s.error();
  return {};
}

Result<std::unique_ptr<MqttService>> MqttService::create(
    const config::SystemConfig& cfg, const Options& o, const Clock& clock,
    std::shared_ptr<api::SecurityGateway> security) {
  std::unique_ptr<MqttService> s(new MqttService());
  s->impl_ = std::make_unique<Impl>();
  auto settings = read_settings(cfg);
  if (!settings) return settings.error();
  const std::string& path = settings->path;
  if (settings->external) {
    auto client = mqtt::ExternalBroker::create(std::move(*settings->external));
    if (!client)
      return Error::make(ErrorKind::bad_request, "bad_config",
                         "system_config.json: " + path + "." + client.error().message);
    s->impl_->external = std::move(*client);
    return s;
  }
  s->impl_->listeners = std::move(settings->listeners);
  const bool persist_default = settings->persist_default;
  auto opts = std::optional<mqtt::BrokerOptions>(std::move(settings->broker));
  // Command-line ports win over the file (0 on the command line switches a listener off).
  auto& l = s->impl_->listeners;
  l.bind_address = o.bind;
  l.tcp_port = o.mqtt_port == 0 ? -1 : o.mqtt_port;
  l.ws_port = o.mqtt_ws_port == 0 ? -1 : o.mqtt_ws_port;
  if (o.mqtt_tls_port != 0) l.tls_port = o.mqtt_tls_port;
  if (!o.tls_cert.empty()) {
    l.tls_cert_file = o.tls_cert;
    l.tls_key_file = o.tls_key;
  }
  std::unique_ptr<mqtt::Persistence> persistence;
  if (persist_default) opts->persistence = true;
  if (opts->persistence) {
    std::filesystem::path db_path =
        opts->persistence_path.empty() ? "mqtt_broker.db" : opts->persistence_path;
    if (db_path.is_relative()) db_path = std::filesystem::path(o.data_dir) / db_path;
    const std::string db = db_path.string();
    auto p = std::make_unique<mqtt::SqlitePersistence>(db);
    if (!p->ok())
      return Error::make(ErrorKind::internal, "persistence", "MQTT persistence: cannot open " + db);
    persistence = std::move(p);
  }
  const bool anonymous = opts->allow_anonymous;
  s->impl_->broker =
      std::make_unique<mqtt::Broker>(std::move(*opts), clock, std::move(persistence));
  s->broker_ = s->impl_->broker.get();
  s->impl_->inproc = std::make_unique<mqtt::InprocPubSub>(*s->impl_->broker);
  s->impl_->auth = std::make_shared<SecurityMqttAuth>(std::move(security), anonymous);
  s->impl_->broker->set_authenticator(s->impl_->auth);
  s->impl_->broker->set_authorizer(s->impl_->auth);
  return s;
}

Status MqttService::start(boost::asio::io_context& io) {
  if (impl_->external)
    return impl_->external->start(
        [&io](std::function<void()> f) { boost::asio::post(io, std::move(f)); });
  impl_->auth->attach(io);
  return impl_->running.start(io, *impl_->broker, impl_->listeners);
}

void MqttService::stop() {
  if (impl_->external) return impl_->external->stop();
  impl_->auth->detach();
  impl_->broker->shutdown();
  impl_->running.stop();
}

std::string MqttService::listeners_text() const {
  if (impl_->external)
    return "external broker " + impl_->external->describe() + " (nothing listens here)";
  std::string s;
  auto add = [&](const char* name, std::uint16_t port) {
    if (!port) return;
    if (!s.empty()) s += ", ";
    s += std::string(name) + " " + impl_->listeners.bind_address + ":" + std::to_string(port);
  };
  add("mqtt", impl_->running.tcp_port());
  add("mqtts", impl_->running.tls_port());
  add("ws", impl_->running.ws_port());
  return s;
}

std::uint16_t MqttService::tcp_port() const {
  return impl_->running.tcp_port();
}  // 0 with an external broker
std::uint16_t MqttService::tls_port() const {
  return impl_->running.tls_port();
}
std::uint16_t MqttService::ws_port() const {
  return impl_->running.ws_port();
}

net::WsEndpoint MqttService::websocket_endpoint(bool secure) {
  // MQTT authenticates in its own CONNECT packet; the upgrade itself needs no session.
  return mqtt::mqtt_websocket_endpoint(*broker_, "/mqtt", secure);
}

api::MetricsWriter MqttService::metrics() {
  if (auto ext = impl_->external) {
    return [ext](std::string& out) {
      auto s = ext->stats();
      api::metric(out, "weir_mqtt_external_connected", "gauge",
                  "Connected to the external MQTT broker", s.connected ? 1.0 : 0.0);
      api::metric(out, "weir_mqtt_external_connects_total", "counter",
                  "Connections made to the external broker", static_cast<double>(s.connects));
      api::metric(out, "weir_mqtt_messages_received_total", "counter", "MQTT PUBLISH received",
                  static_cast<double>(s.messages_received));
      api::metric(out, "weir_mqtt_messages_sent_total", "counter", "MQTT PUBLISH sent",
                  static_cast<double>(s.messages_published));
      api::metric(out, "weir_mqtt_messages_dropped_total", "counter",
                  "MQTT messages dropped (publish refused)",
                  static_cast<double>(s.publish_failures));
    };
  }
  mqtt::Broker* b = broker_;
  return [b](std::string& out) {
    auto s = b->stats();
    api::metric(out, "weir_mqtt_clients_connected", "gauge", "MQTT clients connected",
                static_cast<double>(s.clients_connected));
    api::metric(out, "weir_mqtt_messages_received_total", "counter", "MQTT PUBLISH received",
                static_cast<double>(s.messages_received));
    api::metric(out, "weir_mqtt_messages_sent_total", "counter", "MQTT PUBLISH sent",
                static_cast<double>(s.messages_sent));
    api::metric(out, "weir_mqtt_messages_dropped_total", "counter",
                "MQTT messages dropped (limits)", static_cast<double>(s.messages_dropped));
    api::metric(out, "weir_mqtt_bytes_received_total", "counter", "MQTT bytes received",
                static_cast<double>(s.bytes_received));
    api::metric(out, "weir_mqtt_bytes_sent_total", "counter", "MQTT bytes sent",
                static_cast<double>(s.bytes_sent));
    api::metric(out, "weir_mqtt_retained_messages", "gauge", "Retained messages",
                static_cast<double>(s.retained_count));
    api::metric(out, "weir_mqtt_subscriptions", "gauge", "Subscriptions",
                static_cast<double>(s.subscriptions_count));
  };
}

}  // namespace weir::app
