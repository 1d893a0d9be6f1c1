#include "mqtt/codec/topic.hpp"

#include <string>

namespace weir::mqtt {

bool valid_mqtt_utf8(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) {
      if (c == 0) return false;
      ++p;
      continue;
    }
    std::uint32_t cp;
    int n;
    if ((c & 0xE0) == 0xC0) {
      cp = c & 0x1F;
      n = 1;
    } else if ((c & 0xF0) == 0xE0) {
      cp = c & 0x0F;
      n = 2;
    } else if ((c & 0xF8) == 0xF0) {
      cp = c & 0x07;
      n = 3;
    } else {
      return false;
    }
    if (end - p <= n) return false;
    for (int i = 1; i <= n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)) return false;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    p += n + 1;
  }
  return true;
}

namespace {

std::optional<std::string> check_common(std::string_view s, const TopicLimits& limits,
                                        const char* what) {
  if (s.empty()) return std::string(what) + " is empty";
  if (s.size() > limits.max_length || s.size() > 65535)
    return std::string(what) + " is " + std::to_string(s.size()) + " bytes, over the limit of " +
           std::to_string(limits.max_length);
  if (!valid_mqtt_utf8(s))
    return std::string(what) + " is not well-formed UTF-8 or contains U+0000";
  std::size_t levels = 1;
  for (char c : s) levels += (c == '/');
  if (levels > limits.max_levels)
    return std::string(what) + " has " + std::to_string(levels) + " levels, over the limit of " +
           std::to_string(limits.max_levels);
  return std::nullopt;
}

}  // namespace

std::optional<std::string> check_topic_name(std::string_view topic, const TopicLimits& limits) {
  if (auto e = check_common(topic, limits, "topic name")) return e;
  auto pos = topic.find_first_of("+#");
  if (pos != std::string_view::npos)
    return "topic name contains wildcard '" + std::string(1, topic[pos]) + "' at offset " +
           std::to_string(pos);
  return std::nullopt;
}

std::optional<std::string> check_wildcards(std::string_view filter) {
  for (std::size_t i = 0; i < filter.size(); ++i) {
    char c = filter[i];
    if (c == '+' || c == '#') {
      bool starts_level = i == 0 || filter[i - 1] == '/';
      bool ends_level = i + 1 == filter.size() || filter[i + 1] == '/';
      if (!starts_level || !ends_level)
        return "topic filter: '" + std::string(1, c) + "' at offset " + std::to_string(i) +
               " must occupy a whole level";
      if (c == '#' && i + 1 != filter.size())
        return "topic filter: '#' at offset " + std::to_string(i) + " must be the last level";
    }
  }
  return std::nullopt;
}

namespace {
std::optional<std::string> check_plain_filter(std::string_view filter, const TopicLimits& limits) {
  if (auto e = check_common(filter, limits, "topic filter")) return e;
  return check_wildcards(filter);
}
}  // namespace

bool is_shared_filter(std::string_view filter) noexcept {
  return filter.starts_with("$share/");
}

CodecResult<SharedFilter> parse_shared_filter(std::string_view filter, const TopicLimits& limits) {
  if (!is_shared_filter(filter))
    return CodecError{ReasonCode::topic_filter_invalid, "not a shared subscription filter"};
  std::string_view rest = filter.substr(7);
  auto slash = rest.find('/');
  if (slash == std::string_view::npos)
    return CodecError{ReasonCode::topic_filter_invalid,
                      "shared subscription: missing '/' after the group name"};
  std::string_view group = rest.substr(0, slash);
  if (group.empty())
    return CodecError{ReasonCode::topic_filter_invalid, "shared subscription: empty group name"};
  if (group.find_first_of("+#") != std::string_view::npos)
    return CodecError{ReasonCode::topic_filter_invalid,
                      "shared subscription: group name contains a wildcard"};
  std::string_view inner = rest.substr(slash + 1);
  if (auto e = check_plain_filter(inner, limits))
    return CodecError{ReasonCode::topic_filter_invalid, "shared subscription: " + *e};
  if (!valid_mqtt_utf8(group))
    return CodecError{ReasonCode::topic_filter_invalid,
                      "shared subscription: group name is not valid UTF-8"};
  return SharedFilter{group, inner};
}

std::optional<std::string> check_topic_filter(std::string_view filter, const TopicLimits& limits) {
  if (is_shared_filter(filter)) {
    auto r = parse_shared_filter(filter, limits);
    if (!r) return r.error().message;
    return std::nullopt;
  }
  return check_plain_filter(filter, limits);
}

bool has_wildcards(std::string_view filter) noexcept {
  return filter.find_first_of("+#") != std::string_view::npos;
}

namespace {

constexpr auto npos = std::string_view::npos;

// The level of `s` starting at `from`, and where the next one starts (npos after the last).
struct Level {
  std::string_view text;
  std::size_t next;
};
Level level_at(std::string_view s, std::size_t from) noexcept {
  const auto slash = s.find('/', from);
  if (slash == npos) return {s.substr(from), npos};
  return {s.substr(from, slash - from), slash + 1};
}

bool starts_with_wildcard(std::string_view filter) noexcept {
  return filter.starts_with('+') || filter.starts_with('#');
}

bool equal_levels(std::string_view filter_level, std::string_view topic_level) noexcept {
  return filter_level == topic_level;
}

// The one walk behind topic_matches and filter_covers: `filter` against `subject` level by level,
// with MQTT's '$' rule and '#' (the rest, and the parent level: "a/#" matches "a"); whether any
// other pair of levels agrees is level_ok's to say. Both must end together.
template <class LevelOk>
bool walk(std::string_view filter, std::string_view subject, LevelOk level_ok) noexcept {
  // MQTT-4.7.2-1: '$' topics are for the server; a leading wildcard does not reach them.
  if (subject.starts_with('$') && starts_with_wildcard(filter)) return false;
  std::size_t fi = 0, si = 0;
  while (true) {
    const auto f = level_at(filter, fi);
    if (f.text == "#") return true;
    const auto s = level_at(subject, si);
    if (!level_ok(f.text, s.text)) return false;
    if (f.next == npos || s.next == npos) {
      // Both ended: a match. Only the subject ended: only a trailing "/#" can still match.
      return f.next == s.next || (s.next == npos && filter.substr(f.next) == "#");
    }
    fi = f.next;
    si = s.next;
  }
}

}  // namespace

bool topic_matches(std::string_view filter, std::string_view topic) noexcept {
  return topic_matches(filter, topic, equal_levels);
}

bool topic_matches(std::string_view filter, std::string_view topic,
                   LevelMatcher level_matches) noexcept {
  return walk(filter, topic, [level_matches](std::string_view f, std::string_view t) noexcept {
    return f == "+" || level_matches(f, t);
  });
}

bool filter_covers(std::string_view outer, std::string_view inner) noexcept {
  return walk(outer, inner, [](std::string_view o, std::string_view i) noexcept {
    // A '#' reaches further than anything but a '#' (walk's); a literal covers only itself.
    return i != "#" && (o == "+" || o == i);
  });
}

}  // namespace weir::mqtt
