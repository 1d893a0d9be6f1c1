// PUBLISH in (QoS 0/1/2, topic aliases, ACL), routing and fan-out, and PUBLISH out (inflight
// window, queue, DUP retransmission, message expiry, client limits).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "mqtt/broker/broker_impl.hpp"
#include "mqtt/codec/encoder.hpp"

namespace weir::mqtt {

MessagePtr BrokerImpl::make_message(std::string topic, Payload payload, std::uint8_t qos,
                                    bool retain, const Properties& props, SubscriberId origin) {
  auto m = std::make_shared<Message>();
  m->topic = std::move(topic);
  m->payload = std::move(payload);
  m->qos = qos;
  m->retain = retain;
  m->origin = origin;
  // Forward only what travels with an application message.
  m->properties.payload_format_indicator = props.payload_format_indicator;
  m->properties.content_type = props.content_type;
  m->properties.response_topic = props.response_topic;
  m->properties.correlation_data = props.correlation_data;
  m->properties.user_properties = props.user_properties;
  if (props.message_expiry_interval) {
    m->properties.message_expiry_interval = props.message_expiry_interval;
    m->expires_at = clock.mono() + std::chrono::seconds(*props.message_expiry_interval);
  }
  return m;
}

void BrokerImpl::handle_publish(Connection& c, Publish&& p) {
  Session& s = *c.session;
  const bool v5 = c.version == ProtocolVersion::v5;
  if (v5 && p.properties.topic_alias) {
    const auto alias = *p.properties.topic_alias;
    if (alias == 0 || alias > opts.topic_alias_maximum)
      return protocol_violation(c, ReasonCode::topic_alias_invalid,
                                "topic alias " + std::to_string(alias) + " above the maximum " +
                                    std::to_string(opts.topic_alias_maximum));
    if (!p.topic.empty()) {
      c.aliases().inbound[alias] = p.topic;
    } else {
      auto& inbound = c.aliases().inbound;
      auto it = inbound.find(alias);
      if (it == inbound.end())
        return protocol_violation(c, ReasonCode::protocol_error,
                                  "unknown topic alias " + std::to_string(alias));
      p.topic = it->second;
    }
  }
  if (auto e = check_topic_name(p.topic, limits))
    return protocol_violation(c, ReasonCode::topic_name_invalid, *e);
  if (!p.properties.subscription_identifiers.empty())
    return protocol_violation(c, ReasonCode::protocol_error,
                              "PUBLISH from a client carries a Subscription Identifier");
  if (p.qos > opts.maximum_qos)
    return protocol_violation(c, ReasonCode::qos_not_supported, "QoS above the maximum QoS");
  if (p.retain && !opts.retain_available)
    return protocol_violation(c, ReasonCode::retain_not_supported, "retain is not available");

  ++st.messages_received;
  // Topics starting with '$' ($SYS/...) belong to the server (MQTT-4.7.2): no network client may
  // publish there, whatever the ACL says; Weir's own in-process publish() does not come here.
  // Handled like an ACL refusal: v5 acks with 0x87 (QoS 0: dropped); v3.1.1 has no negative ack,
  // so the PUBACK/PUBREC flow completes normally and the message is silently discarded.
  const bool reserved = !p.topic.empty() && p.topic.front() == '$';
  const bool permitted =
      !reserved && (!authorizer || trusted(c) || authorizer->can_publish(identity_of(c), p.topic));
  if (!permitted) spdlog::debug("mqtt: {} may not publish to {}", s.client_id, p.topic);
  const bool over_quota = permitted && p.retain && retained_over_cap(p.topic, p.payload->size());
  const bool allowed = permitted && !over_quota;
  const ReasonCode ack_rc = !permitted   ? ReasonCode::not_authorized
                            : over_quota ? ReasonCode::quota_exceeded
                                         : ReasonCode::success;

  const std::uint64_t recorded_before = recorded;
  auto stored = [&] { return recorded != recorded_before; };
  switch (p.qos) {
    case 0:
      if (allowed)
        route(make_message(std::move(p.topic), std::move(p.payload), 0, p.retain, p.properties,
                           s.id));
      break;
    case 1:
      if (allowed)
        route(make_message(std::move(p.topic), std::move(p.payload), 1, p.retain, p.properties,
                           s.id));
      if (c.state == Connection::State::connected)
        acknowledge(c, PubAck{PacketType::puback, p.packet_id, ack_rc, {}}, stored());
      break;
    case 2:
      if (std::ranges::find(s.inbound_qos2, p.packet_id) != s.inbound_qos2.end()) {
        // a retransmission: already routed (its PUBREC may still wait for the commit)
        acknowledge(c, PubAck{PacketType::pubrec, p.packet_id, ReasonCode::success, {}}, false);
        break;
      }
      if (s.inbound_qos2.size() >= opts.max_inflight)
        return protocol_violation(c, ReasonCode::receive_maximum_exceeded,
                                  "more QoS 2 messages in flight than Receive Maximum");
      if (allowed)
        route(make_message(std::move(p.topic), std::move(p.payload), 2, p.retain, p.properties,
                           s.id));
      if (c.state != Connection::State::connected) break;
      // A v5 error PUBREC ends the exchange.
      if (allowed || !v5) s.inbound_qos2.push_back(p.packet_id);
      acknowledge(c, PubAck{PacketType::pubrec, p.packet_id, ack_rc, {}}, stored());
      break;
  }
}

void BrokerImpl::acknowledge(Connection& c, const PubAck& a, bool stored) {
  const bool wait = stored && acks_wait_for_commit();
  if (c.acks_held == 0 && !wait) {
    if (a.type == PacketType::puback) ++replies.pubacks;
    return send(c, a);
  }
  // Held only to keep the order: batch 0 goes out with whatever is ahead of it in the queue.
  held_acks.push_back(HeldAck{c.id, wait ? batch : 0, a.packet_id, a.type, a.reason});
  ++c.acks_held;
  maybe_pause_reading(c);
}

void BrokerImpl::handle_puback(Connection& c, const PubAck& p) {
  Session& s = *c.session;
  auto find = [&](Inflight::State state, std::uint8_t qos) {
    return std::find_if(s.inflight.begin(), s.inflight.end(), [&](const Inflight& f) {
      return f.packet_id == p.packet_id && f.state == state && f.d.qos == qos;
    });
  };
  switch (p.type) {
    case PacketType::puback: {
      auto it = find(Inflight::State::publish_sent, 1);
      if (it != s.inflight.end()) {
        s.inflight.erase(it);
        mark_dirty(s);
        replies.refills += pump(s);
      }
      break;
    }
    case PacketType::pubrec: {
      auto it = find(Inflight::State::publish_sent, 2);
      if (it == s.inflight.end()) {
        auto again = find(Inflight::State::pubrel_sent, 2);
        send(c, PubAck{PacketType::pubrel,
                       p.packet_id,
                       again != s.inflight.end() ? ReasonCode::success
                                                 : ReasonCode::packet_identifier_not_found,
                       {}});
        break;
      }
      if (is_error(p.reason)) {
        s.inflight.erase(it);
        pump(s);
      } else {
        it->state = Inflight::State::pubrel_sent;
        it->d.msg.reset();  // the message itself is delivered; only the id remains
        send(c, PubAck{PacketType::pubrel, p.packet_id, ReasonCode::success, {}});
      }
      mark_dirty(s);
      break;
    }
    case PacketType::pubrel: {
      auto it = std::ranges::find(s.inbound_qos2, p.packet_id);
      const bool known = it != s.inbound_qos2.end();
      if (known) {
        *it = s.inbound_qos2.back();  // order does not matter
        s.inbound_qos2.pop_back();
      }
      send(c, PubAck{PacketType::pubcomp,
                     p.packet_id,
                     known ? ReasonCode::success : ReasonCode::packet_identifier_not_found,
                     {}});
      break;
    }
    case PacketType::pubcomp: {
      auto it = find(Inflight::State::pubrel_sent, 2);
      if (it != s.inflight.end()) {
        s.inflight.erase(it);
        mark_dirty(s);
        pump(s);
      }
      break;
    }
    default:
      break;
  }
}

bool BrokerImpl::retained_over_cap(std::string_view topic, std::size_t payload_size) {
  if (payload_size == 0 || !opts.retain_available) return false;  // a removal is always allowed
  const MessagePtr existing = retained.find(topic);
  const std::size_t count = retained.size() + (existing ? 0 : 1);
  const std::size_t bytes = retained.bytes() - (existing ? RetainedStore::cost(*existing) : 0) +
                            topic.size() + payload_size;
  const bool over = (opts.max_retained_messages != 0 && count > opts.max_retained_messages) ||
                    (opts.max_retained_bytes != 0 && bytes > opts.max_retained_bytes);
  if (!over) {
    retained_cap_logged = false;
    return false;
  }
  ++st.retained_refused;
  if (!retained_cap_logged)
    spdlog::warn(
        "mqtt: retained messages at their cap ({} of max_retained_messages {}, {} of "
        "max_retained_bytes {} bytes): new retained topics are refused (said once until below)",
        retained.size(), opts.max_retained_messages, retained.bytes(), opts.max_retained_bytes);
  retained_cap_logged = true;
  return true;
}

void BrokerImpl::store_retained(const MessagePtr& m) {
  if (m->payload->empty()) {
    if (retained.erase(m->topic) && persistence) {
      persistence->erase_retained(m->topic);
      ++recorded;
    }
    return;
  }
  retained.put(m);
  if (persistence) {
    persistence->put_retained(stored_message(*m, m->qos, true));
    ++recorded;
  }
}

void BrokerImpl::drop_expired_retained() {
  retained.erase_expired(clock.mono(), [&](const std::string& topic) {
    if (persistence) persistence->erase_retained(topic);
  });
}

void BrokerImpl::route(const MessagePtr& m) {
  if (m->retain && opts.retain_available) store_retained(m);

  // Collect matches first (callbacks may change the tree), merging overlapping subscriptions
  // of one subscriber: highest QoS, all subscription identifiers. An in-process callback may
  // publish (route again): only the outermost call uses the scratch vector.
  std::vector<std::pair<SubscriberId, SubEntry>> nested;
  auto& matched = route_depth == 0 ? this->matched : nested;
  matched.clear();
  struct Depth {
    int& d;
    explicit Depth(int& d) : d(d) { ++d; }
    ~Depth() { --d; }
  } depth_guard(route_depth);
  tree.match(
      m->topic,
      [&](const SubEntry& e) {
        if (e.options.no_local && e.who == m->origin) return;
        matched.emplace_back(e.who, e);
      },
      [&](SharedGroup& g) {
        // Round-robin, preferring members that are online.
        const std::size_t n = g.members.size();
        if (n == 0) return;
        std::size_t pick = g.next % n;
        for (std::size_t k = 0; k < n; ++k) {
          const auto& cand = g.members[(g.next + k) % n];
          const bool online = (cand.who & kInprocBit) != 0 || [&] {
            auto it = sessions.find(cand.who);
            return it != sessions.end() && it->second.conn != nullptr;
          }();
          if (online) {
            pick = (g.next + k) % n;
            break;
          }
        }
        g.next = (pick + 1) % n;
        matched.emplace_back(g.members[pick].who, g.members[pick]);
      });
  if (matched.empty()) return;
  std::sort(matched.begin(), matched.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });

