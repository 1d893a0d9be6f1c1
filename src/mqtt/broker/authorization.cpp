// Rights that change while clients stay connected: delivery filtering by a connection's grant,
// and re-deciding every connection's grant when the security configuration changes.
#include <spdlog/spdlog.h>

#include "mqtt/broker/broker_impl.hpp"

namespace weir::mqtt {

void BrokerImpl::drop_unreadable(Session& s) {
  const Grant* filter = read_filter(s);
  if (!filter) return;
  const auto before = s.queue.size();
  s.queue.erase_if([&](const Delivery& d) { return !filter->can_receive(d.msg->topic); });
  if (s.queue.size() != before) mark_dirty(s);
}

std::size_t BrokerImpl::reauthorize(const Broker::Regrant& decide) {
  Entry entry(*this);
  std::vector<Connection*> revoked;
  for (auto& [id, c] : connections) {
    if (c.state != Connection::State::connected || !c.identity || c.identity->trusted) continue;
    auto grant = decide(*c.identity);
    if (!grant) {
      revoked.push_back(&c);
      continue;
    }
    c.identity->grant = std::move(grant);
    Session* s = c.session;
    if (!s) continue;
    c.filters_delivery = c.identity->grant->filters_delivery();
    drop_unreadable(*s);
    // Subscriptions the new rights no longer cover end now (v5 has no packet to tell the client:
    // it simply stops receiving them).
    std::vector<std::string> gone;
    for (const auto& sub : s->subscriptions)
      if (authorizer && !authorizer->can_subscribe(*c.identity, sub.filter()))
        gone.push_back(sub.key);
    for (const auto& key : gone) {
      const Subscription* sub = s->find_subscription(key);
      tree.remove(sub->filter(), sub->group(), s->id);
      s->erase_subscription(key);
      spdlog::info("mqtt: subscription {} of {} ended: no longer authorised", key, s->client_id);
    }
    if (!gone.empty()) mark_dirty(*s);
  }
  for (auto* c : revoked) {
    spdlog::info("mqtt: {} ({}) disconnected: no longer authorised",
                 c->session ? c->session->client_id : std::string(), c->identity->username);
    if (c->version == ProtocolVersion::v5) send(*c, Disconnect{ReasonCode::not_authorized, {}});
    drop(*c, ReasonCode::not_authorized, false);
    ++st.revoked_connections;
  }
  // Wills waiting for their delay carry the rights of a connection that is gone.
  for (auto& [id, s] : sessions) {
    if (!s.away || !s.away->will || s.away->will->identity.trusted) continue;
    auto& w = *s.away->will;
    if (!w.identity.grant) continue;  // admitted without an Authenticator
    auto grant = decide(w.identity);
    if (grant)
      w.identity.grant = std::move(grant);
    else
      s.away->will.reset();
  }
  reap();
  return revoked.size();
}

void BrokerImpl::note_away(const Session& s) {
  if (!s.owner_known || !s.away) return;
  const auto n = ++kept_by_owner[s.owner];
  if (opts.max_kept_sessions_per_user != 0 && n > opts.max_kept_sessions_per_user)
    over_cap.push_back(s.owner);
}

void BrokerImpl::note_back(const Session& s) {
  if (!s.owner_known || !s.away) return;
  auto it = kept_by_owner.find(s.owner);
  if (it == kept_by_owner.end()) return;
  if (--it->second == 0) kept_by_owner.erase(it);
}

void BrokerImpl::enforce_session_caps() {
  auto owners = std::move(over_cap);
  over_cap.clear();
  const auto cap = opts.max_kept_sessions_per_user;
  for (const auto& owner : owners) {
    while (cap != 0) {
      auto it = kept_by_owner.find(owner);
      if (it == kept_by_owner.end() || it->second <= cap) break;
      // The account's session that has been away longest (then: the oldest) ends. A scan, but
      // only past the cap.
      Session* oldest = nullptr;
      for (auto& [id, s] : sessions)
        if (!s.conn && s.away && s.owner_known && s.owner == owner &&
            (!oldest || s.away->since < oldest->away->since ||
             (s.away->since == oldest->away->since && s.id < oldest->id)))
          oldest = &s;
      if (!oldest) break;
      spdlog::info("mqtt: session {} ended: account \"{}\" keeps more than {} sessions",
                   oldest->client_id, owner, cap);
      if (oldest->away->will) publish_will(oldest->away->will->will, oldest->away->will->identity);
      ++st.sessions_evicted;
      destroy_session(*oldest);
    }
  }
}

std::size_t Broker::reauthorize(const Regrant& decide) {
  return impl_->reauthorize(decide);
}

}  // namespace weir::mqtt
