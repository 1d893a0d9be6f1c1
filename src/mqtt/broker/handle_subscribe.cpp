// SUBSCRIBE / UNSUBSCRIBE: validation, ACL, shared subscriptions, retained delivery.
#include <spdlog/spdlog.h>

#include "mqtt/broker/broker_impl.hpp"

namespace weir::mqtt {

void BrokerImpl::add_subscription(Session& s, const std::string& key, const Subscription& sub) {
  s.subscriptions[key] = sub;
  tree.add(sub.filter, sub.group, SubEntry{s.id, sub.options, sub.subscription_id});
  if (s.expiry_interval != 0) mark_dirty(s);
}

void BrokerImpl::send_retained(Session& s, const Subscription& sub) {
  for_each_retained(sub.filter, [&](const MessagePtr& m) {
    Delivery d;
    d.msg = m;
    d.qos = std::min(m->qos, sub.options.qos);
    d.retain = true;
    if (sub.subscription_id) d.subscription_ids.push_back(sub.subscription_id);
    deliver(s, std::move(d));
  });
}

void BrokerImpl::handle_subscribe(Connection& c, const Subscribe& p) {
  Session& s = *c.session;
  const bool v5 = c.version == ProtocolVersion::v5;
  std::uint32_t sub_id = 0;
  if (!p.properties.subscription_identifiers.empty()) {
    if (!opts.subscription_identifiers_available)
      return protocol_violation(c, ReasonCode::subscription_identifiers_not_supported,
                                "subscription identifiers are not available");
    sub_id = p.properties.subscription_identifiers.front();
  }
  Suback ack;
  ack.packet_id = p.packet_id;
  std::vector<std::pair<Subscription, bool>> for_retained;  // (subscription, existed)
  for (const auto& t : p.topics) {
    auto fail = [&](ReasonCode rc, const std::string& why) {
      spdlog::debug("mqtt: {} SUBSCRIBE {}: {}", s.client_id, t.filter, why);
      ack.reasons.push_back(v5 ? rc : ReasonCode::unspecified_error);
    };
    if (auto e = check_topic_filter(t.filter, limits)) {
      fail(ReasonCode::topic_filter_invalid, *e);
      continue;
    }
    Subscription sub;
    sub.filter = t.filter;
    sub.options = t.options;
    sub.options.qos = std::min(t.options.qos, opts.maximum_qos);
    sub.subscription_id = sub_id;
    if (!v5) sub.options = SubscribeOptions{sub.options.qos, false, false, 0};
    if (is_shared_filter(t.filter)) {
      if (!opts.shared_subscription_available) {
        fail(ReasonCode::shared_subscriptions_not_supported, "shared subscriptions are not available");
        continue;
      }
      if (v5 && t.options.no_local)
        return protocol_violation(c, ReasonCode::protocol_error, "No Local on a shared subscription");
      auto sf = parse_shared_filter(t.filter, limits);
      sub.group = std::string(sf->group);
      sub.filter = std::string(sf->filter);
    }
    if (!opts.wildcard_subscription_available && has_wildcards(sub.filter)) {
      fail(ReasonCode::wildcard_subscriptions_not_supported, "wildcard subscriptions are not available");
      continue;
    }
    if (authorizer && !c.identity.trusted && !authorizer->can_subscribe(c.identity, sub.filter)) {
      fail(ReasonCode::not_authorized, "not authorised");
      continue;
    }
    const bool existed = s.subscriptions.contains(t.filter);
    if (!existed && opts.max_subscriptions_per_client != 0 &&
        s.subscriptions.size() >= opts.max_subscriptions_per_client) {
      fail(ReasonCode::quota_exceeded, "too many subscriptions");
      continue;
    }
    add_subscription(s, t.filter, sub);
    ack.reasons.push_back(static_cast<ReasonCode>(sub.options.qos));
    for_retained.emplace_back(sub, existed);
  }
  send(c, ack);
  for (const auto& [sub, existed] : for_retained) {
    if (!sub.group.empty()) continue;  // no retained messages for shared subscriptions
    if (sub.options.retain_handling == 2 || (sub.options.retain_handling == 1 && existed)) continue;
    send_retained(s, sub);
  }
}

void BrokerImpl::handle_unsubscribe(Connection& c, const Unsubscribe& p) {
  Session& s = *c.session;
  Unsuback ack;
  ack.packet_id = p.packet_id;
  for (const auto& f : p.filters) {
    auto it = s.subscriptions.find(f);
    if (it == s.subscriptions.end()) {
      ack.reasons.push_back(ReasonCode::no_subscription_existed);
      continue;
    }
    tree.remove(it->second.filter, it->second.group, s.id);
    s.subscriptions.erase(it);
    if (s.expiry_interval != 0) mark_dirty(s);
    ack.reasons.push_back(ReasonCode::success);
  }
  send(c, ack);
}

}  // namespace weir::mqtt