  WireCache cache;  // QoS 0 packets encoded once, shared by the subscribers
  for (std::size_t i = 0; i < matched.size();) {
    const SubscriberId who = matched[i].first;
    Delivery d;
    d.msg = m;
    bool rap = false;
    std::uint8_t qos = 0;
    for (; i < matched.size() && matched[i].first == who; ++i) {
      const auto& e = matched[i].second;
      qos = std::max(qos, e.options.qos);
      rap = rap || e.options.retain_as_published;
      if (e.subscription_id) d.subscription_ids.push_back(e.subscription_id);
    }
    if (who & kInprocBit) {
      auto it = inproc.find(who);
      if (it == inproc.end()) continue;
      auto sub = it->second;  // keeps the callback alive if it unsubscribes itself
      deliver_inproc(sub, *m, false);
      continue;
    }
    auto it = sessions.find(who);
    if (it == sessions.end()) continue;
    d.qos = std::min(qos, m->qos);
    d.retain = rap && m->retain;
    deliver(it->second, std::move(d), &cache);
  }
  matched.clear();
}

void BrokerImpl::deliver_inproc(const InprocSub& sub, const Message& m, bool retained_flag) {
  if (expired(m)) return;
  InprocMessage im;
  im.topic = m.topic;
  im.payload = std::span<const std::uint8_t>(m.payload->data(), m.payload->size());
  im.payload_buffer = m.payload;
  im.qos = m.qos;
  im.retain = retained_flag;
  im.properties = &m.properties;
  ++st.messages_sent;
  auto cb = sub.callback;
  (*cb)(im);
}

