#pragma once
// Failed-login throttling, per username and per client address, over a sliding window. Too many
// failures lock the key for a while; each further lockout of the same key doubles, up to a cap.
// Every password check (HTTP login, MQTT CONNECT on any listener) goes through one throttle:
// reserve() before the verification (a locked key costs no Argon2 work; verifications in flight
// count against the key, so concurrent attempts cannot all start before the first failure is
// recorded), then exactly one settle_* (or release) when it is done, which re-checks the lock.
// The caller answers 429 with Retry-After (MQTT: connection rate exceeded). Time comes from the
// injected clock; memory is bounded (max_tracked keys).
#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.hpp"

namespace weir::security {

struct ThrottlePolicy {
  int user_max_failures = 5;      // per username, within `window`
  int address_max_failures = 20;  // per address (several users may share one, e.g. behind NAT)
  std::chrono::seconds window{5 * 60};
  std::chrono::seconds lockout{5 * 60};  // first lockout; doubles on each repeat
  std::chrono::seconds max_lockout{60 * 60};
  std::chrono::seconds forget_after{24 * 60 * 60};  // quiet time after which a key starts afresh
  std::size_t max_tracked = 10'000;
};

enum class ThrottleKey { user, address };

struct ThrottleState {
  std::chrono::seconds retry_after{0};  // > 0: refused for that long (rounded up)
  ThrottleKey key = ThrottleKey::user;  // which key is locked (the longer one when both are)
  bool locked() const { return retry_after.count() > 0; }
};

struct FailureOutcome {
  ThrottleState state;
  bool lockout_started = false;  // this failure locked a key: audit a "lockout" event
};

class LoginThrottle {
 public:
  explicit LoginThrottle(const Clock& clock, ThrottlePolicy policy = {});

  ThrottleState check(std::string_view username, std::string_view address) const;
  // Before a verification: refused (locked(), nothing reserved) when a key is locked, or when its
  // failures in the window plus the verifications in flight reach its limit (retry_after 1 s:
  // those finish first). Otherwise the attempt is counted in flight on both keys.
  ThrottleState reserve(std::string_view username, std::string_view address);
  // The reserved verification failed: no longer in flight, counted as a failure.
  FailureOutcome settle_failure(std::string_view username, std::string_view address);
  // The reserved verification succeeded. Refused (locked()) when a key was locked meanwhile (by
  // other attempts): the caller must then refuse the login although the password was right.
  // Otherwise the username's failures are cleared (record_success).
  ThrottleState settle_success(std::string_view username, std::string_view address);
  // The reserved verification never ran (queue full, shutdown).
  void release(std::string_view username, std::string_view address);
  FailureOutcome record_failure(std::string_view username, std::string_view address);
  // Clears the username's failures (not the address's: one good account must not reset a
  // password-spraying counter).
  void record_success(std::string_view username, std::string_view address);

  std::size_t tracked() const;
  std::size_t in_flight() const;  // reserved verifications not yet settled (both keys count once)

 private:
  struct Entry {
    std::deque<MonoTime> failures;  // inside the window
    MonoTime locked_until{};
    MonoTime last_failure{};
    int lockouts = 0;
    int pending = 0;  // reserved verifications not yet settled
  };

  static std::string user_key(std::string_view username);
  static std::string address_key(std::string_view address);
  std::chrono::seconds remaining(const Entry* e, MonoTime now) const;
  bool fail_key(const std::string& key, int max_failures, MonoTime now);  // true: lockout started
  void prune_locked(MonoTime now);
  void unreserve_locked(std::string_view username, std::string_view address);
  ThrottleState check_locked(std::string_view username, std::string_view address,
                             MonoTime now) const;

  const Clock& clock_;
  ThrottlePolicy policy_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mu_
  std::size_t in_flight_ = 0;                       // guarded by mu_
};

}  // namespace weir::security
