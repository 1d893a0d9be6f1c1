#pragma once
// Delays between reconnection attempts: `initial` after the first failure, doubling after each
// further one up to `cap`, back to `initial` once a connection succeeds. One implementation for
// every client that reconnects (the driver manager, the external-broker client, weir-device).
//
// Pure: callers own the clock and the waiting (a timer, a deadline, a condition variable), and
// the randomness of the optional jitter comes from an injected source, so tests are exact.
#include <chrono>
#include <functional>

namespace weir {

class Backoff {
 public:
  using Millis = std::chrono::milliseconds;
  // A number in [0, 1).
  using Random = std::function<double()>;

  // An initial delay below 1 ms is taken as 1 ms (zero would never grow); a cap below it as it.
  Backoff(Millis initial, Millis cap);
  // Jitter j in [0, 1] shortens each delay by a random fraction of up to j of itself, so that
  // clients that lost the same server do not all come back at the same instant.
  Backoff(Millis initial, Millis cap, double jitter, Random random);

  // The delay before the next attempt (the caller has just failed one).
  Millis next_delay();
  // A connection succeeded: the next failure waits `initial` again.
  void reset();

 private:
  Millis initial_;
  Millis cap_;
  Millis next_;
  double jitter_ = 0;
  Random random_;
};

}  // namespace weir
