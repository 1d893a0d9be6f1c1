#include "gis/gis_icons.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace weir::gis {
namespace {

const char* kIcons = R"json([
  {"alarm": {"ACTIVE": "/static/icons/camera_ko.png"}, "datapoint": "CameraDriver@CAMERA_1_POSITION",
   "icon": "/static/icons/camera.png", "id": "camera1", "label": "Camera 1", "latitude": 47.4328,
   "longitude": 8.2384, "navigation": "stream/feed1", "rule_id": "camera_1_alarm",
   "states": {"LEFT": "/static/icons/camera_left.png", "RIGHT": "/static/icons/camera_right.png"}},
  {"icon": "/static/icons/help.png", "id": "help", "label": "Help", "latitude": 47.42,
   "longitude": 8.24, "navigation_type": "popup", "text": "Connect the CameraDriver"},
  {"icon": "javascript:alert(1)", "id": "evil", "latitude": 1, "longitude": 1},
  {"icon": "/static/icons/x.svg", "id": "far", "latitude": 91, "longitude": 1},
  {"icon": "/static/icons/x.svg", "id": "ghost", "datapoint": "Nope@X", "latitude": 1, "longitude": 1},
  {"icon": "/static/icons/x.svg", "id": "help", "latitude": 1, "longitude": 1}
])json";

TEST(GisIcons, ReadsTheFixtureShapeAndWarnsAtTheJsonPath) {
  std::vector<config::ConfigIssue> issues;
  auto icons = read_gis_icons(
      boost::json::parse(kIcons).as_array(),
      [](std::string_view id) { return id == "CameraDriver@CAMERA_1_POSITION"; }, issues);
  ASSERT_EQ(icons.size(), 3u);
  EXPECT_EQ(icons[0].states.at("LEFT"), "/static/icons/camera_left.png");
  EXPECT_EQ(icons[0].alarm.at("ACTIVE"), "/static/icons/camera_ko.png");
  EXPECT_EQ(icons[1].navigation_type, "popup");
  ASSERT_EQ(issues.size(), 4u);
  EXPECT_EQ(issues[0].path, "gis_icons[2].icon");
  EXPECT_EQ(issues[1].path, "gis_icons[3].latitude");
  EXPECT_EQ(
      issues[2].to_string(),
      "warning: system_config.json: gis_icons[4].datapoint: unknown datapoint \"Nope@X\" (the "
      "icon keeps its default)");
  EXPECT_EQ(issues[3].path, "gis_icons[5].id");
}

TEST(GisIcons, AlarmBeatsDatapointBeatsDefault) {
  std::vector<config::ConfigIssue> issues;
  auto icons = read_gis_icons(boost::json::parse(kIcons).as_array(), {}, issues);
  const auto& cam = icons[0];
  auto v = current_view(cam, std::nullopt, std::nullopt);
  EXPECT_EQ(v.image, "/static/icons/camera.png");
  EXPECT_EQ(v.source, "default");
  v = current_view(cam, "LEFT", std::nullopt);
  EXPECT_EQ(v.image, "/static/icons/camera_left.png");
  EXPECT_EQ(v.state, "LEFT");
  v = current_view(cam, "LEFT", "ACTIVE");
  EXPECT_EQ(v.image, "/static/icons/camera_ko.png");
  EXPECT_EQ(v.source, "alarm");
  v = current_view(cam, "RIGHT", "FINISHED");  // a state without an icon: the datapoint decides
  EXPECT_EQ(v.image, "/static/icons/camera_right.png");
  v = current_view(cam, "MIDDLE", std::nullopt);  // a value without an icon: the default
  EXPECT_EQ(v.image, "/static/icons/camera.png");
  EXPECT_EQ(v.state, "MIDDLE");
}

TEST(GisIcons, ImagesTheBrowserMayLoad) {
  EXPECT_TRUE(valid_image("/static/icons/pump.svg"));
  EXPECT_TRUE(valid_image("https://tiles.example/icon.png"));
  EXPECT_FALSE(valid_image("/static/../security_config.json"));
  EXPECT_FALSE(valid_image("data:image/svg+xml,<svg onload=x>"));
  EXPECT_FALSE(valid_image("/api/auth/logout"));
}

}  // namespace
}  // namespace weir::gis
