// The `gis` module: the map settings (GET /api/gis/config), the icons of gis_icons[] with what
// each shows now (GET /api/gis/icons), and their changes on feed `gis` when a bound datapoint
// changes or the alarm module reports an alarm state (model::AlarmUpdate → GisAlarmStates).
#include <spdlog/spdlog.h>

#include <boost/describe.hpp>
#include <charconv>
#include <map>
#include <memory>
#include <unordered_map>

#include "datapoint/datapoint_service.hpp"
#include "gis/gis_alarms.hpp"
#include "gis/gis_assets.hpp"
#include "gis/gis_icons.hpp"
#include "module/module.hpp"
#include "module/module_registry.hpp"

namespace weir::gis {

struct GisSettings {
  std::string attribution;  // shown under the map (the Python platform's HTML, as given)
  std::string baseurl;      // tile URL template; "" for the offline base layer only
  std::string base_layer{kDemoBaseLayer};  // local vector base layer (GeoJSON); "" for none
  boost::json::value center_x;  // latitude (number, or the Python platform's numeric string)
  boost::json::value center_y;  // longitude
  std::int32_t zoom = 13;
};
BOOST_DESCRIBE_STRUCT(GisSettings, (), (attribution, baseurl, base_layer, center_x, center_y, zoom))

struct GisConfigDto {
  double latitude = 0;
  double longitude = 0;
  std::int32_t zoom = 13;
  std::string tile_url;    // "" : no tiles (offline); the browser draws base_layer alone
  std::string base_layer;  // a GeoJSON outline served by Weir, drawn under the tiles or alone
  std::string attribution;
};
BOOST_DESCRIBE_STRUCT(GisConfigDto, (),
                      (latitude, longitude, zoom, tile_url, base_layer, attribution))

struct GisIconDto {
  std::string id;
  std::string label;
  double latitude = 0;
  double longitude = 0;
  std::string image;   // what it shows now
  std::string state;   // the value or alarm state that chose it
  std::string source;  // alarm | datapoint | default
  std::string datapoint;
  std::string rule_id;
  std::string navigation;
  std::string navigation_type;
  std::string text;
};
BOOST_DESCRIBE_STRUCT(GisIconDto, (),
                      (id, label, latitude, longitude, image, state, source, datapoint, rule_id,
                       navigation, navigation_type, text))

struct GisIconList {
  std::vector<GisIconDto> items;
};
BOOST_DESCRIBE_STRUCT(GisIconList, (), (items))

namespace {

std::optional<double> coordinate(const boost::json::value& v) {
  if (v.is_double()) return v.get_double();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (!v.is_string()) return std::nullopt;
  const std::string s(v.get_string());
  double d = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return d;
}

class GisModule final : public module::ModuleWith<GisSettings>, public GisAlarmStates {
 public:
  GisModule(module::ModuleHost& host, const config::SystemConfig& config, const GisSettings& s)
      : host_(host), values_(host.services.get<datapoint::DatapointService>()) {
    load(config, s);
    host_.services.provide<GisAlarmStates>(*this);
    feed_ = host_.hub.add_feed({"gis", "view",
                                [this](std::string& out) {
                                  for (std::size_t i = 0; i < icons_.size(); ++i) {
                                    if (i) out.push_back(',');
                                    encode(i, out);
                                  }
                                },
                                [this](std::uint64_t key, std::string& out) { encode(key, out); }});
    tags_ = host_.bus.subscribe<model::TagUpdate>([this](const model::TagUpdate& u) {
      auto it = by_datapoint_.find(u.index);
      if (it == by_datapoint_.end()) return;
      for (auto i : it->second) host_.hub.mark(feed_, i);
    });
    // The alarm module announces every transition (and the states it restored) on the bus.
    alarm_updates_ = host_.bus.subscribe<model::AlarmUpdate>([this](const model::AlarmUpdate& a) {
      set_alarm_state(a.rule_id, a.state == model::AlarmState::FINISHED
                                     ? std::nullopt
                                     : std::optional<std::string>(
                                           boost::describe::enum_to_string(a.state, "")));
    });
    add_routes();
  }
  ~GisModule() override { host_.services.withdraw<GisAlarmStates>(); }

  static Result<std::unique_ptr<GisModule>> create(module::ModuleHost& host,
                                                   const config::SystemConfig& config,
                                                   const GisSettings& s) {
    return std::make_unique<GisModule>(host, config, s);
  }
  static void check(const module::ModuleRegistry&, const config::SystemConfig& config,
                    const GisSettings& s, const std::string& path,
                    std::vector<config::ConfigIssue>& issues) {
    auto lat = coordinate(s.center_x), lon = coordinate(s.center_y);
    if (!s.center_x.is_null() && (!lat || *lat < -90 || *lat > 90))
      issues.push_back({"system_config.json", path + ".center_x",
                        "expected a latitude between -90 and 90", true});
    if (!s.center_y.is_null() && (!lon || *lon < -180 || *lon > 180))
      issues.push_back({"system_config.json", path + ".center_y",
                        "expected a longitude between -180 and 180", true});
    if (s.zoom < 0 || s.zoom > 22)
      issues.push_back({"system_config.json", path + ".zoom", "must be between 0 and 22", true});
    if (!s.baseurl.empty() && !s.baseurl.starts_with("https://") &&
        !s.baseurl.starts_with("http://") && !s.baseurl.starts_with("/static/"))
      issues.push_back({"system_config.json", path + ".baseurl",
                        "expected an http(s) tile URL template or a path under /static/", true});
    if (!s.base_layer.empty() && !s.base_layer.starts_with("/static/") &&
        !s.base_layer.starts_with("https://") && !s.base_layer.starts_with("http://"))
      issues.push_back({"system_config.json", path + ".base_layer",
                        "expected a GeoJSON path under /static/ (or an http(s) URL)", true});
    read_gis_icons(config.gis_icons, {}, issues);
  }
  Status apply(const config::SystemConfig& config, const GisSettings& s) override {
    load(config, s);
    return {};
  }

