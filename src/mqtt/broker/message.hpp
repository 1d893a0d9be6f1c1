#pragma once
// One application message as the broker routes it: shared (immutable) by every queue, in-flight
// slot and retained entry it sits in.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/clock.hpp"
#include "mqtt/broker/topic_tree.hpp"
#include "mqtt/codec/packet.hpp"

namespace weir::mqtt {

struct Message {
  std::string topic;
  Payload payload;
  std::uint8_t qos = 0;
  bool retain = false;
  Properties properties;               // forwardable PUBLISH properties only
  std::optional<MonoTime> expires_at;  // from Message Expiry Interval
  SubscriberId origin = 0;             // for No Local
};
using MessagePtr = std::shared_ptr<const Message>;

}  // namespace weir::mqtt
