#include "schedule/time_zone.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace weir::schedule {
namespace {

using namespace std::chrono;
using Kind = TimeZone::LocalInfo::Kind;

sys_seconds utc(year_month_day d, int h, int m = 0) {
  return sys_seconds{sys_days{d}} + hours{h} + minutes{m};
}
local_seconds local(year_month_day d, int h, int m = 0) {
  return local_seconds{local_days{d}} + hours{h} + minutes{m};
}

TimeZone zone(std::string_view name) {
  auto z = TimeZone::named(name);
  EXPECT_TRUE(z) << (z ? "" : z.error().message);
  return z ? *z : TimeZone::utc();
}

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A TZif file written by hand: version byte, transitions (UTC seconds → type), types
// (offset, dst, abbreviation), footer (v2+).
struct TzifBuilder {
  char version = '2';
  std::vector<std::pair<std::int64_t, std::uint8_t>> transitions;
  std::vector<std::tuple<std::int32_t, bool, std::string>> types;
  std::string footer;

  static void be(std::string& out, std::uint64_t v, int bytes) {
    for (int k = bytes - 1; k >= 0; --k) out.push_back(static_cast<char>(v >> (8 * k)));
  }
  std::string block(int time_bytes) const {
    std::string chars, out;
    for (const auto& t : types) chars += std::get<2>(t) + '\0';
    for (std::uint32_t c :
         {0u, 0u, 0u, static_cast<std::uint32_t>(transitions.size()),
          static_cast<std::uint32_t>(types.size()), static_cast<std::uint32_t>(chars.size())})
      be(out, c, 4);
    for (const auto& t : transitions) be(out, static_cast<std::uint64_t>(t.first), time_bytes);
    for (const auto& t : transitions) out.push_back(static_cast<char>(t.second));
    std::size_t idx = 0;
    for (const auto& t : types) {
      be(out, static_cast<std::uint32_t>(std::get<0>(t)), 4);
      out.push_back(std::get<1>(t) ? 1 : 0);
      out.push_back(static_cast<char>(idx));
      idx += std::get<2>(t).size() + 1;
    }
    return out + chars;
  }
  std::string bytes() const {
    const std::string head =
        std::string("TZif") + (version == '1' ? '\0' : version) + std::string(15, '\0');
    if (version == '1') return head + block(4);
    return head + block(4) + head + block(8) + "\n" + footer + "\n";
  }
};

TEST(TimeZone, UtcAndFixedOffsets) {
  const auto u = TimeZone::utc();
  EXPECT_EQ(u.name(), "UTC");
  EXPECT_EQ(u.to_local(utc(2026y / July / 1, 12)), local(2026y / July / 1, 12));
  EXPECT_EQ(u.to_sys(local(2026y / July / 1, 12)), utc(2026y / July / 1, 12));
  EXPECT_EQ(u.next_transition_after(utc(2026y / July / 1, 12)), std::nullopt);

  const auto india = TimeZone::named("+05:30").value();
  EXPECT_EQ(india.name(), "+05:30");
  EXPECT_EQ(india.to_local(utc(2026y / July / 1, 12)), local(2026y / July / 1, 17, 30));
  EXPECT_EQ(india.resolve(local(2026y / July / 1, 17, 30)).kind, Kind::unique);
  EXPECT_EQ(TimeZone::named("-03").value().offset_at(utc(2026y / July / 1, 0)).utc_offset,
            hours{-3});
  EXPECT_EQ(TimeZone::fixed(-minutes{570}).name(), "-09:30");
}

TEST(TimeZone, MadridSummerAndWinter) {
  const auto madrid = zone("Europe/Madrid");
  EXPECT_EQ(madrid.name(), "Europe/Madrid");
  EXPECT_EQ(madrid.offset_at(utc(2026y / January / 15, 12)), (ZoneOffset{hours{1}, false, "CET"}));
  EXPECT_EQ(madrid.offset_at(utc(2026y / July / 15, 12)), (ZoneOffset{hours{2}, true, "CEST"}));
  // The changes: last Sunday of March and of October, 01:00 UTC.
  EXPECT_EQ(madrid.next_transition_after(utc(2026y / January / 1, 0)), utc(2026y / March / 29, 1));
  EXPECT_EQ(madrid.next_transition_after(utc(2026y / March / 29, 1)), utc(2026y / October / 25, 1));
  EXPECT_EQ(madrid.to_local(utc(2026y / March / 29, 0, 59)), local(2026y / March / 29, 1, 59));
  EXPECT_EQ(madrid.to_local(utc(2026y / March / 29, 1)), local(2026y / March / 29, 3));
}

TEST(TimeZone, MadridSpringForwardGapAndFallBackOverlap) {
  const auto madrid = zone("Europe/Madrid");
  // 02:00-02:59 on 29 March 2026 does not exist: every one of them is the end of the gap.
  for (int m : {0, 30, 59}) {
    const auto info = madrid.resolve(local(2026y / March / 29, 2, m));
    EXPECT_EQ(info.kind, Kind::gap);
    EXPECT_EQ(info.first, utc(2026y / March / 29, 1));  // 03:00 CEST
  }
  EXPECT_EQ(madrid.resolve(local(2026y / March / 29, 1, 59)).kind, Kind::unique);
  EXPECT_EQ(madrid.to_sys(local(2026y / March / 29, 3)), utc(2026y / March / 29, 1));
  // 02:00-02:59 on 25 October 2026 happens twice: the first (CEST) is chosen.
  const auto info = madrid.resolve(local(2026y / October / 25, 2, 30));
  EXPECT_EQ(info.kind, Kind::overlap);
  EXPECT_EQ(info.first, utc(2026y / October / 25, 0, 30));
  EXPECT_EQ(info.second, utc(2026y / October / 25, 1, 30));
  EXPECT_EQ(madrid.to_sys(local(2026y / October / 25, 2, 30)), utc(2026y / October / 25, 0, 30));
  EXPECT_EQ(madrid.resolve(local(2026y / October / 25, 3)).kind, Kind::unique);
}

TEST(TimeZone, NewYorkSpringForwardGapAndFallBackOverlap) {
  const auto ny = zone("America/New_York");
  // Second Sunday of March, 02:00 EST → 03:00 EDT.
  const auto gap = ny.resolve(local(2026y / March / 8, 2, 30));
  EXPECT_EQ(gap.kind, Kind::gap);
  EXPECT_EQ(gap.first, utc(2026y / March / 8, 7));
  // First Sunday of November, 02:00 EDT → 01:00 EST.
  const auto overlap = ny.resolve(local(2026y / November / 1, 1, 30));
  EXPECT_EQ(overlap.kind, Kind::overlap);
  EXPECT_EQ(overlap.first, utc(2026y / November / 1, 5, 30));
  EXPECT_EQ(overlap.second, utc(2026y / November / 1, 6, 30));
  EXPECT_EQ(ny.offset_at(utc(2026y / November / 1, 5, 59)).abbreviation, "EDT");
  EXPECT_EQ(ny.offset_at(utc(2026y / November / 1, 6)).abbreviation, "EST");
}

// After the last transition in the file (2037), the footer's POSIX rule takes over.
TEST(TimeZone, FarFutureFollowsTheFooterRule) {
  const auto madrid = zone("Europe/Madrid");
  EXPECT_EQ(madrid.next_transition_after(utc(2040y / January / 1, 0)), utc(2040y / March / 25, 1));
  EXPECT_EQ(madrid.resolve(local(2045y / March / 26, 2, 30)).first, utc(2045y / March / 26, 1));
  EXPECT_EQ(madrid.resolve(local(2045y / October / 29, 2, 30)).kind, Kind::overlap);
  EXPECT_EQ(madrid.offset_at(utc(2045y / July / 1, 0)).utc_offset, hours{2});
  EXPECT_EQ(madrid.offset_at(utc(2045y / December / 1, 0)).utc_offset, hours{1});
  // Southern hemisphere: summer time spans the new year.
  const auto sydney = zone("Australia/Sydney");
  EXPECT_EQ(sydney.offset_at(utc(2045y / January / 15, 0)), (ZoneOffset{hours{11}, true, "AEDT"}));
  EXPECT_EQ(sydney.offset_at(utc(2045y / July / 15, 0)), (ZoneOffset{hours{10}, false, "AEST"}));
  // First Sunday of October 2045 is the 1st: 02:00 AEST → 03:00 AEDT.
  EXPECT_EQ(sydney.resolve(local(2045y / October / 1, 2, 30)).first,
            utc(2045y / September / 30, 16));
}

TEST(TimeZone, AZoneWithoutDaylightSaving) {
  const auto kolkata = zone("Asia/Kolkata");
  for (auto month : {January, April, July, October}) {
    EXPECT_EQ(kolkata.offset_at(utc(2026y / month / 1, 0)).utc_offset, hours{5} + minutes{30});
    EXPECT_EQ(kolkata.resolve(local(2026y / month / 1, 9)).kind, Kind::unique);
  }
  EXPECT_EQ(kolkata.next_transition_after(utc(2026y / January / 1, 0)), std::nullopt);
}

TEST(TimeZone, ZoneNamesAreCheckedAndBounded) {
  auto missing = TimeZone::named("Europe/Atlantis");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "unknown_time_zone");
  EXPECT_EQ(missing.error().message,
            "time zone \"Europe/Atlantis\": no such zone in /usr/share/zoneinfo");
  for (const char* bad : {"../../etc/passwd", "/etc/passwd", "Europe/../../etc/passwd", "", "a b",
                          "Europe//Madrid", ".hidden"}) {
    auto z = TimeZone::named(bad);
    ASSERT_FALSE(z) << bad;
    EXPECT_EQ(z.error().code, "unknown_time_zone") << bad;
  }
  EXPECT_EQ(TimeZone::named("../../etc/passwd").error().message,
            "time zone \"../../etc/passwd\": not a zone name (like Europe/Madrid, UTC or +02:00)");
  EXPECT_FALSE(TimeZone::named(std::string(5000, 'A')));
  // A directory is not a zone; a file that is not TZif says so.
  EXPECT_EQ(TimeZone::named("Europe").error().code, "unknown_time_zone");
  auto not_tzif = TimeZone::named("zone1970.tab");
  ASSERT_FALSE(not_tzif);
  EXPECT_EQ(not_tzif.error().message,
            "zone file /usr/share/zoneinfo/zone1970.tab: TZif: not a TZif file (no \"TZif\" "
            "magic) at byte 0");
}

