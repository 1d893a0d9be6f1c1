#pragma once
// MQTT topic ACL patterns: a topic filter ('+' one level, '#' the rest, both only as whole levels,
// '#' last) in which "%u" stands for the client's username and "%c" for its client id. The
// placeholders are this file's; matching is the MQTT codec's (mqtt/codec/topic.hpp), '$' rule
// included, so an ACL means what a subscription with the same filter would receive.
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace weir::security {

// Checks an ACL pattern as written in the config ('%' only in "%u" / "%c").
Status validate_topic_pattern(std::string_view pattern);

bool is_valid_topic_name(std::string_view topic);     // a PUBLISH topic: no wildcards
bool is_valid_topic_filter(std::string_view filter);  // a SUBSCRIBE filter

// Replaces %u / %c. Returns nullopt when a value needed by the pattern is empty or contains
// '/', '+', '#' or NUL: such a client gets nothing from this pattern (it could otherwise
// reach into another client's topics).
std::optional<std::string> substitute_topic_pattern(std::string_view pattern,
                                                    std::string_view username,
                                                    std::string_view client_id);

// Does the (substituted) pattern match this topic name? False for an invalid topic name.
bool topic_matches(std::string_view pattern, std::string_view topic);

// Is every topic the subscription filter can match also matched by the pattern?
bool filter_covered_by(std::string_view pattern, std::string_view filter);

// "$share/<group>/<filter>" -> "<filter>"; any other filter unchanged.
std::string_view strip_shared_subscription(std::string_view filter);

}  // namespace weir::security
