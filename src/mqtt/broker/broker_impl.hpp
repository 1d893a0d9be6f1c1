#pragma once
// Broker internals (not part of the public API): sessions, connections, routing state.
// The handlers are split by packet kind: handle_connect.cpp, handle_publish.cpp,
// handle_subscribe.cpp; lifecycle, tick and in-process clients are in broker.cpp.
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "mqtt/broker/broker.hpp"
#include "mqtt/broker/message.hpp"
#include "mqtt/broker/retained_store.hpp"
#include "mqtt/broker/topic_tree.hpp"
#include "mqtt/codec/frame_reader.hpp"
#include "mqtt/codec/packet.hpp"
#include "mqtt/codec/topic.hpp"

namespace weir::mqtt {

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

// A session's subscription, by the filter as subscribed; for a shared one ("$share/{group}/
// {filter}") the group and the inner filter are views into it.
struct Subscription {
  std::string key;
  SubscribeOptions options;
  std::uint32_t subscription_id = 0;
  std::string_view group() const;   // empty if not shared
  std::string_view filter() const;  // without "$share/{group}/"
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

// A kept session whose client is away (disconnected, expiry interval > 0).
struct Absence {
  MonoTime expires_at = MonoTime::max();  // max: never (infinite expiry interval)
  WallTime since{};                       // when the client went away
  std::unique_ptr<PendingWill> will;      // Will Delay Interval running (rare: not inline)
  // The last connection's grant when it filters what the client may read (Grant::
  // filters_delivery): messages queued while away are checked against it.
  std::shared_ptr<const Grant> read_filter;
};

// Sessions and connections are stored in the nodes of their maps (addresses stay stable), and
// keep what most clients never use behind pointers made on first use: an idle v3.1.1 client
// costs a few hundred bytes in the core.
struct Session {
  SubscriberId id = 0;
  std::string client_id;  // never changes: sessions_by_client points into it
  Connection* conn = nullptr;
  std::unique_ptr<Absence> away;            // while the client is away (kept sessions only)
  std::vector<Subscription> subscriptions;  // sorted by key
  std::vector<Inflight> inflight;           // in send order
  DeliveryQueue queue;
  std::vector<std::uint16_t> inbound_qos2;  // PUBREC sent, waiting for PUBREL (<= max_inflight)
  std::uint32_t expiry_interval = 0;        // seconds; 0xFFFFFFFF = never
  std::uint16_t next_packet_id = 1;
  ProtocolVersion version = ProtocolVersion::v311;
  // The account that owns the session: only a connection of the same username (empty:
  // anonymous) may resume it, take its client id over or clean it. !owner_known: restored from
  // a file written before owners were kept; the next connection starts it afresh.
  bool owner_known = false;
  std::string owner;