TEST(TimeZone, MachineZoneFromTzOrLocaltime) {
  EXPECT_EQ(TimeZone::machine(":Europe/Madrid").value().name(), "Europe/Madrid");
  EXPECT_EQ(TimeZone::machine("America/New_York").value().name(), "America/New_York");
  EXPECT_EQ(TimeZone::machine("").value().name(), "UTC");
  EXPECT_EQ(TimeZone::machine("UTC").value().name(), "UTC");
  EXPECT_EQ(TimeZone::machine("/usr/share/zoneinfo/Asia/Kolkata")
                .value()
                .offset_at(utc(2026y / January / 1, 0))
                .utc_offset,
            hours{5} + minutes{30});
  const auto posix = TimeZone::machine("CET-1CEST,M3.5.0,M10.5.0/3").value();
  EXPECT_EQ(posix.resolve(local(2026y / October / 25, 2, 30)).first,
            utc(2026y / October / 25, 0, 30));
  EXPECT_EQ(TimeZone::machine("/dev/null").error().message,
            "zone file /dev/null: not a regular file");
  auto bad = TimeZone::machine("Mars/Olympus");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "unknown_time_zone");

  // TZ unset: /etc/localtime, named after the zone it links to.
  const auto dir = std::filesystem::path(::testing::TempDir()) / "weir_schedule_localtime";
  std::filesystem::create_directories(dir);
  const auto link = dir / "localtime";
  std::filesystem::remove(link);
  std::filesystem::create_symlink("/usr/share/zoneinfo/America/New_York", link);
  EXPECT_EQ(TimeZone::machine(std::nullopt, link).value().name(), "America/New_York");
  std::filesystem::remove(link);
  EXPECT_EQ(TimeZone::machine(std::nullopt, link).value().name(), "UTC");  // none: UTC
}

