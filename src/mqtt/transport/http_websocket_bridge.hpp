#pragma once
// MQTT over WebSocket on the HTTP port (ws://host:8080/mqtt): the HTTP server (src/net) does the
// upgrade, this bridge hands the binary frames to the broker and the broker's bytes back.
//
//   std::vector<net::WsEndpoint> ws = {mqtt_websocket_endpoint(broker)};
//   net::HttpServer http(io, http_opts, handler, std::move(ws));
//
// The Broker must outlive the HTTP server (stop the server, then destroy the broker).
#include <string>

#include "net/http_server.hpp"

namespace weir::mqtt {

class Broker;

// A binary-only endpoint with subprotocol "mqtt" at `path`; every accepted connection becomes a
// broker connection with transport "ws" (or "wss" when the HTTP server runs TLS: `secure`).
net::WsEndpoint mqtt_websocket_endpoint(Broker& broker, std::string path = "/mqtt",
                                        bool secure = false);

}  // namespace weir::mqtt
