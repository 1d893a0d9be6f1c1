#pragma once
// Keeps a flood of refusals (anonymous MQTT CONNECTs, wrong passwords from a script) from
// growing the audit log without bound: per key (action, user, client address) at most
// `per_window` records in a window; the rest are counted, and the next record written for that
// key says how many were left out. Successes are never held back (the caller decides what to
// pass). Memory is bounded: past max_keys, new keys share one overflow bucket per action. Time
// comes from the injected clock.
#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "core/clock.hpp"

namespace weir::security {

struct AuditFloodPolicy {
  std::uint32_t per_window = 10;
  std::chrono::seconds window{60};
  std::size_t max_keys = 4096;
};

class AuditFloodGuard {
 public:
  explicit AuditFloodGuard(AuditFloodPolicy policy = {}) : policy_(policy) {}

  struct Decision {
    bool write = true;
    std::uint64_t left_out_before = 0;  // when write: similar records not written since the last
  };
  // `key` identifies "the same refusal"; `bucket` is the overflow key used once the table is full.
  Decision admit(const std::string& key, const std::string& bucket, MonoTime now);

  std::uint64_t left_out_total() const { return left_out_total_; }
  std::size_t tracked() const { return keys_.size(); }

 private:
  Decision admit_in(const std::string& key, MonoTime now);
  struct Entry {
    MonoTime window_start{};
    std::uint32_t written = 0;
    std::uint64_t left_out = 0;
  };
  AuditFloodPolicy policy_;
  std::unordered_map<std::string, Entry> keys_;
  std::uint64_t left_out_total_ = 0;
};

}  // namespace weir::security
