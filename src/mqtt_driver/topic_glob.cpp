#include "mqtt_driver/topic_glob.hpp"

#include <vector>

#include "mqtt/codec/topic.hpp"

namespace weir::mqtt_driver {

namespace {
std::vector<std::string_view> levels(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  for (;;) {
    auto j = s.find('/', i);
    out.push_back(s.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
    if (j == std::string_view::npos) break;
    i = j + 1;
  }
  return out;
}

bool is_glob_level(std::string_view l) noexcept {
  return l.size() > 1 &&
         (l.find('+') != std::string_view::npos || l.find('*') != std::string_view::npos);
}

// '+' and '*' inside a level match any run of characters (no '/': levels are split first).
bool glob_level(std::string_view pat, std::string_view s) noexcept {
  if (pat.empty()) return s.empty();
  if (pat.front() == '+' || pat.front() == '*') {
    for (std::size_t k = 0; k <= s.size(); ++k)
      if (glob_level(pat.substr(1), s.substr(k))) return true;
    return false;
  }
  return !s.empty() && s.front() == pat.front() && glob_level(pat.substr(1), s.substr(1));
}

bool level_matches(std::string_view pattern_level, std::string_view topic_level) noexcept {
  return is_glob_level(pattern_level) ? glob_level(pattern_level, topic_level)
                                      : pattern_level == topic_level;
}
}  // namespace

TopicGlob make_topic_glob(std::string pattern) {
  TopicGlob g;
  g.pattern = std::move(pattern);
  std::string filter;
  bool first = true;
  for (auto l : levels(g.pattern)) {
    if (!first) filter.push_back('/');
    first = false;
    if (is_glob_level(l))
      filter.push_back('+');
    else
      filter.append(l);
  }
  g.filter = std::move(filter);
  return g;
}

bool TopicGlob::matches(std::string_view topic) const {
  // The filter carries MQTT's rules (the '$' one too, even for a glob in the first level); the
  // pattern, walked the same way, adds what each glob level asks of its characters.
  if (!mqtt::topic_matches(filter, topic)) return false;
  return pattern == filter || mqtt::topic_matches(pattern, topic, level_matches);
}

}  // namespace weir::mqtt_driver
