#pragma once
// The in-process event bus: modules publish typed messages and subscribe to the types they care
// about, without including each other. Synchronous and single-threaded (the io thread), so a
// publish costs a few indirect calls and no allocation.
#include <cassert>
#include <cstddef>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

namespace weir::bus {

namespace detail {
inline std::size_t next_type_index() {
  static std::size_t counter = 0;
  return counter++;
}
template <class M>
std::size_t type_index() {
  static const std::size_t index = next_type_index();
  return index;
}
}  // namespace detail

class Bus;

// Unsubscribes when destroyed (or on reset()). Movable, not copyable.
class Subscription {
 public:
  Subscription() = default;
  Subscription(Subscription&& o) noexcept : cancel_(std::move(o.cancel_)) { o.cancel_ = nullptr; }
  Subscription& operator=(Subscription&& o) noexcept {
    if (this != &o) {
      reset();
      cancel_ = std::move(o.cancel_);
      o.cancel_ = nullptr;
    }
    return *this;
  }
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  ~Subscription() { reset(); }
  void reset() {
    if (cancel_) {
      auto c = std::move(cancel_);
      cancel_ = nullptr;
      c();
    }
  }
  explicit operator bool() const { return static_cast<bool>(cancel_); }

 private:
  friend class Bus;
  explicit Subscription(std::function<void()> cancel) : cancel_(std::move(cancel)) {}
  std::function<void()> cancel_;
};

class Bus {
 public:
  Bus() : alive_(std::make_shared<bool>(true)) {}
  ~Bus() { *alive_ = false; }
  Bus(const Bus&) = delete;
  Bus& operator=(const Bus&) = delete;

  template <class M>
  [[nodiscard]] Subscription subscribe(std::function<void(const M&)> handler) {
    return add<M>(std::move(handler), false);
  }

  // Like subscribe(), but the handler runs before every other one of M: it sees each message
  // before anything it causes (tracking follows the causal order this way). Not from inside a
  // dispatch of M.
  template <class M>
  [[nodiscard]] Subscription subscribe_first(std::function<void(const M&)> handler) {
    return add<M>(std::move(handler), true);
  }

  template <class M>
  void publish(const M& message) {
    const std::size_t idx = detail::type_index<M>();
    if (idx >= channels_.size()) return;
    Channel& l = channels_[idx];
    ++l.publishing;
    // Index loop: handlers may subscribe (push_back) while we iterate; new ones see the next
    // message.
    const std::size_t n = l.entries.size();
    for (std::size_t i = 0; i < n; ++i) {
      Entry* e = l.entries[i].get();
      if (e->active) e->fn(&message);
    }
    if (--l.publishing == 0 && l.dirty) compact(l);
  }

  template <class M>
  std::size_t subscriber_count() const {
    const std::size_t idx = detail::type_index<M>();
    if (idx >= channels_.size()) return 0;
    std::size_t n = 0;
    for (const auto& e : channels_[idx].entries) n += e->active ? 1 : 0;
    return n;
  }

 private:
  struct Entry {
    std::function<void(const void*)> fn;
    bool active = true;
  };
  struct Channel {
    std::vector<std::shared_ptr<Entry>> entries;
    int publishing = 0;
    bool dirty = false;
  };
  template <class M>
  Subscription add(std::function<void(const M&)> handler, bool first) {
    auto& list = channel(detail::type_index<M>());
    auto entry = std::make_shared<Entry>();
    entry->fn = [h = std::move(handler)](const void* m) { h(*static_cast<const M*>(m)); };
    if (first) {
      assert(list.publishing == 0);
      list.entries.insert(list.entries.begin(), entry);
    } else {
      list.entries.push_back(entry);
    }
    std::weak_ptr<bool> alive = alive_;
    std::weak_ptr<Entry> weak = entry;
    const std::size_t idx = detail::type_index<M>();
    return Subscription([this, alive, weak, idx] {
      if (alive.expired() || !*alive.lock()) return;
      auto e = weak.lock();
      if (!e) return;
      e->active = false;
      auto& l = channels_[idx];
      if (l.publishing == 0)
        compact(l);
      else
        l.dirty = true;
    });
  }
  Channel& channel(std::size_t idx) {
    if (idx >= channels_.size()) channels_.resize(idx + 1);
    return channels_[idx];
  }
  static void compact(Channel& l) {
    std::erase_if(l.entries, [](const auto& e) { return !e->active; });
    l.dirty = false;
  }

  std::vector<Channel> channels_;
  std::shared_ptr<bool> alive_;
};

}  // namespace weir::bus
