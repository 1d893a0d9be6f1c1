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

// Whether a (valid) filter matches a (valid) topic name, '$' rule included: a filter starting
// with '+' or '#' does not match a topic starting with '$'.
bool topic_matches(std::string_view filter, std::string_view topic) noexcept;

bool has_wildcards(std::string_view filter) noexcept;

}  // namespace weir::mqtt
