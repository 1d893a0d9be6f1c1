#pragma once
// The AsyncAPI 3.0 document of the demo's MQTT topics, served at /mqtt/asyncapi.json. Channels,
// messages and payload schemas come from payloads.hpp (schemas derived from the described structs
// with weir::json::SchemaRegistry); servers are the broker's listeners.
#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>

namespace weir::devices {

// The broker's listeners as clients reach them. A listener that is not configured is left out.
struct AsyncApiServers {
  std::string host = "localhost";                 // host name clients use (no port)
  std::optional<std::uint16_t> mqtt_port = 1883;  // MQTT over TCP
  std::optional<std::uint16_t> mqtts_port;        // MQTT over TLS
  std::optional<std::uint16_t> ws_port;           // MQTT over WebSocket
  std::optional<std::uint16_t> wss_port;          // MQTT over secure WebSocket
  std::string ws_path = "/mqtt";
  std::string version = "0.1.0";  // info.version: the Weir version serving the document
};

boost::json::object asyncapi_document(const AsyncApiServers& servers);

}  // namespace weir::devices