std::size_t BrokerImpl::window(const Session& s) const {
  if (!s.conn) return 0;
  // v5: the client's Receive Maximum, but never above our own max_inflight.
  return s.conn->version == ProtocolVersion::v5
             ? std::min<std::size_t>(s.conn->client_receive_max, opts.max_inflight)
             : opts.max_inflight;
}

std::uint16_t BrokerImpl::next_packet_id(Session& s) {
  for (;;) {
    const std::uint16_t id = s.next_packet_id++;
    if (s.next_packet_id == 0) s.next_packet_id = 1;
    if (std::none_of(s.inflight.begin(), s.inflight.end(),
                     [&](const Inflight& f) { return f.packet_id == id; }))
      return id;
  }
}

void BrokerImpl::enqueue(Session& s, Delivery d) {
  if (s.queue.size() >= opts.max_queued_messages) {
    auto q0 =
        std::find_if(s.queue.begin(), s.queue.end(), [](const Delivery& x) { return x.qos == 0; });
    if (q0 != s.queue.end()) {
      s.queue.erase(q0);
      ++st.messages_dropped;
    } else {
      ++st.messages_dropped;
      spdlog::debug("mqtt: queue of {} full, message to {} dropped", s.client_id, d.msg->topic);
      return;
    }
  }
  s.queue.push_back(std::move(d));
  if (s.expiry_interval != 0) mark_dirty(s);
}

