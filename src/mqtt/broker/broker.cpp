#include "mqtt/broker/broker.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "mqtt/broker/broker_impl.hpp"
#include "mqtt/broker/topic_pattern.hpp"
#include "mqtt/codec/decoder.hpp"
#include "mqtt/codec/encoder.hpp"

namespace weir::mqtt {

namespace {
// The shared frame buffer keeps up to this much capacity between calls.
constexpr std::size_t kFramesKeep = 64 * 1024;
}  // namespace

// ---- SubscriptionHandle ---------------------------------------------------------------------

SubscriptionHandle::SubscriptionHandle(SubscriptionHandle&& o) noexcept
    : owner_(std::move(o.owner_)), id_(std::exchange(o.id_, 0)) {}

SubscriptionHandle& SubscriptionHandle::operator=(SubscriptionHandle&& o) noexcept {
  if (this != &o) {
    unsubscribe();
    owner_ = std::move(o.owner_);
    id_ = std::exchange(o.id_, 0);
  }
  return *this;
}

SubscriptionHandle::~SubscriptionHandle() {
  unsubscribe();
}

void SubscriptionHandle::unsubscribe() {
  if (id_ == 0) return;
  if (auto owner = owner_.lock()) owner->cancel_subscription(id_);
  id_ = 0;
  owner_.reset();
}

void InprocPubSub::publish(std::string topic, std::vector<std::uint8_t> payload, int qos,
                           bool retain) {
  broker_.publish(std::move(topic), std::move(payload), qos, retain);
}

SubscriptionHandle InprocPubSub::subscribe(std::string filter,
                                           std::function<void(const InprocMessage&)> on_message) {
  return broker_.subscribe(std::move(filter), std::move(on_message));
}

void BrokerImpl::cancel_subscription(std::uint64_t id) {
  auto it = inproc.find(id);
  if (it == inproc.end()) return;
  tree.remove(it->second.filter, it->second.group, id);
  inproc.erase(it);
}

// ---- BrokerImpl: lifecycle -------------------------------------------------------------------

BrokerImpl::BrokerImpl(BrokerOptions o, const Clock& c, std::unique_ptr<Persistence> p)
    : opts(std::move(o)), clock(c), persistence(std::move(p)), frames(opts.max_packet_size) {
  limits.max_length = opts.max_topic_length;
  limits.max_levels = opts.max_topic_levels;
  started = clock.mono();
  last_sys = started;
  rate_window = started;
  if (!opts.acl.empty()) authorizer = std::make_shared<RuleAuthorizer>(opts.acl);
  if (persistence) load_persisted();
}

std::string_view BrokerImpl::intern_transport(std::string_view name) {
  for (std::string_view known : {"tcp", "tls", "ws", "wss", "inproc"})
    if (name == known) return known;  // string literals: static storage
  for (const auto& t : transports)
    if (*t == name) return *t;
  transports.push_back(std::make_unique<std::string>(name));
  return *transports.back();
}

ConnectionId BrokerImpl::open(std::shared_ptr<ConnectionSink> sink, ConnectionInfo info) {
  const ConnectionId id = next_connection_id++;
  const auto now = clock.mono();
  if (now - rate_window >= std::chrono::seconds(1)) {
    rate_window = now;
    rate_count = 0;
  }
  ++rate_count;
  const bool too_many = opts.max_connections != 0 && connections.size() >= opts.max_connections;
  const bool too_fast =
      opts.max_connections_per_second != 0 && rate_count > opts.max_connections_per_second;
  if (too_many || too_fast) {
    ++st.connections_refused;
    spdlog::warn("mqtt: refusing connection from {}: {}", info.remote_address,
                 too_many ? "max_connections reached" : "max_connections_per_second exceeded");
    sink->close();
    return id;
  }
  Connection& c = connections.try_emplace(id).first->second;
  c.id = id;
  c.sink = std::move(sink);
  c.info.remote_address = std::move(info.remote_address);
  c.info.transport = intern_transport(info.transport);
  c.last_rx = now;  // the CONNECT timeout runs from here
  return id;
}

void BrokerImpl::on_bytes(ConnectionId id, const std::uint8_t* data, std::size_t n) {
  auto it = connections.find(id);
  if (it == connections.end() || it->second.state == Connection::State::closed) return;
  Connection& c = it->second;
  st.bytes_received += n;
  if (c.state == Connection::State::connected) c.last_rx = clock.mono();
  // MQTT-3.1.0-1: the first packet must be a CONNECT. A first byte that cannot start one (an HTTP
  // request, TLS ClientHello, random bytes) closes the socket at once, without a CONNACK, instead
  // of holding it until connect_timeout_s. 0x10 exactly: CONNECT's fixed-header flags are reserved
  // as 0 (MQTT-2.1.3-1).
  if (c.state == Connection::State::awaiting_connect && !c.reader && n > 0 && data[0] != 0x10) {
    spdlog::debug("mqtt: {}: first byte 0x{:02x} cannot start a CONNECT", c.info.remote_address,
                  data[0]);
    drop(c, ReasonCode::protocol_error, false);
    reap();
    return;
  }
  if (c.state == Connection::State::authenticating) {
    // The client may send before its CONNACK; that waits, bounded, for the Authenticator.
    if (!c.reader) c.reader = std::make_unique<FrameReader>(opts.max_packet_size);
    if (c.reader->buffered() + n > opts.max_packet_size) {
      spdlog::debug("mqtt: {}: over {} bytes sent while its CONNECT is being authenticated",
                    c.info.remote_address, opts.max_packet_size);
      drop(c, ReasonCode::packet_too_large, false);
    } else {
      c.reader->feed(data, n);
    }
    reap();
    return;
  }
  // Framing: a connection with part of a packet pending has a reader of its own; the others share
  // `frames` (idle connections hold no buffer), and what a batch leaves over moves to the
  // connection.
  const bool shared = !c.reader && !frames_busy;
  if (!c.reader && !shared) c.reader = std::make_unique<FrameReader>(opts.max_packet_size);
  FrameReader& reader = shared ? frames : *c.reader;
  frames_busy = frames_busy || shared;
  reader.feed(data, n);
  dispatch(c, reader);
  const bool pending = c.state != Connection::State::closed && reader.buffered() > 0;
  if (shared) {
    frames_busy = false;
    if (pending) {
      c.reader = std::make_unique<FrameReader>(std::move(frames));
      frames = FrameReader(opts.max_packet_size);
    } else if (frames.buffered() > 0 || frames.capacity() > kFramesKeep) {
      frames = FrameReader(opts.max_packet_size);  // after an error, or grown by a large packet
    }
  } else if (!pending) {
    c.reader.reset();
  }
  reap();
}

void BrokerImpl::dispatch(Connection& c, FrameReader& reader) {
  c.dispatching = true;
  while (c.state != Connection::State::closed && c.state != Connection::State::authenticating &&
         !c.reads_paused) {
    auto f = reader.next();
    if (!f) {
      protocol_violation(c, f.error().reason, f.error().message);
      break;
    }
    if (!*f) break;
    const Frame frame = **f;
    const bool first = c.state == Connection::State::awaiting_connect;
    if (first && (frame.header >> 4) != static_cast<std::uint8_t>(PacketType::connect)) {
      spdlog::debug("mqtt: {}: first packet is not CONNECT", c.info.remote_address);
      drop(c, ReasonCode::protocol_error, true);
      break;
    }
    auto p = decode_packet(frame.header, frame.body, DecodeOptions{c.version, true});
    if (!p) {
      const auto& e = p.error();
      spdlog::debug("mqtt: {}: {}", c.info.remote_address, e.message);
      if (first) {
        // Answer a bad CONNECT with a CONNACK when its version is known enough to encode one.
        if (e.reason == ReasonCode::unsupported_protocol_version) {
          send(c, Connack{false, e.reason, {}});
        } else if (frame.body.size() >= 7 && frame.body[6] == 5) {
          c.version = ProtocolVersion::v5;
          Connack ack{false, e.reason, {}};
          if (c.problem_info) ack.properties.reason_string = e.message;
          send(c, ack);
        }
        drop(c, e.reason, true);
      } else {
        protocol_violation(c, e.reason, e.message);
      }
      break;
    }
    handle_packet(c, std::move(*p));
  }
  c.dispatching = false;
}

void BrokerImpl::handle_packet(Connection& c, Packet&& p) {
  if (c.state == Connection::State::awaiting_connect) {
    handle_connect(c, std::move(std::get<Connect>(p)));
    return;
  }
  switch (packet_type(p)) {
    case PacketType::publish:
      handle_publish(c, std::move(std::get<Publish>(p)));
      break;
    case PacketType::puback:
    case PacketType::pubrec:
    case PacketType::pubrel:
    case PacketType::pubcomp:
      handle_puback(c, std::get<PubAck>(p));
      break;
    case PacketType::subscribe:
      handle_subscribe(c, std::get<Subscribe>(p));
      break;
    case PacketType::unsubscribe:
      handle_unsubscribe(c, std::get<Unsubscribe>(p));
      break;
    case PacketType::pingreq:
      send(c, PingResp{});
      break;
    case PacketType::disconnect:
      handle_disconnect(c, std::get<Disconnect>(p));
      break;
    case PacketType::connect:
      protocol_violation(c, ReasonCode::protocol_error, "second CONNECT");
      break;
    case PacketType::auth:
      protocol_violation(c, ReasonCode::protocol_error, "AUTH without an authentication method");
      break;
    default:
      protocol_violation(c, ReasonCode::protocol_error,
                         std::string(to_string(packet_type(p))) + " is not sent by clients");
  }
}

void BrokerImpl::on_closed(ConnectionId id) {
  auto it = connections.find(id);
  if (it == connections.end()) return;
  if (it->second.state != Connection::State::closed)
    drop(it->second, ReasonCode::unspecified_error, true);
  reap();
}

void BrokerImpl::reap() {
  if (depth > 1) return;  // an entry point further up may still hold one of them
  for (auto id : dead) connections.erase(id);
  dead.clear();
  if (!over_cap.empty()) enforce_session_caps();
}

void BrokerImpl::send_bytes(Connection& c, Bytes b) {
  st.bytes_sent += b->size();
  c.sink->send(std::move(b));
}

void BrokerImpl::send(Connection& c, const Packet& p) {
  auto buf = std::make_shared<std::vector<std::uint8_t>>();
  encode(p, c.version, *buf);
  send_bytes(c, std::move(buf));
}

bool BrokerImpl::congested(const Connection& c) const {
  return opts.max_queued_bytes != 0 && c.sink->queued_bytes() > opts.max_queued_bytes;
}

void BrokerImpl::protocol_violation(Connection& c, ReasonCode reason, const std::string& why) {
  spdlog::debug("mqtt: {} ({}): {}: {}", c.session ? c.session->client_id : std::string("-"),
                c.info.remote_address, to_string(reason), why);
  if (c.state == Connection::State::connected && c.version == ProtocolVersion::v5) {
    Disconnect d{reason, {}};
    if (c.problem_info) d.properties.reason_string = why;
    send(c, d);
  }
  drop(c, reason, true);
}

void BrokerImpl::emit_event(const Connection& c, ClientEvent::Kind kind, ReasonCode reason,
                            bool will_published) {
  if (listeners.empty()) return;
  ClientEvent e;
  e.kind = kind;
  if (c.session)
    e.client_id = c.session->client_id;
  else if (c.identity)
    e.client_id = c.identity->client_id;
  if (c.identity) e.username = c.identity->username;
  e.connection = c.info;
  e.version = c.version;
  e.reason = reason;
  e.will_published = will_published;
  auto copy = listeners;
  for (auto& l : copy) l(e);
}

void BrokerImpl::drop(Connection& c, ReasonCode reason, bool send_will) {
  if (c.state == Connection::State::closed) return;
  const bool was_connected = c.state == Connection::State::connected;
  c.state = Connection::State::closed;
  dead.push_back(c.id);
  bool will_published = false;
  if (was_connected && c.session) {
    Session& s = *c.session;
    --st.clients_connected;
    s.conn = nullptr;
    if (s.expiry_interval != 0) {
      s.away = std::make_unique<Absence>();
      if (s.expiry_interval != 0xFFFFFFFF)
        s.away->expires_at = clock.mono() + std::chrono::seconds(s.expiry_interval);
      s.away->since = clock.now();
      if (c.filters_delivery) s.away->read_filter = c.identity->grant;
      note_away(s);
    }
    if (send_will && c.will) {
      const std::uint32_t delay = c.will->properties.will_delay_interval.value_or(0);
      if (delay > 0 && s.away) {
        s.away->will = std::make_unique<PendingWill>(
            PendingWill{std::move(*c.will), identity_of(c),
                        clock.mono() + std::chrono::seconds(std::min(delay, s.expiry_interval))});
      } else {
        publish_will(*c.will, identity_of(c));
        will_published = true;
      }
    }
    c.will.reset();
    emit_event(c, ClientEvent::Kind::disconnected, reason, will_published);
    if (!s.away) {
      destroy_session(s);
    } else {
      // QoS 0 messages are not kept for an offline client.
      s.queue.erase_if([](const Delivery& d) { return d.qos == 0; });
      mark_dirty(s);
    }
    c.session = nullptr;
  }
  c.sink->close();
}

void BrokerImpl::tick() {
  const auto now = clock.mono();
  // Keep-alive (1.5x) and CONNECT timeout.
  std::vector<Connection*> expired_conns;
  for (auto& [id, c] : connections) {
    if (c.state == Connection::State::awaiting_connect ||
        c.state == Connection::State::authenticating) {  // an Authenticator's answer too
      if (now - c.last_rx > std::chrono::seconds(opts.connect_timeout_s))
        expired_conns.push_back(&c);
    } else if (c.state == Connection::State::connected && c.keep_alive > 0 && !c.reads_paused) {
      // (A paused connection's packets wait for our commits: not the client's silence.)
      if (now - c.last_rx > std::chrono::milliseconds(c.keep_alive * 1500))
        expired_conns.push_back(&c);
    }
  }
  for (auto* c : expired_conns) {
    if (c->state == Connection::State::connected)
      protocol_violation(*c, ReasonCode::keep_alive_timeout, "no packet within 1.5x keep alive");
    else
      drop(*c, ReasonCode::maximum_connect_time, false);
  }
  // Will delay and session expiry.
  std::vector<Session*> ended;
  for (auto& [id, s] : sessions) {
    if (s.conn || !s.away) continue;
    if (s.away->will && s.away->will->at <= now) {
      auto w = std::move(s.away->will);
      publish_will(w->will, w->identity);
    }
    if (s.away->expires_at <= now) ended.push_back(&s);
  }
  for (auto* s : ended) {
    if (s->away && s->away->will) publish_will(s->away->will->will, s->away->will->identity);
    destroy_session(*s);
  }
  drop_expired_retained();
  if (opts.sys_interval_s > 0 && now - last_sys >= std::chrono::seconds(opts.sys_interval_s)) {
    last_sys = now;
    publish_sys();
  }
  maybe_commit();  // normally started already at the end of the entry point that recorded
  reap();
}

void BrokerImpl::publish_sys() {
  auto s = st;
  s.uptime_s = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(clock.mono() - started).count());
  s.retained_count = retained.size();
  s.subscriptions_count = tree.size();
  s.clients_total = sessions.size();
  auto pub = [&](const char* topic, const std::string& value) {
    auto m = make_message(std::string("$SYS/broker/") + topic,
                          make_payload(std::vector<std::uint8_t>(value.begin(), value.end())), 0,
                          true, {}, 0);
    route(m);
  };
  pub("version", "weir 0.1.0");
  pub("uptime", std::to_string(s.uptime_s) + " seconds");
  pub("clients/connected", std::to_string(s.clients_connected));
  pub("clients/total", std::to_string(s.clients_total));
  pub("clients/maximum", std::to_string(s.clients_maximum));
  pub("messages/received", std::to_string(s.messages_received));
  pub("messages/sent", std::to_string(s.messages_sent));
  pub("messages/dropped", std::to_string(s.messages_dropped));
  pub("bytes/received", std::to_string(s.bytes_received));
  pub("bytes/sent", std::to_string(s.bytes_sent));
  pub("subscriptions/count", std::to_string(s.subscriptions_count));
  pub("retained messages/count", std::to_string(s.retained_count));
}

