#include "security/login_throttle.hpp"

#include <algorithm>
#include <cctype>

namespace weir::security {

using std::chrono::seconds;

LoginThrottle::LoginThrottle(const Clock& clock, ThrottlePolicy policy)
    : clock_(clock), policy_(policy) {}

std::string LoginThrottle::user_key(std::string_view username) {
  std::string k = "u:";
  for (unsigned char c : username) k.push_back(static_cast<char>(std::tolower(c)));
  return k;
}

std::string LoginThrottle::address_key(std::string_view address) {
  return "a:" + std::string(address);
}

std::chrono::seconds LoginThrottle::remaining(const Entry* e, MonoTime now) const {
  if (!e || e->locked_until <= now) return seconds{0};
  auto left = e->locked_until - now;
  auto s = std::chrono::ceil<seconds>(left);
  return std::max(s, seconds{1});
}

ThrottleState LoginThrottle::check(std::string_view username, std::string_view address) const {
  std::lock_guard lock(mu_);
  return check_locked(username, address, clock_.mono());
}

ThrottleState LoginThrottle::check_locked(std::string_view username, std::string_view address,
                                          MonoTime now) const {
  auto find = [&](const std::string& k) -> const Entry* {
    auto it = entries_.find(k);
    return it == entries_.end() ? nullptr : &it->second;
  };
  auto user_left = remaining(find(user_key(username)), now);
  auto addr_left = address.empty() ? seconds{0} : remaining(find(address_key(address)), now);
  ThrottleState st;
  if (user_left >= addr_left) {
    st.retry_after = user_left;
    st.key = ThrottleKey::user;
  } else {
    st.retry_after = addr_left;
    st.key = ThrottleKey::address;
  }
  return st;
}

bool LoginThrottle::fail_key(const std::string& key, int max_failures, MonoTime now) {
  auto& e = entries_[key];
  if (e.locked_until > now) return false;  // already locked: the caller should not have tried
  if (e.last_failure != MonoTime{} && now - e.last_failure > policy_.forget_after) e.lockouts = 0;
  e.last_failure = now;
  while (!e.failures.empty() && now - e.failures.front() >= policy_.window) e.failures.pop_front();
  e.failures.push_back(now);
  if (static_cast<int>(e.failures.size()) < max_failures) return false;
  auto duration = policy_.lockout;
  for (int i = 0; i < e.lockouts && duration < policy_.max_lockout; ++i) duration *= 2;
  duration = std::min(duration, policy_.max_lockout);
  e.locked_until = now + duration;
  e.failures.clear();
  ++e.lockouts;
  return true;
}

ThrottleState LoginThrottle::reserve(std::string_view username, std::string_view address) {
  std::lock_guard lock(mu_);
  auto now = clock_.mono();
  auto st = check_locked(username, address, now);
  if (st.locked()) return st;
  // Full: the failures still in the window plus the attempts in flight reach the limit.
  auto full = [&](const std::string& key, int max_failures) {
    auto it = entries_.find(key);
    if (it == entries_.end()) return false;
    const Entry& e = it->second;
    auto recent = std::count_if(e.failures.begin(), e.failures.end(),
                                [&](MonoTime t) { return now - t < policy_.window; });
    return recent + e.pending >= max_failures;
  };
  if (full(user_key(username), policy_.user_max_failures))
    return ThrottleState{seconds{1}, ThrottleKey::user};
  if (!address.empty() && full(address_key(address), policy_.address_max_failures))
    return ThrottleState{seconds{1}, ThrottleKey::address};
  if (entries_.size() >= policy_.max_tracked) prune_locked(now);
  ++entries_[user_key(username)].pending;
  if (!address.empty()) ++entries_[address_key(address)].pending;
  ++in_flight_;
  return {};
}

void LoginThrottle::unreserve_locked(std::string_view username, std::string_view address) {
  auto drop = [&](const std::string& key) {
    auto it = entries_.find(key);
    if (it != entries_.end() && it->second.pending > 0) --it->second.pending;
  };
  drop(user_key(username));
  if (!address.empty()) drop(address_key(address));
  if (in_flight_ > 0) --in_flight_;
}

FailureOutcome LoginThrottle::settle_failure(std::string_view username, std::string_view address) {
  {
    std::lock_guard lock(mu_);
    unreserve_locked(username, address);
  }
  return record_failure(username, address);
}

ThrottleState LoginThrottle::settle_success(std::string_view username, std::string_view address) {
  std::lock_guard lock(mu_);
  unreserve_locked(username, address);
  auto now = clock_.mono();
  auto st = check_locked(username, address, now);
  if (st.locked()) return st;
  auto it = entries_.find(user_key(username));
  if (it != entries_.end()) {
    if (it->second.pending == 0)
      entries_.erase(it);
    else
      it->second.failures.clear();  // others still in flight keep the entry
  }
  return st;
}

void LoginThrottle::release(std::string_view username, std::string_view address) {
  std::lock_guard lock(mu_);
  unreserve_locked(username, address);
}

std::size_t LoginThrottle::in_flight() const {
  std::lock_guard lock(mu_);
  return in_flight_;
}

FailureOutcome LoginThrottle::record_failure(std::string_view username, std::string_view address) {
  FailureOutcome out;
  {
    std::lock_guard lock(mu_);
    auto now = clock_.mono();
    if (entries_.size() >= policy_.max_tracked) prune_locked(now);
    out.lockout_started = fail_key(user_key(username), policy_.user_max_failures, now);
    if (!address.empty())
      out.lockout_started =
          fail_key(address_key(address), policy_.address_max_failures, now) || out.lockout_started;
  }
  out.state = check(username, address);
  return out;
}

void LoginThrottle::record_success(std::string_view username, std::string_view /*address*/) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(user_key(username));
  if (it != entries_.end() && it->second.locked_until <= clock_.mono()) entries_.erase(it);
}

std::size_t LoginThrottle::tracked() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void LoginThrottle::prune_locked(MonoTime now) {
  // First what no longer matters: unlocked keys whose failures have left the window.
  std::erase_if(entries_, [&](const auto& kv) {
    const auto& e = kv.second;
    return e.locked_until <= now && e.pending == 0 &&
           (now - e.last_failure >= policy_.window || e.failures.empty()) &&
           (e.lockouts == 0 || now - e.last_failure > policy_.forget_after);
  });
  // Still full (a flood of names): drop the stalest unlocked keys.
  while (entries_.size() >= policy_.max_tracked) {
    auto victim = entries_.end();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->second.locked_until > now || it->second.pending > 0) continue;
      if (victim == entries_.end() || it->second.last_failure < victim->second.last_failure)
        victim = it;
    }
    if (victim == entries_.end())
      break;  // everything is locked: keep them (bounded by floods of lockouts)
    entries_.erase(victim);
  }
}

}  // namespace weir::security
