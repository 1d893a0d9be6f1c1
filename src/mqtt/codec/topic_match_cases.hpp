#pragma once
// Test support: the filter/topic pairs on which every matcher built on topic_matches() and
// filter_covers() must give the codec's answer (the security ACLs, the broker's ACL patterns, the
// MQTT driver's globs, the broker's subscription tree). Written once so the users cannot drift.
#include <string_view>

namespace weir::mqtt::test {

struct MatchCase {
  std::string_view filter;
  std::string_view topic;
  bool matches;
};

inline constexpr MatchCase kMatchCases[] = {
    {"sport/#", "sport", true},  // '#' includes the parent level
    {"sport/#", "sport/", true},
    {"sport/#", "sport/tennis/player1", true},
    {"sport/+", "sport", false},
    {"sport/+", "sport/", true},  // an empty level is a level
    {"sport/tennis", "sport/tennis/", false},
    {"sport/tennis/", "sport/tennis", false},
    {"Sport/tennis", "sport/tennis", false},  // case matters
    {"+", "$SYS", false},                     // a leading wildcard never reaches '$' topics
    {"+/x", "$SYS/x", false},
    {"#", "$SYS/x", false},
    {"$SYS/#", "$SYS/x", true},
    {"$SYS/+", "$SYS/x", true},
    {"+/$c", "b/$c", true},  // the '$' rule is about the first level only
    {"#", "/", true},
    {"+", "/", false},
    {"/+", "/", true},
    {"+/+", "/b", true},
    {"a//c", "a//c", true},
    {"a/+/c", "a//c", true},
    {"a/+/#", "a/b", true},
    {"a/+", "a/b/c", false},
    {"+/+/+", "a/b", false},
};

struct CoverCase {
  std::string_view outer;  // an ACL pattern
  std::string_view inner;  // a SUBSCRIBE filter
  bool covers;
};

inline constexpr CoverCase kCoverCases[] = {
    {"sport/#", "sport", true},     {"sport/#", "sport/#", true},
    {"sport/#", "sport/+/x", true}, {"sport/#", "#", false},
    {"sport/+", "sport/x", true},   {"sport/+", "sport/+", true},
    {"sport/+", "sport/#", false},  {"sport/+", "sport", false},
    {"sport/x", "sport/+", false},  // a literal covers only itself
    {"a/+/c", "a/+/c/d", false},    {"#", "$SYS/#", false},
    {"+/x", "$SYS/x", false},       {"$SYS/#", "$SYS/+", true},
    {"a//c", "a//c", true},         {"a/+/c", "a//c", true},
};

}  // namespace weir::mqtt::test
