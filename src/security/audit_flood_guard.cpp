#include "security/audit_flood_guard.hpp"

#include <algorithm>
#include <utility>

namespace weir::security {

AuditFloodGuard::Decision AuditFloodGuard::admit(const std::string& key, const std::string& bucket,
                                                 MonoTime now) {
  if (keys_.size() >= policy_.max_keys && !keys_.count(key)) {
    // Forget the keys whose window is over and that left nothing out; still full: the bucket.
    std::erase_if(keys_, [&](const auto& kv) {
      return now - kv.second.window_start >= policy_.window && kv.second.left_out == 0;
    });
    if (keys_.size() >= policy_.max_keys && !keys_.count(key)) return admit_in(bucket, now);
  }
  return admit_in(key, now);
}

AuditFloodGuard::Decision AuditFloodGuard::admit_in(const std::string& key, MonoTime now) {
  auto [it, fresh] = keys_.try_emplace(key);
  Entry& e = it->second;
  if (fresh || now - e.window_start >= policy_.window) {
    e.window_start = now;
    e.written = 0;
  }
  Decision d;
  if (e.written >= policy_.per_window) {
    ++e.left_out;
    ++left_out_total_;
    d.write = false;
    return d;
  }
  ++e.written;
  d.left_out_before = std::exchange(e.left_out, 0);
  return d;
}

}  // namespace weir::security