void BrokerImpl::deliver(Session& s, Delivery d, WireCache* cache) {
  if (expired(*d.msg)) return;
  if (const Grant* f = read_filter(s); f && !f->can_receive(d.msg->topic)) return;
  Connection* c = s.conn;
  if (d.qos == 0) {
    if (!c) return;  // QoS 0 is not kept for offline clients
    if (congested(*c)) {
      ++st.messages_dropped;
      return;
    }
    if (!s.queue.empty()) {
      enqueue(s, std::move(d));  // keep order behind held-back messages
      return;
    }
    send_publish(*c, d, 0, false, cache);
    return;
  }
  if (c && s.queue.empty() && s.inflight.size() < window(s) && !congested(*c)) {
    const auto id = next_packet_id(s);
    if (send_publish(*c, d, id, false)) {
      s.inflight.push_back(Inflight{std::move(d), id, Inflight::State::publish_sent});
      if (s.expiry_interval != 0) mark_dirty(s);
    }
    return;
  }
  enqueue(s, std::move(d));
}

std::size_t BrokerImpl::pump(Session& s) {
  Connection* c = s.conn;
  std::size_t in_flight = 0;
  while (c && c->state == Connection::State::connected && !s.queue.empty() && !congested(*c)) {
    Delivery& d = s.queue.front();
    if (expired(*d.msg)) {
      s.queue.pop_front();
      continue;
    }
    if (d.qos == 0) {
      send_publish(*c, d, 0, false);
      s.queue.pop_front();
      continue;
    }
    if (s.inflight.size() >= window(s)) break;
    const auto id = next_packet_id(s);
    if (send_publish(*c, d, id, false)) {
      s.inflight.push_back(Inflight{std::move(d), id, Inflight::State::publish_sent});
      ++in_flight;
    }
    s.queue.pop_front();
    if (s.expiry_interval != 0) mark_dirty(s);
  }
  return in_flight;
}

