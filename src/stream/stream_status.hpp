#pragma once
// Whether each stream can be played, without blocking anyone: the pure schedule of HEAD probes
// (each stream checked once per refresh interval, at most `max_concurrent` at a time, the answer
// cached in between) and the parsing of a stream's URL into what a probe connects to.
#include <boost/describe.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"

namespace weir::stream {

struct ProbeTarget {
  bool tls = false;
  std::string host;  // "" for a path on Weir itself
  std::uint16_t port = 0;
  std::string path;  // starts with '/'
};

// "https://host[:port]/path" or "/path" (served by Weir). Empty when it is neither.
std::optional<ProbeTarget> probe_target(const std::string& url);

enum class Reachability { unknown, reachable, unreachable };
BOOST_DESCRIBE_ENUM(Reachability, unknown, reachable, unreachable)

struct ProbeResult {
  bool reachable = false;
  std::string detail;  // "HTTP 200", "connection refused", "timed out after 3000 ms", ...
};

class ProbeSchedule {
 public:
  ProbeSchedule(std::size_t streams, Millis refresh, std::size_t max_concurrent)
      : slots_(streams), refresh_(refresh), max_(max_concurrent) {}

  // The streams to probe now (each then counts as in flight until finish()).
  std::vector<std::size_t> due(MonoTime now);
  // A probe's answer; true when the stream's status changed.
  bool finish(std::size_t i, const ProbeResult& r, WallTime wall, MonoTime now);

  Reachability status(std::size_t i) const { return slots_[i].status; }
  const std::string& detail(std::size_t i) const { return slots_[i].detail; }
  WallTime checked(std::size_t i) const { return slots_[i].checked; }
  std::size_t in_flight() const { return in_flight_; }
  std::size_t size() const { return slots_.size(); }

 private:
  struct Slot {
    Reachability status = Reachability::unknown;
    std::string detail;
    WallTime checked{};
    std::optional<MonoTime> next;  // empty: due at once
    bool in_flight = false;
  };
  std::vector<Slot> slots_;
  Millis refresh_;
  std::size_t max_;
  std::size_t in_flight_ = 0;
};

}  // namespace weir::stream