// ---- Broker facade ----------------------------------------------------------------------------

Broker::Broker(BrokerOptions opts, const weir::Clock& clock,
               std::unique_ptr<Persistence> persistence)
    : impl_(std::make_shared<BrokerImpl>(std::move(opts), clock, std::move(persistence))) {
  impl_->self = impl_;
}

Broker::~Broker() {
  if (impl_->persistence) {
    impl_->persist_dirty();
    (void)impl_->persistence->flush();
  }
}

ConnectionId Broker::open(std::shared_ptr<ConnectionSink> sink, ConnectionInfo info) {
  BrokerImpl::Entry entry(*impl_);
  return impl_->open(std::move(sink), std::move(info));
}
void Broker::on_bytes(ConnectionId id, const std::uint8_t* data, std::size_t n) {
  BrokerImpl::Entry entry(*impl_);
  impl_->on_bytes(id, data, n);
}
void Broker::on_closed(ConnectionId id) {
  BrokerImpl::Entry entry(*impl_);
  impl_->on_closed(id);
}
void Broker::tick() {
  BrokerImpl::Entry entry(*impl_);
  impl_->tick();
}

void Broker::publish(std::string topic, std::vector<std::uint8_t> payload, int qos, bool retain,
                     Properties properties) {
  publish(std::move(topic), make_payload(std::move(payload)), qos, retain, std::move(properties));
}