  Subscription* find_subscription(std::string_view key);
  // Adds or replaces (by key); true if new.
  bool put_subscription(Subscription sub);
  bool erase_subscription(std::string_view key);
};

struct TopicAliases {
  std::unordered_map<std::uint16_t, std::string> inbound;
  std::unordered_map<std::string, std::uint16_t> outbound;
};

struct Connection {
  ConnectionId id = 0;
  std::shared_ptr<ConnectionSink> sink;
  ConnectionInfo info;
  // Only while part of a packet is pending: whole packets are framed in BrokerImpl::frames.
  std::unique_ptr<FrameReader> reader;
  Session* session = nullptr;
  // Who the Authenticator said the client is. Null for an anonymous client until an Authorizer
  // first needs one (BrokerImpl::identity_of).
  std::unique_ptr<Identity> identity;
  MonoTime last_rx{};  // before CONNECT: when the socket opened (CONNECT timeout)
  std::unique_ptr<TopicAliases> aliases_;  // v5 topic aliases; made on first use
  std::unique_ptr<Will> will;              // most clients have none: not inline (a Will is ~0.5 KB)
  std::uint32_t client_max_packet = 0xFFFFFFFF;
  std::uint16_t client_receive_max = 65535;
  std::uint16_t client_alias_max = 0;
  std::uint16_t keep_alive = 0;
  std::uint32_t acks_held = 0;  // acknowledgements waiting for a commit (BrokerImpl::held_acks)
  // authenticating: CONNECT read, the Authenticator has not answered yet; what the client sends
  // meanwhile waits in `reader` (at most max_packet_size bytes).
  enum class State : std::uint8_t { awaiting_connect, authenticating, connected, closed };
  State state = State::awaiting_connect;
  ProtocolVersion version = ProtocolVersion::v311;
  bool problem_info = true;
  bool dispatching = false;       // on_bytes is walking this connection's packets
  bool reads_paused = false;      // max_held_acks reached: packets wait in `reader`, socket paused
  bool filters_delivery = false;  // identity->grant->filters_delivery(), asked once
  TopicAliases& aliases() {
    if (!aliases_) aliases_ = std::make_unique<TopicAliases>();
    return *aliases_;
  }
};

// QoS 0 PUBLISH packets of one routed message, encoded once per wire form and shared by every
// subscriber that gets that form: [v5][retain flag]. Only for deliveries whose bytes do not
// depend on the recipient (no subscription identifier, topic alias or expiry countdown).
struct WireCache {
  Bytes forms[2][2];
};

struct InprocSub {
  std::string filter;
  std::string group;
  std::shared_ptr<std::function<void(const InprocMessage&)>> callback;
};

inline constexpr SubscriberId kInprocBit = SubscriberId{1} << 63;

// sessions_by_client holds the sessions themselves, hashed and compared by their client_id, and
// is searched with a string_view: no second copy of the client id.
struct ClientIdHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view id) const noexcept {
    return std::hash<std::string_view>{}(id);
  }
  std::size_t operator()(const Session* s) const noexcept {
    return (*this)(std::string_view(s->client_id));
  }
};
struct ClientIdEq {
  using is_transparent = void;
  static std::string_view key(std::string_view id) noexcept { return id; }
  static std::string_view key(const Session* s) noexcept { return s->client_id; }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const noexcept {
    return key(a) == key(b);
  }
};

struct BrokerImpl final : SubscriptionOwner {
  BrokerImpl(BrokerOptions o, const Clock& c, std::unique_ptr<Persistence> p);
  void cancel_subscription(std::uint64_t id) override;  // an in-process subscription

  // ---- lifecycle (broker.cpp)
  ConnectionId open(std::shared_ptr<ConnectionSink> sink, ConnectionInfo info);
  void on_bytes(ConnectionId id, const std::uint8_t* data, std::size_t n);
  void on_closed(ConnectionId id);
  void tick();
  // Forgets dropped connections; only at the outermost entry point (see Entry), so a handler up
  // the stack never sees its Connection destroyed.
  void reap();
  void handle_packet(Connection& c, Packet&& p);
  // Ends a connection: will (now or delayed), session kept or dropped, sink closed.
  void drop(Connection& c, ReasonCode reason, bool send_will);
  // v5: DISCONNECT with reason first; then drop (will published).
  void protocol_violation(Connection& c, ReasonCode reason, const std::string& why);
  void send(Connection& c, const Packet& p);
  void send_bytes(Connection& c, Bytes b);
  bool congested(const Connection& c) const;
  void emit_event(const Connection& c, ClientEvent::Kind kind, ReasonCode reason,
                  bool will_published);
  void publish_sys();
  void load_persisted();
  void mark_dirty(Session& s);
  void persist_dirty();
  // Group commit: when none is running (or waiting for its turn) and something was recorded,
  // asks the persistence for a commit; start_commit() takes the batch once the persistence's
  // pacing lets it (at once, or later on this thread). Its answer (on_committed) releases the
  // acknowledgements it covers and starts the next one.
  void maybe_commit();
  void start_commit();
  void on_committed(const Status& st, std::uint64_t batch_id);
  // max_held_acks: pause a connection's reading once it has that many acknowledgements held;
  // resume (and handle the packets it kept) once commits have released half of them.
  void maybe_pause_reading(Connection& c);
  void resume_reading(Connection& c);
  bool acks_wait_for_commit() const { return persistence && opts.ack_after_commit; }
  StoredSession snapshot(const Session& s) const;
  StoredMessage stored_message(const Message& m, std::uint8_t qos, bool retain) const;
  MessagePtr message_from_stored(const StoredMessage& m) const;
  std::string_view intern_transport(std::string_view name);

