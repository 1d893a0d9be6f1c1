"""Streams: the demo HLS clip served by weir (/api/streams/local/demo.m3u8, H.264 baseline in
MPEG-TS) plays in the video element (readyState >= 2, currentTime advances, a decoded picture),
with Chromium's own HLS player (what the app picks when the browser has one) and through hls.js
over Media Source Extensions (?player=hls.js)."""
from operator_support import operate, weir  # noqa: F401 (weir: the fixture)


def test_streams(weir):  # noqa: F811
    report = operate(weir, views=["streams"], checks=["video-plays", "video-plays-hlsjs"])
    assert set(report["video"]) == {"native", "hls.js"}
