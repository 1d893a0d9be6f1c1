#pragma once
// animations{} of system_config.json (SPEC §6): a name maps to entries
//   {attribute, expression, quality{unknown}, trigger_type datapoint|alarm|connection, default,
//    revert_after, duration}
// where `expression` is either an expression of `value` in the rule language (compiled once here:
// "280 - ((value/100) * 120)", "str(value)") or a map from value/state to result. Read once per
// configuration; each problem is a warning at its JSON path and the entry (or animation) skipped,
// so the Python platform's files load unchanged. Pure: JSON in, data out.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/system_config.hpp"
#include "expression/expression.hpp"

namespace weir::animation {

// What moves an animation: the bound datapoint's value, the alarm state of the rules reading it
// (or of the rule it names), or its driver's connection status.
enum class Trigger { datapoint, alarm, connection };
const char* to_string(Trigger t);

struct AnimationEntry {
  std::string attribute;  // an SVG attribute ("fill", "y"), or "text": the element's text
  std::optional<expression::Expression> expression;               // of `value`
  std::vector<std::pair<std::string, boost::json::value>> cases;  // or: value/state -> result
  boost::json::value unknown;  // quality.unknown: shown while the input is not good (null: none)
  boost::json::value default_value;  // no case matches; what revert_after returns to (null: none)
  double revert_after = 0;           // seconds; 0: never
  double duration = 0;               // seconds, for the browser's transition
};

struct Animation {
  std::string name;
  Trigger trigger = Trigger::datapoint;  // the first entry's; every entry must agree
  std::vector<AnimationEntry> entries;
};

using Animations = std::map<std::string, Animation, std::less<>>;

// The index `value` has in a compiled entry expression (read through a ValueSource).
inline constexpr expression::DatapointIndex kValueSlot = 0;

Animations read_animations(const boost::json::object& animations,
                           std::vector<config::ConfigIssue>& issues);

}  // namespace weir::animation
