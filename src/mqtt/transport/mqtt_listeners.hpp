#pragma once
// Binds sockets to the broker core: MQTT over TCP (1883), TLS (8883, when a certificate is
// configured) and WebSocket (8083, subprotocol "mqtt"). Everything runs on the one io_context
// thread that also runs the Broker.
//
//   MqttListeners listeners;
//   if (auto st = listeners.start(io, broker, opts); !st) { log(st.error().message); exit(1); }
//   ...
//   broker.shutdown(); listeners.stop();   // then let io.run() return
#include <cstdint>
#include <memory>

#include "core/error.hpp"
#include "mqtt/broker/duration_histogram.hpp"
#include "mqtt/transport/busy_poll.hpp"
#include "mqtt/transport/listener_options.hpp"

namespace boost::asio {
class io_context;
}

namespace weir::mqtt {

class Broker;
struct TransportContext;

class MqttListeners {
 public:
  MqttListeners();
  ~MqttListeners();
  MqttListeners(const MqttListeners&) = delete;
  MqttListeners& operator=(const MqttListeners&) = delete;

  // Binds every configured listener. On failure nothing stays bound and the error says which
  // listener failed and why: "MQTT listener 127.0.0.1:1883: address already in use".
  Status start(boost::asio::io_context& io, Broker& broker, const MqttListenerOptions& opts);
  // Stops accepting, flushes and closes every connection (bounded by close_flush_timeout_s).
  // Call Broker::shutdown() first so v5 clients get DISCONNECT 0x8B. Idempotent.
  void stop();

  // Bound ports (useful with port 0); 0 when that listener is off.
  std::uint16_t tcp_port() const;
  std::uint16_t tls_port() const;
  std::uint16_t ws_port() const;
  std::size_t connection_count() const;
  // Times accepting paused because new connections came faster than max_accepts_per_second.
  std::uint64_t accept_pauses() const;
  // The io thread's health (see TransportContext): probe timer lateness, MQTT handler time.
  DurationHistogram loop_lag() const;
  DurationHistogram handler_time() const;
  // The broker's side of the QoS 1 round trip on plain TCP (TransportContext::puback_time,
  // refill_time); reset_reply_times() starts them again (a benchmark's phases).
  DurationHistogram puback_time() const;
  DurationHistogram refill_time() const;
  void reset_reply_times();
  // How the plain TCP poller's spins before sleeping went (busy_poll_us).
  BusyPollStats busy_poll() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace weir::mqtt