void Broker::publish(std::string topic, Bytes payload, int qos, bool retain,
                     Properties properties) {
  auto& b = *impl_;
  BrokerImpl::Entry entry(b);
  if (!valid_topic_name(topic, b.limits) || qos < 0 || qos > 2) {
    ++b.st.messages_dropped;
    spdlog::warn("mqtt: in-process publish to invalid topic \"{}\" dropped", topic);
    return;
  }
  if (!payload) payload = empty_payload();
  ++b.st.messages_received;
  properties.topic_alias.reset();
  properties.subscription_identifiers.clear();
  b.route(b.make_message(std::move(topic), std::move(payload), static_cast<std::uint8_t>(qos),
                         retain, properties, 0));
  b.reap();
}

SubscriptionHandle Broker::subscribe(std::string filter,
                                     std::function<void(const InprocMessage&)> on_message) {
  auto& b = *impl_;
  BrokerImpl::Entry entry(b);
  if (!valid_topic_filter(filter, b.limits) || !on_message) return {};
  std::string group, inner = filter;
  if (is_shared_filter(filter)) {
    auto sf = parse_shared_filter(filter, b.limits);
    group = std::string(sf->group);
    inner = std::string(sf->filter);
  }
  const SubscriberId id = kInprocBit | b.next_subscriber_id++;
  InprocSub sub{inner, group,
                std::make_shared<std::function<void(const InprocMessage&)>>(std::move(on_message))};
  b.tree.add(inner, group, SubEntry{id, SubscribeOptions{2, false, true, 0}, 0});
  auto [it, _] = b.inproc.emplace(id, std::move(sub));
  if (group.empty()) {
    auto copy = it->second;
    b.for_each_retained(inner, [&](const MessagePtr& m) { b.deliver_inproc(copy, *m, true); });
  }
  b.reap();
  return SubscriptionHandle(std::weak_ptr<SubscriptionOwner>(impl_), id);
}

