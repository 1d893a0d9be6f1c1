#pragma once
// How Weir's own modules (MQTT drivers, the device monitor) publish and subscribe, whichever
// broker carries the messages: the embedded one in-process (InprocPubSub, no socket) or an
// external one (mqtt/client/external_broker.hpp: Mosquitto, EMQX, ...). Everything is called,
// and every callback runs, on the io_context thread.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mqtt/broker/connection.hpp"
#include "mqtt/codec/properties.hpp"

namespace weir::mqtt {

// A message delivered to a subscriber inside Weir. Views are valid during the callback only;
// keep `payload_buffer` (shared, immutable) to hold on to the payload without copying.
struct InprocMessage {
  std::string_view topic;
  std::span<const std::uint8_t> payload;
  Bytes payload_buffer;
  int qos = 0;
  bool retain = false;                     // true when sent because of a retained message
  const Properties* properties = nullptr;  // v5 PUBLISH properties (embedded broker only)
};

// Whatever keeps subscriptions: ends one when its handle goes.
class SubscriptionOwner {
 public:
  virtual ~SubscriptionOwner() = default;
  virtual void cancel_subscription(std::uint64_t id) = 0;
};

// Owns a subscription: destroying it (or unsubscribe()) removes it. Safe to outlive its owner.
class SubscriptionHandle {
 public:
  SubscriptionHandle() = default;
  SubscriptionHandle(std::weak_ptr<SubscriptionOwner> owner, std::uint64_t id)
      : owner_(std::move(owner)), id_(id) {}
  SubscriptionHandle(SubscriptionHandle&& o) noexcept;
  SubscriptionHandle& operator=(SubscriptionHandle&& o) noexcept;
  SubscriptionHandle(const SubscriptionHandle&) = delete;
  SubscriptionHandle& operator=(const SubscriptionHandle&) = delete;
  ~SubscriptionHandle();
  void unsubscribe();
  bool active() const { return id_ != 0 && !owner_.expired(); }

 private:
  std::weak_ptr<SubscriptionOwner> owner_;
  std::uint64_t id_ = 0;
};

class PubSub {
 public:
  virtual ~PubSub() = default;
  virtual void publish(std::string topic, std::vector<std::uint8_t> payload, int qos,
                       bool retain) = 0;
  // Retained messages matching the filter arrive first. An invalid filter: an inactive handle.
  virtual SubscriptionHandle subscribe(std::string filter,
                                       std::function<void(const InprocMessage&)> on_message) = 0;
};

class Broker;

// The embedded broker, in-process: same routing as a client's PUBLISH, trusted (no ACL).
class InprocPubSub final : public PubSub {
 public:
  explicit InprocPubSub(Broker& broker) : broker_(broker) {}
  void publish(std::string topic, std::vector<std::uint8_t> payload, int qos, bool retain) override;
  SubscriptionHandle subscribe(std::string filter,
                               std::function<void(const InprocMessage&)> on_message) override;

 private:
  Broker& broker_;
};

}  // namespace weir::mqtt
