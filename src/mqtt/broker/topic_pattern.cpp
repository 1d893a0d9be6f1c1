#include "mqtt/broker/topic_pattern.hpp"

#include "mqtt/broker/topic_tree.hpp"

namespace weir::mqtt {

TopicPattern::TopicPattern(std::string pattern) : pattern_(std::move(pattern)) {
  std::vector<std::string_view> v;
  split_levels(pattern_, v);
  for (auto l : v) levels_.emplace_back(l);
}

namespace {
bool safe_value(std::string_view v) {
  return !v.empty() && v.find_first_of("/+#") == std::string_view::npos;
}
}  // namespace

bool TopicPattern::level_equals(std::string_view p, std::string_view level,
                                std::string_view client_id, std::string_view username) const {
  if (p.find('%') == std::string_view::npos) return p == level;
  // Substitute %c / %u within the level.
  std::string expanded;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '%' && i + 1 < p.size() && (p[i + 1] == 'c' || p[i + 1] == 'u')) {
      std::string_view v = p[i + 1] == 'c' ? client_id : username;
      if (!safe_value(v)) return false;
      expanded += v;
      ++i;
    } else {
      expanded += p[i];
    }
  }
  return expanded == level;
}

bool TopicPattern::matches_topic(std::string_view topic, std::string_view client_id,
                                 std::string_view username) const {
  std::vector<std::string_view> t;
  split_levels(topic, t);
  const bool dollar = !topic.empty() && topic[0] == '$';
  for (std::size_t i = 0; i < levels_.size(); ++i) {
    const auto& p = levels_[i];
    if (p == "#") return !(i == 0 && dollar);
    if (i >= t.size()) return false;
    if (p == "+") {
      if (i == 0 && dollar) return false;
      continue;
    }
    if (!level_equals(p, t[i], client_id, username)) return false;
  }
  return t.size() == levels_.size();
}

bool TopicPattern::covers_filter(std::string_view filter, std::string_view client_id,
                                 std::string_view username) const {
  std::vector<std::string_view> f;
  split_levels(filter, f);
  const bool dollar = !filter.empty() && filter[0] == '$';
  for (std::size_t i = 0; i < levels_.size(); ++i) {
    const auto& p = levels_[i];
    if (p == "#") return !(i == 0 && dollar);
    if (i >= f.size()) return false;
    if (f[i] == "#") return false;  // filter reaches further than the pattern
    if (p == "+") {
      if (i == 0 && dollar) return false;
      continue;
    }
    if (f[i] == "+") return false;
    if (!level_equals(p, f[i], client_id, username)) return false;
  }
  return f.size() == levels_.size();
}

RuleAuthorizer::RuleAuthorizer(std::vector<AclRule> rules) : rules_(std::move(rules)) {
  for (const auto& r : rules_) patterns_.emplace_back(r.pattern);
}

bool RuleAuthorizer::user_matches(const AclRule& r, const Identity& who) const {
  if (r.username.empty()) return true;
  if (r.username == "*anonymous") return who.anonymous;
  return !who.anonymous && r.username == who.username;
}

bool RuleAuthorizer::can_publish(const Identity& who, std::string_view topic) {
  if (rules_.empty() || who.trusted) return true;
  for (std::size_t i = 0; i < rules_.size(); ++i)
    if (user_matches(rules_[i], who) &&
        patterns_[i].matches_topic(topic, who.client_id, who.username))
      return rules_[i].publish;
  return false;
}

bool RuleAuthorizer::can_subscribe(const Identity& who, std::string_view filter) {
  if (rules_.empty() || who.trusted) return true;
  for (std::size_t i = 0; i < rules_.size(); ++i)
    if (user_matches(rules_[i], who) &&
        patterns_[i].covers_filter(filter, who.client_id, who.username))
      return rules_[i].subscribe;
  return false;
}

}  // namespace weir::mqtt
