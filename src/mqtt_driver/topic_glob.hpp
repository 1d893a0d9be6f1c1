#pragma once
// Subscription patterns as the Python platform's configuration writes them: MQTT filters, plus
// a '+' or '*' inside a level ("stat/xmas/POWER+") meaning "any characters here", which MQTT
// itself does not allow. The broker gets a valid filter (that level becomes '+'); the driver
// matches each message against the original pattern.
#include <string>
#include <string_view>

namespace weir::mqtt_driver {

struct TopicGlob {
  std::string pattern;  // as configured
  std::string filter;   // what to subscribe to
  bool matches(std::string_view topic) const;
};

TopicGlob make_topic_glob(std::string pattern);

}  // namespace weir::mqtt_driver