  void set_alarm_state(std::string_view rule_id, std::optional<std::string> state) override {
    if (state)
      alarms_[std::string(rule_id)] = std::move(*state);
    else
      alarms_.erase(std::string(rule_id));
    for (std::size_t i = 0; i < icons_.size(); ++i)
      if (icons_[i].rule_id == rule_id) host_.hub.mark(feed_, i);
  }

 private:
  void load(const config::SystemConfig& config, const GisSettings& s) {
    std::vector<config::ConfigIssue> issues;
    icons_ = read_gis_icons(
        config.gis_icons,
        [this](std::string_view id) { return static_cast<bool>(values_.registry().find(id)); },
        issues);
    for (const auto& i : issues)
      if (i.path.ends_with(".datapoint")) spdlog::warn("{}", i.to_string());
    by_datapoint_.clear();
    for (std::size_t i = 0; i < icons_.size(); ++i)
      if (auto dp = values_.registry().find(icons_[i].datapoint)) by_datapoint_[*dp].push_back(i);
    map_.latitude = coordinate(s.center_x).value_or(0);
    map_.longitude = coordinate(s.center_y).value_or(0);
    map_.zoom = s.zoom;
    map_.tile_url = s.baseurl;
    map_.base_layer = s.base_layer;
    map_.attribution = s.attribution;
  }

  GisIconDto view(std::size_t i) const {
    const auto& g = icons_[i];
    std::optional<std::string> value;
    if (auto dp = values_.registry().find(g.datapoint)) {
      const auto& st = values_.state(*dp);
      if (st.quality == model::Quality::good) value = model::to_display(st.value);
    }
    std::optional<std::string> alarm;
    if (auto it = alarms_.find(g.rule_id); !g.rule_id.empty() && it != alarms_.end())
      alarm = it->second;
    auto v = current_view(g, value, alarm);
    return {g.id,
            g.label,
            g.latitude,
            g.longitude,
            std::move(v.image),
            std::move(v.state),
            std::move(v.source),
            g.datapoint,
            g.rule_id,
            g.navigation,
            g.navigation_type,
            g.text};
  }
  void encode(std::uint64_t key, std::string& out) const {
    if (key >= icons_.size()) {
      out += "null";
      return;
    }
    json::dump_to(out, json::to_json(view(key)));
  }

  void add_routes() {
    host_.router.add({"GET",
                      "/api/gis/config",
                      "view",
                      false,
                      "gis",
                      "The map: centre, zoom, tile URL template (\"\": none, offline), the "
                      "local base layer (GeoJSON served by Weir) and attribution",
                      {},
                      api::schema_of<GisConfigDto>(),
                      "application/json",
                      200,
                      {},
                      {},
                      [this](const api::RequestContext&) { return api::dto_response(200, map_); }});
    host_.router.add({"GET",
                      "/api/gis/icons",
                      "view",
                      false,
                      "gis",
                      "Every map icon with the image it shows now (alarm, datapoint state or "
                      "default); changes come on feed `gis`",
                      {},
                      api::schema_of<GisIconList>(),
                      "application/json",
                      200,
                      {},
                      {},
                      [this](const api::RequestContext&) {
                        GisIconList out;
                        for (std::size_t i = 0; i < icons_.size(); ++i)
                          out.items.push_back(view(i));
                        return api::dto_response(200, out);
                      }});
    add_static("icons",
               "A map icon of Weir's set (camera, camera_left/right/fault, tank, pump, valve, "
               "sensor, device_online/offline, help; .svg, or the fixtures' .png names)");
    add_static("gis", "An offline base layer (GeoJSON), e.g. demo_area.geojson");
  }

  // GET /static/{folder}/{name}: the compiled-in icon set and base layers.
  void add_static(const std::string& folder, std::string summary) {
    host_.router.add({"GET",
                      "/static/" + folder + "/{name}",
                      "view",
                      false,
                      "gis",
                      std::move(summary),
                      {},
                      {},
                      folder == "icons" ? "image/svg+xml" : "application/geo+json",
                      200,
                      {},
                      {404},
                      [folder](const api::RequestContext& ctx) {
                        const auto* a = find_static_asset(folder, ctx.param("name"));
                        if (!a)
                          return api::error_response(not_found(
                              "unknown_asset",
                              "no " + folder + " file \"" + std::string(ctx.param("name")) + "\""));
                        HttpResponse r;
                        r.content_type = std::string(asset_content_type(a->path));
                        r.body = std::string(a->bytes);
                        r.headers.emplace_back("Cache-Control", "private, max-age=3600");
                        r.headers.emplace_back("Content-Security-Policy",
                                               "default-src 'none'; style-src 'unsafe-inline'");
                        return r;
                      }});
  }

  module::ModuleHost& host_;
  datapoint::DatapointService& values_;
  std::vector<GisIcon> icons_;
  std::unordered_map<model::DatapointIndex, std::vector<std::size_t>> by_datapoint_;
  std::map<std::string, std::string, std::less<>> alarms_;
  GisConfigDto map_;
  api::LiveFeedHub::FeedId feed_ = 0;
  bus::Subscription tags_, alarm_updates_;
};

}  // namespace

}  // namespace weir::gis

void weir_register_gis_module(weir::module::ModuleRegistry& registry) {
  registry.add(weir::module::module_type<weir::gis::GisModule>(
      "gis", "The map: settings, gis_icons[] with their current image, feed gis", {"datapoint"}));
}
