#pragma once
// The TZif format (RFC 8536, RFC 9636): versions 1 to 4. For v2+ the 64-bit section is read
// (the 32-bit one skipped) and the footer's POSIX TZ string kept for times after the last
// transition. Defensive: every count is checked against the bytes there are and against bounds
// before anything is allocated; files with leap seconds (zoneinfo "right/") are refused.
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "schedule/posix_tz.hpp"

namespace weir::schedule {

struct Tzif {
  static constexpr std::size_t kMaxBytes = 256 * 1024;
  static constexpr std::uint32_t kMaxTransitions = 20'000;

  int version = 1;
  std::vector<std::int64_t> transition_times;  // UTC seconds, strictly increasing
  std::vector<std::uint8_t> transition_types;  // index into types
  std::vector<ZoneOffset> types;               // at least one; types[0] before the first transition
  std::optional<PosixTz> footer;               // v2+: after the last transition
};

// Errors are bad_request / "invalid_tzif" and name the byte offset: `TZif: transition type 9 is
// not below the type count 8 at byte 1234`.
Result<Tzif> parse_tzif(std::string_view bytes);

}  // namespace weir::schedule
