#include "mqtt/transport/http_websocket_bridge.hpp"

#include <spdlog/spdlog.h>

#include <memory>

#include "mqtt/broker/broker.hpp"

namespace weir::mqtt {

namespace {

// One upgraded connection: the HTTP server's WsListener and the broker's ConnectionSink.
class HttpWebSocketBridge final : public net::WsListener, public ConnectionSink {
 public:
  HttpWebSocketBridge(Broker& broker, std::shared_ptr<net::WsConnection> ws)
      : broker_(broker), ws_(std::move(ws)) {}

  void open(std::shared_ptr<HttpWebSocketBridge> self, const char* transport) {
    registered_ = true;
    id_ = broker_.open(std::move(self), ConnectionInfo{ws_->remote_address(), transport});
  }

  // net::WsListener
  void on_text(std::string_view) override {}  // the endpoint is binary-only: never called
  void on_binary(const std::uint8_t* data, std::size_t n) override {
    if (registered_) broker_.on_bytes(id_, data, n);
  }
  void on_close() override {
    if (registered_) {
      registered_ = false;
      broker_.on_closed(id_);
    }
  }

  // ConnectionSink
  void send(Bytes bytes) override {
    if (!registered_ || !ws_->is_open()) return;
    if (!ws_->send_binary(std::move(bytes))) {
      // The HTTP server's per-connection queue is full: a slow consumer. on_close() follows and
      // tells the broker (not from here: we are inside the broker).
      spdlog::warn("MQTT ws {}: outgoing queue full (slow consumer), closing",
                   ws_->remote_address());
      ws_->close(1008, "slow consumer");
    }
  }
  void close() override {
    registered_ = false;  // the broker has already forgotten us
    ws_->close(1000, "");
  }
  std::size_t queued_bytes() const override { return ws_->queued_bytes(); }
  bool pause_reading(bool on) override {
    ws_->pause_reading(on);  // after the message being delivered: at most one more is kept
    return true;
  }

 private:
  Broker& broker_;
  std::shared_ptr<net::WsConnection> ws_;
  ConnectionId id_ = 0;
  bool registered_ = false;
};

}  // namespace

net::WsEndpoint mqtt_websocket_endpoint(Broker& broker, std::string path, bool secure) {
  net::WsEndpoint ep;
  ep.path = std::move(path);
  ep.subprotocol = "mqtt";
  ep.binary = true;
  ep.accept = [&broker, secure](const HttpRequest&, std::shared_ptr<net::WsConnection> ws)
      -> std::variant<HttpResponse, std::shared_ptr<net::WsListener>> {
    auto bridge = std::make_shared<HttpWebSocketBridge>(broker, std::move(ws));
    bridge->open(bridge, secure ? "wss" : "ws");
    return std::shared_ptr<net::WsListener>(bridge);
  };
  return ep;
}

}  // namespace weir::mqtt
