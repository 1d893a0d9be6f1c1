#include "mqtt/broker/topic_pattern.hpp"

#include "mqtt/codec/topic.hpp"

namespace weir::mqtt {

namespace {
bool is_placeholder(std::string_view p, std::size_t i) {
  return p[i] == '%' && i + 1 < p.size() && (p[i + 1] == 'c' || p[i + 1] == 'u');
}

bool safe_value(std::string_view v) {
  return !v.empty() && v.find_first_of("/+#") == std::string_view::npos;
}
}  // namespace

TopicPattern::TopicPattern(std::string pattern) : pattern_(std::move(pattern)) {
  for (std::size_t i = 0; i < pattern_.size(); ++i)
    if (is_placeholder(pattern_, i)) has_placeholders_ = true;
}

std::optional<std::string> TopicPattern::substituted(std::string_view client_id,
                                                     std::string_view username) const {
  std::string out;
  out.reserve(pattern_.size());
  for (std::size_t i = 0; i < pattern_.size(); ++i) {
    if (!is_placeholder(pattern_, i)) {
      out += pattern_[i];
      continue;
    }
    std::string_view v = pattern_[i + 1] == 'c' ? client_id : username;
    if (!safe_value(v)) return std::nullopt;
    out += v;
    ++i;
  }
  return out;
}

bool TopicPattern::matches_topic(std::string_view topic, std::string_view client_id,
                                 std::string_view username) const {
  if (!has_placeholders_) return topic_matches(pattern_, topic);
  auto p = substituted(client_id, username);
  return p && topic_matches(*p, topic);
}

bool TopicPattern::covers_filter(std::string_view filter, std::string_view client_id,
                                 std::string_view username) const {
  if (!has_placeholders_) return filter_covers(pattern_, filter);
  auto p = substituted(client_id, username);
  return p && filter_covers(*p, filter);
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
