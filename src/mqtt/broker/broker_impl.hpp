#pragma once
// Broker internals (not part of the public API): sessions, connections, routing state.
// The handlers are split by packet kind: handle_connect.cpp, handle_publish.cpp,
// handle_subscribe.cpp; lifecycle, tick and in-process clients are in broker.cpp.
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "mqtt/broker/broker.hpp"
#include "mqtt/broker/topic_tree.hpp"
#include "mqtt/codec/frame_reader.hpp"
#include "mqtt/codec/packet.hpp"
#include "mqtt/codec/topic.hpp"

namespace weir::mqtt {

// One application message as routed: shared by every queue and in-flight slot it sits in.
struct Message {
  std::string topic;
  Payload payload;
  std::uint8_t qos = 0;
  bool retain = false;
  Properties properties;                 // forwardable PUBLISH properties only
  std::optional<MonoTime> expires_at;    // from Message Expiry Interval
  SubscriberId origin = 0;               // for No Local
};
using MessagePtr = std::shared_ptr<const Message>;

struct Delivery {
  MessagePtr msg;
  std::uint8_t qos = 0;
  bool retain = false;  // RETAIN flag as sent
  std::vector<std::uint32_t> subscription_ids;
};

struct Inflight {
  Delivery d;
  std::uint16_t packet_id = 0;
  enum class State : std::uint8_t { publish_sent, pubrel_sent } state = State::publish_sent;
};

struct Subscription {
  std::string group;   // shared group, empty if none
  std::string filter;  // inner filter (without $share/group/)
  SubscribeOptions options;
  std::uint32_t subscription_id = 0;
};

struct Connection;

// A session's queue of messages waiting for the in-flight window. Most sessions never queue, and
// an empty std::deque still allocates (libstdc++: a map and a 512-byte node), so the deque is
// created on the first push and released once drained.
class DeliveryQueue {
 public:
  using Deque = std::deque<Delivery>;
  using iterator = Deque::iterator;
  using const_iterator = Deque::const_iterator;

  bool empty() const { return !q_ || q_->empty(); }
  std::size_t size() const { return q_ ? q_->size() : 0; }
  iterator begin() { return q_ ? q_->begin() : iterator{}; }
  iterator end() { return q_ ? q_->end() : iterator{}; }
  const_iterator begin() const { return q_ ? q_->cbegin() : const_iterator{}; }
  const_iterator end() const { return q_ ? q_->cend() : const_iterator{}; }
  Delivery& front() { return q_->front(); }
  void push_back(Delivery d) {
    if (!q_) q_ = std::make_unique<Deque>();
    q_->push_back(std::move(d));
  }
  void pop_front() {
    q_->pop_front();
    if (q_->empty()) q_.reset();
  }
  void erase(iterator it) {
    q_->erase(it);
    if (q_->empty()) q_.reset();
  }
  template <class Pred>
  void erase_if(Pred pred) {
    if (!q_) return;
    std::erase_if(*q_, pred);
    if (q_->empty()) q_.reset();
  }
  bool allocated() const { return q_ != nullptr; }

 private:
  std::unique_ptr<Deque> q_;
};

// A v5 will whose Will Delay Interval is running (the connection is gone).
struct PendingWill {
  Will will;
  Identity identity;
  MonoTime at{};
};

struct Session {
  SubscriberId id = 0;
  std::string client_id;
  ProtocolVersion version = ProtocolVersion::v311;
  std::uint32_t expiry_interval = 0;  // seconds; 0xFFFFFFFF = never
  std::optional<MonoTime> expires_at; // set while disconnected
  WallTime disconnected_wall{};
  std::map<std::string, Subscription> subscriptions;  // key: filter as subscribed
  std::vector<Inflight> inflight;     // in send order
  DeliveryQueue queue;
  std::unordered_set<std::uint16_t> inbound_qos2;  // PUBREC sent, waiting for PUBREL
  std::uint16_t next_packet_id = 1;
  Connection* conn = nullptr;
  std::unique_ptr<PendingWill> pending_will;  // will delay running; rare, so not inline
};

struct TopicAliases {
  std::unordered_map<std::uint16_t, std::string> inbound;
  std::unordered_map<std::string, std::uint16_t> outbound;
};

struct Connection {
  ConnectionId id = 0;
  std::shared_ptr<ConnectionSink> sink;
  ConnectionInfo info;
  FrameReader reader;
  enum class State : std::uint8_t { awaiting_connect, connected, closed } state = State::awaiting_connect;
  ProtocolVersion version = ProtocolVersion::v311;
  Session* session = nullptr;
  Identity identity;
  std::uint16_t keep_alive = 0;
  MonoTime opened{};
  MonoTime last_rx{};
  std::uint32_t client_max_packet = 0xFFFFFFFF;
  std::uint16_t client_receive_max = 65535;
  std::uint16_t client_alias_max = 0;
  bool problem_info = true;
  TopicAliases& aliases() {
    if (!aliases_) aliases_ = std::make_unique<TopicAliases>();
    return *aliases_;
  }
  std::unique_ptr<TopicAliases> aliases_;  // v5 topic aliases; made on first use
  std::unique_ptr<Will> will;  // most clients have none: not inline (a Will is ~0.5 KB)
};

struct InprocSub {
  std::string filter;
  std::string group;
  std::shared_ptr<std::function<void(const InprocMessage&)>> callback;
};

inline constexpr SubscriberId kInprocBit = SubscriberId{1} << 63;

struct BrokerImpl {
  BrokerImpl(BrokerOptions o, const Clock& c, std::unique_ptr<Persistence> p);

