#include "schedule/posix_tz.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace weir::schedule {

using namespace std::chrono;

struct PosixTzParser {
  std::string_view text;
  std::size_t i = 0;
  PosixTz tz;

  Error fail(std::size_t pos, std::string_view what) const {
    return bad_request("invalid_tz",
                       fmt::format("TZ \"{}\": {} at column {}", text, what, pos + 1));
  }
  bool at_end() const { return i >= text.size(); }
  char peek() const { return at_end() ? '\0' : text[i]; }
  bool digit() const { return std::isdigit(static_cast<unsigned char>(peek())) != 0; }

  // "CET" or "<+0330>": at least 3 characters.
  Result<std::string> name(std::string_view which) {
    const std::size_t start = i;
    if (peek() == '<') {
      ++i;
      while (!at_end() &&
             (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '+' || peek() == '-'))
        ++i;
      if (peek() != '>') return fail(i, fmt::format("{} name: expected '>'", which));
      std::string n(text.substr(start + 1, i - start - 1));
      ++i;
      if (n.size() < 3)
        return fail(start, fmt::format("{} name \"{}\" is shorter than 3 characters", which, n));
      return n;
    }
    while (!at_end() && std::isalpha(static_cast<unsigned char>(peek()))) ++i;
    if (i - start < 3)
      return fail(start, fmt::format("{} name: expected 3 or more letters or <...>", which));
    return std::string(text.substr(start, i - start));
  }

  Result<int> number(int lo, int hi, std::string_view what) {
    const std::size_t start = i;
    if (!digit()) return fail(i, fmt::format("{}: expected a number", what));
    int v = 0;
    while (digit()) {
      if (v < 100000) v = v * 10 + (peek() - '0');
      ++i;
    }
    if (v < lo || v > hi)
      return fail(start, fmt::format("{} {} out of range {}-{}", what, v, lo, hi));
    return v;
  }

  // [+-]hh[:mm[:ss]], hours up to max_hours.
  Result<seconds> duration(int max_hours, std::string_view what) {
    int sign = 1;
    if (peek() == '+' || peek() == '-') {
      sign = peek() == '-' ? -1 : 1;
      ++i;
    }
    auto h = number(0, max_hours, fmt::format("{} hours", what));
    if (!h) return h.error();
    seconds total = hours{*h};
    if (peek() == ':') {
      ++i;
      auto m = number(0, 59, fmt::format("{} minutes", what));
      if (!m) return m.error();
      total += minutes{*m};
      if (peek() == ':') {
        ++i;
        auto s = number(0, 59, fmt::format("{} seconds", what));
        if (!s) return s.error();
        total += seconds{*s};
      }
    }
    return sign * total;
  }

  Result<PosixTz::Rule> rule(std::string_view which) {
    PosixTz::Rule r;
    if (peek() == 'J') {
      ++i;
      r.kind = PosixTz::Rule::Kind::julian_no_leap;
      auto d = number(1, 365, fmt::format("{} day", which));
      if (!d) return d.error();
      r.day = *d;
    } else if (peek() == 'M') {
      ++i;
      r.kind = PosixTz::Rule::Kind::month_week_day;
      auto m = number(1, 12, fmt::format("{} month", which));
      if (!m) return m.error();
      if (peek() != '.') return fail(i, fmt::format("{}: expected '.' after the month", which));
      ++i;
      auto w = number(1, 5, fmt::format("{} week", which));
      if (!w) return w.error();
      if (peek() != '.') return fail(i, fmt::format("{}: expected '.' after the week", which));
      ++i;
      auto d = number(0, 6, fmt::format("{} weekday", which));
      if (!d) return d.error();
      r.month = *m;
      r.week = *w;
      r.day = *d;
    } else {
      r.kind = PosixTz::Rule::Kind::julian_zero;
      auto d = number(0, 365, fmt::format("{} day", which));
      if (!d) return d.error();
      r.day = *d;
    }
    if (peek() == '/') {
      ++i;
      auto t = duration(167, fmt::format("{} time", which));
      if (!t) return t.error();
      r.time = *t;
    }
    return r;
  }

