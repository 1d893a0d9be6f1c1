#include "schedule/tzif.hpp"

#include <fmt/format.h>

namespace weir::schedule {

namespace {

// RFC 8536 3.2: what a UT offset may be (-24:59:59 .. +25:59:59).
constexpr std::int64_t kMinUtcOffset = -89999;
constexpr std::int64_t kMaxUtcOffset = 93599;
constexpr std::size_t kHeaderBytes = 44;
constexpr std::size_t kMaxFooterBytes = PosixTz::kMaxLength;

struct Counts {
  std::uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

struct Reader {
  std::string_view bytes;
  std::size_t pos = 0;

  Error fail(std::size_t at, std::string_view what) const {
    return bad_request("invalid_tzif", fmt::format("TZif: {} at byte {}", what, at));
  }
  bool has(std::size_t n) const { return bytes.size() - pos >= n; }
  std::uint8_t u8() { return static_cast<std::uint8_t>(bytes[pos++]); }
  std::uint64_t be(std::size_t n) {
    std::uint64_t v = 0;
    for (std::size_t k = 0; k < n; ++k) v = (v << 8) | u8();
    return v;
  }
  std::int64_t signed_be(std::size_t n) {
    const std::uint64_t v = be(n);
    if (n == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
    return static_cast<std::int64_t>(v);
  }

  Result<std::pair<int, Counts>> header() {
    const std::size_t at = pos;
    if (!has(kHeaderBytes))
      return fail(
          at, fmt::format("truncated header ({} of {} bytes)", bytes.size() - pos, kHeaderBytes));
    if (bytes.substr(pos, 4) != "TZif") return fail(at, "not a TZif file (no \"TZif\" magic)");
    pos += 4;
    const std::uint8_t v = u8();
    int version = 0;
    if (v == 0)
      version = 1;
    else if (v >= '2' && v <= '4')
      version = v - '0';
    else
      return fail(at + 4, fmt::format("unknown version byte 0x{:02x}", v));
    pos += 15;
    Counts c{};
    c.isutcnt = static_cast<std::uint32_t>(be(4));
    c.isstdcnt = static_cast<std::uint32_t>(be(4));
    c.leapcnt = static_cast<std::uint32_t>(be(4));
    c.timecnt = static_cast<std::uint32_t>(be(4));
    c.typecnt = static_cast<std::uint32_t>(be(4));
    c.charcnt = static_cast<std::uint32_t>(be(4));
    if (c.typecnt == 0 || c.typecnt > 256)
      return fail(at + 36, fmt::format("type count {} not in 1-256", c.typecnt));
    if (c.charcnt == 0) return fail(at + 40, "designation count 0 (at least 1)");
    if (c.isutcnt != 0 && c.isutcnt != c.typecnt)
      return fail(at + 20, fmt::format("UT indicator count {} is neither 0 nor the type count {}",
                                       c.isutcnt, c.typecnt));
    if (c.isstdcnt != 0 && c.isstdcnt != c.typecnt)
      return fail(at + 24, fmt::format("standard indicator count {} is neither 0 nor the type "
                                       "count {}",
                                       c.isstdcnt, c.typecnt));
    if (c.leapcnt != 0)
      return fail(at + 28, "leap-second records (a \"right/\" zone) are not supported");
    if (c.timecnt > Tzif::kMaxTransitions)
      return fail(at + 32,
                  fmt::format("{} transitions (at most {})", c.timecnt, Tzif::kMaxTransitions));
    return std::pair{version, c};
  }

  static std::size_t body_size(const Counts& c, std::size_t time_bytes) {
    return std::size_t{c.timecnt} * (time_bytes + 1) + std::size_t{c.typecnt} * 6 + c.charcnt +
           std::size_t{c.leapcnt} * (time_bytes + 4) + c.isstdcnt + c.isutcnt;
  }

  Status body(const Counts& c, std::size_t time_bytes, Tzif& out) {
    if (!has(body_size(c, time_bytes)))
      return fail(pos, fmt::format("truncated data block ({} bytes needed, {} left)",
                                   body_size(c, time_bytes), bytes.size() - pos));
    out.transition_times.resize(c.timecnt);
    for (std::uint32_t k = 0; k < c.timecnt; ++k) {
      const std::size_t at = pos;
      out.transition_times[k] = signed_be(time_bytes);
      if (k > 0 && out.transition_times[k] <= out.transition_times[k - 1])
        return fail(at, fmt::format("transition {} is not after the one before", k));
    }
    out.transition_types.resize(c.timecnt);
    for (std::uint32_t k = 0; k < c.timecnt; ++k) {
      const std::size_t at = pos;
      out.transition_types[k] = u8();
      if (out.transition_types[k] >= c.typecnt)
        return fail(at, fmt::format("transition type {} is not below the type count {}",
                                    out.transition_types[k], c.typecnt));
    }
    struct Raw {
      std::int64_t utoff;
      std::uint8_t isdst, idx;
      std::size_t at;
    };
    std::vector<Raw> raw(c.typecnt);
    for (auto& r : raw) {
      r.at = pos;
      r.utoff = signed_be(4);
      r.isdst = u8();
      r.idx = u8();
      if (r.utoff < kMinUtcOffset || r.utoff > kMaxUtcOffset)
        return fail(r.at, fmt::format("UT offset {} s out of range", r.utoff));
      if (r.isdst > 1) return fail(r.at + 4, fmt::format("DST flag {} is not 0 or 1", r.isdst));
      if (r.idx >= c.charcnt)
        return fail(r.at + 5, fmt::format("designation index {} is not below the count {}", r.idx,
                                          c.charcnt));
    }
    const std::string_view chars = bytes.substr(pos, c.charcnt);
    out.types.clear();
    for (const auto& r : raw) {
      const std::size_t nul = chars.find('\0', r.idx);
      if (nul == std::string_view::npos)
        return fail(pos + r.idx, "designation without a terminating NUL");
      out.types.push_back(ZoneOffset{std::chrono::seconds{r.utoff}, r.isdst == 1,
                                     std::string(chars.substr(r.idx, nul - r.idx))});
    }
    pos += c.charcnt;
    pos += std::size_t{c.isstdcnt} + c.isutcnt;  // only matter for POSIX-rule fallbacks
    return {};
  }

  Status footer(Tzif& out) {
    const std::size_t at = pos;
    if (!has(1) || bytes[pos] != '\n') return fail(at, "expected the footer's newline");
    ++pos;
    const std::size_t end = bytes.find('\n', pos);
    if (end == std::string_view::npos || end - pos > kMaxFooterBytes)
      return fail(at,
                  fmt::format("footer without a closing newline within {} bytes", kMaxFooterBytes));
    const std::string_view tz = bytes.substr(pos, end - pos);
    pos = end + 1;
    if (tz.empty()) return {};  // no rule: the last transition's type stays
    auto rule = PosixTz::parse(tz);
    if (!rule) return fail(at + 1, fmt::format("footer: {}", rule.error().message));
    out.footer = std::move(*rule);
    return {};
  }
};

}  // namespace

Result<Tzif> parse_tzif(std::string_view bytes) {
  Reader r{bytes};
  if (bytes.size() > Tzif::kMaxBytes)
    return r.fail(0, fmt::format("{} bytes (at most {})", bytes.size(), Tzif::kMaxBytes));
  auto first = r.header();
  if (!first) return first.error();
  Tzif out;
  out.version = first->first;
  if (out.version == 1) {
    if (auto s = r.body(first->second, 4, out); !s) return s.error();
    return out;
  }
  // v2+: skip the 32-bit block, read the 64-bit one and the footer.
  const std::size_t v1_size = Reader::body_size(first->second, 4);
  if (!r.has(v1_size))
    return r.fail(r.pos, fmt::format("truncated version 1 data block ({} bytes needed, {} left)",
                                     v1_size, bytes.size() - r.pos));
  r.pos += v1_size;
  auto second = r.header();
  if (!second) return second.error();
  if (auto s = r.body(second->second, 8, out); !s) return s.error();
  if (auto s = r.footer(out); !s) return s.error();
  return out;
}

}  // namespace weir::schedule
