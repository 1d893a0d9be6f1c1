#pragma once
// What the map needs from Weir itself, offline (SPEC §6, §13): the icon set (assets/icons/*.svg,
// drawn for Weir) and the demo area's base layer (assets/base/demo_area.geojson, written by
// assets/make_base_layer.py). Both are compiled into weir from the repository at build time
// (embed_assets.cmake), so they are served whatever the configuration or web directory.
#include <string_view>
#include <vector>

namespace weir::gis {

struct GisAsset {
  std::string_view path;  // relative to assets/: "icons/camera.svg", "base/demo_area.geojson"
  std::string_view bytes;
};

// Every asset (generated).
const std::vector<GisAsset>& gis_assets();

// What GET /static/{folder}/{name} serves: folder "icons" (the fixtures name .png files: a .png
// without such a file gets the .svg of the same name, and camera_ko — the Python platform's fault
// icon — is camera_fault) or "gis" (the base layers). Null when there is none.
const GisAsset* find_static_asset(std::string_view folder, std::string_view name);

// "image/svg+xml", "application/geo+json", ...
std::string_view asset_content_type(std::string_view path);

// The base layer /api/gis/config points to when the configuration names none.
inline constexpr std::string_view kDemoBaseLayer = "/static/gis/demo_area.geojson";

}  // namespace weir::gis