bool BrokerImpl::send_publish(Connection& c, const Delivery& d, std::uint16_t packet_id, bool dup,
                              WireCache* cache) {
  const Message& m = *d.msg;
  const bool v5 = c.version == ProtocolVersion::v5;
  auto too_large = [&] {
    ++st.messages_dropped;
    spdlog::debug("mqtt: message to {} exceeds the client's maximum packet size; dropped", m.topic);
    return false;
  };
  // The same bytes for every subscriber of this form: encoded once, shared.
  const bool shareable =
      cache && d.qos == 0 &&
      (!v5 || (d.subscription_ids.empty() && c.client_alias_max == 0 && !m.expires_at));
  if (shareable) {
    Bytes& form = cache->forms[v5 ? 1 : 0][d.retain ? 1 : 0];
    if (!form) {
      PublishParts p;
      p.topic = m.topic;
      p.payload = *m.payload;
      p.retain = d.retain;
      if (v5) {
        p.properties = &m.properties;
        p.message_expiry_interval = m.properties.message_expiry_interval;
        p.topic_alias = m.properties.topic_alias;
      }
      auto buf = std::make_shared<std::vector<std::uint8_t>>();
      encode_publish(p, c.version, *buf);
      form = std::move(buf);
    }
    if (v5 && form->size() > c.client_max_packet) return too_large();
    ++st.messages_sent;
    send_bytes(c, form);
    return true;
  }
  PublishParts p;
  p.topic = m.topic;
  p.payload = *m.payload;
  p.qos = d.qos;
  p.retain = d.retain;
  p.dup = dup && d.qos > 0;
  p.packet_id = packet_id;
  if (v5) {
    p.properties = &m.properties;
    p.message_expiry_interval = m.properties.message_expiry_interval;
    if (m.expires_at) {
      const auto left =
          std::chrono::ceil<std::chrono::seconds>(*m.expires_at - clock.mono()).count();
      p.message_expiry_interval = static_cast<std::uint32_t>(std::max<std::int64_t>(left, 1));
    }
    p.subscription_identifiers = d.subscription_ids;
    p.topic_alias = m.properties.topic_alias;
    // Checked with the full topic, before an alias is assigned that the client would never see.
    if (publish_size(p, c.version) > c.client_max_packet) return too_large();
    if (c.client_alias_max > 0) {
      auto& outbound = c.aliases().outbound;
      if (auto it = outbound.find(m.topic); it != outbound.end()) {
        p.topic_alias = it->second;
        p.topic = {};
      } else if (outbound.size() < c.client_alias_max) {
        const auto alias = static_cast<std::uint16_t>(outbound.size() + 1);
        outbound.emplace(m.topic, alias);
        p.topic_alias = alias;
      }
    }
  }
  auto buf = std::make_shared<std::vector<std::uint8_t>>();
  encode_publish(p, c.version, *buf);
  ++st.messages_sent;
  send_bytes(c, std::move(buf));
  return true;
}

}  // namespace weir::mqtt