  // ---- lifecycle (broker.cpp)
  ConnectionId open(std::shared_ptr<ConnectionSink> sink, ConnectionInfo info);
  void on_bytes(ConnectionId id, const std::uint8_t* data, std::size_t n);
  void on_closed(ConnectionId id);
  void tick();
  void reap();
  void handle_packet(Connection& c, Packet&& p);
  // Ends a connection: will (now or delayed), session kept or dropped, sink closed.
  void drop(Connection& c, ReasonCode reason, bool send_will);
  // v5: DISCONNECT with reason first; then drop (will published).
  void protocol_violation(Connection& c, ReasonCode reason, const std::string& why);
  void send(Connection& c, const Packet& p);
  void send_bytes(Connection& c, Bytes b);
  bool congested(const Connection& c) const;
  void emit_event(const Connection& c, ClientEvent::Kind kind, ReasonCode reason, bool will_published);
  void publish_sys();
  void load_persisted();
  void mark_dirty(Session& s);
  void persist_dirty();
  StoredSession snapshot(const Session& s) const;
  StoredMessage stored_message(const Message& m, std::uint8_t qos, bool retain) const;
  MessagePtr message_from_stored(const StoredMessage& m) const;

  // ---- sessions (handle_connect.cpp)
  void handle_connect(Connection& c, Connect&& p);
  void handle_disconnect(Connection& c, const Disconnect& p);
  Session& create_session(const std::string& client_id);
  void destroy_session(Session& s);
  void publish_will(const Will& w, const Identity& who);
  std::string assign_client_id();

  // ---- publish in and out (handle_publish.cpp)
  void handle_publish(Connection& c, Publish&& p);
  void handle_puback(Connection& c, const PubAck& p);
  MessagePtr make_message(std::string topic, Payload payload, std::uint8_t qos, bool retain,
                          const Properties& props, SubscriberId origin);
  void route(const MessagePtr& m);
  void store_retained(const MessagePtr& m);
  void deliver(Session& s, Delivery d);
  void enqueue(Session& s, Delivery d);
  void pump(Session& s);
  std::uint16_t next_packet_id(Session& s);
  std::size_t window(const Session& s) const;
  // Sends one PUBLISH to the session's connection; false if dropped (too large for the client).
  bool send_publish(Connection& c, const Delivery& d, std::uint16_t packet_id, bool dup);
  bool expired(const Message& m) const { return m.expires_at && *m.expires_at <= clock.mono(); }
  void deliver_inproc(const InprocSub& sub, const Message& m, bool retained);

  // ---- subscriptions (handle_subscribe.cpp)
  void handle_subscribe(Connection& c, const Subscribe& p);
  void handle_unsubscribe(Connection& c, const Unsubscribe& p);
  void add_subscription(Session& s, const std::string& key, const Subscription& sub);
  void send_retained(Session& s, const Subscription& sub);
  template <class F>
  void for_each_retained(std::string_view filter, F&& f);

  BrokerOptions opts;
  const Clock& clock;
  std::unique_ptr<Persistence> persistence;
  std::shared_ptr<Authenticator> authenticator;
  std::shared_ptr<Authorizer> authorizer;
  std::vector<std::function<void(const ClientEvent&)>> listeners;
  TopicLimits limits;

  std::unordered_map<ConnectionId, std::unique_ptr<Connection>> connections;
  std::vector<ConnectionId> dead;
  std::unordered_map<SubscriberId, std::unique_ptr<Session>> sessions;
  std::unordered_map<std::string, Session*> sessions_by_client;
  std::unordered_map<SubscriberId, InprocSub> inproc;
  std::map<std::string, MessagePtr, std::less<>> retained;
  TopicTree tree;
  std::unordered_set<SubscriberId> dirty;

  ConnectionId next_connection_id = 1;
  SubscriberId next_subscriber_id = 1;
  std::uint64_t next_assigned_id = 1;
  MonoTime started{};
  MonoTime last_sys{};
  MonoTime rate_window{};
  std::uint32_t rate_count = 0;
  BrokerStats st;
  std::vector<std::pair<SubscriberId, const SubEntry*>> hits;  // scratch for route()
  std::vector<std::pair<SubscriberId, SubEntry>> shared_hits;  // scratch for route()
  int route_depth = 0;
};

template <class F>
void BrokerImpl::for_each_retained(std::string_view filter, F&& f) {
  std::vector<MessagePtr> hits;  // callbacks may change the retained store
  for (const auto& [topic, m] : retained)
    if (topic_matches(filter, topic) && !expired(*m)) hits.push_back(m);
  for (auto& m : hits) f(m);
}

}  // namespace weir::mqtt
