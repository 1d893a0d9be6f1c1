#pragma once
// Which updates of a tag are stored: the per-tag logging policy, pure (times come in as Unix ms).
//   every change (default): a value or quality different from the last stored one;
//   deadband: a numeric value that moved more than `deadband` from the last stored one (or any
//             quality change);
//   minimum interval: changes closer than this to the last stored one wait; the latest waiting
//             one is stored when the interval is over (tick);
//   maximum interval: the last value is stored again when nothing was for this long (tick).
#include <cstdint>
#include <optional>
#include <vector>

#include "historian/sample.hpp"

namespace weir::historian {

struct Policy {
  bool record = true;
  double deadband = 0;  // absolute, in the tag's unit (a percentage is resolved by the caller)
  std::int64_t min_interval_ms = 0;
  std::int64_t max_interval_ms = 0;
};

class Recorder {
 public:
  struct Out {
    std::uint32_t tag;
    Sample sample;
  };
  // One policy per tag (by dense index). Keeps what it knew of tags that stay.
  void configure(std::vector<Policy> policies);
  // An accepted update of `tag` at server time s.server_ms: true when it is to be stored now.
  bool offer(std::uint32_t tag, const Sample& s);
  // Waiting changes whose minimum interval is over, and repeats due to a maximum interval.
  void tick(std::int64_t now_ms, std::vector<Out>& out);
  const Policy& policy(std::uint32_t tag) const { return tags_[tag].policy; }
  std::size_t size() const { return tags_.size(); }

 private:
  struct TagState {
    Policy policy;
    std::optional<Sample> stored;   // the last stored
    std::optional<Sample> waiting;  // held back by the minimum interval
    std::optional<Sample> latest;   // the last offered (for repeats)
    std::int64_t stored_at = 0;     // server ms of the last store
  };
  bool differs(const TagState& t, const Sample& s) const;
  void store(TagState& t, const Sample& s, std::int64_t at);

  std::vector<TagState> tags_;
  std::vector<std::uint32_t> timed_;  // tags with a minimum or maximum interval
};

}  // namespace weir::historian
