#pragma once
// gis_icons[] of system_config.json (SPEC §6) and the pure rule for what each icon shows: its
// alarm's icon while the rule named by rule_id is in a state listed in `alarm`, else the icon its
// datapoint's value selects in `states`, else `icon`. Read once per configuration; problems are
// warnings at their JSON path and the icon is skipped (or, for an unknown datapoint, kept with
// its default icon). The module on top (next) feeds values and alarm states and pushes changes
// on feed `gis`; the alarm module will report alarm states through it.
#include <boost/json/array.hpp>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/system_config.hpp"

namespace weir::gis {

struct GisIcon {
  std::string id;
  std::string label;
  std::string icon;  // default image
  double latitude = 0;
  double longitude = 0;
  std::string datapoint;                      // "" when the icon is static
  std::map<std::string, std::string> states;  // datapoint value -> image
  std::string rule_id;                        // "" without an alarm
  std::map<std::string, std::string> alarm;   // alarm state -> image
  std::string navigation;                     // "stream/feed1", a tab, ...
  std::string navigation_type;                // "" or "popup"
  std::string text;                           // help text shown in a popup
};

struct GisIconView {
  std::string image;
  std::string state;   // the alarm state or datapoint value that chose the image ("" default)
  std::string source;  // "alarm", "datapoint" or "default"
};

// What an icon shows now. `value` is the datapoint's display value when its quality is good
// (nullopt otherwise: the default icon); `alarm_state` the rule's alarm state, if any.
GisIconView current_view(const GisIcon& icon, const std::optional<std::string>& value,
                         const std::optional<std::string>& alarm_state);

// An image reference the browser may load: a path under /static/ or an http(s) URL.
bool valid_image(std::string_view ref);

std::vector<GisIcon> read_gis_icons(const boost::json::array& icons,
                                    const std::function<bool(std::string_view)>& known_datapoint,
                                    std::vector<config::ConfigIssue>& issues);

}  // namespace weir::gis