  // Hands the connection's packets from `reader` to handle_packet until it runs dry, the
  // connection closes or waits for its Authenticator.
  void dispatch(Connection& c, FrameReader& reader);

  // ---- sessions (handle_connect.cpp)
  // A CONNECT that passed the checks, waiting for the Authenticator.
  struct PendingConnect {
    Connect connect;
    std::string client_id;  // as given, or assigned
    Properties ack_props;
  };
  void handle_connect(Connection& c, Connect&& p);
  void refuse_connect(Connection& c, const std::string& client_id, ReasonCode rc,
                      const std::string& why);
  // The Authenticator's answer (now or later; the connection may be gone by then).
  void on_authenticated(ConnectionId id, PendingConnect& pending, AuthResult r);
  void complete_connect(Connection& c, PendingConnect& pending, std::unique_ptr<Identity> identity);
  void handle_disconnect(Connection& c, const Disconnect& p);
  Session* find_session(std::string_view client_id) const;
  Session& create_session(const std::string& client_id);
  void destroy_session(Session& s);
  void publish_will(const Will& w, const Identity& who);
  std::string assign_client_id();
  // The connection's Identity for the Authorizer; an anonymous client's is made on first use.
  // The grant that filters what the session's client may read (connected: its connection's;
  // away: the last connection's), or null when nothing is filtered.
  static const Grant* read_filter(const Session& s) {
    if (s.conn) return s.conn->filters_delivery ? s.conn->identity->grant.get() : nullptr;
    return s.away ? s.away->read_filter.get() : nullptr;
  }
  // Drops queued and not yet sent messages the session's read_filter refuses.
  void drop_unreadable(Session& s);
  std::size_t reauthorize(const Broker::Regrant& decide);
  const Identity& identity_of(Connection& c);
  bool trusted(const Connection& c) const { return c.identity && c.identity->trusted; }

  // ---- publish in and out (handle_publish.cpp)
  void handle_publish(Connection& c, Publish&& p);
  void handle_puback(Connection& c, const PubAck& p);
  // Sends a PUBACK/PUBREC now, or holds it until the commit of what it acknowledges: when
  // `stored` (the message went into a persistent session or the retained store) or when an
  // earlier acknowledgement of this connection is held (acknowledgements keep their order).
  void acknowledge(Connection& c, const PubAck& a, bool stored);
  MessagePtr make_message(std::string topic, Payload payload, std::uint8_t qos, bool retain,
                          const Properties& props, SubscriberId origin);
  void route(const MessagePtr& m);
  void store_retained(const MessagePtr& m);
  // Would retaining `payload_size` bytes on `topic` break max_retained_messages/_bytes? Counts
  // and logs (once until below again) a refusal.
  bool retained_over_cap(std::string_view topic, std::size_t payload_size);
  void drop_expired_retained();
  // cache: route()'s shared encodings of the message (null when there is one recipient).
  void deliver(Session& s, Delivery d, WireCache* cache = nullptr);
  void enqueue(Session& s, Delivery d);
  // Sends queued messages while the window allows; returns how many QoS 1/2 went in flight.
  std::size_t pump(Session& s);
  std::uint16_t next_packet_id(Session& s);
  std::size_t window(const Session& s) const;
  // Sends one PUBLISH to the session's connection; false if dropped (too large for the client).
  bool send_publish(Connection& c, const Delivery& d, std::uint16_t packet_id, bool dup,
                    WireCache* cache = nullptr);
  bool expired(const Message& m) const { return m.expires_at && *m.expires_at <= clock.mono(); }
  void deliver_inproc(const InprocSub& sub, const Message& m, bool retained);

