#pragma once
// Retained messages (MQTT §3.3.1.3) in a tree with one node per topic level, so a SUBSCRIBE
// visits only the branches its filter can match: an exact level looks up one child, '+' visits
// every child, '#' the whole subtree (the parent level too: "a/#" matches "a"). A filter starting
// with a wildcard does not match topics starting with '$' (MQTT-4.7.2). Expiry deadlines are
// indexed, so dropping expired messages costs nothing while none is due.
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.hpp"
#include "mqtt/broker/message.hpp"

namespace weir::mqtt {

class RetainedStore {
 public:
  RetainedStore();
  ~RetainedStore();
  RetainedStore(const RetainedStore&) = delete;
  RetainedStore& operator=(const RetainedStore&) = delete;

  // Stores m under m->topic (a valid topic name), replacing the message there.
  void put(MessagePtr m);
  // Removes the message on topic and prunes the nodes left empty; false if there was none.
  bool erase(std::string_view topic);
  MessagePtr find(std::string_view topic) const;
  // Appends the messages whose topic matches filter (a valid filter without "$share/"), in topic
  // order. Expired messages are included: call erase_expired() first.
  void match(std::string_view filter, std::vector<MessagePtr>& out) const;
  // Removes every message whose expiry is at or before now, calling on_erase(topic) for each.
  template <class F>
  void erase_expired(MonoTime now, F&& on_erase);
  std::size_t size() const { return count_; }
  // Topic and payload bytes of the stored messages (what the retained caps count).
  std::size_t bytes() const { return bytes_; }
  static std::size_t cost(const Message& m) { return m.topic.size() + m.payload->size(); }
  bool empty() const { return count_ == 0; }
  // Tree nodes besides the root (tests: emptied branches are pruned). Walks the whole tree.
  std::size_t node_count() const;

 private:
  struct Node;
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  using Expiry = std::multimap<MonoTime, Node*>;
  struct Node {
    std::unordered_map<std::string, std::unique_ptr<Node>, Hash, std::equal_to<>> children;
    MessagePtr msg;
    Expiry::iterator expiry;  // meaningful while msg has an expiry
  };
  void match_level(const Node& n, std::size_t i, std::vector<MessagePtr>& out) const;
  static void collect_subtree(const Node& n, bool skip_dollar, std::vector<MessagePtr>& out);

  std::unique_ptr<Node> root_;
  Expiry expiry_;
  std::size_t count_ = 0;
  std::size_t bytes_ = 0;
  mutable std::vector<std::string_view> levels_;  // scratch for match()
};

template <class F>
void RetainedStore::erase_expired(MonoTime now, F&& on_erase) {
  while (!expiry_.empty() && expiry_.begin()->first <= now) {
    const std::string topic = expiry_.begin()->second->msg->topic;
    erase(topic);
    on_erase(topic);
  }
}

}  // namespace weir::mqtt