  Result<PosixTz> run() {
    tz.text_ = std::string(text);
    if (text.size() > PosixTz::kMaxLength)
      return bad_request("invalid_tz",
                         fmt::format("TZ string longer than {} characters", PosixTz::kMaxLength));
    auto std_name = name("standard time");
    if (!std_name) return std_name.error();
    auto std_off = duration(24, "standard offset");
    if (!std_off) return std_off.error();
    tz.std_ = ZoneOffset{-*std_off, false, std::move(*std_name)};
    if (at_end()) return std::move(tz);
    auto dst_name = name("daylight time");
    if (!dst_name) return dst_name.error();
    seconds dst_off = tz.std_.utc_offset + hours{1};
    if (!at_end() && peek() != ',') {
      auto off = duration(24, "daylight offset");
      if (!off) return off.error();
      dst_off = -*off;
    }
    tz.dst_ = ZoneOffset{dst_off, true, std::move(*dst_name)};
    if (at_end()) {  // no rule: the US one, as tzcode assumes
      tz.start_ = {PosixTz::Rule::Kind::month_week_day, 0, 3, 2, hours{2}};
      tz.end_ = {PosixTz::Rule::Kind::month_week_day, 0, 11, 1, hours{2}};
      return std::move(tz);
    }
    if (peek() != ',') return fail(i, "expected ',' before the daylight-time start rule");
    ++i;
    auto start = rule("start");
    if (!start) return start.error();
    if (peek() != ',') return fail(i, "expected ',' before the daylight-time end rule");
    ++i;
    auto end = rule("end");
    if (!end) return end.error();
    if (!at_end()) return fail(i, fmt::format("unexpected \"{}\"", text.substr(i)));
    tz.start_ = *start;
    tz.end_ = *end;
    return std::move(tz);
  }
};

Result<PosixTz> PosixTz::parse(std::string_view text) {
  return PosixTzParser{text}.run();
}

namespace {

sys_days rule_day(const PosixTz::Rule& r, int y) {
  const year yr{y};
  switch (r.kind) {
    case PosixTz::Rule::Kind::julian_no_leap:
      return sys_days{yr / January / 1} + days{r.day - 1 + (yr.is_leap() && r.day >= 60 ? 1 : 0)};
    case PosixTz::Rule::Kind::julian_zero:
      return sys_days{yr / January / 1} + days{r.day};
    case PosixTz::Rule::Kind::month_week_day:
      break;
  }
  const auto m = month{static_cast<unsigned>(r.month)};
  const weekday wd{static_cast<unsigned>(r.day)};
  if (r.week == 5) return sys_days{yr / m / wd[last]};
  return sys_days{yr / m / wd[static_cast<unsigned>(r.week)]};
}

}  // namespace

std::array<PosixTz::Change, 6> PosixTz::changes_near(sys_seconds t) const {
  // Years 2..9998 keep every calendar computation in range whatever t is.
  const auto lo = sys_seconds{sys_days{year{2} / January / 1}};
  const auto hi = sys_seconds{sys_days{year{9998} / December / 31}};
  t = std::clamp(t, lo, hi);
  const int y = static_cast<int>(year_month_day{floor<days>(t + std_.utc_offset)}.year());
  std::array<Change, 6> out;
  for (int k = 0; k < 3; ++k) {
    const int yy = y - 1 + k;
    out[static_cast<std::size_t>(2 * k)] = {
        sys_seconds{rule_day(start_, yy)} + start_.time - std_.utc_offset, true};
    out[static_cast<std::size_t>(2 * k + 1)] = {
        sys_seconds{rule_day(end_, yy)} + end_.time - dst_->utc_offset, false};
  }
  // At a tie the change to daylight time wins (a zone on DST all year: "EST5EDT,0/0,J365/25").
  std::sort(out.begin(), out.end(), [](const Change& a, const Change& b) {
    return a.at != b.at ? a.at < b.at : a.to_dst < b.to_dst;
  });
  return out;
}

const ZoneOffset& PosixTz::at(sys_seconds t) const {
  if (!dst_) return std_;
  const auto changes = changes_near(t);
  std::optional<bool> dst;
  for (const auto& c : changes)
    if (c.at <= t) dst = c.to_dst;
  if (!dst) dst = !changes.front().to_dst;  // before the first change: the other state
  return *dst ? *dst_ : std_;
}

std::optional<sys_seconds> PosixTz::next_transition_after(sys_seconds t) const {
  if (!dst_) return std::nullopt;
  for (const auto& c : changes_near(t))
    if (c.at > t) return c.at;
  return std::nullopt;
}

}  // namespace weir::schedule
