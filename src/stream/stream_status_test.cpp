#include "stream/stream_status.hpp"

#include <gtest/gtest.h>

namespace weir::stream {
namespace {

using namespace std::chrono_literals;

TEST(ProbeTarget, ParsesWhatAProbeConnectsTo) {
  auto a = probe_target("https://www.openscadalite.com/hls/stream1.m3u8");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->tls);
  EXPECT_EQ(a->host, "www.openscadalite.com");
  EXPECT_EQ(a->port, 443);
  EXPECT_EQ(a->path, "/hls/stream1.m3u8");
  auto b = probe_target("http://10.0.0.5:8080/live/cam.m3u8");
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->tls);
  EXPECT_EQ(b->port, 8080);
  auto local = probe_target("/api/streams/local/demo.m3u8");
  ASSERT_TRUE(local);
  EXPECT_TRUE(local->host.empty());
  EXPECT_FALSE(probe_target("rtsp://cam/x"));
  EXPECT_FALSE(probe_target("http://cam:0/x"));
  EXPECT_FALSE(probe_target("http://cam"));
}

TEST(ProbeSchedule, AtMostSomeAtOnceEachOncePerRefresh) {
  ManualClock clock;
  ProbeSchedule s(5, 30s, 2);
  auto first = s.due(clock.mono());
  EXPECT_EQ(first, (std::vector<std::size_t>{0, 1}));
  EXPECT_TRUE(s.due(clock.mono()).empty());  // two in flight: no more
  EXPECT_TRUE(s.finish(0, {true, "HTTP 200"}, clock.now(), clock.mono()));
  EXPECT_EQ(s.status(0), Reachability::reachable);
  EXPECT_EQ(s.due(clock.mono()), (std::vector<std::size_t>{2}));  // 0 is cached
  EXPECT_TRUE(s.finish(1, {false, "cannot connect: refused"}, clock.now(), clock.mono()));
  EXPECT_TRUE(s.finish(2, {false, "timed out"}, clock.now(), clock.mono()));
  EXPECT_EQ(s.due(clock.mono()), (std::vector<std::size_t>{3, 4}));
  s.finish(3, {true, "HTTP 200"}, clock.now(), clock.mono());
  s.finish(4, {true, "HTTP 200"}, clock.now(), clock.mono());
  clock.advance(29s);
  EXPECT_TRUE(s.due(clock.mono()).empty());
  clock.advance(1s);
  EXPECT_EQ(s.due(clock.mono()), (std::vector<std::size_t>{0, 1}));
  // The same answer again is no change (nothing to push on the feed).
  EXPECT_FALSE(s.finish(0, {true, "HTTP 200"}, clock.now(), clock.mono()));
  EXPECT_EQ(s.in_flight(), 1u);
  EXPECT_FALSE(s.finish(0, {true, "HTTP 200"}, clock.now(), clock.mono()));  // not in flight
}

}  // namespace
}  // namespace weir::stream
