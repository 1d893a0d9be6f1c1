#include "schedule/cron.hpp"

#include <fmt/format.h>

#include <array>
#include <boost/algorithm/string/predicate.hpp>
#include <cctype>

namespace weir::schedule {

namespace {

using namespace std::chrono;

constexpr int kHorizonYears = 50;

constexpr std::array<std::string_view, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kWeekdayNames = {"SUN", "MON", "TUE", "WED",
                                                           "THU", "FRI", "SAT"};

struct FieldSpec {
  std::string_view name;
  int lo;
  int hi;
  const std::string_view* names;  // names[i] stands for lo + i; nullptr when the field has none
  std::size_t name_count;
  std::string_view name_hint;  // "JAN-DEC"
};

constexpr std::array<FieldSpec, 5> kFields = {{
    {"minute", 0, 59, nullptr, 0, {}},
    {"hour", 0, 23, nullptr, 0, {}},
    {"day-of-month", 1, 31, nullptr, 0, {}},
    {"month", 1, 12, kMonthNames.data(), kMonthNames.size(), "JAN-DEC"},
    {"day-of-week", 0, 7, kWeekdayNames.data(), kWeekdayNames.size(), "SUN-SAT"},
}};

struct Shorthand {
  std::string_view name;
  std::string_view fields;
};
constexpr std::array<Shorthand, 7> kShorthands = {{
    {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
    {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"},
    {"@daily", "0 0 * * *"},
    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
}};

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

unsigned days_in(int y, unsigned m) {
  return static_cast<unsigned>(year_month_day_last{year{y} / month{m} / last}.day());
}

// The longest any month can be (FEB counts 29): a day-of-month past it never fires.
constexpr std::array<int, 13> kMaxDays = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

template <std::size_t N>
int next_set(const std::bitset<N>& bits, int from, int direction) {
  for (int i = from; i >= 0 && i < static_cast<int>(N); i += direction)
    if (bits[static_cast<std::size_t>(i)]) return i;
  return -1;
}

}  // namespace

// Parses one expression; each error says which field, what and at which column (1-based).
struct CronParser {
  std::string_view text;
  Cron cron;

  Error fail(std::size_t pos, std::string what) const {
    return bad_request("invalid_cron",
                       fmt::format("cron \"{}\": {} at column {}", text, what, pos + 1));
  }

  // A number or (for month and day-of-week) a name, starting at `pos`.
  Result<int> value(const FieldSpec& f, std::string_view field, std::size_t& i,
                    std::size_t base) const {
    const std::size_t start = i;
    if (i < field.size() && std::isdigit(static_cast<unsigned char>(field[i]))) {
      int v = 0;
      while (i < field.size() && std::isdigit(static_cast<unsigned char>(field[i]))) {
        if (v < 100000) v = v * 10 + (field[i] - '0');
        ++i;
      }
      if (v < f.lo || v > f.hi)
        return fail(base + start, fmt::format("{} {} out of range {}-{}", f.name,
                                              field.substr(start, i - start), f.lo, f.hi));
      return v;
    }
    while (i < field.size() && std::isalpha(static_cast<unsigned char>(field[i]))) ++i;
    const std::string_view word = field.substr(start, i - start);
    if (word.empty()) {
      const std::string_view got = i < field.size() ? field.substr(i, 1) : "end of field";
      return fail(base + start, fmt::format("{}: expected a number{} but found \"{}\"", f.name,
                                            f.names ? " or a name" : "", got));
    }
    if (!f.names) return fail(base + start, fmt::format("{} \"{}\" is not a number", f.name, word));
    for (std::size_t n = 0; n < f.name_count; ++n)
      if (boost::algorithm::iequals(word, f.names[n])) return f.lo + static_cast<int>(n);
    return fail(base + start,
                fmt::format("{} \"{}\" is not a name ({})", f.name, word, f.name_hint));
  }

  // One comma-separated item: *, */n, a, a-b, a-b/n, a/n.
  Result<std::bitset<64>> item(const FieldSpec& f, std::string_view it, std::size_t base) const {
    if (it.empty()) return fail(base, fmt::format("{}: empty list item", f.name));
    std::size_t i = 0;
    int lo = f.lo, hi = f.hi;
    bool star = false;
    if (it[0] == '*') {
      star = true;
      i = 1;
    } else {
      auto a = value(f, it, i, base);
      if (!a) return a.error();
      lo = hi = *a;
      if (i < it.size() && it[i] == '-') {
        ++i;
        const std::size_t b_at = i;
        auto b = value(f, it, i, base);
        if (!b) return b.error();
        hi = *b;
        if (hi < lo)
          return fail(base + b_at,
                      fmt::format("{} range {} is backwards", f.name, it.substr(0, i)));
      }
    }
    int step = 1;
    if (i < it.size() && it[i] == '/') {
      const std::size_t step_at = ++i;
      int v = 0;
      while (i < it.size() && std::isdigit(static_cast<unsigned char>(it[i]))) {
        if (v < 100000) v = v * 10 + (it[i] - '0');
        ++i;
      }
      const int max_step = f.hi - f.lo + 1;
      if (i == step_at)
        return fail(base + step_at, fmt::format("{}: expected a step number after '/'", f.name));
      if (v < 1 || v > max_step)
        return fail(base + step_at, fmt::format("{} step {} out of range 1-{}", f.name,
                                                it.substr(step_at, i - step_at), max_step));
      step = v;
      if (!star && lo == hi) hi = f.hi;  // "5/15" is "5-max/15"
    }
    if (i < it.size())
      return fail(base + i, fmt::format("{}: unexpected \"{}\"", f.name, it.substr(i)));
    std::bitset<64> bits;
    for (int v = lo; v <= hi; v += step) bits.set(static_cast<std::size_t>(v));
    return bits;
  }

  Result<std::bitset<64>> field(const FieldSpec& f, std::string_view text_field,
                                std::size_t base) const {
    std::bitset<64> bits;
    std::size_t start = 0;
    while (true) {
      const std::size_t comma = text_field.find(',', start);
      const std::size_t end = comma == std::string_view::npos ? text_field.size() : comma;
      auto b = item(f, text_field.substr(start, end - start), base + start);
      if (!b) return b.error();
      bits |= *b;
      if (comma == std::string_view::npos) return bits;
      start = comma + 1;
    }
  }

  template <std::size_t N>
  static std::bitset<N> narrow(const std::bitset<64>& b) {
    std::bitset<N> out;
    for (std::size_t i = 0; i < N; ++i) out[i] = b[i];
    return out;
  }

  Result<Cron> run() {
    cron.text_ = std::string(text);
    if (text.size() > Cron::kMaxLength)
      return bad_request("invalid_cron", fmt::format("cron expression longer than {} characters",
                                                     Cron::kMaxLength));
    std::size_t i = 0;
    while (i < text.size() && is_space(text[i])) ++i;
    if (i < text.size() && text[i] == '@') {
      std::size_t end = i;
      while (end < text.size() && !is_space(text[end])) ++end;
      const std::string_view word = text.substr(i, end - i);
      std::size_t rest = end;
      while (rest < text.size() && is_space(text[rest])) ++rest;
      if (rest < text.size())
        return fail(rest, fmt::format("unexpected \"{}\" after {}", text.substr(rest), word));
      if (boost::algorithm::iequals(word, "@reboot"))
        return fail(i, "@reboot is not supported (schedules never fire at start-up)");
      const Shorthand* found = nullptr;
      for (const auto& s : kShorthands)
        if (boost::algorithm::iequals(word, s.name)) found = &s;
      if (!found)
        return fail(i, fmt::format("unknown shorthand \"{}\" (@hourly, @daily, @midnight, "
                                   "@weekly, @monthly, @yearly, @annually)",
                                   word));
      return compile(found->fields, i);  // valid fields: no column inside them is ever shown
    }
    return compile(text, 0);
  }

  // `offset` is the column of fields_text[0] in the expression.
  Result<Cron> compile(std::string_view fields_text, std::size_t offset) {
    std::array<std::bitset<64>, 5> bits;
    std::array<std::size_t, 5> columns{};
    std::array<std::string_view, 5> raw;
    std::size_t n = 0, i = 0;
    while (true) {
      while (i < fields_text.size() && is_space(fields_text[i])) ++i;
      if (i == fields_text.size()) break;
      std::size_t end = i;
      while (end < fields_text.size() && !is_space(fields_text[end])) ++end;
      if (n == 5)
        return fail(offset + i,
                    "expected 5 fields (minute hour day-of-month month day-of-week), "
                    "found more");
      raw[n] = fields_text.substr(i, end - i);
      columns[n] = offset + i;
      auto b = field(kFields[n], raw[n], columns[n]);
      if (!b) return b.error();
      bits[n] = *b;
      ++n;
      i = end;
    }
    if (n < 5)
      return fail(offset + fields_text.size(),
                  fmt::format("expected 5 fields (minute hour day-of-month month day-of-week), "
                              "found {}",
                              n));
    cron.minutes_ = narrow<60>(bits[0]);
    cron.hours_ = narrow<24>(bits[1]);
    cron.days_ = narrow<32>(bits[2]);
    cron.months_ = narrow<13>(bits[3]);
    std::bitset<64> dow = bits[4];
    if (dow[7]) dow.set(0);
    cron.weekdays_ = narrow<7>(dow);
    cron.days_star_ = raw[2][0] == '*';
    cron.weekdays_star_ = raw[4][0] == '*';
    // Both restricted: either may match, and every weekday comes. Otherwise the day-of-month
    // must occur in one of the months (weekdays then come around within the search horizon).
    if (cron.days_star_ || cron.weekdays_star_) {
      bool possible = false;
      for (int m = 1; m <= 12 && !possible; ++m)
        for (int d = 1; d <= kMaxDays[static_cast<std::size_t>(m)] && !possible; ++d)
          possible =
              cron.months_[static_cast<std::size_t>(m)] && cron.days_[static_cast<std::size_t>(d)];
      if (!possible)
        return fail(columns[2], fmt::format("never fires: day-of-month \"{}\" does not occur in "
                                            "month \"{}\"",
                                            raw[2], raw[3]));
    }
    return std::move(cron);
  }
};

Result<Cron> Cron::parse(std::string_view text) {
  return CronParser{text, Cron{}}.run();
}

bool Cron::day_matches(year_month_day ymd) const {
  const bool dom = days_[static_cast<unsigned>(ymd.day())];
  const bool dow = weekdays_[weekday{sys_days{ymd}}.c_encoding()];
  if (!days_star_ && !weekdays_star_) return dom || dow;
  return dom && dow;
}

bool Cron::matches(LocalMinutes m) const {
  const auto day = floor<days>(m);
  const hh_mm_ss<minutes> tod{m - day};
  const year_month_day ymd{day};
  return months_[static_cast<unsigned>(ymd.month())] && day_matches(ymd) &&
         hours_[static_cast<std::size_t>(tod.hours().count())] &&
         minutes_[static_cast<std::size_t>(tod.minutes().count())];
}

// Skips by field: a month not listed is passed in one step, a day not matching in one step, an
// hour or a minute jumps to the next one listed. At most ~366 day steps a year.
std::optional<LocalMinutes> Cron::search(LocalMinutes from, int direction) const {
  const auto day0 = floor<days>(from);
  const year_month_day ymd{day0};
  const hh_mm_ss<minutes> tod{from - day0};
  int y = static_cast<int>(ymd.year());
  int mo = static_cast<int>(static_cast<unsigned>(ymd.month()));
  int d = static_cast<int>(static_cast<unsigned>(ymd.day()));
  int h = static_cast<int>(tod.hours().count());
  int mi = static_cast<int>(tod.minutes().count());
  const int end_year = y + direction * kHorizonYears;
  const bool fwd = direction > 0;

  auto reset_minute = [&] { mi = fwd ? 0 : 59; };
  auto reset_hour = [&] {
    h = fwd ? 0 : 23;
    reset_minute();
  };
  auto reset_day = [&] {
    d = fwd ? 1 : static_cast<int>(days_in(y, static_cast<unsigned>(mo)));
    reset_hour();
  };
  auto step_month = [&] {
    mo += direction;
    if (mo > 12) mo = 1, ++y;
    if (mo < 1) mo = 12, --y;
    if (y >= 1 && y <= 9999) reset_day();
  };
  auto step_day = [&] {
    d += direction;
    if (d < 1 || d > static_cast<int>(days_in(y, static_cast<unsigned>(mo))))
      step_month();
    else
      reset_hour();
  };

  while (y != end_year && y >= 1 && y <= 9999) {
    if (!months_[static_cast<std::size_t>(mo)]) {
      step_month();
      continue;
    }
    const year_month_day here{year{y}, month{static_cast<unsigned>(mo)},
                              day{static_cast<unsigned>(d)}};
    if (!day_matches(here)) {
      // Every weekday allowed and no Vixie "either": the day-of-month alone decides, so jump to
      // the next day listed (29 FEB is then one step a year).
      if ((days_star_ || weekdays_star_) && weekdays_.all()) {
        const int nd = next_set(days_, d + direction, direction);
        if (nd < 1 || nd > static_cast<int>(days_in(y, static_cast<unsigned>(mo)))) {
          step_month();
        } else {
          d = nd;
          reset_hour();
        }
      } else {
        step_day();
      }
      continue;
    }
    if (const int nh = next_set(hours_, h, direction); nh != h) {
      if (nh < 0) {
        step_day();
      } else {
        h = nh;
        reset_minute();
      }
      continue;
    }
    if (const int nm = next_set(minutes_, mi, direction); nm != mi) {
      if (nm < 0) {
        h += direction;
        if (h < 0 || h > 23)
          step_day();
        else
          reset_minute();
      } else {
        mi = nm;
      }
      continue;
    }
    return LocalMinutes{local_days{here}.time_since_epoch() + hours{h} + minutes{mi}};
  }
  return std::nullopt;
}

std::optional<LocalMinutes> Cron::next_after(local_seconds t) const {
  return search(floor<minutes>(t) + minutes{1}, +1);
}

std::optional<LocalMinutes> Cron::last_at_or_before(local_seconds t) const {
  return search(floor<minutes>(t), -1);
}

}  // namespace weir::schedule
