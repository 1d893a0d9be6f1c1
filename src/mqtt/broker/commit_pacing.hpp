#pragma once
// When a paced commit may take its batch (sqlite_persistence.cpp waits; the broker thread
// decides). Pure: counts and times in, a time out; the caller reads the clock.
//
// Commits are paced to bound their CPU: each rewrites the sessions that changed whole, and back
// to back the commits of a 10,000 msg/s stream took most of a core. So a commit takes its batch
// at least `interval` after the previous one took its own, and what arrives meanwhile joins it.
// A lone publisher that waits for its acknowledgements gains nothing from that wait: once its
// window is in, nothing more comes until the commit has answered (and a client with Nagle's
// algorithm sends the rest of its window only once our next segment acknowledges its first:
// its window needs two commits, each waiting out the interval). So a batch that holds
// acknowledgements, has stopped growing for `quiet`, and rewrites at most `early_sessions`
// sessions (a cheap commit) is taken at once: an *early take*. A stream from many publishers
// to many persistent sessions keeps its batches bigger than that and stays paced.
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace weir::mqtt {

struct CommitPacing {
  std::chrono::nanoseconds interval{};  // BrokerOptions::commit_interval_ms
  std::chrono::nanoseconds quiet{};     // 0: never early (pacing by `interval` alone)
  std::size_t early_sessions = 2;       // the most sessions an early take may rewrite
};

class CommitPacer {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit constexpr CommitPacer(CommitPacing p) : p_(p) {}

  // A commit took its batch at `now`: what was recorded so far is in it.
  constexpr void taken(TimePoint now) {
    if (now < last_take_ + p_.interval) ++early_takes_;
    ++takes_;
    last_take_ = now;
    acks_in_batch_ = 0;
    sessions_ = 0;
  }
  // At the end of every broker entry point, at `now`: how many acknowledgements wait for
  // commits, and how many sessions the next batch rewrites. Between two commits' answers the
  // acknowledgements only grow (an answer releases those of its batch); growth holds the
  // early take back by `quiet`.
  constexpr void waiting(std::size_t acks, std::size_t sessions, TimePoint now) {
    if (acks > acks_) {
      acks_in_batch_ += acks - acks_;
      last_growth_ = now;
    }
    acks_ = acks;
    sessions_ = sessions;
  }
  // Whether waiting(acks, sessions, ·) would change anything (the caller reads the clock only
  // then).
  constexpr bool changes(std::size_t acks, std::size_t sessions) const {
    return acks != acks_ || sessions != sessions_;
  }
  constexpr bool grows(std::size_t acks) const { return acks > acks_; }
  // When a commit may take its batch: `interval` after the previous take, or earlier once an
  // early take is allowed.
  constexpr TimePoint take_at() const {
    const TimePoint paced = last_take_ + p_.interval;
    if (p_.quiet <= std::chrono::nanoseconds::zero() || acks_in_batch_ == 0 ||
        sessions_ > p_.early_sessions)
      return paced;
    const TimePoint early = last_growth_ + p_.quiet;
    return early < paced ? early : paced;
  }
  constexpr bool may_take(TimePoint now) const { return now >= take_at(); }

  // Counts, for tests and /metrics.
  struct Counts {
    std::uint64_t takes = 0;        // batches taken
    std::uint64_t early_takes = 0;  // of those, before `interval` (the batch had gone quiet)
  };
  constexpr Counts counts() const { return {takes_, early_takes_}; }

 private:
  CommitPacing p_;
  TimePoint last_take_{};
  TimePoint last_growth_{};
  std::size_t acks_ = 0;           // acknowledgements waiting, as last told
  std::size_t acks_in_batch_ = 0;  // of those, how many arrived since the last take
  std::size_t sessions_ = 0;       // sessions the next batch rewrites, as last told
  std::uint64_t takes_ = 0, early_takes_ = 0;
};

}  // namespace weir::mqtt
