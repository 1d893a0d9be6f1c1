#include "mqtt/module/mqtt_broker_module.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "api/system_routes.hpp"
#include "mqtt/broker/broker.hpp"
#include "mqtt/broker/pubsub.hpp"
#include "mqtt/broker/sqlite_persistence.hpp"
#include "mqtt/transport/http_websocket_bridge.hpp"
#include "mqtt/transport/mqtt_listeners.hpp"
#include "security/mqtt_auth_policy.hpp"

namespace weir::mqtt {

namespace {

// The members of BrokerOptions, validated as broker_options_from_json does.
Status validate(const BrokerOptions& o) {
  auto r = broker_options_from_json(json::to_json(o));
  if (!r) return r.error();
  return {};
}

class MqttBrokerModule final : public module::ModuleWith<MqttBrokerSettings> {
 public:
  MqttBrokerModule(module::ModuleHost& host, const MqttBrokerSettings& s)
      : host_(host), settings_(s) {}
  ~MqttBrokerModule() override {
    host_.services.withdraw<PubSub>();
    host_.services.withdraw<BrokerEndpoints>();
  }

  static Result<std::unique_ptr<MqttBrokerModule>> create(module::ModuleHost& host,
                                                          const config::SystemConfig&,
                                                          const MqttBrokerSettings& s) {
    auto m = std::make_unique<MqttBrokerModule>(host, s);
    if (auto st = m->build(); !st) return st.error();
    return m;
  }

  static void check(const module::ModuleRegistry&, const config::SystemConfig&,
                    const MqttBrokerSettings& s, const std::string& path,
                    std::vector<config::ConfigIssue>& issues) {
    if (s.external) {
      if (auto e = external_broker_options_from_json(json::to_json(*s.external)); !e)
        issues.push_back(module::issue_from_error(e.error(), path + ".external"));
      return;
    }
    // One switch for anonymous MQTT, with its own topics: the security configuration's.
    if (s.allow_anonymous)
      issues.push_back(config::ConfigIssue{
          {},
          path + ".allow_anonymous",
          "anonymous MQTT is set in security_config.json (mqtt.allow_anonymous, and the topics "
          "anonymous clients may use in mqtt.anonymous)",
          true});
    if (!s.acl.empty())
      issues.push_back(config::ConfigIssue{
          {},
          path + ".acl",
          "MQTT topic rights are set in security_config.json (mqtt.devices, mqtt.acl, "
          "mqtt.anonymous)",
          true});
    if (s.listeners && s.listeners->busy_poll_us > MqttListenerOptions::kMaxBusyPollUs)
      issues.push_back(config::ConfigIssue{
          {},
          path + ".listeners.busy_poll_us",
          "must be 0 to " + std::to_string(MqttListenerOptions::kMaxBusyPollUs) +
              " (microseconds the io thread polls before it sleeps)",
          true});
    if (auto st = validate(s); !st) {
      auto issue = module::issue_from_error(st.error(), path);
      if (!st.error().field.empty()) issue.path = path + "." + st.error().field;
      issues.push_back(std::move(issue));
    }
  }

  Status start() override {
    if (external_) return external_->start(host_.post);
    auth_->attach(host_.post);
    // Open connections follow the security configuration: a saved file, or a changed account,
    // re-decides their rights at once.
    revocations_ = gateway_->add_revocation_listener([this](const security::Revocation& r) {
      const auto n =
          broker_->reauthorize([&](const Identity& who) { return auth_->regrant(who, r); });
      if (n) spdlog::info("mqtt_broker: {} connections closed by a security change", n);
    });
    if (auto st = running_.start(*host_.io, *broker_, listeners_); !st) return st;
    endpoints_.tcp_port = running_.tcp_port();
    endpoints_.tls_port = running_.tls_port();
    spdlog::info("MQTT broker: {}", listeners_text());
    return {};
  }

  void stop() override {
    if (external_) return external_->stop();
    auth_->detach();
    if (revocations_) gateway_->remove_revocation_listener(revocations_);
    revocations_ = 0;
    broker_->shutdown();
    running_.stop();
  }

