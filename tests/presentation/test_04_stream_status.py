"""Stream reachability on a real weir: an HTTP HEAD of each playlist (bounded, cached), shown in
GET /api/streams and on feed `stream`; the local demo clip (generated at build time with ffmpeg)
served by weir and reachable; a dead port unreachable."""
import http.server
import json
import os
import threading

import pytest
import websocket

from weirproc import BUILD, ROOT, Http, WeirServer, free_port, wait_until

CLIP = os.path.join(BUILD, "hls", "demo.m3u8")


class Playlist(http.server.BaseHTTPRequestHandler):
    heads = []

    def do_HEAD(self):
        Playlist.heads.append(self.path)
        self.send_response(200 if self.path == "/live/a.m3u8" else 404)
        self.send_header("Content-Type", "application/vnd.apple.mpegurl")
        self.send_header("Content-Length", "1000")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def origin():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Playlist)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv.server_address[1]
    srv.shutdown()


@pytest.fixture(scope="module")
def weir(origin):
    dead = free_port()
    cfg = {
        "dp_types": {}, "drivers": [],
        "modules": [{"name": "stream", "config": {"refresh_s": 5, "timeout_ms": 1000}}],
        "streams": [
            {"id": "clip", "description": "local", "server": "", "port": "", "protocol": "http",
             "path": "api/streams/local/demo.m3u8"},
            {"id": "dead", "server": "127.0.0.1", "port": str(dead), "protocol": "http", "path": "x.m3u8"},
            {"id": "served", "server": "127.0.0.1", "port": origin, "protocol": "http", "path": "live/a.m3u8"},
            {"id": "missing", "server": "127.0.0.1", "port": origin, "protocol": "http", "path": "live/b.m3u8"},
        ],
    }
    with WeirServer(system_config=cfg) as w:
        yield w


def statuses(h):
    status, body, _ = h.get("/api/streams")
    assert status == 200, body
    return {s["id"]: s for s in body["items"]}


def test_reachability_of_each_playlist(weir):
    h = Http(weir)
    h.login()
    s = wait_until(lambda: (lambda x: x if all(v["status"] != "unknown" for v in x.values()) else None)(statuses(h)),
                   message="every stream checked")
    assert s["served"]["status"] == "reachable" and s["served"]["detail"] == "HTTP 200", s
    assert s["served"]["url"].startswith("http://127.0.0.1:") and s["served"]["url"].endswith("/live/a.m3u8")
    assert "/live/a.m3u8" in Playlist.heads  # a HEAD, not a GET (the handler only answers HEAD)
    assert s["missing"]["status"] == "unreachable" and s["missing"]["detail"] == "HTTP 404", s
    assert s["dead"]["status"] == "unreachable" and "connect" in s["dead"]["detail"], s
    assert s["clip"]["url"] == "/api/streams/local/demo.m3u8"
    if os.path.exists(CLIP):
        assert s["clip"]["status"] == "reachable", s
    else:
        assert s["clip"]["status"] == "unreachable", s
    assert s["served"]["checked"].endswith("Z")


@pytest.mark.skipif(not os.path.exists(CLIP), reason="ffmpeg did not generate the demo clip")
def test_the_local_clip_is_served_with_a_session(weir):
    h = Http(weir)
    assert h.get("/api/streams/local/demo.m3u8")[0] == 401
    h.login()
    status, body, headers = h.get("/api/streams/local/demo.m3u8")
    assert status == 200
    assert headers["Content-Type"] == "application/vnd.apple.mpegurl"
    assert body.startswith("#EXTM3U")
    segments = [line for line in body.splitlines() if line.endswith(".ts")]
    assert segments, body
    status, seg, headers = h.get("/api/streams/local/" + segments[0])
    assert status == 200 and headers["Content-Type"] == "video/mp2t"
    assert h.get("/api/streams/local/..%2Fdemo.stamp")[0] in (400, 404)
    assert h.get("/api/streams/local/.hidden")[0] == 404
    assert h.get("/api/streams/local/nothing.m3u8")[0] == 404


def test_status_changes_arrive_on_feed_stream(weir):
    h = Http(weir)
    h.login()
    ws = websocket.create_connection(f"ws://127.0.0.1:{weir.http_port}/ws", timeout=15,
                                     header=[f"Authorization: Bearer {h.token}"])
    try:
        ws.send(json.dumps({"type": "subscribe", "feeds": ["stream"]}))
        seen = {}
        while seen.get("served", "unknown") == "unknown":
            m = json.loads(ws.recv())
            if m.get("feed") == "stream":
                for item in m.get("items", []):
                    if item:
                        seen[item["id"]] = item["status"]
        assert seen["served"] == "reachable"
    finally:
        ws.close()


def test_the_demo_configuration_names_the_local_clip():
    with open(os.path.join(ROOT, "config", "system_config.json")) as f:
        cfg = json.load(f)
    assert any(s.get("path", "").lstrip("/") == "api/streams/local/demo.m3u8" for s in cfg["streams"])
    assert any(m["name"] == "stream" for m in cfg["modules"])