TEST(Tzif, VersionOneWithoutFooter) {
  TzifBuilder b;
  b.version = '1';
  b.types = {{3600, false, "AAA"}, {7200, true, "BBB"}};
  b.transitions = {{1000, 1}, {2000, 0}};
  auto z = TimeZone::from_tzif(b.bytes(), "test");
  ASSERT_TRUE(z) << z.error().message;
  EXPECT_EQ(z->offset_at(sys_seconds{seconds{999}}).abbreviation, "AAA");  // type 0 before
  EXPECT_EQ(z->offset_at(sys_seconds{seconds{1000}}).abbreviation, "BBB");
  EXPECT_EQ(z->offset_at(sys_seconds{seconds{5000}}).abbreviation, "AAA");  // last one stays
  auto parsed = parse_tzif(b.bytes());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->version, 1);
  EXPECT_FALSE(parsed->footer);
}

TEST(Tzif, VersionsTwoToFourReadThe64BitBlockAndTheFooter) {
  for (char v : {'2', '3', '4'}) {
    TzifBuilder b;
    b.version = v;
    b.types = {{0, false, "UTC"}, {-18000, false, "EST"}};
    b.transitions = {{-5'000'000'000, 1}};  // before 1901: only the 64-bit block has it
    b.footer = "<-05>5";
    auto parsed = parse_tzif(b.bytes());
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(parsed->version, v - '0');
    EXPECT_EQ(parsed->transition_times, std::vector<std::int64_t>{-5'000'000'000});
    ASSERT_TRUE(parsed->footer);
    EXPECT_EQ(parsed->footer->at(sys_seconds{}).abbreviation, "-05");
  }
  // The real files: fat or slim, all parse.
  for (const char* name : {"Europe/Madrid", "America/New_York", "Etc/UTC", "Asia/Kolkata",
                           "Australia/Sydney", "Pacific/Chatham", "America/Sao_Paulo"}) {
    auto parsed = parse_tzif(read(std::filesystem::path(kZoneinfoDir) / name));
    ASSERT_TRUE(parsed) << name << ": " << parsed.error().message;
    EXPECT_GE(parsed->version, 2) << name;
  }
}

// A slim file (no transitions, only the footer's rule) gives the same answers as a fat one.
TEST(Tzif, AFooterOnlyFileFollowsItsRule) {
  TzifBuilder b;
  b.version = '3';
  b.types = {{3600, false, "CET"}};
  b.footer = "CET-1CEST,M3.5.0,M10.5.0/3";
  const auto slim = TimeZone::from_tzif(b.bytes(), "slim").value();
  const auto fat = zone("Europe/Madrid");
  for (auto t = utc(2026y / January / 1, 0); t < utc(2027y / January / 1, 0); t += hours{7})
    EXPECT_EQ(slim.offset_at(t), fat.offset_at(t));
  EXPECT_EQ(slim.resolve(local(2026y / March / 29, 2, 30)).first, utc(2026y / March / 29, 1));
  EXPECT_EQ(slim.resolve(local(2026y / October / 25, 2, 30)).kind, Kind::overlap);
  EXPECT_EQ(slim.next_transition_after(utc(2026y / March / 29, 1)), utc(2026y / October / 25, 1));
}

TEST(Tzif, BadInputIsRefusedWithWhereAndWhy) {
  auto error = [](const std::string& bytes) {
    auto p = parse_tzif(bytes);
    return p ? std::string("parsed") : p.error().message;
  };
  EXPECT_EQ(error("TZif"), "TZif: truncated header (4 of 44 bytes) at byte 0");
  TzifBuilder b;
  b.types = {{3600, false, "AAA"}, {7200, true, "BBB"}};
  b.transitions = {{1000, 1}, {2000, 0}};
  b.footer = "AAA-1";
  const std::string good = b.bytes();
  ASSERT_EQ(error(good), "parsed");

  std::string bad_version = good;
  bad_version[4] = '9';
  EXPECT_EQ(error(bad_version), "TZif: unknown version byte 0x39 at byte 4");

  TzifBuilder unordered = b;
  unordered.transitions = {{2000, 1}, {1000, 0}};
  EXPECT_EQ(error(unordered.bytes()), "TZif: transition 1 is not after the one before at byte 126");

  TzifBuilder bad_type = b;
  bad_type.transitions = {{1000, 7}};
  EXPECT_EQ(error(bad_type.bytes()),
            "TZif: transition type 7 is not below the type count 2 at byte 121");

  TzifBuilder bad_offset = b;
  bad_offset.types[1] = {100000, true, "BBB"};
  EXPECT_EQ(error(bad_offset.bytes()), "TZif: UT offset 100000 s out of range at byte 142");

  TzifBuilder bad_footer = b;
  bad_footer.footer = "AAA-1BBB,M13.1.0,M1.1.0";
  EXPECT_EQ(error(bad_footer.bytes()),
            "TZif: footer: TZ \"AAA-1BBB,M13.1.0,M1.1.0\": start month 13 out of range 1-12 at "
            "column 11 at byte 157");

  std::string huge_count = good;
  huge_count[32] = '\x7f';  // v1 timecnt: 0x7f000002
  EXPECT_EQ(error(huge_count), "TZif: 2130706434 transitions (at most 20000) at byte 32");

  EXPECT_EQ(error(std::string(Tzif::kMaxBytes + 1, 'x')),
            "TZif: 262145 bytes (at most 262144) at byte 0");

  // Leap seconds ("right/" zones) are refused rather than misread.
  auto right = parse_tzif(read("/usr/share/zoneinfo/right/UTC"));
  ASSERT_FALSE(right);
  EXPECT_EQ(right.error().message,
            "TZif: leap-second records (a \"right/\" zone) are not supported at byte 28");

  // Every truncation of a real file is refused, none read out of bounds (ASan watches).
  const std::string madrid = read("/usr/share/zoneinfo/Europe/Madrid");
  for (std::size_t n = 0; n < madrid.size(); ++n)
    EXPECT_FALSE(parse_tzif(madrid.substr(0, n))) << n;
}

TEST(PosixTz, RulesAndTheirErrors) {
  // No rule after the DST name: the US rule.
  const auto us = PosixTz::parse("EST5EDT").value();
  EXPECT_EQ(us.at(utc(2026y / July / 1, 0)), (ZoneOffset{hours{-4}, true, "EDT"}));
  EXPECT_EQ(us.next_transition_after(utc(2026y / January / 1, 0)), utc(2026y / March / 8, 7));
  // Quoted names, minutes, no DST.
  const auto tehran = PosixTz::parse("<+0330>-3:30").value();
  EXPECT_EQ(tehran.at(utc(2026y / July / 1, 0)),
            (ZoneOffset{hours{3} + minutes{30}, false, "+0330"}));
  EXPECT_EQ(tehran.next_transition_after(utc(2026y / July / 1, 0)), std::nullopt);
  // Julian days: Jn never counts 29 FEB (J60 is 1 March), n does (59 is 29 FEB in a leap year).
  const auto j = PosixTz::parse("AAA0BBB,J60/0,300/0").value();
  EXPECT_EQ(j.next_transition_after(utc(2028y / January / 1, 0)), utc(2028y / March / 1, 0));
  const auto n = PosixTz::parse("AAA0BBB,59/0,300/0").value();
  EXPECT_EQ(n.next_transition_after(utc(2028y / January / 1, 0)), utc(2028y / February / 29, 0));
  // DST all year (TZif v3 allows times past 24 h).
  const auto always = PosixTz::parse("EST5EDT,0/0,J365/25").value();
  for (auto month : {January, June, December})
    EXPECT_TRUE(always.at(utc(2026y / month / 15, 12)).is_dst);
  // Negative rule times (v3).
  EXPECT_TRUE(PosixTz::parse("<-02>2<-01>,M3.5.0/-1,M10.5.0/0"));

  auto error = [](std::string_view s) {
    auto p = PosixTz::parse(s);
    return p ? std::string("parsed") : p.error().message;
  };
  EXPECT_EQ(error("CE-1"),
            "TZ \"CE-1\": standard time name: expected 3 or more letters or <...> "
            "at column 1");
  EXPECT_EQ(error("CET"), "TZ \"CET\": standard offset hours: expected a number at column 4");
  EXPECT_EQ(error("CET25"), "TZ \"CET25\": standard offset hours 25 out of range 0-24 at column 4");
  EXPECT_EQ(error("CET-1CEST,M3.5.7"),
            "TZ \"CET-1CEST,M3.5.7\": start weekday 7 out of range 0-6 at column 16");
  EXPECT_EQ(error("CET-1CEST,M3.5.0/168,M10.5.0"),
            "TZ \"CET-1CEST,M3.5.0/168,M10.5.0\": start time hours 168 out of range 0-167 at "
            "column 18");
  EXPECT_EQ(error("CET-1CEST,M3.5.0"),
            "TZ \"CET-1CEST,M3.5.0\": expected ',' before the daylight-time end rule at column 17");
  EXPECT_EQ(error("CET-1CEST,M3.5.0,M10.5.0x"),
            "TZ \"CET-1CEST,M3.5.0,M10.5.0x\": unexpected \"x\" at column 25");
  EXPECT_EQ(error("<+03"), "TZ \"<+03\": standard time name: expected '>' at column 5");
  EXPECT_EQ(error("<+3>-3"),
            "TZ \"<+3>-3\": standard time name \"+3\" is shorter than 3 "
            "characters at column 1");
}

}  // namespace
}  // namespace weir::schedule
