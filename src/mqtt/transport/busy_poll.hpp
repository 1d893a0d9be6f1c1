#pragma once
// Whether the io thread polls its sockets a little longer before it sleeps. Pure; the caller
// passes the time.
//
// Waking a thread that sleeps in epoll_wait costs tens of microseconds (in a virtual machine the
// idle vCPU halts and has to be woken by the host), more than the broker's own work in a QoS 1
// round trip. When the next event reliably arrives within `budget` of the last (a pipeline kept
// full by a window of in-flight messages), polling for it instead of sleeping shortens every
// round trip by a wake-up. When it does not, polling only burns a core, so the poller spins only
// while it pays:
//
// - Hit rate: every spin that ends in events is a hit, every spin that runs out its budget a
//   miss. The poller spins after each batch while the recent hit rate (a moving average over
//   about 8 spins) is at least 3/4. Below that it sleeps, and tries one spin every
//   `kTrialEvery` idle periods to notice when the traffic has become dense again.
// - Cost: spinning never more than doubles the thread's CPU. Spin time is paid from a credit
//   earned by the time the thread spent working (handling batches), capped at `kMaxCredit` so a
//   burst long ago buys no spinning now.
//
// An idle or lightly loaded broker therefore sleeps (cost: one trial spin per kTrialEvery idle
// periods); a saturated window pipeline polls.
#include <algorithm>
#include <chrono>
#include <cstdint>

#include "core/clock.hpp"

namespace weir::mqtt {

struct BusyPollStats {
  std::uint64_t hits = 0;    // spins that ended in events (a wake-up saved)
  std::uint64_t misses = 0;  // spins that ran out their budget, then slept
  std::uint64_t cut = 0;     // spins stopped early: the CPU credit ran out
  std::chrono::nanoseconds spin_time{};
};

class BusyPoll {
 public:
  static constexpr std::uint32_t kTrialEvery = 32;
  static constexpr std::chrono::microseconds kMaxCredit{2000};
  static constexpr double kEnterRate = 0.75;

  // budget 0: never spin.
  explicit BusyPoll(std::chrono::microseconds budget) : budget_(budget) {}

  // A batch of events was read at `now` and took `work` to handle.
  void on_events(MonoTime now, std::chrono::nanoseconds work) {
    if (spinning_) {
      const auto spun = std::max(now - idle_since_, MonoTime::duration::zero());
      settle(spun, Outcome::hit);
    }
    idle_since_ = {};
    idle_ = false;
    credit_ = std::min<std::chrono::nanoseconds>(credit_ + work, kMaxCredit);
  }

  // A poll found nothing at `now`: true to poll again, false to sleep until the next event.
  bool keep_polling(MonoTime now) {
    if (budget_ == std::chrono::microseconds::zero()) return false;
    if (!idle_) {  // the first empty poll after a batch: an idle period begins
      idle_ = true;
      idle_since_ = now;
      ++idle_periods_;
      spinning_ = credit_ > std::chrono::nanoseconds::zero() &&
                  (rate_ >= kEnterRate || idle_periods_ % kTrialEvery == 0);
      return spinning_;
    }
    if (!spinning_) return false;
    const auto spun = now - idle_since_;
    if (spun >= budget_)
      settle(spun, Outcome::miss);
    else if (spun >= credit_)
      settle(spun, Outcome::cut);  // says nothing about the traffic: the rate stays
    else
      return true;
    return false;
  }

  double hit_rate() const { return rate_; }
  const BusyPollStats& stats() const { return stats_; }

 private:
  enum class Outcome { hit, miss, cut };

  void settle(MonoTime::duration spun, Outcome o) {
    spinning_ = false;
    if (o == Outcome::cut) {
      ++stats_.cut;
    } else {
      const bool hit = o == Outcome::hit;
      rate_ += ((hit ? 1.0 : 0.0) - rate_) / 8.0;
      ++(hit ? stats_.hits : stats_.misses);
    }
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(spun);
    stats_.spin_time += ns;
    credit_ -= ns;  // may go below zero by the last poll's overshoot: repaid by the next work
  }

  std::chrono::microseconds budget_;
  bool idle_ = false;      // between the first empty poll and the next batch
  bool spinning_ = false;  // ...and this idle period is being polled, not slept
  MonoTime idle_since_{};
  std::uint32_t idle_periods_ = 0;
  double rate_ = 0.0;  // moving average of hits (1) and misses (0)
  std::chrono::nanoseconds credit_{};
  BusyPollStats stats_;
};

}  // namespace weir::mqtt
