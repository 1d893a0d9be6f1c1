#include "schedule/time_zone.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iterator>

namespace weir::schedule {

using namespace std::chrono;

namespace {

constexpr std::size_t kMaxNameLength = 128;

std::string offset_name(seconds offset) {
  const auto a = abs(offset);
  return fmt::format("{}{:02}:{:02}", offset < seconds{0} ? '-' : '+', a.count() / 3600,
                     a.count() / 60 % 60);
}

TimeZone::LocalInfo unique(sys_seconds t) {
  return {TimeZone::LocalInfo::Kind::unique, t, t};
}

// "+02:00", "-05:30", "+02": ISO signs (east positive).
std::optional<seconds> iso_offset(std::string_view s) {
  auto two = [&](std::size_t at) -> int {
    if (at + 2 > s.size() || !std::isdigit(static_cast<unsigned char>(s[at])) ||
        !std::isdigit(static_cast<unsigned char>(s[at + 1])))
      return -1;
    return (s[at] - '0') * 10 + (s[at + 1] - '0');
  };
  if (s.size() != 3 && s.size() != 6) return std::nullopt;
  if (s[0] != '+' && s[0] != '-') return std::nullopt;
  const int h = two(1);
  const int m = s.size() == 6 ? (s[3] == ':' ? two(4) : -1) : 0;
  if (h < 0 || h > 23 || m < 0 || m > 59) return std::nullopt;
  const seconds off = hours{h} + minutes{m};
  return s[0] == '-' ? -off : off;
}

bool safe_zone_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  std::size_t part = 0;  // start of the current '/'-separated part
  for (std::size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '/') {
      if (i == part || name[part] == '.') return false;  // empty, ".", ".." or hidden
      part = i + 1;
      continue;
    }
    const char c = name[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '+' &&
        c != '.')
      return false;
  }
  return true;
}

Result<std::string> read_zone_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))  // not a FIFO, a device or a directory
    return unprocessable("unknown_time_zone",
                         fmt::format("zone file {}: not a regular file", path.string()));
  const auto size = std::filesystem::file_size(path, ec);
  if (ec)
    return unprocessable("unknown_time_zone",
                         fmt::format("zone file {}: {}", path.string(), ec.message()));
  if (size > Tzif::kMaxBytes)
    return unprocessable("invalid_tzif", fmt::format("zone file {}: {} bytes (at most {})",
                                                     path.string(), size, Tzif::kMaxBytes));
  std::ifstream in(path, std::ios::binary);
  std::string bytes(static_cast<std::size_t>(size), '\0');
  if (!in || !in.read(bytes.data(), static_cast<std::streamsize>(bytes.size())))
    return unprocessable("unknown_time_zone",
                         fmt::format("zone file {}: cannot be read", path.string()));
  return bytes;
}

Result<TimeZone> load_file(const std::filesystem::path& path, std::string name) {
  auto bytes = read_zone_file(path);
  if (!bytes) return bytes.error();
  auto zone = TimeZone::from_tzif(*bytes, std::move(name));
  if (!zone)
    return unprocessable("invalid_tzif",
                         fmt::format("zone file {}: {}", path.string(), zone.error().message));
  return zone;
}

}  // namespace

TimeZone TimeZone::utc() {
  static const auto data =
      std::make_shared<const Tzif>(Tzif{1, {}, {}, {{seconds{0}, false, "UTC"}}, {}});
  return TimeZone("UTC", data);
}

TimeZone TimeZone::fixed(seconds offset) {
  assert(abs(offset) < hours{24});
  std::string name = offset_name(offset);
  auto data = std::make_shared<const Tzif>(Tzif{1, {}, {}, {{offset, false, name}}, {}});
  return TimeZone(std::move(name), std::move(data));
}

Result<TimeZone> TimeZone::from_tzif(std::string_view bytes, std::string name) {
  auto tzif = parse_tzif(bytes);
  if (!tzif) return tzif.error();
  return TimeZone(std::move(name), std::make_shared<const Tzif>(std::move(*tzif)));
}

Result<TimeZone> TimeZone::from_posix(std::string_view tz) {
  auto rule = PosixTz::parse(tz);
  if (!rule) return rule.error();
  Tzif data;
  data.types.push_back(rule->at(sys_seconds{}));
  data.footer = std::move(*rule);
  return TimeZone(std::string(tz), std::make_shared<const Tzif>(std::move(data)));
}

