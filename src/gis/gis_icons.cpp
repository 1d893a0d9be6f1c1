#include "gis/gis_icons.hpp"

#include <algorithm>

namespace weir::gis {

namespace {

std::string text_of(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : "";
}

std::optional<double> number_of(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  if (it->value().is_double()) return it->value().get_double();
  if (it->value().is_int64()) return static_cast<double>(it->value().get_int64());
  return std::nullopt;
}

}  // namespace

bool valid_image(std::string_view ref) {
  if (ref.empty() || ref.size() > 512 || ref.find("..") != std::string_view::npos) return false;
  if (!ref.starts_with("/static/") && !ref.starts_with("https://") && !ref.starts_with("http://"))
    return false;
  return std::all_of(ref.begin(), ref.end(), [](char c) {
    return c > ' ' && c < 0x7f && c != '"' && c != '\'' && c != '<' && c != '>' && c != '\\';
  });
}

GisIconView current_view(const GisIcon& icon, const std::optional<std::string>& value,
                         const std::optional<std::string>& alarm_state) {
  if (alarm_state)
    if (auto it = icon.alarm.find(*alarm_state); it != icon.alarm.end())
      return {it->second, *alarm_state, "alarm"};
  if (value)
    if (auto it = icon.states.find(*value); it != icon.states.end())
      return {it->second, *value, "datapoint"};
  return {icon.icon, value.value_or(""), "default"};
}

std::vector<GisIcon> read_gis_icons(const boost::json::array& icons,
                                    const std::function<bool(std::string_view)>& known_datapoint,
                                    std::vector<config::ConfigIssue>& issues) {
  std::vector<GisIcon> out;
  for (std::size_t i = 0; i < icons.size(); ++i) {
    const std::string path = "gis_icons[" + std::to_string(i) + "]";
    auto warn = [&](const std::string& field, const std::string& why) {
      issues.push_back({"system_config.json", path + field, why, false});
    };
    if (!icons[i].is_object()) {
      warn("", "expected an object (icon not shown)");
      continue;
    }
    const auto& o = icons[i].get_object();
    GisIcon g;
    g.id = text_of(o, "id");
    g.label = text_of(o, "label");
    g.icon = text_of(o, "icon");
    g.datapoint = text_of(o, "datapoint");
    g.rule_id = text_of(o, "rule_id");
    g.navigation = text_of(o, "navigation");
    g.navigation_type = text_of(o, "navigation_type");
    g.text = text_of(o, "text");
    if (g.id.empty()) {
      warn(".id", "required (icon not shown)");
      continue;
    }
    if (std::any_of(out.begin(), out.end(), [&](const GisIcon& x) { return x.id == g.id; })) {
      warn(".id", "\"" + g.id + "\" is used twice (icon not shown)");
      continue;
    }
    const auto lat = number_of(o, "latitude"), lon = number_of(o, "longitude");
    if (!lat || !lon || *lat < -90 || *lat > 90 || *lon < -180 || *lon > 180) {
      warn(!lat || *lat < -90 || *lat > 90 ? ".latitude" : ".longitude",
           "expected a number within range (icon not shown)");
      continue;
    }
    g.latitude = *lat;
    g.longitude = *lon;
    if (!valid_image(g.icon)) {
      warn(".icon", "\"" + g.icon + "\": expected /static/... or an http(s) URL (icon not shown)");
      continue;
    }
    for (const char* key : {"states", "alarm"}) {
      auto it = o.find(key);
      if (it == o.end()) continue;
      if (!it->value().is_object()) {
        warn(std::string(".") + key, "expected an object of state -> image (ignored)");
        continue;
      }
      auto& target = std::string_view(key) == "states" ? g.states : g.alarm;
      for (const auto& [state, image] : it->value().get_object()) {
        const std::string where = std::string(".") + key + "." + std::string(state);
        if (!image.is_string() || !valid_image(image.get_string()))
          warn(where, "expected /static/... or an http(s) URL (ignored)");
        else
          target.emplace(std::string(state), std::string(image.get_string()));
      }
    }
    if (!g.datapoint.empty() && known_datapoint && !known_datapoint(g.datapoint))
      warn(".datapoint", "unknown datapoint \"" + g.datapoint + "\" (the icon keeps its default)");
    if (!g.alarm.empty() && g.rule_id.empty())
      warn(".rule_id", "`alarm` icons need the rule_id of the alarm they follow (ignored)");
    out.push_back(std::move(g));
  }
  return out;
}

}  // namespace weir::gis
