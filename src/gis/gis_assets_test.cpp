#include "gis/gis_assets.hpp"

#include <gtest/gtest.h>

#include <string>

namespace weir::gis {
namespace {

TEST(GisAssets, TheIconSetIsCompiledIn) {
  for (const char* name : {"camera", "camera_left", "camera_right", "camera_fault", "tank", "pump",
                           "valve", "sensor", "device_online", "device_offline", "help"}) {
    const auto* a = find_static_asset("icons", std::string(name) + ".svg");
    ASSERT_NE(a, nullptr) << name;
    EXPECT_TRUE(a->bytes.starts_with("<svg")) << name;
    EXPECT_EQ(a->bytes.find("<script"), std::string_view::npos) << name;
  }
}

TEST(GisAssets, TheFixturesPngNamesResolve) {
  EXPECT_EQ(find_static_asset("icons", "camera.png")->path, "icons/camera.svg");
  EXPECT_EQ(find_static_asset("icons", "camera_left.png")->path, "icons/camera_left.svg");
  EXPECT_EQ(find_static_asset("icons", "camera_ko.png")->path, "icons/camera_fault.svg");
  EXPECT_EQ(find_static_asset("icons", "help.png")->path, "icons/help.svg");
  EXPECT_EQ(find_static_asset("icons", "nope.png"), nullptr);
  EXPECT_EQ(find_static_asset("icons", "camera"), nullptr);
  EXPECT_EQ(find_static_asset("icons", "../base/demo_area.geojson"), nullptr);
  EXPECT_EQ(find_static_asset("base", "demo_area.geojson"), nullptr);  // folders: icons, gis
  EXPECT_EQ(asset_content_type("icons/camera.svg"), "image/svg+xml");
}

TEST(GisAssets, TheOfflineBaseLayerIsSmallGeoJson) {
  const auto* a = find_static_asset("gis", "demo_area.geojson");
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(a->bytes.starts_with("{\"type\":\"FeatureCollection\""));
  EXPECT_LT(a->bytes.size(), 300u * 1024);
  EXPECT_EQ(asset_content_type(a->path), "application/geo+json");
  EXPECT_EQ(std::string(kDemoBaseLayer), "/static/gis/" + std::string(a->path.substr(5)));
}

}  // namespace
}  // namespace weir::gis
