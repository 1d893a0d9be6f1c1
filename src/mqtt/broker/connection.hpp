#pragma once
// What the broker core knows about a socket: an id, a sink to write to, and where it came from.
// The transport (src/mqtt/transport) implements ConnectionSink, one per socket.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace weir::mqtt {

using ConnectionId = std::uint64_t;
using Bytes = std::shared_ptr<const std::vector<std::uint8_t>>;

struct ConnectionInfo {
  std::string remote_address;  // "127.0.0.1:53422"
  std::string_view transport;  // "tcp", "tls", "ws", "wss", "inproc" (Broker::open keeps a
                               // copy of any other name: a temporary string is fine there)
};

class ConnectionSink {
 public:
  virtual ~ConnectionSink() = default;
  // Queue bytes for the socket. The buffer may be shared among many subscribers: never modify it.
  virtual void send(Bytes bytes) = 0;
  // Flush what is queued, then close the socket. The broker has already forgotten the connection;
  // a later Broker::on_closed(id) for it is harmless.
  virtual void close() = 0;
  // Bytes queued but not yet written: the broker drops QoS 0 / holds back QoS>0 when this is
  // above BrokerOptions::max_queued_bytes (slow consumer).
  virtual std::size_t queued_bytes() const = 0;
  // Stop (true) or resume (false) reading from the socket: the broker holds max_held_acks
  // acknowledgements of this client waiting for commits. Returns false when the transport
  // cannot pause (the broker then keeps reading, unbounded as before).
  virtual bool pause_reading(bool /*on*/) { return false; }
};

}  // namespace weir::mqtt
