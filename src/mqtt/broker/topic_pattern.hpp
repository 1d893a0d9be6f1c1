#pragma once
// ACL topic patterns: an MQTT filter whose levels may contain %c (client id) and %u (username),
// e.g. "devices/%c/#". For the in-broker RuleAuthorizer. The placeholders are substituted here;
// the matching is the codec's (topic_matches / filter_covers), '$' rule included.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mqtt/broker/auth.hpp"
#include "mqtt/broker/broker_options.hpp"

namespace weir::mqtt {

class TopicPattern {
 public:
  explicit TopicPattern(std::string pattern);
  const std::string& pattern() const { return pattern_; }

  // The pattern (after substitution) matches a topic name. A client id or username that is empty
  // or contains '/', '+' or '#' matches nothing through a %c/%u pattern (no ACL escapes through
  // crafted ids).
  bool matches_topic(std::string_view topic, std::string_view client_id,
                     std::string_view username) const;
  // Every topic the filter could match is matched by the pattern ("a/#" covers "a/+/b").
  bool covers_filter(std::string_view filter, std::string_view client_id,
                     std::string_view username) const;

 private:
  // The pattern with %c / %u replaced; nullopt when a value it needs is unsafe (see above).
  std::optional<std::string> substituted(std::string_view client_id,
                                         std::string_view username) const;
  std::string pattern_;
  bool has_placeholders_ = false;
};

// An Authorizer from BrokerOptions::acl: first rule whose user and pattern match decides;
// no rules = allow everything; rules but none matching = deny.
class RuleAuthorizer final : public Authorizer {
 public:
  explicit RuleAuthorizer(std::vector<AclRule> rules);
  bool can_publish(const Identity& who, std::string_view topic) override;
  bool can_subscribe(const Identity& who, std::string_view filter) override;

 private:
  bool user_matches(const AclRule& r, const Identity& who) const;
  std::vector<AclRule> rules_;
  std::vector<TopicPattern> patterns_;
};

}  // namespace weir::mqtt
