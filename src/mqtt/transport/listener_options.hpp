#pragma once
// Where and how the broker listens: system_config.json modules[] {"name":"mqtt_broker",
// "config":{"listeners":{...}}} or command-line flags (--mqtt-port, --mqtt-ws-port).
#include <boost/describe.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace weir::mqtt {

struct MqttListenerOptions {
  std::string bind_address = "127.0.0.1";
  int tcp_port = 1883;        // 0 = any free port (see MqttListeners::tcp_port()), -1 = off
  int tls_port = 8883;        // used only when tls_cert_file and tls_key_file are both set
  std::string tls_cert_file;  // PEM certificate chain
  std::string tls_key_file;   // PEM private key
  int ws_port = 8083;         // standalone MQTT-over-WebSocket listener; -1 = off
  // A client whose unsent bytes exceed this is disconnected at once (slow consumer). The broker
  // already drops QoS 0 above BrokerOptions::max_queued_bytes; this is the hard stop behind it.
  std::uint64_t max_outgoing_bytes = 32 * 1024 * 1024;
  // New connections per second and listener (burst: as many). Beyond it accepting pauses and the
  // listen backlog holds the rest (slowed, not refused); 0 = unlimited. The hard cap on open
  // connections is the broker's max_connections.
  std::uint32_t max_accepts_per_second = 20000;
  std::uint32_t listen_backlog = 65535;     // the kernel caps it at net.core.somaxconn
  std::uint32_t handshake_timeout_s = 10;   // TLS and WebSocket upgrade
  std::uint32_t close_flush_timeout_s = 5;  // time to flush queued bytes before a close
  // After the broker ends a connection (a DISCONNECT with a reason code, a refused CONNACK):
  // once flushed, the socket is shut down for writing and what the client still sends is read
  // and discarded for at most this long (or until it closes), so the client reads the reason
  // instead of a reset. 0: close at once after the flush.
  std::uint32_t close_drain_ms = 2000;
  // After a batch of socket events the io thread keeps polling for up to this long before it
  // sleeps, while that pays: most recent spins ended in events, and spinning at most doubles
  // the thread's CPU (transport/busy_poll.hpp). A saturated QoS 1 window then skips a thread
  // wake-up per round trip; an idle broker sleeps. 0 = always sleep at once.
  std::uint32_t busy_poll_us = 50;
  static constexpr std::uint32_t kMaxBusyPollUs = 10000;
  std::uint32_t max_websocket_message = 1024 * 1024 + 64;  // largest inbound WS message
  bool drive_broker_ticks = true;                          // call Broker::tick() every 100 ms
  // Origins besides the listener's own (Host) that may open a WebSocket (net/origin_check.hpp);
  // set from the process options (WEIR_ALLOWED_ORIGINS), not from the file.
  std::vector<std::string> allowed_origins;
};
BOOST_DESCRIBE_STRUCT(MqttListenerOptions, (),
                      (bind_address, tcp_port, tls_port, tls_cert_file, tls_key_file, ws_port,
                       max_outgoing_bytes, max_accepts_per_second, listen_backlog,
                       handshake_timeout_s, close_flush_timeout_s, close_drain_ms, busy_poll_us,
                       max_websocket_message, drive_broker_ticks))

}  // namespace weir::mqtt
