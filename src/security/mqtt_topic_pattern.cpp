#include "security/mqtt_topic_pattern.hpp"

#include "mqtt/codec/topic.hpp"

namespace weir::security {
namespace {

constexpr std::size_t kMaxTopicLength = 65535;

bool safe_substitution_value(std::string_view v) {
  return !v.empty() && v.find_first_of(std::string_view("/+#\0", 4)) == std::string_view::npos;
}

}  // namespace

Status validate_topic_pattern(std::string_view pattern) {
  if (pattern.empty()) return bad_request("invalid_topic_pattern", "empty pattern");
  if (pattern.size() > kMaxTopicLength)
    return bad_request("invalid_topic_pattern", "pattern too long");
  if (pattern.find('\0') != std::string_view::npos)
    return bad_request("invalid_topic_pattern", "NUL character in pattern");
  if (mqtt::check_wildcards(pattern))
    return bad_request("invalid_topic_pattern",
                       "'+' and '#' must fill a whole level, and '#' must be the last level");
  for (std::size_t i = pattern.find('%'); i != std::string_view::npos;
       i = pattern.find('%', i + 2)) {
    if (i + 1 >= pattern.size() || (pattern[i + 1] != 'u' && pattern[i + 1] != 'c'))
      return bad_request("invalid_topic_pattern",
                         "'%' may only appear as %u (username) or %c (client id)");
  }
  return {};
}

bool is_valid_topic_name(std::string_view topic) {
  return !topic.empty() && topic.size() <= kMaxTopicLength &&
         topic.find_first_of(std::string_view("+#\0", 3)) == std::string_view::npos;
}

bool is_valid_topic_filter(std::string_view filter) {
  return !filter.empty() && filter.size() <= kMaxTopicLength &&
         filter.find('\0') == std::string_view::npos && !mqtt::check_wildcards(filter);
}

std::optional<std::string> substitute_topic_pattern(std::string_view pattern,
                                                    std::string_view username,
                                                    std::string_view client_id) {
  std::string out;
  out.reserve(pattern.size());
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '%' && i + 1 < pattern.size() &&
        (pattern[i + 1] == 'u' || pattern[i + 1] == 'c')) {
      auto value = pattern[i + 1] == 'u' ? username : client_id;
      if (!safe_substitution_value(value)) return std::nullopt;
      out.append(value);
      ++i;
    } else {
      out.push_back(pattern[i]);
    }
  }
  return out;
}

bool topic_matches(std::string_view pattern, std::string_view topic) {
  return is_valid_topic_name(topic) && mqtt::topic_matches(pattern, topic);
}

bool filter_covered_by(std::string_view pattern, std::string_view filter) {
  return is_valid_topic_filter(filter) && mqtt::filter_covers(pattern, filter);
}

std::string_view strip_shared_subscription(std::string_view filter) {
  constexpr std::string_view prefix = "$share/";
  if (!filter.starts_with(prefix)) return filter;
  auto rest = filter.substr(prefix.size());
  auto slash = rest.find('/');
  if (slash == std::string_view::npos) return filter;
  return rest.substr(slash + 1);
}

}  // namespace weir::security
