// CONNECT / CONNACK, DISCONNECT, session creation, takeover and resumption.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "mqtt/broker/broker_impl.hpp"

namespace weir::mqtt {

std::string BrokerImpl::assign_client_id() {
  std::string id;
  do {
    id = "weir-auto-" + std::to_string(next_assigned_id++);
  } while (find_session(id));
  return id;
}

Session* BrokerImpl::find_session(std::string_view client_id) const {
  auto it = sessions_by_client.find(client_id);
  return it == sessions_by_client.end() ? nullptr : *it;
}

Session& BrokerImpl::create_session(const std::string& client_id) {
  const SubscriberId id = next_subscriber_id++;
  Session& s = sessions.try_emplace(id).first->second;
  s.id = id;
  s.client_id = client_id;
  sessions_by_client.insert(&s);
  return s;
}

void BrokerImpl::destroy_session(Session& s) {
  note_back(s);
  for (const auto& sub : s.subscriptions) tree.remove(sub.filter(), sub.group(), s.id);
  if (persistence) persistence->erase_session(s.client_id);
  dirty.erase(s.id);
  sessions_by_client.erase(&s);
  const SubscriberId id = s.id;
  sessions.erase(id);  // s is gone
}

const Identity& BrokerImpl::identity_of(Connection& c) {
  if (!c.identity) {
    c.identity = std::make_unique<Identity>();
    if (c.session) c.identity->client_id = c.session->client_id;
  }
  return *c.identity;
}

void BrokerImpl::publish_will(const Will& w, const Identity& who) {
  if (!w.topic.empty() && w.topic.front() == '$') {  // server topics: see handle_publish
    spdlog::debug("mqtt: will of {} to {} dropped: '$' topics are the server's", who.client_id,
                  w.topic);
    return;
  }
  if (authorizer && !who.trusted && !authorizer->can_publish(who, w.topic)) {
    spdlog::debug("mqtt: will of {} to {} not authorised", who.client_id, w.topic);
    return;
  }
  Properties props = w.properties;
  props.will_delay_interval.reset();
  ++st.messages_received;
  route(make_message(w.topic, w.payload, w.qos, w.retain, props, 0));
}

void BrokerImpl::refuse_connect(Connection& c, const std::string& client_id, ReasonCode rc,
                                const std::string& why) {
  spdlog::debug("mqtt: refusing CONNECT from {} ({}): {}", c.info.remote_address, client_id, why);
  Connack ack{false, rc, {}};
  if (c.version == ProtocolVersion::v5 && c.problem_info) ack.properties.reason_string = why;
  send(c, ack);
  ++st.connections_refused;
  drop(c, rc, false);
}

void BrokerImpl::handle_connect(Connection& c, Connect&& p) {
  c.version = p.version;
  const bool v5 = p.version == ProtocolVersion::v5;
  auto refuse = [&](ReasonCode rc, const std::string& why) {
    refuse_connect(c, p.client_id, rc, why);
  };
  if (v5) {
    c.problem_info = p.properties.request_problem_information.value_or(1) == 1;
    // Enhanced authentication (AUTH exchanges, SCRAM and the like) is not offered: the spec's
    // answer for a method the server does not support is 0x8C.
    if (p.properties.authentication_method)
      return refuse(ReasonCode::bad_authentication_method,
                    "enhanced authentication is not supported");
  }

  // Client identifier.
  auto pending = std::make_shared<PendingConnect>();
  Properties& ack_props = pending->ack_props;
  std::string client_id = p.client_id;
  if (client_id.empty()) {
    if (!v5 && !p.clean_start)
      return refuse(ReasonCode::client_identifier_not_valid, "empty client id needs clean session");
    client_id = assign_client_id();
    if (v5) ack_props.assigned_client_identifier = client_id;
  } else if (client_id.size() > opts.max_client_id_length) {
    return refuse(ReasonCode::client_identifier_not_valid,
                  "client id longer than " + std::to_string(opts.max_client_id_length));
  }

  // Will.
  if (p.will) {
    if (auto e = check_topic_name(p.will->topic, limits))
      return refuse(ReasonCode::topic_name_invalid, "will " + *e);
    if (p.will->qos > opts.maximum_qos)
      return refuse(ReasonCode::qos_not_supported, "will QoS above maximum QoS");
    if (p.will->retain && !opts.retain_available)
      return refuse(ReasonCode::retain_not_supported, "will retain not available");
  }

  // Authentication. An installed Authenticator decides every CONNECT, anonymous ones too.
  // Without one, allow_anonymous lets everyone in (credentials, if any, are not checked) and
  // the client gets no Identity until an Authorizer asks for one.
  if (!authenticator && !opts.allow_anonymous)
    return refuse(ReasonCode::not_authorized, "anonymous access is not allowed");
  pending->connect = std::move(p);
  pending->client_id = std::move(client_id);
  if (!authenticator) return complete_connect(c, *pending, nullptr);

  // The answer may come at once or later (a password hash verified on another thread): until
  // then the connection waits in `authenticating` and what it sends is kept, not handled.
  c.state = Connection::State::authenticating;
  const Connect& q = pending->connect;
  authenticator->authenticate_async(pending->client_id, q.username, q.password, c.info,
                                    [weak = self, id = c.id, pending](AuthResult r) {
                                      if (auto b = weak.lock())
                                        b->on_authenticated(id, *pending, std::move(r));
                                    });
}

void BrokerImpl::on_authenticated(ConnectionId id, PendingConnect& pending, AuthResult r) {
  Entry entry(*this);
  auto it = connections.find(id);
  if (it == connections.end() || it->second.state != Connection::State::authenticating)
    return;  // gone meanwhile
  Connection& c = it->second;
  if (!r.accepted) {
    const ReasonCode rc =
        r.refusal == AuthRefusal::bad_credentials ? ReasonCode::bad_user_name_or_password
        : r.refusal == AuthRefusal::server_busy   ? ReasonCode::server_busy
        : r.refusal == AuthRefusal::rate_limited  ? ReasonCode::connection_rate_exceeded
                                                  : ReasonCode::not_authorized;
    refuse_connect(c, pending.client_id, rc,
                   r.message.empty() ? "authentication refused" : r.message);
  } else {
    auto identity = std::make_unique<Identity>(std::move(r.identity));
    if (identity->client_id.empty()) identity->client_id = pending.client_id;
    complete_connect(c, pending, std::move(identity));
    // Answered later: handle what the client sent while it waited (on_bytes does that itself
    // when the answer came at once).
    if (!c.dispatching && c.reader && c.state == Connection::State::connected) {
      dispatch(c, *c.reader);
      if (c.state != Connection::State::closed && c.reader->buffered() == 0) c.reader.reset();
    }
  }
  reap();
}

void BrokerImpl::complete_connect(Connection& c, PendingConnect& pending,
                                  std::unique_ptr<Identity> identity) {
  Connect& p = pending.connect;
  const std::string& client_id = pending.client_id;
  Properties& ack_props = pending.ack_props;
  const bool v5 = p.version == ProtocolVersion::v5;
  c.identity = std::move(identity);
  const std::string owner = c.identity ? c.identity->username : std::string();

  // The will is authorised now, as a PUBLISH of this connection would be: a client must not
  // leave behind a message it could not send itself.
  if (p.will && authorizer && !trusted(c) &&
      !authorizer->can_publish(identity_of(c), p.will->topic))
    return refuse_connect(c, client_id, ReasonCode::not_authorized,
                          "not authorised to publish the will to " + p.will->topic);

  // A session belongs to the account that made it: another account may neither resume it, nor
  // clean it, nor take its client id over from a connected client.
  if (Session* prev = find_session(client_id); prev && prev->owner_known && prev->owner != owner) {
    ++st.client_id_refusals;
    return refuse_connect(c, client_id, ReasonCode::client_identifier_not_valid,
                          "client id in use by another account");
  }

  // Takeover: the existing connection with this client id is closed first.
  if (Session* prev = find_session(client_id); prev && prev->conn) {
    Connection& old = *prev->conn;
    if (old.version == ProtocolVersion::v5)
      send(old, Disconnect{ReasonCode::session_taken_over, {}});
    drop(old, ReasonCode::session_taken_over, true);
  }

  // Session expiry.
  std::uint32_t expiry =
      v5 ? p.properties.session_expiry_interval.value_or(0) : (p.clean_start ? 0 : 0xFFFFFFFF);
  if (expiry > opts.session_expiry_max) {
    expiry = opts.session_expiry_max;
    if (v5) ack_props.session_expiry_interval = expiry;
  }

  // Clean start or resume.
  Session* s = nullptr;
  bool present = false;
  if (Session* prev = find_session(client_id)) {
    if (!prev->owner_known) {
      spdlog::info(
          "mqtt: session {} of an unknown account (stored by an older version) starts "
          "afresh",
          client_id);
      if (prev->away && prev->away->will)
        publish_will(prev->away->will->will, prev->away->will->identity);
      destroy_session(*prev);
    } else if (p.clean_start) {
      if (prev->away && prev->away->will)
        publish_will(prev->away->will->will, prev->away->will->identity);
      destroy_session(*prev);
    } else {
      s = prev;
      present = true;
    }
  }
  if (!s) s = &create_session(client_id);
  s->version = p.version;
  s->owner = owner;
  s->owner_known = true;
  c.filters_delivery = c.identity && c.identity->grant && c.identity->grant->filters_delivery();
  s->expiry_interval = expiry;
  note_back(*s);
  s->away.reset();  // back: no expiry, and a delayed will is cancelled
  s->conn = &c;
  c.session = s;
  // What was queued while away under other rights (or before a restart) is checked again.
  if (present && c.filters_delivery) drop_unreadable(*s);
  if (p.will) c.will = std::make_unique<Will>(std::move(*p.will));

  // Keep alive.
  c.keep_alive = p.keep_alive;
  if (opts.max_keepalive > 0 && (p.keep_alive == 0 || p.keep_alive > opts.max_keepalive)) {
    if (v5) {
      c.keep_alive = opts.max_keepalive;
      ack_props.server_keep_alive = opts.max_keepalive;
    } else if (p.keep_alive > opts.max_keepalive) {
      c.keep_alive = opts.max_keepalive;
    }
  }

  if (v5) {
    c.client_receive_max = p.properties.receive_maximum.value_or(65535);
    c.client_max_packet = p.properties.maximum_packet_size.value_or(0xFFFFFFFF);
    c.client_alias_max = p.properties.topic_alias_maximum.value_or(0);
    if (opts.max_inflight != 65535) ack_props.receive_maximum = opts.max_inflight;
    ack_props.maximum_packet_size = opts.max_packet_size;
    if (opts.topic_alias_maximum > 0) ack_props.topic_alias_maximum = opts.topic_alias_maximum;
    if (opts.maximum_qos < 2) ack_props.maximum_qos = opts.maximum_qos;
    if (!opts.retain_available) ack_props.retain_available = 0;
    if (!opts.wildcard_subscription_available) ack_props.wildcard_subscription_available = 0;
    if (!opts.subscription_identifiers_available) ack_props.subscription_identifier_available = 0;
    if (!opts.shared_subscription_available) ack_props.shared_subscription_available = 0;
  }

  c.state = Connection::State::connected;
  c.last_rx = clock.mono();  // keep alive from here
  ++st.clients_connected;
  st.clients_maximum = std::max(st.clients_maximum, st.clients_connected);
  send(c, Connack{present, ReasonCode::success, std::move(ack_props)});
  mark_dirty(*s);
  emit_event(c, ClientEvent::Kind::connected, ReasonCode::success, false);
  if (c.state != Connection::State::connected) return;

  // Resume: retransmit unacknowledged messages (DUP) and PUBRELs in order, then the queue.
  for (auto it = s->inflight.begin(); it != s->inflight.end();) {
    if (it->state == Inflight::State::pubrel_sent) {
      send(c, PubAck{PacketType::pubrel, it->packet_id, ReasonCode::success, {}});
      ++it;
    } else if (send_publish(c, it->d, it->packet_id, true)) {
      ++it;
    } else {
      it = s->inflight.erase(it);
    }
  }
  pump(*s);
}

void BrokerImpl::handle_disconnect(Connection& c, const Disconnect& p) {
  Session* s = c.session;
  if (c.version == ProtocolVersion::v5 && s && p.properties.session_expiry_interval) {
    if (s->expiry_interval == 0 && *p.properties.session_expiry_interval != 0)
      return protocol_violation(c, ReasonCode::protocol_error,
                                "DISCONNECT sets a Session Expiry Interval after CONNECT had 0");
    s->expiry_interval = std::min(*p.properties.session_expiry_interval, opts.session_expiry_max);
  }
  const bool with_will =
      c.version == ProtocolVersion::v5 && p.reason == ReasonCode::disconnect_with_will;
  drop(c, p.reason, with_will);
}

}  // namespace weir::mqtt
