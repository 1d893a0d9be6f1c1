"""Streams: the demo HLS clip served by weir (/api/streams/local/demo.m3u8) plays in the video
element (readyState >= 2, currentTime advances, a decoded picture)."""
from operator_support import operate, weir  # noqa: F401 (weir: the fixture)


def test_streams(weir):  # noqa: F811
    operate(weir, views=["streams"], checks=["video-plays"])
