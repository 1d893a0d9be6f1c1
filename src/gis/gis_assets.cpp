#include "gis/gis_assets.hpp"

#include <array>
#include <string>
#include <utility>

namespace weir::gis {

namespace {

const GisAsset* find(std::string_view path) {
  for (const auto& a : gis_assets())
    if (a.path == path) return &a;
  return nullptr;
}

}  // namespace

const GisAsset* find_static_asset(std::string_view folder, std::string_view name) {
  if (name.empty() || name.find('/') != std::string_view::npos || name.front() == '.')
    return nullptr;
  if (folder == "gis") return find("base/" + std::string(name));
  if (folder != "icons") return nullptr;
  if (const auto* a = find("icons/" + std::string(name))) return a;
  std::string stem(name);
  if (stem.ends_with(".png"))
    stem.resize(stem.size() - 4);
  else if (stem.ends_with(".svg"))
    stem.resize(stem.size() - 4);
  else
    return nullptr;
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 1> kAliases{
      {{"camera_ko", "camera_fault"}}};
  for (const auto& [from, to] : kAliases)
    if (stem == from) stem = to;
  return find("icons/" + stem + ".svg");
}

std::string_view asset_content_type(std::string_view path) {
  if (path.ends_with(".svg")) return "image/svg+xml";
  if (path.ends_with(".geojson")) return "application/geo+json";
  if (path.ends_with(".png")) return "image/png";
  return "application/octet-stream";
}

}  // namespace weir::gis
