// SUBSCRIBE / UNSUBSCRIBE: validation, ACL, shared subscriptions, retained delivery.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <string_view>

#include "mqtt/broker/broker_impl.hpp"

namespace weir::mqtt {

std::string_view Subscription::group() const {
  if (!is_shared_filter(key)) return {};
  const auto slash = key.find('/', 7);  // "$share/{group}/{filter}", validated when subscribed
  return std::string_view(key).substr(7, slash - 7);
}

std::string_view Subscription::filter() const {
  if (!is_shared_filter(key)) return key;
  return std::string_view(key).substr(key.find('/', 7) + 1);
}

namespace {
auto subscription_at(std::vector<Subscription>& v, std::string_view key) {
  return std::lower_bound(v.begin(), v.end(), key,
                          [](const Subscription& s, std::string_view k) { return s.key < k; });
}
}  // namespace

Subscription* Session::find_subscription(std::string_view key) {
  auto it = subscription_at(subscriptions, key);
  return it != subscriptions.end() && it->key == key ? &*it : nullptr;
}

bool Session::put_subscription(Subscription sub) {
  auto it = subscription_at(subscriptions, sub.key);
  if (it != subscriptions.end() && it->key == sub.key) {
    *it = std::move(sub);
    return false;
  }
  subscriptions.insert(it, std::move(sub));
  return true;
}

bool Session::erase_subscription(std::string_view key) {
  auto it = subscription_at(subscriptions, key);
  if (it == subscriptions.end() || it->key != key) return false;
  subscriptions.erase(it);
  return true;
}

void BrokerImpl::add_subscription(Session& s, const Subscription& sub) {
  tree.add(sub.filter(), sub.group(), SubEntry{s.id, sub.options, sub.subscription_id});
  s.put_subscription(sub);
  if (s.expiry_interval != 0) mark_dirty(s);
}

void BrokerImpl::send_retained(Session& s, const Subscription& sub) {
  for_each_retained(sub.filter(), [&](const MessagePtr& m) {
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
    sub.key = t.filter;
    sub.options = t.options;
    sub.options.qos = std::min(t.options.qos, opts.maximum_qos);
    sub.subscription_id = sub_id;
    if (!v5) sub.options = SubscribeOptions{sub.options.qos, false, false, 0};
    if (is_shared_filter(t.filter)) {
      if (!opts.shared_subscription_available) {
        fail(ReasonCode::shared_subscriptions_not_supported,
             "shared subscriptions are not available");
        continue;
      }
      if (v5 && t.options.no_local)
        return protocol_violation(c, ReasonCode::protocol_error,
                                  "No Local on a shared subscription");
    }
    if (!opts.wildcard_subscription_available && has_wildcards(sub.filter())) {
      fail(ReasonCode::wildcard_subscriptions_not_supported,
           "wildcard subscriptions are not available");
      continue;
    }
    if (authorizer && !trusted(c) && !authorizer->can_subscribe(identity_of(c), sub.filter())) {
      fail(ReasonCode::not_authorized, "not authorised");
      continue;
    }
    const bool existed = s.find_subscription(t.filter) != nullptr;
    if (!existed && opts.max_subscriptions_per_client != 0 &&
        s.subscriptions.size() >= opts.max_subscriptions_per_client) {
      fail(ReasonCode::quota_exceeded, "too many subscriptions");
      continue;
    }
    add_subscription(s, sub);
    ack.reasons.push_back(static_cast<ReasonCode>(sub.options.qos));
    for_retained.emplace_back(sub, existed);
  }
  send(c, ack);
  for (const auto& [sub, existed] : for_retained) {
    if (!sub.group().empty()) continue;  // no retained messages for shared subscriptions
    if (sub.options.retain_handling == 2 || (sub.options.retain_handling == 1 && existed)) continue;
    send_retained(s, sub);
  }
}

void BrokerImpl::handle_unsubscribe(Connection& c, const Unsubscribe& p) {
  Session& s = *c.session;
  Unsuback ack;
  ack.packet_id = p.packet_id;
  for (const auto& f : p.filters) {
    const Subscription* sub = s.find_subscription(f);
    if (!sub) {
      ack.reasons.push_back(ReasonCode::no_subscription_existed);
      continue;
    }
    tree.remove(sub->filter(), sub->group(), s.id);
    s.erase_subscription(f);
    if (s.expiry_interval != 0) mark_dirty(s);
    ack.reasons.push_back(ReasonCode::success);
  }
  send(c, ack);
}

}  // namespace weir::mqtt
