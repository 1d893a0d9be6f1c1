#pragma once
// MQTT as Weir runs it. Either the embedded broker: options from system_config.json
// (modules[] {"name": "mqtt_broker", "config": {..., "listeners": {...}}}), persistence in the data
// directory, authentication and ACLs from the security configuration, TCP/TLS/WebSocket listeners,
// and MQTT over WebSocket at /mqtt on the HTTP port. Or, with "config": {"external": {...}}, one
// client connection to an external broker and nothing listening. Weir's modules see the same
// PubSub either way.
#include <memory>

#include "api/security_gateway.hpp"
#include "api/system_routes.hpp"
#include "app/options.hpp"
#include "config/system_config.hpp"
#include "mqtt/broker/broker.hpp"
#include "mqtt/broker/pubsub.hpp"
#include "net/http_server.hpp"

namespace boost::asio {
class io_context;
}

namespace weir::app {

class MqttService {
 public:
  // Errors name the configuration path (modules[i].config.max_packet_size: ...).
  static Result<std::unique_ptr<MqttService>> create(
      const config::SystemConfig& cfg, const Options& o, const Clock& clock,
      std::shared_ptr<api::SecurityGateway> security);
  ~MqttService();
  // The mqtt_broker module's settings (embedded or external) checked, nothing started:
  // --check-config.
  static Status check(const config::SystemConfig& cfg);

  Status start(
      boost::asio::io_context& io);  // binds the listeners, or connects to the external broker
  void stop();                       // DISCONNECT to v5 clients, flush, close
  // What Weir's modules publish and subscribe through.
  mqtt::PubSub& pubsub();
  // The embedded broker; null when Weir runs against an external one.
  mqtt::Broker* embedded() { return broker_; }
  net::WsEndpoint websocket_endpoint(bool secure);  // /mqtt on the HTTP port (embedded broker only)
  api::MetricsWriter metrics();
  std::string listeners_text() const;  // "tcp 127.0.0.1:1883, ws :8083"
  // Bound ports once started (0 = that listener is off).
  std::uint16_t tcp_port() const;
  std::uint16_t tls_port() const;
  std::uint16_t ws_port() const;

  struct Impl;

 private:
  MqttService() = default;
  std::unique_ptr<Impl> impl_;
  mqtt::Broker* broker_ = nullptr;
};

}  // namespace weir::app
