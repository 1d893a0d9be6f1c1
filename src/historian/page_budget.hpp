#pragma once
// The memory budget of a store's open rollup pages (rollup_page.hpp: each tag's newest page of
// each stored level, kept in memory and appended to as buckets close). Pure bookkeeping: the
// bytes each page holds and the order in which pages last received a bucket; the store decides
// when pages may leave (only once written) and how one comes back (read and merged).
//
// Each open page has a Slot that never moves (it lives in the store's tag state); a page that
// receives a bucket is appended() (now the most recent, with its new size); a page that leaves
// memory for another reason (its tag's next page started) is released(). After a commit — every
// page written — evict() hands the least recently appended pages to the store, oldest first,
// while the held bytes exceed the budget.
#include <cstddef>
#include <cstdint>
#include <limits>

namespace weir::historian {

template <class Owner>
class PageBudget {
 public:
  struct Slot {
    Owner* owner = nullptr;  // set by the store: whose page this is
    std::size_t level = 0;   // and of which level (the store's index)
    std::size_t bytes = 0;   // counted while linked
    Slot* prev = nullptr;    // towards the least recently appended
    Slot* next = nullptr;
    bool linked = false;
  };

  explicit PageBudget(std::size_t max_bytes = std::numeric_limits<std::size_t>::max())
      : max_(max_bytes) {}
  PageBudget(const PageBudget&) = delete;
  PageBudget& operator=(const PageBudget&) = delete;

  // The page of `s` received a bucket and now holds `bytes`: the most recently appended.
  void appended(Slot& s, std::size_t bytes) {
    unlink(s);
    s.bytes = bytes;
    held_ += bytes;
    s.prev = newest_;
    s.next = nullptr;
    (newest_ ? newest_->next : oldest_) = &s;
    newest_ = &s;
    s.linked = true;
  }
  // The page of `s` holds `bytes` now (merged with its stored page) without a new bucket.
  void resized(Slot& s, std::size_t bytes) {
    if (!s.linked) return;
    held_ = held_ - s.bytes + bytes;
    s.bytes = bytes;
  }
  // The page of `s` left memory: no longer counted.
  void released(Slot& s) { unlink(s); }

  // Called when every page in memory is written: `drop(slot)` takes each least recently appended
  // page out of memory (the slot already released) while the pages hold more than the budget.
  // Answers how many left.
  template <class Drop>
  std::size_t evict(Drop&& drop) {
    std::size_t n = 0;
    while (held_ > max_ && oldest_) {
      Slot& s = *oldest_;
      unlink(s);
      drop(s);
      ++n;
    }
    return n;
  }

  std::size_t bytes() const { return held_; }
  std::size_t max_bytes() const { return max_; }
  void set_max_bytes(std::size_t max_bytes) { max_ = max_bytes; }

 private:
  void unlink(Slot& s) {
    if (!s.linked) return;
    (s.prev ? s.prev->next : oldest_) = s.next;
    (s.next ? s.next->prev : newest_) = s.prev;
    s.prev = s.next = nullptr;
    s.linked = false;
    held_ -= s.bytes;
    s.bytes = 0;
  }

  std::size_t max_;
  std::size_t held_ = 0;
  Slot* oldest_ = nullptr;
  Slot* newest_ = nullptr;
};

}  // namespace weir::historian
