#include "stream/stream_list.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace weir::stream {
namespace {

TEST(StreamList, ReadyToPlayUrlsAndWarningsWithTheirPath) {
  auto v = boost::json::parse(R"([
    {"id": "feed1", "description": "Feed 1", "server": "www.openscadalite.com", "port": "",
     "protocol": "https", "path": "hls/stream1.m3u8"},
    {"id": "cam", "server": "10.0.0.5", "port": 8080, "protocol": "http", "path": "/live/cam.m3u8"},
    {"id": "local", "server": "", "protocol": "https", "path": "static/hls/demo.m3u8"},
    {"id": "rtsp", "server": "cam", "protocol": "rtsp", "path": "x"},
    {"id": "up", "server": "cam", "protocol": "https", "path": "../../etc/passwd"},
    {"description": "no id"},
    {"id": "feed1", "server": "x", "path": "y"},
    {"id": "port", "server": "x", "port": "99999", "path": "y"}
  ])");
  std::vector<config::ConfigIssue> issues;
  auto list = read_streams(v.as_array(), issues);
  ASSERT_EQ(list.items.size(), 3u);
  EXPECT_EQ(list.items[0].url, "https://www.openscadalite.com/hls/stream1.m3u8");
  EXPECT_EQ(list.items[0].description, "Feed 1");
  EXPECT_EQ(list.items[1].url, "http://10.0.0.5:8080/live/cam.m3u8");
  EXPECT_EQ(list.items[2].url, "/static/hls/demo.m3u8");
  ASSERT_EQ(issues.size(), 5u);
  EXPECT_EQ(issues[0].to_string(),
            "warning: system_config.json: streams[3].protocol: \"rtsp\": only http and https (HLS) "
            "play in a browser (stream not listed)");
  EXPECT_EQ(issues[1].path, "streams[4].path");
  EXPECT_EQ(issues[2].path, "streams[5].id");
  EXPECT_EQ(issues[3].path, "streams[6].id");
  EXPECT_EQ(issues[4].path, "streams[7].port");
  for (const auto& i : issues) EXPECT_FALSE(i.error);
}

}  // namespace
}  // namespace weir::stream