  Status apply(const config::SystemConfig&, const MqttBrokerSettings& s) override {
    const bool was_external = settings_.external.has_value();
    if (was_external != s.external.has_value() ||
        (s.external && json::to_json(*s.external) != json::to_json(*settings_.external)))
      spdlog::warn("mqtt_broker: switching to or between external brokers takes effect at restart");
    else if (!s.external) {
      broker_->update_options(s);
      if (json::to_json(s.listeners.value_or(MqttListenerOptions{})) !=
          json::to_json(settings_.listeners.value_or(MqttListenerOptions{})))
        spdlog::warn("mqtt_broker: listener changes take effect at restart");
      spdlog::info(
          "mqtt_broker: limits reloaded (max_packet_size {}, max_inflight {}, "
          "max_queued_messages {}, max_connections {})",
          s.max_packet_size, s.max_inflight, s.max_queued_messages, s.max_connections);
    }
    settings_ = s;
    return {};
  }

  void metrics(std::string& out) const override {
    if (external_) {
      auto s = external_->stats();
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
      return;
    }
    metrics_writer_(out);
  }

 private:
  Status build();
  std::string listeners_text() const;

  module::ModuleHost& host_;
  MqttBrokerSettings settings_;
  // Embedded broker:
  std::unique_ptr<Broker> broker_;
  std::unique_ptr<InprocPubSub> inproc_;
  MqttListenerOptions listeners_;
  MqttListeners running_;
  std::shared_ptr<security::MqttAuthPolicy> auth_;
  std::shared_ptr<security::SecurityGateway> gateway_;
  std::size_t revocations_ = 0;  // the gateway's listener id, while started
  api::MetricsWriter metrics_writer_;
  // Or an external one:
  std::shared_ptr<ExternalBroker> external_;
  BrokerEndpoints endpoints_;
};

Status MqttBrokerModule::build() {
  const auto& o = host_.options;
  if (settings_.external) {
    auto client = ExternalBroker::create(*settings_.external);
    if (!client)
      return Error::make(ErrorKind::bad_request, "bad_config",
                         "external." + client.error().message);
    external_ = std::move(*client);
    endpoints_.embedded = false;
    host_.services.provide<PubSub>(*external_);
    host_.services.provide<BrokerEndpoints>(endpoints_);
    return {};
  }
  listeners_ = settings_.listeners.value_or(MqttListenerOptions{});
  // Command-line ports win over the file (0 on the command line switches a listener off).
  listeners_.bind_address = o.bind;
  listeners_.tcp_port = o.mqtt_port == 0 ? -1 : o.mqtt_port;
  listeners_.ws_port = o.mqtt_ws_port == 0 ? -1 : o.mqtt_ws_port;
  listeners_.allowed_origins = o.allowed_origins;
  if (o.mqtt_tls_port != 0) listeners_.tls_port = o.mqtt_tls_port;
  if (!o.tls_cert.empty()) {
    listeners_.tls_cert_file = o.tls_cert;
    listeners_.tls_key_file = o.tls_key;
  }
  BrokerOptions opts = settings_;
  std::unique_ptr<Persistence> persistence;
  SqlitePersistence* sqlite = nullptr;  // for /metrics; owned by the broker
  std::string wal_path;
  if (opts.persistence) {
    std::filesystem::path db_path =
        opts.persistence_path.empty() ? "mqtt_broker.db" : opts.persistence_path;
    if (db_path.is_relative()) db_path = std::filesystem::path(o.data_dir) / db_path;
    // Commits run on the persistence's own thread; their answers come back to the io thread.
    auto p = std::make_unique<SqlitePersistence>(db_path.string(), host_.post,
                                                 persistence_options(opts));
    if (!p->ok())
      return Error::make(ErrorKind::internal, "persistence",
                         "MQTT persistence: cannot open " + db_path.string());
    sqlite = p.get();
    wal_path = db_path.string() + "-wal";
    persistence = std::move(p);
  }
  broker_ = std::make_unique<Broker>(opts, host_.clock, std::move(persistence));
  inproc_ = std::make_unique<InprocPubSub>(*broker_);
  gateway_ = host_.services.get<std::shared_ptr<security::SecurityGateway>>();
  auth_ = std::make_shared<security::MqttAuthPolicy>(gateway_);
  broker_->set_authenticator(auth_);
  broker_->set_authorizer(auth_);
  // MQTT authenticates in its own CONNECT packet; the upgrade itself needs no session.
  host_.websockets.push_back(mqtt_websocket_endpoint(*broker_, "/mqtt", !o.tls_cert.empty()));
  Broker* b = broker_.get();
  metrics_writer_ = [b](std::string& out) {
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
    api::metric(out, "weir_mqtt_retained_bytes", "gauge",
                "Topic and payload bytes of the retained messages (max_retained_bytes)",
                static_cast<double>(s.retained_bytes));
    api::metric(out, "weir_mqtt_retained_refused_total", "counter",
                "Retained PUBLISHes refused by max_retained_messages / max_retained_bytes",
                static_cast<double>(s.retained_refused));
    api::metric(out, "weir_mqtt_subscriptions", "gauge", "Subscriptions",
                static_cast<double>(s.subscriptions_count));
    api::metric(out, "weir_mqtt_client_id_refusals_total", "counter",
                "CONNECTs refused because the client id's session belongs to another account",
                static_cast<double>(s.client_id_refusals));
    api::metric(out, "weir_mqtt_sessions_evicted_total", "counter",
                "Kept sessions ended because their account kept more than "
                "max_kept_sessions_per_user",
                static_cast<double>(s.sessions_evicted));
    api::metric(out, "weir_mqtt_revoked_connections_total", "counter",
                "MQTT connections closed because a security change took their rights",
                static_cast<double>(s.revoked_connections));
    api::metric(out, "weir_mqtt_acks_held", "gauge",
                "PUBACK/PUBREC waiting for the commit of what they acknowledge (ack_after_commit)",
                static_cast<double>(s.acks_held));
    api::metric(out, "weir_mqtt_reads_paused_total", "counter",
                "Times a connection's reading paused: max_held_acks acknowledgements waited for "
                "commits",
                static_cast<double>(s.reads_paused));
    s.commit_time.write(out, "weir_mqtt_commit_seconds",
                        "Persistence commits, from start to their answer on the io thread");
    s.snapshot_time.write(out, "weir_mqtt_persist_snapshot_seconds",
                          "io thread time taking the snapshots of changed sessions for a commit");
  };
  MqttListeners* listeners = &running_;
  metrics_writer_ = [w = std::move(metrics_writer_), sqlite, wal_path](std::string& out) {
    w(out);
    if (!sqlite) return;
    auto ws = sqlite->wal_stats();
    api::metric(out, "weir_mqtt_wal_bytes", "gauge",
                "Length of the persistence's WAL after the last commit (since it last restarted)",
                static_cast<double>(ws.bytes));
    api::metric(out, "weir_mqtt_wal_max_bytes", "gauge", "Longest the WAL has been since start",
                static_cast<double>(ws.max_bytes));
    std::error_code ec;
    const auto file = std::filesystem::file_size(wal_path, ec);
    api::metric(out, "weir_mqtt_wal_file_bytes", "gauge", "Size of the WAL file on disk",
                ec ? 0.0 : static_cast<double>(file));
    api::metric(out, "weir_mqtt_wal_restarts_total", "counter",
                "Times the WAL restarted from its first frame", static_cast<double>(ws.restarts));
    api::metric(out, "weir_mqtt_wal_restarts_apart_total", "counter",
                "WAL restarts in a transaction of their own between two commits (no "
                "acknowledgement in it)",
                static_cast<double>(ws.restarts_apart));
    api::metric(out, "weir_mqtt_wal_catch_ups_total", "counter",
                "Checkpoints the persistence thread ran itself between commits (WAL at its "
                "hard size)",
                static_cast<double>(ws.catch_ups));
    api::metric(out, "weir_mqtt_wal_catch_ups_deferred_total", "counter",
                "Catch-ups put off to the next commit because a background pass was running",
                static_cast<double>(ws.catch_ups_deferred));
    api::metric(out, "weir_mqtt_wal_catch_ups_waited_total", "counter",
                "Catch-ups that waited for a background pass (the WAL at twice its maximum)",
                static_cast<double>(ws.catch_ups_waited));
    ws.checkpoint_time.write(out, "weir_mqtt_checkpoint_seconds",
                             "Background WAL checkpoint passes (nobody waits for them)");
    ws.catch_up_time.write(out, "weir_mqtt_wal_catch_up_seconds",
                           "Catch-up checkpoints between commits (the next commit waits)");
    ws.commit_write_time.write(out, "weir_mqtt_commit_write_seconds",
                               "A commit's transaction on the persistence thread");
    ws.restart_commit_time.write(
        out, "weir_mqtt_wal_restart_commit_seconds",
        "The same, for commits that restarted the WAL (its header written and fsynced first)");
    ws.restart_time.write(out, "weir_mqtt_wal_restart_seconds",
                          "WAL restarts in a transaction of their own between two commits");
  };
  metrics_writer_ = [w = std::move(metrics_writer_), listeners](std::string& out) {
    w(out);
    api::metric(out, "weir_mqtt_accept_pauses_total", "counter",
                "Times accepting paused for max_accepts_per_second (the listen backlog waited)",
                static_cast<double>(listeners->accept_pauses()));
    const BusyPollStats bp = listeners->busy_poll();
    api::metric(out, "weir_mqtt_busy_poll_hits_total", "counter",
                "Spins before sleeping that found socket events (a thread wake-up saved)",
                static_cast<double>(bp.hits));
    api::metric(out, "weir_mqtt_busy_poll_misses_total", "counter",
                "Spins that ran out busy_poll_us without events, then slept",
                static_cast<double>(bp.misses));
    api::metric(out, "weir_mqtt_busy_poll_cut_total", "counter",
                "Spins stopped early because spinning would have more than doubled the io "
                "thread's CPU",
                static_cast<double>(bp.cut));
    api::metric(out, "weir_mqtt_busy_poll_seconds_total", "counter",
                "io thread time spent spinning for socket events instead of sleeping",
                std::chrono::duration<double>(bp.spin_time).count());
    listeners->loop_lag().write(out, "weir_mqtt_loop_lag_seconds",
                                "How late a 10 ms timer ran on the io thread (event-loop stalls)");
    listeners->handler_time().write(
        out, "weir_mqtt_loop_handler_seconds",
        "io thread time per MQTT handler (a batch of socket events, a broker tick)");
    listeners->puback_time().write(
        out, "weir_mqtt_puback_turn_seconds",
        "QoS 1 PUBLISH read to its PUBACK handed to the socket, when acknowledged on receipt "
        "(plain TCP; the event batch's time, an upper bound)");
    listeners->refill_time().write(
        out, "weir_mqtt_refill_turn_seconds",
        "A subscriber's PUBACK read to the queued PUBLISH refilling its window handed to the "
        "socket (plain TCP; the event batch's time, an upper bound)");
  };
  host_.services.provide<PubSub>(*inproc_);
  host_.services.provide<BrokerEndpoints>(endpoints_);
  return {};
}

std::string MqttBrokerModule::listeners_text() const {
  std::string s;
  auto add = [&](const char* name, std::uint16_t port) {
    if (!port) return;
    if (!s.empty()) s += ", ";
    s += std::string(name) + " " + listeners_.bind_address + ":" + std::to_string(port);
  };
  add("mqtt", running_.tcp_port());
  add("mqtts", running_.tls_port());
  add("ws", running_.ws_port());
  return s.empty() ? "no listeners" : s;
}

}  // namespace

}  // namespace weir::mqtt

void weir_register_mqtt_broker_module(weir::module::ModuleRegistry& registry) {
  registry.add(weir::module::module_type<weir::mqtt::MqttBrokerModule>(
      "mqtt_broker",
      "The MQTT broker: embedded (limits, listeners, persistence) or an external one", {"security"},
      true));
}
