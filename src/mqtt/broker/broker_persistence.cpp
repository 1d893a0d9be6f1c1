// Bridging live broker state and the Persistence plug-in: snapshots of changed sessions once
// per tick, retained messages as they change, and restoring everything at start.
#include <spdlog/spdlog.h>

#include "mqtt/broker/broker_impl.hpp"
#include "mqtt/codec/decoder.hpp"
#include "mqtt/codec/encoder.hpp"

namespace weir::mqtt {

void BrokerImpl::mark_dirty(Session& s) {
  if (!persistence || s.expiry_interval == 0) return;
  dirty.insert(s.id);
  ++recorded;
}

StoredMessage BrokerImpl::stored_message(const Message& m, std::uint8_t qos, bool retain) const {
  StoredMessage out;
  out.topic = m.topic;
  out.payload = m.payload;
  out.qos = qos;
  out.retain = retain;
  encode_properties_raw(m.properties, out.properties);
  if (m.expires_at)
    out.expiry_unix_ms = to_unix_ms(
        clock.now() + std::chrono::duration_cast<WallTime::duration>(*m.expires_at - clock.mono()));
  return out;
}

MessagePtr BrokerImpl::message_from_stored(const StoredMessage& sm) const {
  auto m = std::make_shared<Message>();
  m->topic = sm.topic;
  m->payload = sm.payload ? sm.payload : empty_payload();
  m->qos = sm.qos;
  m->retain = sm.retain;
  if (!sm.properties.empty()) {
    auto props = decode_properties_raw(sm.properties, PropertyContext::publish);
    if (props) m->properties = std::move(*props);
  }
  if (sm.expiry_unix_ms != 0) {
    const auto left = from_unix_ms(sm.expiry_unix_ms) - clock.now();
    m->expires_at = clock.mono() + std::chrono::duration_cast<MonoTime::duration>(left);
  }
  return m;
}

StoredSession BrokerImpl::snapshot(const Session& s) const {
  StoredSession out;
  out.client_id = s.client_id;
  if (s.owner_known) out.owner = s.owner;
  out.protocol_version = static_cast<std::uint8_t>(s.version);
  out.expiry_interval = s.expiry_interval;
  out.disconnected_unix_ms = s.conn || !s.away ? 0 : to_unix_ms(s.away->since);
  for (const auto& sub : s.subscriptions)
    out.subscriptions.push_back(
        StoredSubscription{sub.key, sub.options.to_byte(), sub.subscription_id});
  for (const auto& f : s.inflight) {
    StoredMessage m;
    if (f.d.msg)
      m = stored_message(*f.d.msg, f.d.qos, f.d.retain);
    else
      m.payload = empty_payload();
    m.qos = f.d.qos;
    m.packet_id = f.packet_id;
    m.state = f.state == Inflight::State::pubrel_sent ? 1 : 0;
    out.messages.push_back(std::move(m));
  }
  for (const auto& d : s.queue)
    if (d.qos > 0) out.messages.push_back(stored_message(*d.msg, d.qos, d.retain));
  return out;
}

void BrokerImpl::persist_dirty() {
  if (!persistence) return;
  for (auto id : dirty) {
    auto it = sessions.find(id);
    if (it == sessions.end() || it->second.expiry_interval == 0) continue;
    persistence->put_session(snapshot(it->second));
  }
  dirty.clear();
}

void BrokerImpl::maybe_commit() {
  if (!persistence) return;
  persistence->note_pending(held_acks.size(), dirty.size());  // pacing (commit_pacing.hpp)
  if (committing) return;
  if (commit_retry_at != MonoTime{} && clock.mono() < commit_retry_at) return;
  if (dirty.empty() && !persistence->has_pending()) return;
  committing = true;
  const bool now = persistence->ready_to_commit([weak = self]() {
    auto b = weak.lock();
    if (!b) return;
    Entry entry(*b);
    b->start_commit();
  });
  if (now) start_commit();
}

void BrokerImpl::start_commit() {
  if (!dirty.empty()) {
    const auto t0 = clock.mono();
    persist_dirty();
    st.snapshot_time.record(clock.mono() - t0);
  }
  if (!persistence->has_pending()) {  // only sessions that are not kept changed
    committing = false;
    return;
  }
  commit_started = clock.mono();
  const std::uint64_t id = batch++;
  persistence->commit([weak = self, id](Status st) {
    auto b = weak.lock();
    if (!b) return;
    Entry entry(*b);
    b->on_committed(st, id);
    b->reap();
  });
}

void BrokerImpl::on_committed(const Status& st, std::uint64_t batch_id) {
  committing = false;
  this->st.commit_time.record(clock.mono() - commit_started);
  if (!st) {
    // The batch stays recorded; its acknowledgements wait for a commit that works.
    if (commit_retry_at == MonoTime{})
      spdlog::error("mqtt: persistence commit failed (retrying every second): {}",
                    st.error().message);
    commit_retry_at = clock.mono() + std::chrono::seconds(1);
    return;
  }
  if (commit_retry_at != MonoTime{}) spdlog::info("mqtt: persistence commits work again");
  commit_retry_at = MonoTime{};
  std::vector<ConnectionId> paused;
  while (!held_acks.empty() && held_acks.front().batch <= batch_id) {
    const HeldAck a = held_acks.front();
    held_acks.pop_front();
    auto it = connections.find(a.conn);
    if (it == connections.end()) continue;
    Connection& c = it->second;
    --c.acks_held;
    if (c.state == Connection::State::connected) send(c, PubAck{a.type, a.packet_id, a.reason, {}});
    if (c.reads_paused && (paused.empty() || paused.back() != c.id)) paused.push_back(c.id);
  }
  for (auto id : paused) {
    auto it = connections.find(id);
    if (it != connections.end() && it->second.reads_paused &&
        it->second.acks_held <= opts.max_held_acks / 2)
      resume_reading(it->second);
  }
}

void BrokerImpl::maybe_pause_reading(Connection& c) {
  if (opts.max_held_acks == 0 || c.acks_held < opts.max_held_acks || c.reads_paused ||
      c.state != Connection::State::connected)
    return;
  // A transport that cannot pause keeps reading (and the broker keeps handling) as before.
  if (!c.sink->pause_reading(true)) return;
  c.reads_paused = true;
  ++st.reads_paused;
  spdlog::debug("mqtt: {}: {} acknowledgements wait for commits, reading paused",
                c.session ? c.session->client_id : std::string("-"), c.acks_held);
}

void BrokerImpl::resume_reading(Connection& c) {
  c.reads_paused = false;
  c.last_rx = clock.mono();  // keep-alive was not checked while paused
  c.sink->pause_reading(false);
  // What was read before the pause waits in the connection's reader: handle it now (unless
  // this connection's packets are being walked further up the stack, which then goes on).
  if (c.dispatching || !c.reader) return;
  dispatch(c, *c.reader);
  if (c.state != Connection::State::closed && c.reader && c.reader->buffered() == 0)
    c.reader.reset();
}

void BrokerImpl::load_persisted() {
  auto state = persistence->load();
  if (!state) {
    spdlog::error("mqtt: loading persisted state failed: {}", state.error().message);
    return;
  }
  for (const auto& r : state->retained) {
    auto m = message_from_stored(r);
    if (expired(*m) || m->payload->empty()) continue;
    retained.put(std::move(m));
  }
  const auto now_wall = clock.now();
  const auto now = clock.mono();
  for (const auto& ss : state->sessions) {
    if (ss.expiry_interval == 0 || find_session(ss.client_id)) continue;
    const auto disconnected =
        ss.disconnected_unix_ms ? from_unix_ms(ss.disconnected_unix_ms) : now_wall;
    std::optional<MonoTime> expires;
    if (ss.expiry_interval != 0xFFFFFFFF) {
      const auto left = disconnected + std::chrono::seconds(ss.expiry_interval) - now_wall;
      if (left <= WallTime::duration::zero()) {
        persistence->erase_session(ss.client_id);
        continue;
      }
      expires = now + std::chrono::duration_cast<MonoTime::duration>(left);
    }
    Session& s = create_session(ss.client_id);
    s.version = ss.protocol_version == 5 ? ProtocolVersion::v5 : ProtocolVersion::v311;
    s.expiry_interval = ss.expiry_interval;
    s.owner_known = ss.owner.has_value();
    s.owner = ss.owner.value_or("");
    s.away = std::make_unique<Absence>();
    s.away->expires_at = expires.value_or(MonoTime::max());
    s.away->since = disconnected;
    note_away(s);
    for (const auto& sub : ss.subscriptions) {
      if (is_shared_filter(sub.filter) ? !parse_shared_filter(sub.filter, limits)
                                       : !valid_topic_filter(sub.filter, limits))
        continue;
      Subscription x{sub.filter, SubscribeOptions::from_byte(sub.options), sub.subscription_id};
      tree.add(x.filter(), x.group(), SubEntry{s.id, x.options, x.subscription_id});
      s.put_subscription(std::move(x));
    }
    for (const auto& sm : ss.messages) {
      Delivery d;
      d.msg = message_from_stored(sm);
      d.qos = sm.qos;
      d.retain = sm.retain;
      if (sm.packet_id != 0) {
        Inflight f{std::move(d), sm.packet_id,
                   sm.state == 1 ? Inflight::State::pubrel_sent : Inflight::State::publish_sent};
        if (f.state == Inflight::State::pubrel_sent) f.d.msg.reset();
        s.inflight.push_back(std::move(f));
        s.next_packet_id =
            static_cast<std::uint16_t>(sm.packet_id == 0xFFFF ? 1 : sm.packet_id + 1);
      } else {
        s.queue.push_back(std::move(d));
      }
    }
  }
  spdlog::info("mqtt: restored {} sessions and {} retained messages", sessions.size(),
               retained.size());
}

}  // namespace weir::mqtt
