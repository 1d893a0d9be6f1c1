#pragma once
// Topic names and filters (MQTT §4.7): validation, matching, and shared subscriptions.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mqtt/codec/packet.hpp"

namespace weir::mqtt {

struct TopicLimits {
  std::uint32_t max_length = 65535;  // bytes
  std::uint32_t max_levels = 128;
};

// Well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF) and no U+0000.
bool valid_mqtt_utf8(std::string_view s) noexcept;

// nullopt when valid; otherwise why not. Reason to send: topic_name_invalid / topic_filter_invalid.
std::optional<std::string> check_topic_name(std::string_view topic, const TopicLimits& limits = {});
std::optional<std::string> check_topic_filter(std::string_view filter,
                                              const TopicLimits& limits = {});
inline bool valid_topic_name(std::string_view t, const TopicLimits& l = {}) {
  return !check_topic_name(t, l);
}
inline bool valid_topic_filter(std::string_view f, const TopicLimits& l = {}) {
  return !check_topic_filter(f, l);
}

// "$share/{group}/{filter}".
struct SharedFilter {
  std::string_view group;
  std::string_view filter;
};
bool is_shared_filter(std::string_view filter) noexcept;
// For a filter starting with "$share/": the group and the inner filter, or an error message.
// Validates the group (non-empty, no '+', '#', '/') and the inner filter.
CodecResult<SharedFilter> parse_shared_filter(std::string_view filter,
                                              const TopicLimits& limits = {});

// The wildcard rules of check_topic_filter alone ('+' and '#' fill a whole level, '#' only as
// the last one): nullopt when they hold, else why not. For filters that are not sent as such
// (ACL patterns with %u / %c placeholders), whose other limits are their owner's.
std::optional<std::string> check_wildcards(std::string_view filter);

// Whether a (valid) filter matches a (valid) topic name, '$' rule included: a filter starting
// with '+' or '#' does not match a topic starting with '$'. Empty levels are levels ("+/+"
// matches "/b"); "a/#" matches "a" too. This is Weir's one implementation of these rules.
bool topic_matches(std::string_view filter, std::string_view topic) noexcept;

// The same walk for patterns that mean more inside a level than MQTT does (the MQTT driver's
// "stat/x/POWER+"): a level other than "+" and "#" matches a topic level when
// level_matches(filter_level, topic_level) says so, instead of when they are equal.
using LevelMatcher = bool (*)(std::string_view filter_level, std::string_view topic_level) noexcept;
bool topic_matches(std::string_view filter, std::string_view topic,
                   LevelMatcher level_matches) noexcept;

// Whether every topic `inner` can match is matched by `outer` (both valid filters, '$' rule
// included): may an ACL pattern `outer` allow a subscription to `inner`? Level by level: a literal
// covers only itself, '+' covers a literal or '+', '#' covers whatever follows ("a/#" covers
// "a/+/b" and "a"); "a/+" does not cover "a/#".
bool filter_covers(std::string_view outer, std::string_view inner) noexcept;

bool has_wildcards(std::string_view filter) noexcept;

}  // namespace weir::mqtt