  // ---- subscriptions (handle_subscribe.cpp)
  void handle_subscribe(Connection& c, const Subscribe& p);
  void handle_unsubscribe(Connection& c, const Unsubscribe& p);
  void add_subscription(Session& s, const Subscription& sub);
  void send_retained(Session& s, const Subscription& sub);
  template <class F>
  void for_each_retained(std::string_view filter, F&& f);

  BrokerOptions opts;
  const Clock& clock;
  std::weak_ptr<BrokerImpl> self;  // for answers that arrive later (asynchronous authentication)
  std::unique_ptr<Persistence> persistence;
  std::shared_ptr<Authenticator> authenticator;
  std::shared_ptr<Authorizer> authorizer;
  std::vector<std::function<void(const ClientEvent&)>> listeners;
  TopicLimits limits;

  std::unordered_map<ConnectionId, Connection> connections;
  std::vector<ConnectionId> dead;
  // Kept sessions (client away) per owner, for max_kept_sessions_per_user; owners past the cap
  // are brought back under it in reap(), where no caller holds a session.
  std::unordered_map<std::string, std::uint32_t> kept_by_owner;
  std::vector<std::string> over_cap;
  void note_away(const Session& s);
  void note_back(const Session& s);
  void enforce_session_caps();
  std::unordered_map<SubscriberId, Session> sessions;
  std::unordered_set<Session*, ClientIdHash, ClientIdEq> sessions_by_client;
  std::unordered_map<SubscriberId, InprocSub> inproc;
  RetainedStore retained;
  TopicTree tree;
  std::unordered_set<SubscriberId> dirty;
  // Group commit. `recorded` counts changes handed to the persistence (a PUBLISH that moved it
  // is stored); `batch` is the id of the commit that will carry what is recorded now.
  struct HeldAck {
    ConnectionId conn = 0;
    std::uint64_t batch = 0;
    std::uint16_t packet_id = 0;
    PacketType type = PacketType::puback;
    ReasonCode reason = ReasonCode::success;
  };
  std::deque<HeldAck> held_acks;
  std::uint64_t recorded = 0;
  std::uint64_t batch = 1;
  bool committing = false;  // a commit is running, or waiting for the pacing to take its batch
  MonoTime commit_started{};
  bool retained_cap_logged = false;
  MonoTime commit_retry_at{};  // after a failed commit, the next one waits until then
  std::vector<std::unique_ptr<std::string>> transports;  // transport names not known statically

  ConnectionId next_connection_id = 1;
  SubscriberId next_subscriber_id = 1;
  std::uint64_t next_assigned_id = 1;
  MonoTime started{};
  MonoTime last_sys{};
  MonoTime rate_window{};
  std::uint32_t rate_count = 0;
  BrokerStats st;
  ReplyCounts replies;
  FrameReader frames;        // frames the bytes of connections that have no partial packet
  bool frames_busy = false;  // on_bytes re-entered: the inner call uses the connection's own
  std::vector<std::pair<SubscriberId, SubEntry>> matched;  // scratch for route() (depth 0)
  int route_depth = 0;
  int depth = 0;  // nesting of public entry points (on_bytes, tick, publish, ...)

  // Counts one public entry point for as long as it runs.
  struct Entry {
    explicit Entry(BrokerImpl& b) : b(b) { ++b.depth; }
    // Leaving the outermost entry point: what it recorded goes into the next commit.
    ~Entry() {
      if (--b.depth == 0) b.maybe_commit();
    }
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;
    BrokerImpl& b;
  };
};

template <class F>
void BrokerImpl::for_each_retained(std::string_view filter, F&& f) {
  drop_expired_retained();
  std::vector<MessagePtr> hits;  // callbacks may change the retained store
  retained.match(filter, hits);
  for (auto& m : hits) f(m);
}

}  // namespace weir::mqtt
