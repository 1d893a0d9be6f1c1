#include "historian/logging_policy.hpp"

#include <cmath>

namespace weir::historian {

void Recorder::configure(std::vector<Policy> policies) {
  tags_.resize(policies.size());
  timed_.clear();
  for (std::size_t i = 0; i < policies.size(); ++i) {
    tags_[i].policy = policies[i];
    if (policies[i].min_interval_ms > 0 || policies[i].max_interval_ms > 0)
      timed_.push_back(static_cast<std::uint32_t>(i));
  }
}

bool Recorder::differs(const TagState& t, const Sample& s) const {
  if (!t.stored) return true;
  const Sample& last = *t.stored;
  if (last.quality != s.quality || last.reason != s.reason) return true;
  if (t.policy.deadband > 0) {
    const auto a = numeric(last.value), b = numeric(s.value);
    if (a && b) return std::fabs(*a - *b) > t.policy.deadband;
  }
  return !(last.value == s.value);
}

void Recorder::store(TagState& t, const Sample& s, std::int64_t at) {
  t.stored = s;
  t.stored_at = at;
  t.waiting.reset();
}

bool Recorder::offer(std::uint32_t tag, const Sample& s) {
  if (tag >= tags_.size()) return false;
  auto& t = tags_[tag];
  if (!t.policy.record) return false;
  t.latest = s;
  if (!differs(t, s)) {
    t.waiting.reset();  // back within the deadband: nothing to store later either
    return false;
  }
  if (t.stored && t.policy.min_interval_ms > 0 &&
      s.server_ms - t.stored_at < t.policy.min_interval_ms) {
    t.waiting = s;
    return false;
  }
  store(t, s, s.server_ms);
  return true;
}

void Recorder::tick(std::int64_t now_ms, std::vector<Out>& out) {
  for (auto tag : timed_) {
    auto& t = tags_[tag];
    if (!t.policy.record) continue;
    if (t.waiting && now_ms - t.stored_at >= t.policy.min_interval_ms) {
      const Sample s = *t.waiting;
      store(t, s, now_ms);
      out.push_back({tag, s});
    } else if (t.latest && t.policy.max_interval_ms > 0 &&
               now_ms - t.stored_at >= t.policy.max_interval_ms) {
      Sample s = *t.latest;
      s.source_ms = s.server_ms = now_ms;  // a repeat: the value still holds now
      store(t, s, now_ms);
      out.push_back({tag, s});
    }
  }
}

}  // namespace weir::historian
