#pragma once
// The MQTT broker core: single-threaded, sans-I/O. The transport feeds it bytes and socket
// events; it answers through each connection's ConnectionSink. Time comes from an injected
// weir::Clock; call tick() about every 100 ms. Nothing here blocks or touches a socket.
//
//   Broker b(opts, clock, nullptr);
//   auto id = b.open(sink, {"127.0.0.1:5000", "tcp"});
//   b.on_bytes(id, data, n);   // ... sink->send(...) called with responses
//   b.on_closed(id);
//
// Weir's own modules use publish()/subscribe() in-process: same routing, no ACL.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "mqtt/broker/auth.hpp"
#include "mqtt/broker/broker_options.hpp"
#include "mqtt/broker/connection.hpp"
#include "mqtt/broker/duration_histogram.hpp"
#include "mqtt/broker/persistence.hpp"
#include "mqtt/broker/pubsub.hpp"
#include "mqtt/codec/properties.hpp"
#include "mqtt/codec/reason_code.hpp"

namespace weir::mqtt {

struct ClientEvent {
  enum class Kind { connected, disconnected };
  Kind kind = Kind::connected;
  std::string client_id;
  std::string username;
  ConnectionInfo connection;  // transport: a name kept by the Broker (valid while it lives)
  ProtocolVersion version = ProtocolVersion::v311;
  ReasonCode reason = ReasonCode::success;  // why it disconnected
  bool will_published = false;
};

struct BrokerStats {
  std::uint64_t clients_connected = 0;
  std::uint64_t clients_total = 0;  // sessions, connected or not
  std::uint64_t clients_maximum = 0;
  std::uint64_t connections_refused = 0;
  std::uint64_t client_id_refusals = 0;   // CONNECTs refused: the client id is another account's
  std::uint64_t revoked_connections = 0;  // disconnected by reauthorize()
  std::uint64_t sessions_evicted = 0;     // kept sessions ended by max_kept_sessions_per_user
  std::uint64_t messages_received = 0;    // PUBLISH in (sockets + in-process)
  std::uint64_t messages_sent = 0;        // PUBLISH out (sockets + in-process)
  std::uint64_t messages_dropped = 0;     // queue full, slow consumer, too large for client
  std::uint64_t bytes_received = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t retained_count = 0;
  std::uint64_t retained_bytes = 0;    // topic + payload bytes of the retained messages
  std::uint64_t retained_refused = 0;  // retained PUBLISHes refused by the retained caps
  std::uint64_t subscriptions_count = 0;
  std::uint64_t inflight_count = 0;
  std::uint64_t queued_count = 0;
  std::uint64_t uptime_s = 0;
  // Group commit: acknowledgements waiting for a commit now; times a connection's reading paused
  // because it had max_held_acks of them; how long commits took (start to answer on the broker
  // thread); how long the broker thread spent taking the snapshots of changed sessions.
  std::uint64_t acks_held = 0;
  std::uint64_t reads_paused = 0;
  DurationHistogram commit_time;
  DurationHistogram snapshot_time;
};

// Replies sent in the same call that read what they answer, counted for the transport's split
// of the QoS 1 round trip (it reads the counts around each batch of socket events and times
// the batch): a PUBACK sent on receipt of a QoS 1 PUBLISH (not one held for a commit), and a
// QoS 1/2 PUBLISH that a subscriber's PUBACK let out of its queue into the freed window slot.
struct ReplyCounts {
  std::uint64_t pubacks = 0;
  std::uint64_t refills = 0;
};

struct BrokerImpl;

class Broker {
 public:
  Broker(BrokerOptions opts, const weir::Clock& clock, std::unique_ptr<Persistence> persistence);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  // A new socket. Over max_connections / max_connections_per_second the sink is closed at once
  // (the id is still returned; later calls with it are ignored).
  ConnectionId open(std::shared_ptr<ConnectionSink> sink, ConnectionInfo info);
  void on_bytes(ConnectionId id, const std::uint8_t* data, std::size_t n);
  // The socket closed or failed: publishes the will (or arms its delay), ends or keeps the session.
  void on_closed(ConnectionId id);
  // Keep-alive (1.5x), CONNECT timeout, will delay, session and message expiry, $SYS,
  // persistence flush. Call about every 100 ms.
  void tick();

  // In-process publish: trusted (no ACL), same routing as a client's PUBLISH. An invalid topic
  // is dropped and counted. properties: the v5 PUBLISH properties to forward (user properties,
  // message expiry, content type, response topic, correlation data, payload format).
  void publish(std::string topic, std::vector<std::uint8_t> payload, int qos = 0,
               bool retain = false, Properties properties = {});
  void publish(std::string topic, Bytes payload, int qos, bool retain, Properties properties = {});
  // In-process subscription; retained messages matching the filter are delivered at once.
  // An invalid filter yields an inactive handle.
  SubscriptionHandle subscribe(std::string filter,
                               std::function<void(const InprocMessage&)> on_message);

  void set_authenticator(std::shared_ptr<Authenticator> a);
  void set_authorizer(std::shared_ptr<Authorizer> a);
  // Re-decides the rights of every connected client an Authenticator admitted (the security
  // configuration changed, or an account's password or groups did): `decide` gets the
  // connection's Identity and returns its new grant, or null to disconnect it (v5: DISCONNECT
  // 0x87 not authorized; no will is published). Subscriptions the new grant no longer allows
  // are removed, and queued messages it may not read are dropped. Wills waiting for their delay
  // are re-decided the same way. Returns how many connections were disconnected.
  using Regrant = std::function<std::shared_ptr<const Grant>(const Identity&)>;
  std::size_t reauthorize(const Regrant& decide);
  void on_client_event(std::function<void(const ClientEvent&)> listener);

  BrokerStats stats() const;
  ReplyCounts reply_counts() const;  // cheap: two counters (per batch of socket events)
  const BrokerOptions& options() const;
  // A configuration reload: new limits and capabilities apply from the next packet or connection
  // on (sessions, queues and connections are kept). Persistence and the ACL fixed at
  // construction stay as they were.
  void update_options(const BrokerOptions& opts);
  bool connected(std::string_view client_id) const;
  std::size_t connection_count() const;

  // Disconnects every client (v5: DISCONNECT 0x8B server shutting down) and flushes persistence.
  void shutdown();

 private:
  std::shared_ptr<BrokerImpl> impl_;
};

}  // namespace weir::mqtt
