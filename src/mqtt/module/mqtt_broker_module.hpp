#pragma once
// The mqtt_broker module (always runs). Either the embedded broker — options from
// modules[] {"name": "mqtt_broker", "config": {...BrokerOptions..., "listeners": {...}}},
// persistence in the data directory, authentication and ACLs from the security module
// (security/mqtt_auth_policy.hpp), TCP/TLS/WebSocket listeners and MQTT over WebSocket at /mqtt
// on the HTTP port — or, with "config": {"external": {...}}, one client connection to an
// external broker and nothing listening. Other modules see the same mqtt::PubSub either way
// (module::Services), and the listeners' ports as mqtt::BrokerEndpoints.
//
// Reload: the broker's limits and capabilities apply at once (Broker::update_options);
// listener changes and a switch between embedded and external need a restart and say so.
#include <cstdint>

#include "module/module_registry.hpp"
#include "mqtt/broker/broker_options.hpp"
#include "mqtt/client/external_broker.hpp"
#include "mqtt/transport/listener_options.hpp"

namespace weir::mqtt {

struct BrokerEndpoints {
  bool embedded = true;
  std::uint16_t tcp_port = 0;  // 0: off, or an external broker
  std::uint16_t tls_port = 0;
};

// modules[].config of "mqtt_broker": every BrokerOptions member, plus the listeners and the
// external broker. Persistence is on unless the file says otherwise.
struct MqttBrokerSettings : BrokerOptions {
  MqttBrokerSettings() { persistence = true; }
  std::optional<MqttListenerOptions> listeners;
  std::optional<ExternalBrokerOptions> external;
};
BOOST_DESCRIBE_STRUCT(MqttBrokerSettings, (BrokerOptions), (listeners, external))

}  // namespace weir::mqtt

void weir_register_mqtt_broker_module(weir::module::ModuleRegistry& registry);