Result<TimeZone> TimeZone::named(std::string_view name, const std::filesystem::path& zoneinfo) {
  if (name == "UTC") return utc();
  if (auto off = iso_offset(name)) return fixed(*off);
  if (!safe_zone_name(name))
    return unprocessable("unknown_time_zone",
                         fmt::format("time zone \"{}\": not a zone name (like Europe/Madrid, "
                                     "UTC or +02:00)",
                                     name.substr(0, kMaxNameLength)));
  const auto path = zoneinfo / std::string(name);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return unprocessable("unknown_time_zone", fmt::format("time zone \"{}\": no such zone in {}",
                                                          name, zoneinfo.string()));
  return load_file(path, std::string(name));
}

Result<TimeZone> TimeZone::machine(std::optional<std::string_view> tz,
                                   const std::filesystem::path& localtime,
                                   const std::filesystem::path& zoneinfo) {
  if (tz) {
    std::string_view v = *tz;
    if (!v.empty() && v[0] == ':') v.remove_prefix(1);
    if (v.empty()) return utc();
    if (v[0] == '/') return load_file(std::filesystem::path(v), std::string(v));
    if (safe_zone_name(v)) {
      std::error_code ec;
      if (v == "UTC" || std::filesystem::is_regular_file(zoneinfo / std::string(v), ec))
        return named(v, zoneinfo);
    }
    auto posix = from_posix(v);
    if (!posix)
      return unprocessable(
          "unknown_time_zone",
          fmt::format("TZ=\"{}\" is neither a zone in {} nor a POSIX TZ string "
                      "({})",
                      v.substr(0, kMaxNameLength), zoneinfo.string(), posix.error().message));
    return posix;
  }
  std::error_code ec;
  if (!std::filesystem::exists(localtime, ec)) return utc();
  std::string name = "localtime";
  const auto target = std::filesystem::read_symlink(localtime, ec);
  if (!ec) {
    const std::string t = target.string();
    if (const auto at = t.find("zoneinfo/"); at != std::string::npos)
      name = t.substr(at + std::string_view("zoneinfo/").size());
  }
  return load_file(localtime, std::move(name));
}

Result<TimeZone> TimeZone::machine() {
  const char* tz = std::getenv("TZ");
  return machine(tz ? std::optional<std::string_view>(tz) : std::nullopt);
}

const ZoneOffset& TimeZone::offset_at(sys_seconds t) const {
  const Tzif& d = *data_;
  const auto& times = d.transition_times;
  const std::int64_t s = t.time_since_epoch().count();
  if (times.empty()) return d.footer ? d.footer->at(t) : d.types[0];
  if (s < times.front()) return d.types[0];
  if (s >= times.back() && d.footer) return d.footer->at(t);
  const auto it = std::upper_bound(times.begin(), times.end(), s);
  return d.types[d.transition_types[static_cast<std::size_t>(it - times.begin() - 1)]];
}

local_seconds TimeZone::to_local(sys_seconds t) const {
  return local_seconds{t.time_since_epoch() + offset_at(t).utc_offset};
}

std::optional<sys_seconds> TimeZone::next_transition_after(sys_seconds t) const {
  const Tzif& d = *data_;
  const auto& times = d.transition_times;
  const std::int64_t s = t.time_since_epoch().count();
  if (!times.empty() && s < times.back())
    return sys_seconds{seconds{*std::upper_bound(times.begin(), times.end(), s)}};
  if (d.footer) return d.footer->next_transition_after(t);
  return std::nullopt;
}

// The offsets a day before and a day after bracket at most one change (true of every real zone);
// each gives a candidate instant, valid when the zone really has that offset then.
TimeZone::LocalInfo TimeZone::resolve(local_seconds t) const {
  const sys_seconds as_utc{t.time_since_epoch()};
  const seconds before = offset_at(as_utc - days{1}).utc_offset;
  const seconds after = offset_at(as_utc + days{1}).utc_offset;
  const sys_seconds early = as_utc - before;
  const sys_seconds late = as_utc - after;
  const bool early_ok = offset_at(early).utc_offset == before;
  const bool late_ok = offset_at(late).utc_offset == after;
  if (early_ok && late_ok && early != late)
    return {LocalInfo::Kind::overlap, std::min(early, late), std::max(early, late)};
  if (early_ok) return unique(early);
  if (late_ok) return unique(late);
  // A gap: the clock jumped over t at the change between the two candidates.
  const auto change = next_transition_after(std::min(early, late));
  const sys_seconds end = change ? *change : std::max(early, late);
  return {LocalInfo::Kind::gap, end, end};
}

}  // namespace weir::schedule
