#pragma once
// Subscription index: one node per topic level, '+' and '#' as ordinary child keys that the
// matcher treats specially. Shared subscriptions ($share/group/filter) live on the node of
// their inner filter as groups; the broker picks one member per group (round-robin).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mqtt/codec/packet.hpp"

namespace weir::mqtt {

using SubscriberId = std::uint64_t;

struct SubEntry {
  SubscriberId who = 0;
  SubscribeOptions options;
  std::uint32_t subscription_id = 0;  // 0 = none
};

struct SharedGroup {
  std::string name;
  std::vector<SubEntry> members;
  std::size_t next = 0;  // round-robin cursor
};

class TopicTree {
 public:
  TopicTree();
  ~TopicTree();
  // Adds or replaces who's subscription to filter (group empty = not shared). True if new.
  bool add(std::string_view filter, std::string_view group, const SubEntry& e);
  // True if there was such a subscription.
  bool remove(std::string_view filter, std::string_view group, SubscriberId who);
  // Calls on_sub for every plain subscription and on_group for every shared group matching the
  // topic ('$' topics are not matched by a leading wildcard). Do not modify the tree meanwhile.
  void match(std::string_view topic, const std::function<void(const SubEntry&)>& on_sub,
             const std::function<void(SharedGroup&)>& on_group);
  std::size_t size() const { return count_; }

 private:
  struct Node;
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  struct Node {
    std::unordered_map<std::string, std::unique_ptr<Node>, Hash, std::equal_to<>> children;
    std::vector<SubEntry> subs;
    std::vector<SharedGroup> groups;
    bool empty() const { return children.empty() && subs.empty() && groups.empty(); }
  };
  void match_level(Node& n, std::size_t i, bool dollar,
                   const std::function<void(const SubEntry&)>& on_sub,
                   const std::function<void(SharedGroup&)>& on_group);
  static void emit(Node& n, const std::function<void(const SubEntry&)>& on_sub,
                   const std::function<void(SharedGroup&)>& on_group);

  std::unique_ptr<Node> root_;
  std::size_t count_ = 0;
  std::vector<std::string_view> levels_;  // scratch for match()
};

void split_levels(std::string_view s, std::vector<std::string_view>& out);

}  // namespace weir::mqtt
