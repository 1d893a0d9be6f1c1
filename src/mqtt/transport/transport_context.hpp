#pragma once
// State shared by every listener and connection of one MqttListeners (internal header).
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "mqtt/broker/broker.hpp"
#include "mqtt/transport/listener_options.hpp"

namespace weir::mqtt {

// What stop() needs from a live connection.
class TransportConnection {
 public:
  virtual ~TransportConnection() = default;
  virtual void shutdown_gracefully() = 0;  // flush queued bytes, then close; no broker calls
};

struct TransportContext {
  TransportContext(Broker& b, MqttListenerOptions o) : broker(b), opts(std::move(o)) {}

  Broker& broker;
  MqttListenerOptions opts;
  bool stopped = false;  // after stop(): handlers must not touch the broker any more
  // One read buffer for every plain TCP connection: the io_context runs on one thread and a
  // read is handed to the broker before the next one starts, so idle sockets cost no buffer.
  std::vector<std::uint8_t> shared_read_buffer = std::vector<std::uint8_t>(64 * 1024);
  std::uint64_t next_serial = 1;
  std::uint64_t accept_pauses = 0;  // a listener waited for the accept rate (MqttListeners)
  // The io thread, as /metrics shows it: how late a 10 ms probe timer ran (anything that blocks
  // the thread, ours or another module's), and how long each MQTT handler took (a batch of
  // socket events, a broker tick).
  DurationHistogram loop_lag;
  DurationHistogram handler_time;
  // The broker's side of a QoS 1 round trip on plain TCP, per reply (ReplyCounts): from the
  // start of the batch of socket events that read a PUBLISH to the end of the batch, when its
  // PUBACK has been handed to the socket; the same from a subscriber's PUBACK to the PUBLISH
  // that refills its window. The batch's two clock reads (handler_time's) serve all its
  // replies, so each value is an upper bound for its reply.
  DurationHistogram puback_time;
  DurationHistogram refill_time;
  std::unordered_map<std::uint64_t, std::weak_ptr<TransportConnection>> live;
};

}  // namespace weir::mqtt