void Broker::set_authenticator(std::shared_ptr<Authenticator> a) {
  impl_->authenticator = std::move(a);
}
void Broker::set_authorizer(std::shared_ptr<Authorizer> a) {
  impl_->authorizer = std::move(a);
}
void Broker::on_client_event(std::function<void(const ClientEvent&)> l) {
  impl_->listeners.push_back(std::move(l));
}

BrokerStats Broker::stats() const {
  auto s = impl_->st;
  s.uptime_s = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(impl_->clock.mono() - impl_->started)
          .count());
  s.retained_count = impl_->retained.size();
  s.retained_bytes = impl_->retained.bytes();
  s.acks_held = impl_->held_acks.size();
  s.subscriptions_count = impl_->tree.size();
  s.clients_total = impl_->sessions.size();
  s.inflight_count = 0;
  s.queued_count = 0;
  for (const auto& [id, ses] : impl_->sessions) {
    s.inflight_count += ses.inflight.size();
    s.queued_count += ses.queue.size();
  }
  return s;
}

void Broker::update_options(const BrokerOptions& o) {
  BrokerImpl& b = *impl_;
  BrokerOptions next = o;
  next.persistence = b.opts.persistence;
  next.persistence_path = b.opts.persistence_path;
  next.acl = b.opts.acl;
  b.opts = std::move(next);
  b.limits.max_length = b.opts.max_topic_length;
  b.limits.max_levels = b.opts.max_topic_levels;
  if (!b.frames_busy) b.frames = FrameReader(b.opts.max_packet_size);
}

ReplyCounts Broker::reply_counts() const {
  return impl_->replies;
}

const BrokerOptions& Broker::options() const {
  return impl_->opts;
}

bool Broker::connected(std::string_view client_id) const {
  const Session* s = impl_->find_session(client_id);
  return s && s->conn != nullptr;
}

std::size_t Broker::connection_count() const {
  return impl_->connections.size();
}

void Broker::shutdown() {
  auto& b = *impl_;
  BrokerImpl::Entry entry(b);
  std::vector<Connection*> all;
  for (auto& [id, c] : b.connections) all.push_back(&c);
  for (auto* c : all) {
    if (c->state == Connection::State::connected && c->version == ProtocolVersion::v5)
      b.send(*c, Disconnect{ReasonCode::server_shutting_down, {}});
    b.drop(*c, ReasonCode::server_shutting_down, false);
  }
  b.reap();
  if (b.persistence) {
    b.persist_dirty();
    (void)b.persistence->flush();
  }
}

}  // namespace weir::mqtt
